package inbound

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/microcosm-cc/bluemonday"
	"github.com/portico/portico/server/model"
	"golang.org/x/net/html"
)

// BodyText is the mail's text as sent: the text part when there is one,
// otherwise its HTML converted to text.
func BodyText(m model.InboundMail) string {
	if strings.TrimSpace(m.Text) != "" {
		return strings.TrimSpace(normalizeNewlines(m.Text))
	}
	return HTMLToText(m.HTML)
}

// ---- quote stripping --------------------------------------------------------

// attributionStartRe is how a multi-line attribution ("On Mon, 1 Jan 2024 at
// 10:00, Jane Doe <\njane@example.com> wrote:") begins in the languages we
// know; a line wrap may only continue such a start.
var attributionStartRe = regexp.MustCompile(`(?i)^(on|le|am|el|em|il|op|den|på|w dniu)\s`)

// Attribution lines, matched after NBSPs became spaces. They use unbounded
// ".+" (cheap in RE2, unlike bounded repeats) and rely on
// attributionKind's length cap. Keyword-led ones start like "On <date>";
// name-led ones ("Jane Doe <jane@example.com> wrote:") need more evidence.
var (
	keywordAttributionRes = []*regexp.Regexp{
		regexp.MustCompile(`(?i)^(on\s.+\swrote|le\s.+\sa écrit|el\s.+\sescribió|em\s.+\sescreveu|il\s.+\sha scritto|w dniu\s.+\snapisał(\(a\))?)\s*:$`),
		regexp.MustCompile(`(?i)^(am\s.+\sschrieb|op\s.+\sschreef|(den|på)\s.+\sskrev)(\s.*)?:$`),
	}
	nameAttributionRes = []*regexp.Regexp{
		regexp.MustCompile(`(?i)^.+\s(wrote|a écrit|escribió|escreveu|ha scritto|schreef|skrev|napisał|пишет|написал\(а\)|написала?)\s*:$`),
		regexp.MustCompile(`(?i)^.+\sschrieb am\s.+:$`),
	}
)

// separatorRe matches "-----Original Message-----" and its translations.
var separatorRe = regexp.MustCompile(`(?i)^-{2,}\s*(original message|message d'origine|ursprüngliche nachricht|mensaje original|messaggio originale|oorspronkelijk bericht|mensagem original|originalmeddelande|oprindelig meddelelse|opprinnelig melding|alkuperäinen viesti|wiadomość oryginalna|исходное сообщение)\s*-{2,}$`)

// forwardRe marks a forwarded message, whose header block is content to keep.
var forwardRe = regexp.MustCompile(`(?i)(forwarded message|begin forwarded message|message transféré|weitergeleitete nachricht|mensaje reenviado|messaggio inoltrato|doorgestuurd bericht|mensagem encaminhada|vidarebefordrat meddelande|videresendt meddelelse)`)

// Header lines of an Outlook-style quoted block ("From: …", "Sent: …").
var (
	blockFromRe    = regexp.MustCompile(`(?i)^\*?(from|de|von|van|da|från|fra|od|от)\s?\*?\s?:\*?\s*\S`)
	blockSentRe    = regexp.MustCompile(`(?i)^\*?(sent|date|envoyé|gesendet|datum|enviado|fecha|inviato|data|verzonden|skickat|sendt|wysłano|отправлено)\s?\*?\s?:`)
	blockSubjectRe = regexp.MustCompile(`(?i)^\*?(subject|objet|betreff|asunto|onderwerp|oggetto|assunto|ämne|emne|temat|тема)\s?\*?\s?:`)
	blockToRe      = regexp.MustCompile(`(?i)^\*?(to|à|an|para|aan|a|till|til|do|кому)\s?\*?\s?:`)
)

// trailerRes match the one-line footers mobile clients append.
var trailerRes = []*regexp.Regexp{
	regexp.MustCompile(`(?i)^(sent|envoyé|enviado|inviato|verzonden|skickat|sendt|wysłane)\s+(from|with|via|de|desde|da|vanaf|från|fra|con|com|z)\s.{1,60}$`),
	regexp.MustCompile(`(?i)^von meinem\s.{1,40}\sgesendet\.?$`),
	regexp.MustCompile(`(?i)^get outlook for\s.{1,30}$`),
}

// StripQuoted removes quoted history and signatures from a reply: the
// attribution and everything after it ("On … wrote:" in several languages,
// "-----Original Message-----", Outlook "From:/Sent:/To:/Subject:" blocks),
// lines quoted with ">", the "-- " signature and "Sent from my iPhone"
// trailers. Inline answers between quoted lines are kept. It never returns ""
// when the text had anything besides quotes.
func StripQuoted(text string) string {
	lines := strings.Split(normalizeNewlines(text), "\n")
	cut := quoteStart(lines)
	if cut < len(lines) && interleaved(lines, cut) {
		cut = len(lines)
	}
	if s := cleanLines(lines[:cut], true); s != "" {
		return s
	}
	// Nothing above the quote: a bottom-posted answer or a forward.
	if s := cleanLines(lines, true); s != "" {
		return s
	}
	// Only a signature or a trailer: keep it rather than nothing.
	return cleanLines(lines, false)
}

func normalizeNewlines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// quoteStart returns the index of the line where quoted history begins, or
// len(lines).
func quoteStart(lines []string) int {
	for i, l := range lines {
		t := trimLine(l)
		switch {
		case t == "" || isQuoted(l):
		case attributionAt(lines, i) > 0, separatorRe.MatchString(t):
			return i
		case isRule(t) && outlookBlockAt(lines, nextNonBlank(lines, i+1)) && !forwarded(lines, i):
			return i
		case outlookBlockAt(lines, i) && !forwarded(lines, i):
			return i
		}
	}
	return len(lines)
}

// attributionAt reports how many lines (1 to 3, for wrapped ones) form an
// attribution starting at line i, or 0. Evidence is required besides the
// wording, so that a sentence ending in "wrote:" is safe: ">" quoting right
// after it, or an address (name-led) or a date or address (keyword-led).
func attributionAt(lines []string, i int) int {
	if isQuoted(lines[i]) {
		return 0
	}
	joined := ""
	for n := 1; n <= 3 && i+n <= len(lines); n++ {
		t := trimLine(lines[i+n-1])
		if t == "" || (n > 1 && isQuoted(lines[i+n-1])) {
			return 0
		}
		if n == 1 {
			joined = t
		} else {
			if !attributionStartRe.MatchString(joined) {
				return 0
			}
			joined += " " + t
		}
		switch attributionKind(joined) {
		case keywordLed:
			if strings.ContainsAny(joined, "0123456789@") || quotedNext(lines, i+n) {
				return n
			}
		case nameLed:
			if strings.Contains(joined, "@") || quotedNext(lines, i+n) {
				return n
			}
		}
	}
	return 0
}

type attribution int

const (
	notAttribution attribution = iota
	keywordLed
	nameLed
)

func attributionKind(s string) attribution {
	if len(s) < 8 || len(s) > 1000 || !strings.HasSuffix(s, ":") {
		return notAttribution
	}
	for _, re := range keywordAttributionRes {
		if re.MatchString(s) {
			return keywordLed
		}
	}
	for _, re := range nameAttributionRes {
		if re.MatchString(s) {
			return nameLed
		}
	}
	return notAttribution
}

// quotedNext reports whether the next non-blank line from i is ">" quoted.
func quotedNext(lines []string, i int) bool {
	j := nextNonBlank(lines, i)
	return j < len(lines) && isQuoted(lines[j])
}

func nextNonBlank(lines []string, i int) int {
	for i < len(lines) && trimLine(lines[i]) == "" {
		i++
	}
	return i
}

// outlookBlockAt reports whether line i starts a "From: … Sent: … To: …
// Subject: …" header block (Outlook, and most clients' HTML quotes once
// turned into text).
func outlookBlockAt(lines []string, i int) bool {
	if i >= len(lines) || !blockFromRe.MatchString(trimLine(lines[i])) {
		return false
	}
	var sent, subject, to bool
	seen := 0
	for j := i + 1; j < len(lines) && seen < 6; j++ {
		t := trimLine(lines[j])
		if t == "" {
			continue
		}
		seen++
		sent = sent || blockSentRe.MatchString(t)
		subject = subject || blockSubjectRe.MatchString(t)
		to = to || blockToRe.MatchString(t)
	}
	return sent && (subject || to)
}

// forwarded reports whether one of the two non-blank lines above i announces
// a forwarded message.
func forwarded(lines []string, i int) bool {
	for j, seen := i-1, 0; j >= 0 && seen < 2; j-- {
		t := trimLine(lines[j])
		if t == "" {
			continue
		}
		if forwardRe.MatchString(t) {
			return true
		}
		seen++
	}
	return false
}

// interleaved reports whether the answer continues between or after the
// ">" quoted lines that follow the attribution at cut: an inline or
// bottom-posted reply, which must not be cut away.
func interleaved(lines []string, cut int) bool {
	start := cut + max(attributionAt(lines, cut), 1)
	seenQuote := false
	for _, l := range lines[start:] {
		t := trimLine(l)
		switch {
		case isQuoted(l):
			seenQuote = true
		case t == "" || isTrailer(t):
		case isSignatureDelimiter(l):
			return false
		case !seenQuote:
			// Unquoted text right after the header: the quote itself is
			// not ">" quoted (Outlook style).
			return false
		default:
			return true
		}
	}
	return false
}

// cleanLines drops quoted lines and attributions; with strip it also cuts
// at the signature delimiter and drops trailers. The result is trimmed, with
// runs of blank lines collapsed.
func cleanLines(lines []string, strip bool) string {
	var kept []string
	gap := false // lines were removed since the last kept one
	for i := 0; i < len(lines); i++ {
		l := strings.TrimRightFunc(lines[i], unicode.IsSpace)
		if isSignatureDelimiter(l) {
			if strip {
				break
			}
			continue
		}
		if n := attributionAt(lines, i); n > 0 {
			i += n - 1
			gap = true
			continue
		}
		if isQuoted(l) || separatorRe.MatchString(trimLine(l)) {
			gap = true
			continue
		}
		if trimLine(l) == "" {
			l = ""
		}
		// Answers between removed quotes stay apart by a blank line.
		if l != "" && gap && len(kept) > 0 && kept[len(kept)-1] != "" {
			kept = append(kept, "")
		}
		gap = false
		if l == "" && (len(kept) == 0 || kept[len(kept)-1] == "") {
			continue
		}
		kept = append(kept, l)
	}
	for len(kept) > 0 && (kept[len(kept)-1] == "" || (strip && isTrailer(trimLine(kept[len(kept)-1])))) {
		kept = kept[:len(kept)-1]
	}
	return strings.Join(kept, "\n")
}

func isQuoted(l string) bool {
	return strings.HasPrefix(strings.TrimLeft(l, " \t"), ">")
}

// isSignatureDelimiter matches "-- " (RFC 3676), also with the trailing
// space lost by the client.
func isSignatureDelimiter(l string) bool {
	return strings.TrimRight(l, " \t") == "--"
}

// isRule matches the underscore or dash line Outlook puts above its header
// block.
func isRule(t string) bool {
	return len(t) >= 8 && strings.Trim(t, "_-—") == ""
}

func isTrailer(t string) bool {
	for _, re := range trailerRes {
		if re.MatchString(t) {
			return true
		}
	}
	return false
}

// trimLine trims spaces, counting NBSPs (French "a écrit :") as spaces.
func trimLine(l string) string {
	return strings.TrimSpace(strings.ReplaceAll(l, "\u00a0", " "))
}

// ---- HTML to text -----------------------------------------------------------

// textPolicy keeps only the elements that shape plain text; bluemonday drops
// every other tag (keeping its text), comments, and the content of script,
// style, title and similar elements.
var textPolicy = bluemonday.NewPolicy().AllowElements(
	"p", "div", "br", "hr", "pre", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6",
	"ul", "ol", "li", "dl", "dt", "dd", "table", "tr", "td", "th", "section", "article",
	"header", "footer", "address", "center",
)

// paragraphTags are separated by a blank line, other blocks by a line break.
var paragraphTags = map[string]bool{
	"p": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"ul": true, "ol": true, "dl": true, "table": true, "pre": true, "blockquote": true, "hr": true,
}

var blockTags = map[string]bool{
	"div": true, "li": true, "dt": true, "dd": true, "tr": true, "section": true, "article": true,
	"header": true, "footer": true, "address": true, "center": true,
}

// HTMLToText converts an HTML mail body to plain text: block elements become
// line breaks, <br> a newline, links keep their text, entities are decoded,
// scripts and styles dropped, whitespace collapsed as a browser would.
// Blockquotes come out as "> " lines so StripQuoted recognises them.
func HTMLToText(s string) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	z := html.NewTokenizer(strings.NewReader(textPolicy.Sanitize(s)))
	var w textWriter
	for {
		switch z.Next() {
		case html.ErrorToken:
			return w.String()
		case html.TextToken:
			w.text(string(z.Text()))
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			w.start(string(name))
		case html.EndTagToken:
			name, _ := z.TagName()
			w.end(string(name))
		}
	}
}

// textWriter assembles lines, prefixing each with the blockquote depth at
// which it began.
type textWriter struct {
	out       strings.Builder
	line      strings.Builder
	lineQuote int
	quote     int
	pre       int
	lists     []int // per open list: next number, or 0 for bullets
	space     bool  // whitespace seen since the last word
	blanks    int   // blank lines written since the last text line
}

func (w *textWriter) start(tag string) {
	switch {
	case tag == "br":
		w.hardBreak()
	case tag == "li":
		w.breakLine()
		w.write(w.bullet())
	case tag == "td" || tag == "th":
		w.space = true
	case tag == "hr":
		w.blankLine()
		w.write("---")
		w.blankLine()
	case paragraphTags[tag]:
		w.blankLine()
	case blockTags[tag]:
		w.breakLine()
	}
	switch tag {
	case "blockquote":
		w.quote++
	case "pre":
		w.pre++
	case "ol":
		w.lists = append(w.lists, 1)
	case "ul":
		w.lists = append(w.lists, 0)
	}
}

func (w *textWriter) end(tag string) {
	switch tag {
	case "blockquote":
		w.breakLine()
		w.quote = max(w.quote-1, 0)
		w.blank()
		return
	case "pre":
		w.pre = max(w.pre-1, 0)
	case "ol", "ul":
		if len(w.lists) > 0 {
			w.lists = w.lists[:len(w.lists)-1]
		}
	}
	switch {
	case paragraphTags[tag]:
		w.blankLine()
	case blockTags[tag]:
		w.breakLine()
	}
}

func (w *textWriter) bullet() string {
	if n := len(w.lists); n > 0 && w.lists[n-1] > 0 {
		w.lists[n-1]++
		return strconv.Itoa(w.lists[n-1]-1) + ". "
	}
	return "- "
}

func (w *textWriter) text(s string) {
	s = strings.ReplaceAll(s, "\u00a0", " ")
	if w.pre > 0 {
		for i, part := range strings.Split(normalizeNewlines(s), "\n") {
			if i > 0 {
				w.hardBreak()
			}
			w.write(part)
		}
		return
	}
	if s != "" && unicode.IsSpace(rune(s[0])) {
		w.space = true
	}
	for i, f := range strings.Fields(s) {
		if (i > 0 || w.space) && w.line.Len() > 0 {
			w.line.WriteByte(' ')
		}
		w.write(f)
		w.space = false
	}
	if s != "" && unicode.IsSpace(rune(s[len(s)-1])) {
		w.space = true
	}
}

func (w *textWriter) write(s string) {
	if s == "" {
		return
	}
	if w.line.Len() == 0 {
		w.lineQuote = w.quote
	}
	w.line.WriteString(s)
}

// breakLine ends the current line, if it has text.
func (w *textWriter) breakLine() {
	w.space = false
	if strings.TrimSpace(w.line.String()) == "" {
		w.line.Reset()
		return
	}
	w.emit(w.line.String(), w.lineQuote)
	w.blanks = 0
}

// hardBreak is <br>: it ends the line, or on an empty line adds a blank
// one (Gmail writes paragraphs as <div><br></div>).
func (w *textWriter) hardBreak() {
	if strings.TrimSpace(w.line.String()) != "" {
		w.breakLine()
		return
	}
	w.line.Reset()
	w.blank()
}

// blankLine ends the current line and leaves one blank line.
func (w *textWriter) blankLine() {
	w.breakLine()
	w.blank()
}

func (w *textWriter) blank() {
	if w.out.Len() == 0 || w.blanks > 0 {
		return
	}
	w.emit("", w.quote)
	w.blanks++
}

// maxQuoteDepth caps the "> " prefix: deeper nesting adds nothing for a
// reader, and unclosed blockquotes would otherwise grow output quadratically.
const maxQuoteDepth = 8

func (w *textWriter) emit(line string, quote int) {
	prefix := strings.Repeat("> ", min(quote, maxQuoteDepth))
	w.out.WriteString(strings.TrimRightFunc(prefix+strings.TrimRightFunc(line, unicode.IsSpace), unicode.IsSpace))
	w.out.WriteByte('\n')
	w.line.Reset()
}

// String ends the text, dropping blank (or bare ">") lines at both ends.
func (w *textWriter) String() string {
	w.breakLine()
	lines := strings.Split(w.out.String(), "\n")
	empty := func(l string) bool { return strings.Trim(l, "> ") == "" }
	for len(lines) > 0 && empty(lines[len(lines)-1]) {
		lines = lines[:len(lines)-1]
	}
	for len(lines) > 0 && empty(lines[0]) {
		lines = lines[1:]
	}
	return strings.Join(lines, "\n")
}
