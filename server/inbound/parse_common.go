package inbound

import (
	"errors"
	"fmt"
	"mime"
	"net/mail"
	"net/textproto"
	"path"
	"regexp"
	"strings"
	"unicode"

	"github.com/jhillyerd/enmime/v2"
	"github.com/portico/portico/server/model"
)

// Size limits for attachments kept with an inbound mail. Larger files, and
// files beyond the per-mail total, are listed in DroppedAttachments instead.
const (
	MaxAttachment       = 10 << 20
	MaxAttachmentsTotal = 25 << 20
)

// ErrUnparsable wraps every parse failure: the payload is not what the
// provider documents, and the handler answers 400.
var ErrUnparsable = errors.New("inbound: unparsable payload")

// unparsable wraps ErrUnparsable with what went wrong.
func unparsable(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnparsable, fmt.Sprintf(format, args...))
}

// msgIDRe finds Message-IDs in In-Reply-To and References, which in the wild
// also carry comments, commas and line breaks between the ids.
var msgIDRe = regexp.MustCompile(`<[^<>\s]+>`)

// normalizeMsgID returns the first Message-ID of a header value with its
// angle brackets; a bare id (some clients drop the brackets) gets them added.
func normalizeMsgID(v string) string {
	if ids := msgIDList(v); len(ids) > 0 {
		return ids[0]
	}
	return ""
}

// msgIDList returns every Message-ID of a References-like header, in order.
func msgIDList(v string) []string {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	if ids := msgIDRe.FindAllString(v, -1); len(ids) > 0 {
		return ids
	}
	var ids []string
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return unicode.IsSpace(r) || r == ',' }) {
		if strings.Contains(f, "@") && !strings.ContainsAny(f, "<>") {
			ids = append(ids, "<"+f+">")
		}
	}
	return ids
}

// normalizeEmail trims and lower-cases an address, the form every address
// field of model.InboundMail uses.
func normalizeEmail(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// address builds a normalized model.Address.
func address(name, email string) model.Address {
	return model.Address{Name: strings.TrimSpace(name), Email: normalizeEmail(email)}
}

// parseAddressList parses a To/Cc/From header value leniently (enmime copes
// with missing commas and encoded words); unparsable input yields nothing
// rather than failing the whole mail.
func parseAddressList(v string) []model.Address {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	list, err := enmime.ParseAddressList(v)
	if err != nil {
		if a, err := mail.ParseAddress(v); err == nil {
			list = []*mail.Address{a}
		} else if e := strings.TrimSpace(v); strings.Count(e, "@") == 1 && !strings.ContainsAny(e, " <>,;") {
			return []model.Address{address("", e)}
		}
	}
	var out []model.Address
	for _, a := range list {
		if a == nil || a.Address == "" {
			continue
		}
		out = append(out, address(a.Name, a.Address))
	}
	return out
}

// parseAddress returns the first address of a header value.
func parseAddress(v string) model.Address {
	if list := parseAddressList(v); len(list) > 0 {
		return list[0]
	}
	return model.Address{}
}

// normalizeReturnPath turns an envelope sender as reported into the form
// InboundMail keeps: a bare lower-cased address, or "<>" for the null sender
// of bounces. An unreported return path stays "" (unknown), so the loop check
// never mistakes a missing header for a bounce.
func normalizeReturnPath(v string, reported bool) string {
	if !reported {
		return ""
	}
	v = strings.TrimSpace(v)
	v = strings.TrimSuffix(strings.TrimPrefix(v, "<"), ">")
	if v = normalizeEmail(v); v == "" {
		return "<>"
	}
	return v
}

// headerMap collects header pairs under canonical keys, preserving order.
type headerMap map[string][]string

func (h headerMap) add(name, value string) {
	name = strings.TrimSpace(name)
	if name == "" {
		return
	}
	k := canonical(name)
	h[k] = append(h[k], value)
}

func (h headerMap) get(name string) string {
	if v := h[canonical(name)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (h headerMap) has(name string) bool {
	_, ok := h[canonical(name)]
	return ok
}

// canonical is the key form of InboundMail.Headers ("Message-Id",
// "Auto-Submitted"); look headers up with it.
func canonical(name string) string { return textproto.CanonicalMIMEHeaderKey(name) }

// mediaType returns the lower-cased media type of a Content-Type value, or
// "" when there is none.
func mediaType(v string) string {
	if strings.TrimSpace(v) == "" {
		return ""
	}
	if mt, _, err := mime.ParseMediaType(v); err == nil {
		return strings.ToLower(mt)
	}
	// Keep what precedes the parameters of a malformed value; loop checks
	// still want to see "multipart/report".
	mt, _, _ := strings.Cut(v, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

// threading fills MessageID, InReplyTo and References from headers.
func threading(m *model.InboundMail, h headerMap) {
	m.MessageID = normalizeMsgID(h.get("Message-Id"))
	m.InReplyTo = normalizeMsgID(h.get("In-Reply-To"))
	m.References = msgIDList(strings.Join(h[canonical("References")], " "))
}

// attachments applies the size limits while files are collected.
type attachments struct {
	kept    []model.InboundAttachment
	dropped []string
	total   int
}

// fits reports whether a file of size bytes may still be kept, and notes why
// not otherwise; callers check it before decoding large content.
func (a *attachments) fits(name string, size int) bool {
	switch {
	case size > MaxAttachment:
		a.drop(name, fmt.Sprintf("%s, over the %s limit per file", humanSize(size), humanSize(MaxAttachment)))
		return false
	case a.total+size > MaxAttachmentsTotal:
		a.drop(name, fmt.Sprintf("%s, over the %s limit per mail", humanSize(size), humanSize(MaxAttachmentsTotal)))
		return false
	}
	return true
}

// add keeps a file when it fits.
func (a *attachments) add(name, contentType string, data []byte) {
	name = cleanFilename(name)
	if !a.fits(name, len(data)) {
		return
	}
	a.total += len(data)
	a.kept = append(a.kept, model.InboundAttachment{
		Filename:    name,
		ContentType: cleanContentType(contentType),
		Data:        data,
	})
}

// drop records a file that is not kept, with the reason.
func (a *attachments) drop(name, reason string) {
	a.dropped = append(a.dropped, cleanFilename(name)+" ("+reason+")")
}

func (a *attachments) into(m *model.InboundMail) {
	m.Attachments = a.kept
	m.DroppedAttachments = a.dropped
}

// cleanFilename keeps only the base name of a client-supplied file name and
// removes control characters, so a name can never address a path.
func cleanFilename(name string) string {
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return -1
		}
		return r
	}, name)
	name = strings.ToValidUTF8(name, "")
	name = strings.ReplaceAll(name, `\`, "/")
	name = strings.TrimSpace(path.Base(strings.TrimSpace(name)))
	if name == "." || name == "/" || name == ".." || name == "" {
		return "attachment"
	}
	const maxLen = 255
	if len(name) > maxLen {
		name = strings.ToValidUTF8(name[:maxLen], "")
	}
	return name
}

// cleanContentType returns the lower-cased media type, defaulting to
// application/octet-stream.
func cleanContentType(v string) string {
	if mt := mediaType(v); mt != "" && strings.Contains(mt, "/") {
		return mt
	}
	return "application/octet-stream"
}

// humanSize formats a byte count for notes shown to people.
func humanSize(n int) string {
	const mb = 1 << 20
	switch {
	case n >= mb && n%mb == 0:
		return fmt.Sprintf("%d MB", n/mb)
	case n >= mb:
		return fmt.Sprintf("%.1f MB", float64(n)/mb)
	}
	return fmt.Sprintf("%d KB", (n+1023)/1024)
}

// sanitize makes every text field valid UTF-8 without NUL bytes: the store
// (PostgreSQL text) rejects both, and a provider or a broken charset can
// produce them.
func sanitize(m *model.InboundMail) {
	m.Subject = cleanText(m.Subject)
	m.Text = cleanText(m.Text)
	m.HTML = cleanText(m.HTML)
	m.MessageID = cleanText(m.MessageID)
	m.InReplyTo = cleanText(m.InReplyTo)
	m.ReturnPath = cleanText(m.ReturnPath)
	for i := range m.References {
		m.References[i] = cleanText(m.References[i])
	}
	cleanAddress(&m.From)
	for i := range m.To {
		cleanAddress(&m.To[i])
	}
	for i := range m.Cc {
		cleanAddress(&m.Cc[i])
	}
	for i := range m.Recipients {
		m.Recipients[i] = cleanText(m.Recipients[i])
	}
	for k, vals := range m.Headers {
		for i := range vals {
			vals[i] = cleanText(vals[i])
		}
		if ck := cleanText(k); ck != k {
			delete(m.Headers, k)
			m.Headers[ck] = vals
		}
	}
	for i := range m.DroppedAttachments {
		m.DroppedAttachments[i] = cleanText(m.DroppedAttachments[i])
	}
}

func cleanAddress(a *model.Address) {
	a.Name = cleanText(a.Name)
	a.Email = cleanText(a.Email)
}

func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "")
}
