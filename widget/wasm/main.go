//go:build js && wasm

// Command wasm is the support widget's core, compiled to WebAssembly and
// started by the loader (widget/src/loader.js) inside the widget's shadow
// root. It renders the ticket form, fetches the branding from <path>/config,
// validates with server/validate (the very rules the server applies),
// submits to <path>/tickets and shows the answer.
//
// It talks to the browser through syscall/js only: no fmt, encoding/json or
// net/http, which would multiply the binary's size (JSON goes through the
// browser's JSON and Response.json, HTTP through fetch).
//
// It carries no catalog: it speaks the language that <path>/config chose
// (the page's locale, else the browser's, else the admin's default), whose
// "texts" replace the English txt* below and whose "field_messages"
// translate validate's messages.
//
// The loader hands over a bridge object as the global "portico":
// {api, own, root, brand(color, position, title, lang, closeLabel,
// launcherLabel), ready(), close()}; own is what the page set
// (window.PorticoWidget or window.EscalatedWidget, else the tag's data-*:
// color, position, title, greeting, locale), which the form goes by when
// <path>/config cannot be had.
package main

import (
	"strconv"
	"strings"
	"syscall/js"

	"github.com/portico/portico/server/validate"
)

// Texts the visitor reads, in English until config's "texts" replace them
// (textKeys names each one's key in the catalog area widget,
// server/i18n/locales/widget.*.toml). {n} is a number, {q} a name. Field
// messages from validate follow the label: "Email" + " " + "is required".
var (
	txtGreeting      = "Tell us what you need and we will answer by email."
	txtEmail         = "Email"
	txtName          = "Name"
	txtSubject       = "Subject"
	txtDescription   = "How can we help?"
	txtPriority      = "Priority"
	txtLow           = "Low"
	txtMedium        = "Medium"
	txtHigh          = "High"
	txtUrgent        = "Urgent"
	txtRequired      = "(required)"
	txtOptional      = "(optional)"
	txtSend          = "Send request"
	txtSending       = "Sending…"
	txtFixFields     = "Please correct the highlighted fields."
	txtHuman         = "Please complete the check that you are not a robot, then send again."
	txtNetwork       = "We could not reach the support service. Check your connection and try again; your text is still here."
	txtFailed        = "Your request could not be sent. Please try again in a moment; your text is still here."
	txtPaused        = "Requests are paused for a moment. Please try again shortly; your text is still here."
	txtTooManyLater  = "You have sent several requests in a short time. Please try again later."
	txtTooManyMinute = "You have sent several requests in a short time. Please try again in a minute."
	txtTooManyMins   = "You have sent several requests in a short time. Please try again in about {n} minutes."
	txtTooManyHours  = "You have sent several requests in a short time. Please try again in about {n} hours."
	txtThanks        = "Thank you, we received your request"
	txtReference     = "Your reference is {q}."
	txtEmailed       = "We emailed you a link to follow this request."
	txtAnother       = "Send another request"
	txtClose         = "Close"
	txtLauncher      = "Contact support"
	txtHumanCheckBox = "Verification"
	txtFiles         = "Attachments"
	txtUploading     = "Sending your files… {n} %"
	txtProgress      = "Upload progress"
	txtTooManyFiles  = "you can attach at most {n} files. Choose smaller or fewer files."
	txtFileTooLarge  = "“{q}” ({n} MB) is too large to send: each file can be at most {n} MB. Choose smaller or fewer files."
	txtFilesTooLarge = "your files add up to more than {n} MB ({n} MB). Choose smaller or fewer files."
	txtMyTickets     = "My tickets"
	txtThousands     = ","
	txtDecimal       = "."
)

// textKeys pairs each text with its key under [widget]; a Go test
// (server/widget) checks that the catalog has every key and that English
// says what these defaults say.
var textKeys = [...]struct {
	key string
	txt *string
}{
	{"greeting", &txtGreeting}, {"email", &txtEmail}, {"name", &txtName}, {"subject", &txtSubject},
	{"details", &txtDescription}, {"priority", &txtPriority}, {"priority_low", &txtLow},
	{"priority_medium", &txtMedium}, {"priority_high", &txtHigh}, {"priority_urgent", &txtUrgent},
	{"required", &txtRequired}, {"optional", &txtOptional}, {"send", &txtSend}, {"sending", &txtSending},
	{"fix_fields", &txtFixFields}, {"human", &txtHuman}, {"network", &txtNetwork}, {"failed", &txtFailed},
	{"paused", &txtPaused}, {"too_many_later", &txtTooManyLater}, {"too_many_minute", &txtTooManyMinute},
	{"too_many_minutes", &txtTooManyMins}, {"too_many_hours", &txtTooManyHours}, {"thanks", &txtThanks},
	{"reference", &txtReference}, {"emailed", &txtEmailed}, {"another", &txtAnother}, {"close", &txtClose},
	{"launcher", &txtLauncher}, {"human_check", &txtHumanCheckBox}, {"files", &txtFiles},
	{"uploading", &txtUploading}, {"upload_progress", &txtProgress}, {"files_too_many", &txtTooManyFiles},
	{"file_too_large", &txtFileTooLarge}, {"files_too_large", &txtFilesTooLarge},
	{"my_tickets", &txtMyTickets}, {"thousands_separator", &txtThousands}, {"decimal_separator", &txtDecimal},
}

// fieldMessages translates validate's messages (config "field_messages");
// undefined: they stay English.
var fieldMessages = js.Undefined()

// configTimeout bounds the wait for <path>/config, in milliseconds: past it
// the form opens with the page's own settings rather than keep the visitor
// looking at "Loading…".
const configTimeout = 5000

var (
	global  = js.Global()
	doc     = global.Get("document")
	object  = global.Get("Object")
	jsonObj = global.Get("JSON")
	fetchFn = global.Get("fetch")
	bridge  = global.Get("portico")
)

// field is one input of the form with its label and error line.
type field struct {
	name  string
	label string
	input js.Value
	err   js.Value
}

type widget struct {
	api        string
	root       js.Value
	form       js.Value
	done       js.Value
	alert      js.Value
	status     js.Value
	send       js.Value
	fields     []*field
	priorities []string
	siteKey    string
	turnstile  js.Value // widget id from turnstile.render, or undefined
	busy       bool
	lang       string // config's locale, sent with the ticket
	files      *field // the file input; nil when the server takes no files
	rules      fileRules
	progress   js.Value
}

// fileRules are the server's limits on attachments (config "attachments").
type fileRules struct {
	maxFiles          int
	maxFile, maxTotal float64
}

func main() {
	w := &widget{api: bridge.Get("api").String(), root: bridge.Get("root")}
	w.render(w.config())
	bridge.Call("ready")
	select {} // serve events until the page goes away
}

// await waits for a promise; it must not run on a JavaScript callback, so
// event handlers start a goroutine first.
func await(p js.Value) (js.Value, bool) {
	type result struct {
		v  js.Value
		ok bool
	}
	ch := make(chan result, 1)
	then := js.FuncOf(func(_ js.Value, a []js.Value) any { ch <- result{arg(a), true}; return nil })
	catch := js.FuncOf(func(_ js.Value, a []js.Value) any { ch <- result{arg(a), false}; return nil })
	p.Call("then", then, catch)
	r := <-ch
	then.Release()
	catch.Release()
	return r.v, r.ok
}

func arg(a []js.Value) js.Value {
	if len(a) == 0 {
		return js.Undefined()
	}
	return a[0]
}

// request fetches url without cookies and returns the status and the JSON
// body (undefined when the body is not JSON); ok is false on network errors.
func request(url string, init js.Value) (int, js.Value, bool) {
	init.Set("credentials", "omit")
	res, ok := await(fetchFn.Invoke(url, init))
	if !ok {
		return 0, js.Undefined(), false
	}
	body, ok := await(res.Call("json"))
	if !ok {
		body = js.Undefined()
	}
	return res.Get("status").Int(), body, true
}

func str(v js.Value, key string) string {
	if v.Type() != js.TypeObject {
		return ""
	}
	if s := v.Get(key); s.Type() == js.TypeString {
		return s.String()
	}
	return ""
}

// config fetches the widget's branding and form options. When that fails
// (no answer within configTimeout, an error status, a body that is not a
// JSON object), the form still opens, with what the page set (the bridge's
// own), and the console says why: a visitor can still write, and whoever
// runs the site learns what to fix.
func (w *widget) config() js.Value {
	init := object.New()
	if as := global.Get("AbortSignal"); as.Type() == js.TypeFunction && as.Get("timeout").Type() == js.TypeFunction {
		init.Set("signal", as.Call("timeout", configTimeout))
	}
	url := w.api + "/config"
	if l := str(bridge.Get("own"), "locale"); l != "" {
		url += "?locale=" + global.Call("encodeURIComponent", l).String()
	}
	status, cfg, ok := request(url, init)
	if ok && status == 200 && cfg.Type() == js.TypeObject {
		return cfg
	}
	why := "no answer"
	switch {
	case ok && status == 200:
		why = "the answer is not a JSON object"
	case ok:
		why = "status " + strconv.Itoa(status)
	}
	global.Get("console").Call("warn", "portico widget: "+w.api+"/config failed ("+why+"); the form opens with the page's own settings (data-* attributes, window.PorticoWidget or window.EscalatedWidget)")
	if own := bridge.Get("own"); own.Type() == js.TypeObject {
		return own
	}
	return object.New()
}

// el creates an element with attributes given as name, value pairs.
func el(tag string, attrs ...string) js.Value {
	e := doc.Call("createElement", tag)
	for i := 0; i+1 < len(attrs); i += 2 {
		e.Call("setAttribute", attrs[i], attrs[i+1])
	}
	return e
}

func withText(e js.Value, s string) js.Value {
	e.Set("textContent", s)
	return e
}

func on(e js.Value, event string, fn func(js.Value)) {
	e.Call("addEventListener", event, js.FuncOf(func(_ js.Value, a []js.Value) any {
		fn(arg(a))
		return nil
	}))
}

// localize replaces the English texts by those of config's language.
func localize(cfg js.Value) bool {
	texts := cfg.Get("texts")
	if texts.Type() != js.TypeObject {
		return false
	}
	for _, t := range textKeys {
		if s := str(texts, t.key); s != "" {
			*t.txt = s
		}
	}
	fieldMessages = cfg.Get("field_messages")
	return true
}

func (w *widget) render(cfg js.Value) {
	w.lang = str(cfg, "locale")
	spoken := ""
	if localize(cfg) {
		spoken = w.lang
	}
	bridge.Call("brand", str(cfg, "color"), str(cfg, "position"), str(cfg, "title"), spoken, txtClose, txtLauncher)
	if list := cfg.Get("priorities"); list.Type() == js.TypeObject {
		for i := 0; i < list.Length(); i++ {
			if p := list.Index(i); p.Type() == js.TypeString {
				w.priorities = append(w.priorities, p.String())
			}
		}
	}
	w.siteKey = str(cfg, "turnstile_site_key")
	greeting := str(cfg, "greeting")
	if greeting == "" {
		greeting = txtGreeting
	}

	w.form = el("form", "novalidate", "")
	w.alert = el("div", "class", "a", "role", "alert", "tabindex", "-1", "hidden", "")
	w.form.Call("append", withText(el("p", "class", "g"), greeting), w.alert)
	w.addField("email", txtEmail, true, "input", "type", "email", "autocomplete", "email", "inputmode", "email", "maxlength", strconv.Itoa(validate.MaxEmail))
	w.addField("name", txtName, false, "input", "type", "text", "autocomplete", "name", "maxlength", strconv.Itoa(validate.MaxName))
	w.addField("subject", txtSubject, true, "input", "type", "text", "maxlength", strconv.Itoa(validate.MaxSubject))
	w.addField("description", txtDescription, true, "textarea", "rows", "5", "maxlength", strconv.Itoa(validate.MaxDescription))
	if len(w.priorities) > 1 {
		f := w.addField("priority", txtPriority, false, "select")
		def := w.priorities[0]
		for _, p := range w.priorities {
			if p == "medium" {
				def = p
			}
		}
		for _, p := range w.priorities {
			o := withText(el("option", "value", p), priorityLabel(p))
			if p == def {
				o.Set("selected", true)
			}
			f.input.Call("append", o)
		}
	}
	if up := cfg.Get("attachments"); up.Type() == js.TypeObject && up.Get("max_files").Type() == js.TypeNumber {
		w.rules = fileRules{maxFiles: up.Get("max_files").Int(), maxFile: up.Get("max_file_size").Float(), maxTotal: up.Get("max_total").Float()}
		accept := ""
		if types := up.Get("allowed_types"); types.Type() == js.TypeObject {
			accept = types.Call("join", ",").String()
		}
		w.files = w.addField("files", txtFiles, false, "input", "type", "file", "multiple", "", "accept", accept)
		// Too large or too many is said as soon as the files are chosen,
		// before anything is sent.
		on(w.files.input, "change", func(js.Value) {
			if msg := w.checkFiles(); msg != "" {
				w.showErrors(map[string]string{"files": msg})
			} else {
				w.showErrors(nil)
				w.say("")
			}
		})
		w.progress = el("progress", "max", "100", "value", "0", "aria-label", txtProgress, "hidden", "")
	}
	if w.siteKey != "" {
		box := el("div", "class", "ts", "aria-label", txtHumanCheckBox)
		w.form.Call("append", box)
		w.renderTurnstile(box)
	}
	w.send = withText(el("button", "type", "submit", "class", "s"), txtSend)
	w.status = el("p", "class", "st", "role", "status", "aria-live", "polite")
	w.form.Call("append", w.send, w.status)
	if w.files != nil {
		w.form.Call("append", w.progress)
	}
	on(w.form, "submit", func(e js.Value) {
		e.Call("preventDefault")
		if !w.busy {
			w.busy = true
			go w.submit()
		}
	})

	w.done = el("div", "class", "ok", "hidden", "")
	w.root.Call("replaceChildren", w.form, w.done)
	// "My tickets": where a customer gets a link to all their requests.
	// Only an http(s) address from the server's config becomes a link.
	if u := str(cfg, "my_tickets_url"); u != "" && validate.PageURL(u) == "" {
		p := el("p", "class", "st")
		p.Call("append", withText(el("a", "href", u, "target", "_blank", "rel", "noopener"), txtMyTickets))
		w.root.Call("append", p)
	}
}

func (w *widget) addField(name, label string, required bool, tag string, attrs ...string) *field {
	id := "pw-" + name
	f := &field{name: name, label: label}
	l := withText(el("label", "for", id), label)
	hint := " " + txtOptional
	if required {
		hint = " " + txtRequired
	}
	l.Call("append", withText(el("span", "class", "q"), hint))
	f.input = el(tag, append([]string{"id", id, "name", name}, attrs...)...)
	if required {
		f.input.Call("setAttribute", "aria-required", "true")
	}
	f.err = el("p", "class", "e", "id", id+"-e", "hidden", "")
	box := el("div", "class", "f")
	box.Call("append", l, f.input, f.err)
	w.form.Call("append", box)
	w.fields = append(w.fields, f)
	return f
}

// renderTurnstile loads Cloudflare's script into the page (once) and
// renders the challenge in box.
func (w *widget) renderTurnstile(box js.Value) {
	go func() {
		if global.Get("turnstile").IsUndefined() {
			s := el("script", "src", "https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit", "async", "")
			loaded := make(chan bool, 1)
			on(s, "load", func(js.Value) { loaded <- true })
			on(s, "error", func(js.Value) { loaded <- false })
			doc.Get("head").Call("append", s)
			if !<-loaded {
				return
			}
		}
		opts := object.New()
		opts.Set("sitekey", w.siteKey)
		w.turnstile = global.Get("turnstile").Call("render", box, opts)
	}()
}

func (w *widget) value(name string) string {
	for _, f := range w.fields {
		if f.name == name {
			return validate.Trim(f.input.Get("value").String())
		}
	}
	return ""
}

// showErrors marks the fields in errs (and clears the others); it focuses
// the first invalid field and reports whether there was any error.
func (w *widget) showErrors(errs map[string]string) bool {
	var first js.Value
	for _, f := range w.fields {
		msg, bad := errs[f.name]
		if bad {
			sep := " "
			if f == w.files {
				sep = ": " // the server's file messages are sentences of their own
			}
			withText(f.err, f.label+sep+msg)
			f.err.Set("hidden", false)
			f.input.Call("setAttribute", "aria-invalid", "true")
			f.input.Call("setAttribute", "aria-describedby", f.err.Get("id").String())
			if first.IsUndefined() {
				first = f.input
			}
		} else {
			f.err.Set("hidden", true)
			f.input.Call("removeAttribute", "aria-invalid")
			f.input.Call("removeAttribute", "aria-describedby")
		}
	}
	if first.IsUndefined() {
		return false
	}
	w.say(txtFixFields)
	first.Call("focus")
	return true
}

// say shows a message in the form's alert box; "" hides it.
func (w *widget) say(msg string) {
	withText(w.alert, msg)
	w.alert.Set("hidden", msg == "")
}

func (w *widget) submit() {
	defer func() { w.busy = false }()
	w.say("")
	in := validate.TicketInput{
		Email: w.value("email"), Name: w.value("name"), Subject: w.value("subject"),
		Description: w.value("description"), Priority: w.value("priority"), RequireEmail: true,
	}
	errs := validate.Ticket(in, w.priorities)
	for k, msg := range errs {
		errs[k] = fieldText(msg)
	}
	if msg := w.checkFiles(); msg != "" {
		if errs == nil {
			errs = map[string]string{}
		}
		errs["files"] = msg
	}
	if w.showErrors(errs) {
		return
	}
	body := object.New()
	body.Set("email", in.Email)
	body.Set("name", in.Name)
	body.Set("subject", in.Subject)
	body.Set("description", in.Description)
	if in.Priority != "" {
		body.Set("priority", in.Priority)
	}
	if w.lang != "" {
		body.Set("language", w.lang)
	}
	setPage(body)
	if w.siteKey != "" {
		token := ""
		if ts := global.Get("turnstile"); !ts.IsUndefined() && !w.turnstile.IsUndefined() {
			if r := ts.Call("getResponse", w.turnstile); r.Type() == js.TypeString {
				token = r.String()
			}
		}
		if token == "" {
			w.say(txtHuman)
			return
		}
		body.Set("cf-turnstile-response", token)
	}

	w.send.Set("disabled", true)
	withText(w.send, txtSending)
	withText(w.status, txtSending)
	var status int
	var res js.Value
	var ok bool
	if w.files != nil && w.files.input.Get("files").Length() > 0 {
		status, res, ok = w.upload(body)
	} else {
		init := object.New()
		init.Set("method", "POST")
		headers := object.New()
		headers.Set("Content-Type", "application/json")
		init.Set("headers", headers)
		init.Set("body", jsonObj.Call("stringify", body))
		status, res, ok = request(w.api+"/tickets", init)
	}
	w.send.Set("disabled", false)
	withText(w.send, txtSend)
	withText(w.status, "")
	if w.siteKey != "" && !w.turnstile.IsUndefined() {
		global.Get("turnstile").Call("reset", w.turnstile) // a token is good for one check
	}

	switch {
	case !ok:
		w.say(txtNetwork)
	case status == 201:
		w.success(str(res, "reference"))
	case status == 422 && res.Type() == js.TypeObject && res.Get("errors").Type() == js.TypeObject:
		errs := map[string]string{}
		obj := res.Get("errors")
		keys := object.Call("keys", obj)
		for i := 0; i < keys.Length(); i++ {
			k := keys.Index(i).String()
			errs[k] = str(obj, k)
		}
		if !w.showErrors(errs) {
			w.say(txtFailed)
		}
	case status == 429:
		w.say(retryIn(res.Get("retry_after")))
	case status == 503:
		w.say(txtPaused)
	case status == 403 && w.siteKey != "":
		w.say(txtHuman) // the human check failed
	default:
		msg := str(res, "error")
		if msg == "" {
			msg = txtFailed
		} else {
			msg = upperFirst(msg) + "."
		}
		w.say(msg)
	}
	if !w.alert.Get("hidden").Bool() {
		w.alert.Call("focus")
	}
}

// checkFiles applies the server's limits to the chosen files: "" when they
// may be sent, else what is wrong.
func (w *widget) checkFiles() string {
	if w.files == nil {
		return ""
	}
	list := w.files.input.Get("files")
	if list.Length() > w.rules.maxFiles {
		return put(txtTooManyFiles, "{n}", num(w.rules.maxFiles))
	}
	total := 0.0
	for i := 0; i < list.Length(); i++ {
		f := list.Index(i)
		size := f.Get("size").Float()
		if size > w.rules.maxFile {
			return put(put(put(txtFileTooLarge, "{q}", f.Get("name").String()), "{n}", megabytes(size)), "{n}", megabytes(w.rules.maxFile))
		}
		total += size
	}
	if total > w.rules.maxTotal {
		return put(put(txtFilesTooLarge, "{n}", megabytes(w.rules.maxTotal)), "{n}", megabytes(total))
	}
	return ""
}

// megabytes writes a size in MB as the server counts them (2^20 bytes),
// without the unit, which the texts carry.
func megabytes(n float64) string {
	mb := n / (1 << 20)
	if mb >= 10 || mb == float64(int(mb)) {
		return num(int(mb + 0.5))
	}
	return put(strconv.FormatFloat(mb, 'f', 1, 64), ".", txtDecimal)
}

// num writes a whole number with the language's grouping: 10,000 / 10.000.
func num(n int) string {
	return group(strconv.Itoa(n))
}

// group puts the thousands separator into a string of digits.
func group(digits string) string {
	for i := len(digits) - 3; i > 0; i -= 3 {
		digits = digits[:i] + txtThousands + digits[i:]
	}
	return digits
}

// put replaces the first placeholder ph ("{n}", "{q}") of s by v.
// (strings.Replace would add kilobytes to the binary.)
func put(s, ph, v string) string {
	if i := strings.Index(s, ph); i >= 0 {
		return s[:i] + v + s[i+len(ph):]
	}
	return s
}

// fieldText translates a message of package validate with fieldMessages,
// keyed as server/i18n's Localizer.Field keys them: the English message
// with each number written {n} and each quoted name, and the list after
// "one of: ", written {q}. A message without a translation stays English.
func fieldText(msg string) string {
	if fieldMessages.Type() != js.TypeObject {
		return msg
	}
	key, args := fieldKey(msg)
	tr := str(fieldMessages, key)
	if tr == "" {
		return msg
	}
	return fillField(tr, args)
}

// fillField puts args back into a translated field message: numbers
// regrouped for the language, names as they were.
func fillField(tr string, args []fieldArg) string {
	for _, a := range args {
		if a.number {
			// "10,000" → "10000" (and no leading zeros), as i18n parses it
			// (strconv.ParseInt would bring its error texts along).
			var d []byte
			for i := 0; i < len(a.text); i++ {
				if c := a.text[i]; c != ',' && (c != '0' || len(d) > 0) {
					d = append(d, c)
				}
			}
			if len(d) == 0 {
				d = append(d, '0')
			}
			tr = put(tr, "{n}", group(string(d)))
		} else {
			tr = put(tr, "{q}", a.text)
		}
	}
	return tr
}

type fieldArg struct {
	text   string
	number bool
}

// fieldKey is i18n's fieldKey, byte for byte (the widget cannot import
// server/i18n): "must be at most 10,000 characters" → "must be at most {n}
// characters".
func fieldKey(msg string) (key string, args []fieldArg) {
	if head, list, ok := strings.Cut(msg, "one of: "); ok {
		key, args = fieldKey(head)
		return key + "one of: {q}", append(args, fieldArg{text: list})
	}
	for i := 0; i < len(msg); {
		c, j, ph := msg[i], i+1, ""
		switch {
		case c >= '0' && c <= '9' && (i == 0 || msg[i-1] == ' ' || msg[i-1] == '('): // not the 8 of UTF-8
			for j < len(msg) && (msg[j] >= '0' && msg[j] <= '9' || msg[j] == ',' && j+1 < len(msg) && msg[j+1] >= '0' && msg[j+1] <= '9') {
				j++
			}
			ph = "{n}"
		case c == '"':
			k := strings.IndexByte(msg[j:], '"')
			if k < 0 {
				return key + msg[i:], args
			}
			j += k + 1
			ph = "{q}"
		}
		if ph == "" {
			key += msg[i:j]
		} else {
			key += ph
			args = append(args, fieldArg{msg[i:j], ph == "{n}"})
		}
		i = j
	}
	return key, args
}

// priorityLabel is the option's label: translated for portico's own
// priorities, an admin's own word as written.
func priorityLabel(p string) string {
	switch p {
	case "low":
		return txtLow
	case "medium":
		return txtMedium
	case "high":
		return txtHigh
	case "urgent":
		return txtUrgent
	}
	return upperFirst(p)
}

// upload sends the ticket with its files as multipart/form-data through
// XMLHttpRequest, whose upload events fetch lacks, showing the progress.
// It answers like request.
func (w *widget) upload(body js.Value) (int, js.Value, bool) {
	fd := global.Get("FormData").New()
	keys := object.Call("keys", body)
	for i := 0; i < keys.Length(); i++ {
		k := keys.Index(i).String()
		fd.Call("append", k, body.Get(k))
	}
	list := w.files.input.Get("files")
	for i := 0; i < list.Length(); i++ {
		fd.Call("append", "files", list.Index(i), list.Index(i).Get("name"))
	}
	xhr := global.Get("XMLHttpRequest").New()
	xhr.Call("open", "POST", w.api+"/tickets")
	xhr.Set("responseType", "json")
	done := make(chan bool, 1)
	var funcs []js.Func
	listen := func(target js.Value, event string, fn func(js.Value)) {
		f := js.FuncOf(func(_ js.Value, a []js.Value) any { fn(arg(a)); return nil })
		funcs = append(funcs, f)
		target.Call("addEventListener", event, f)
	}
	w.progress.Set("value", 0)
	w.progress.Set("hidden", false)
	listen(xhr.Get("upload"), "progress", func(e js.Value) {
		if e.Get("lengthComputable").Bool() && e.Get("total").Float() > 0 {
			pct := int(e.Get("loaded").Float() * 100 / e.Get("total").Float())
			w.progress.Set("value", pct)
			withText(w.status, put(txtUploading, "{n}", num(pct)))
		}
	})
	// Only the first outcome counts; a callback must never block.
	finish := func(ok bool) {
		select {
		case done <- ok:
		default:
		}
	}
	listen(xhr, "load", func(js.Value) { finish(true) })
	for _, ev := range []string{"error", "abort", "timeout"} {
		listen(xhr, ev, func(js.Value) { finish(false) })
	}
	xhr.Call("send", fd)
	ok := <-done
	for _, f := range funcs {
		f.Release()
	}
	w.progress.Set("hidden", true)
	if !ok {
		return 0, js.Undefined(), false
	}
	return xhr.Get("status").Int(), xhr.Get("response"), true
}

// retryIn words a 429 with its retry_after in seconds: "… in about 6
// minutes." (never fewer than 2 minutes or hours: no plural forms needed).
func retryIn(v js.Value) string {
	if v.Type() != js.TypeNumber || v.Int() <= 0 {
		return txtTooManyLater
	}
	secs := v.Int()
	switch {
	case secs < 90:
		return txtTooManyMinute
	case secs < 90*60:
		return put(txtTooManyMins, "{n}", num((secs+30)/60))
	}
	return put(txtTooManyHours, "{n}", num((secs+1800)/3600))
}

// success replaces the form by the reference and the emailed-link notice.
func (w *widget) success(reference string) {
	h := withText(el("h3", "tabindex", "-1"), txtThanks)
	before, after, _ := strings.Cut(txtReference, "{q}")
	p := withText(el("p"), before)
	p.Call("append", withText(el("strong"), reference), after)
	again := withText(el("button", "type", "button", "class", "s2"), txtAnother)
	closeBtn := withText(el("button", "type", "button", "class", "s"), txtClose)
	on(again, "click", func(js.Value) {
		for _, f := range w.fields {
			if f.name != "priority" && f.name != "email" && f.name != "name" {
				f.input.Set("value", "")
			}
		}
		w.done.Set("hidden", true)
		w.form.Set("hidden", false)
		w.fields[0].input.Call("focus")
	})
	on(closeBtn, "click", func(js.Value) { bridge.Call("close") })
	w.done.Call("replaceChildren", h, p, withText(el("p"), txtEmailed), closeBtn, again)
	w.form.Set("hidden", true)
	w.done.Set("hidden", false)
	h.Call("focus")
}

// upperFirst capitalises an ASCII first letter (enough for our own texts and
// priorities; it keeps unicode's case tables out of the binary).
func upperFirst(s string) string {
	if s != "" && 'a' <= s[0] && s[0] <= 'z' {
		return string(s[0]-'a'+'A') + s[1:]
	}
	return s
}

// setPage says where the widget runs: the page's address (without its
// #fragment, which may hold tokens), title and the browser's language. What
// the server's rules would refuse is shortened or left out: the visitor
// cannot fix it.
func setPage(body js.Value) {
	loc := global.Get("location")
	base := loc.Get("origin").String() + loc.Get("pathname").String()
	for _, u := range []string{base + loc.Get("search").String(), base} {
		if validate.PageURL(u) == "" {
			body.Set(validate.FieldPageURL, u)
			break
		}
	}
	title := validate.Trim(doc.Get("title").String())
	if n := validate.MaxPageTitle; validate.Runes(title) > n {
		title = validate.Trim(cutRunes(title, n))
	}
	if title != "" && validate.PageTitle(title) == "" {
		body.Set(validate.FieldPageTitle, title)
	}
	if l := global.Get("navigator").Get("language"); l.Type() == js.TypeString && validate.Locale(l.String()) == "" {
		body.Set(validate.FieldLocale, l.String())
	}
}

// cutRunes keeps the first n characters of s.
func cutRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
