package mail

import (
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strings"
	texttemplate "text/template"

	"github.com/portico/portico/server/i18n"
)

// Confirmation is the automatic mail that acknowledges a new ticket. It goes
// to an address nobody has verified yet, so it carries nothing the submitter
// chose (no name, subject or description: the portal shows those, behind the
// link): otherwise anyone could make the company's mail server deliver their
// text to any address.
type Confirmation struct {
	Reference   string
	PortalURL   string // empty: portal disabled, no link
	SignupURL   string // empty unless the guest policy is prompt_signup
	ProductName string // the operator's PORTICO_MAIL_FROM name, e.g. "Support"; empty: the catalog's mail.product
}

// ConfirmationSubject is the fixed subject of a confirmation in l's
// language: "[TK-42] We received your request" (the reference keeps
// replies threaded).
func ConfirmationSubject(l *i18n.Localizer, reference string) string {
	return Subject(reference, l.T("mail.confirmation_subject"))
}

// AgentReply is an agent's answer sent to a customer.
type AgentReply struct {
	Reference, Subject, CustomerName, AgentName string
	BodyText                                    string // plain text of the agent's reply
	// BodyHTML is the agent's reply as HTML that the caller has already
	// sanitized (bluemonday); it is inserted as is. Empty: BodyText is shown
	// escaped, with its line breaks.
	BodyHTML  string
	PortalURL string // empty: portal disabled, no link
}

// PortalLink is the mail that brings one person a fresh portal link an admin
// chose to send (after a revoke, or for a lost mail).
type PortalLink struct {
	Reference, Subject, CustomerName string
	PortalURL                        string // required: the mail exists for it
}

// texts are the fixed sentences of the mails in one language, from the
// catalogs server/i18n/locales/mail.<lang>.toml. Sentences with a
// placeholder ({{.Product}}, {{.Reference}}...) are rendered per mail into
// the view instead.
type texts struct {
	Lang         string
	HelloNoName  string `msg:"mail.hello_no_name"`
	Product      string `msg:"mail.product"` // default product name
	View         string `msg:"mail.view"`    // the HTML button
	ViewText     string `msg:"mail.view_text"`
	OrOpen       string `msg:"mail.or_open"`
	Personal     string `msg:"mail.personal"`
	ReplyHint    string `msg:"mail.reply_hint"`
	EmailOnly    string `msg:"mail.email_only"` // the footer when the mail carries no link
	Reference    string `msg:"mail.reference"`
	NotYou       string `msg:"mail.not_you"`
	Signup       string `msg:"mail.signup"`
	SignupLink   string `msg:"mail.signup_link"`
	SomeoneAgent string `msg:"mail.someone_agent"` // default agent name
	Status       statusTexts
	Signin       signinTexts
}

// textsFor fills the sentences of l's language. A message the language
// lacks comes back in English (logged by i18n) and err names it; callers
// still send the mail, half English being better than none, and the tests
// fail on any gap.
func textsFor(l *i18n.Localizer) (texts, error) {
	t := texts{Lang: l.Lang()}
	return t, l.Fill(&t)
}

// view is what the templates see: the escaping is done by html/template for
// every string field; only Body is trusted HTML.
type view struct {
	T texts
	// Greeting, Intro (the mail's first sentence) and Team (the signature)
	// are rendered from the catalog with this mail's names in them.
	Greeting, Intro, Team string
	Reference, Subject    string
	BodyText              string
	Body                  htmltemplate.HTML // trusted: escaped here or sanitized by the caller
	PortalURL, SignupURL  string
}

// newView starts the view of a mail in l's language.
func newView(l *i18n.Localizer, product string) view {
	t, _ := textsFor(l) // gaps: see textsFor
	return view{T: t, Greeting: t.HelloNoName, Team: l.T("mail.team", "Product", orDefault(product, t.Product))}
}

// ComposeConfirmation renders, in l's language, the text and HTML bodies of
// the mail that confirms a new ticket, footer with the portal link included.
func ComposeConfirmation(l *i18n.Localizer, c Confirmation) (text, html string, err error) {
	if err := checkURLs(c.PortalURL, c.SignupURL); err != nil {
		return "", "", err
	}
	v := newView(l, c.ProductName)
	v.Intro = l.T("mail.received", "Product", orDefault(c.ProductName, v.T.Product))
	v.Reference = c.Reference
	v.Subject = ConfirmationSubject(l, c.Reference)
	v.PortalURL, v.SignupURL = c.PortalURL, c.SignupURL
	return render("confirmation", v)
}

// ComposeAgentReply renders, in l's language, the text and HTML bodies of an
// agent's reply, footer with the portal link included.
func ComposeAgentReply(l *i18n.Localizer, r AgentReply) (text, html string, err error) {
	if err := checkURLs(r.PortalURL); err != nil {
		return "", "", err
	}
	v := newView(l, "")
	v.Greeting = greeting(l, v.T, r.CustomerName)
	v.Intro = l.T("mail.replied", "Agent", orDefault(r.AgentName, v.T.SomeoneAgent), "Reference", r.Reference)
	v.Reference, v.Subject = r.Reference, r.Subject
	v.BodyText = normalize(r.BodyText)
	v.Body = htmltemplate.HTML(r.BodyHTML) // #nosec: sanitized by the caller, see AgentReply
	v.PortalURL = r.PortalURL
	if r.BodyHTML == "" {
		v.Body = escapeLines(r.BodyText)
	}
	return render("reply", v)
}

// ComposePortalLink renders, in l's language, the mail that carries a fresh
// portal link.
func ComposePortalLink(l *i18n.Localizer, p PortalLink) (text, html string, err error) {
	if p.PortalURL == "" {
		return "", "", fmt.Errorf("mail: a portal link mail without a link")
	}
	if err := checkURLs(p.PortalURL); err != nil {
		return "", "", err
	}
	v := newView(l, "")
	v.Greeting = greeting(l, v.T, p.CustomerName)
	v.Intro = l.T("mail.new_link", "Reference", p.Reference)
	v.Reference, v.Subject = p.Reference, p.Subject
	v.PortalURL = p.PortalURL
	return render("link", v)
}

func render(name string, v view) (text, html string, err error) {
	var tb, hb strings.Builder
	if err := textTemplates.ExecuteTemplate(&tb, name, v); err != nil {
		return "", "", fmt.Errorf("mail: render %s text: %w", name, err)
	}
	if err := htmlTemplates.ExecuteTemplate(&hb, name, v); err != nil {
		return "", "", fmt.Errorf("mail: render %s html: %w", name, err)
	}
	return tb.String(), hb.String(), nil
}

// checkURLs accepts empty or absolute http(s) links: html/template would turn
// anything else into "#ZgotmplZ" in the HTML while the text part kept it.
func checkURLs(urls ...string) error {
	for _, s := range urls {
		if s == "" {
			continue
		}
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
			strings.ContainsAny(s, " \t\r\n<>\"") {
			return fmt.Errorf("mail: link %q is not an absolute http(s) URL", s)
		}
	}
	return nil
}

func greeting(l *i18n.Localizer, t texts, name string) string {
	name = strings.TrimSpace(strings.Join(strings.FieldsFunc(name, isBreak), " "))
	if name == "" {
		return t.HelloNoName
	}
	return l.T("mail.hello", "Name", name)
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

// normalize turns CRLF and CR into LF and drops trailing blank lines.
func normalize(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.TrimRight(s, " \t\n")
}

// escapeLines escapes plain text for HTML and keeps its line breaks as <br>
// (Outlook ignores white-space: pre-wrap).
func escapeLines(s string) htmltemplate.HTML {
	lines := strings.Split(normalize(s), "\n")
	for i, l := range lines {
		lines[i] = htmltemplate.HTMLEscapeString(l)
	}
	return htmltemplate.HTML(strings.Join(lines, "<br>\n")) // #nosec: every line escaped above
}

// The text part. "-- " starts a signature, which mail clients leave out
// when quoting, so the personal portal link is less likely to travel on in
// a reply.
const textTemplate = `
{{- define "footer"}}
-- 
{{if .PortalURL}}{{.T.ViewText}} {{.PortalURL}}
{{.T.Personal}}
{{.T.ReplyHint}}{{else}}{{.T.EmailOnly}}{{end}}
{{end}}

{{- define "confirmation" -}}
{{.Greeting}}

{{.Intro}}

{{.T.Reference}} {{.Reference}}
{{- if .SignupURL}}

{{.T.Signup}}
{{.SignupURL}}
{{- end}}

{{.T.NotYou}}

{{.Team}}
{{template "footer" .}}
{{- end}}

{{- define "reply" -}}
{{.Greeting}}

{{.Intro}}

{{.BodyText}}
{{template "footer" .}}
{{- end}}

{{- define "link" -}}
{{.Greeting}}

{{.Intro}}
{{template "footer" .}}
{{- end}}`

// The HTML part: tables and inline styles only, which Gmail and Outlook
// render alike; no external resources, no scripts.
const htmlTemplate = `
{{- define "top" -}}
<!DOCTYPE html>
<html lang="{{.T.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Subject}}</title>
</head>
<body style="margin:0;padding:0;background-color:#f4f4f5;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f4f4f5;">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:600px;background-color:#ffffff;border:1px solid #e4e4e7;border-radius:6px;">
<tr><td style="padding:24px;font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#18181b;">
<p style="margin:0 0 16px;">{{.Greeting}}</p>
{{- end}}

{{- define "bottom" -}}
</td></tr>
<tr><td style="padding:16px 24px 24px;border-top:1px solid #e4e4e7;font-family:Arial,Helvetica,sans-serif;font-size:13px;line-height:1.5;color:#52525b;">
{{- if .PortalURL}}
<p style="margin:0 0 12px;"><a href="{{.PortalURL}}" style="display:inline-block;padding:10px 18px;background-color:#4f46e5;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">{{.T.View}}</a></p>
<p style="margin:0 0 12px;">{{.T.OrOpen}} <a href="{{.PortalURL}}" style="color:#4f46e5;word-break:break-all;">{{.PortalURL}}</a></p>
<p style="margin:0 0 12px;">{{.T.Personal}}</p>
{{- end}}
<p style="margin:0;">{{if .PortalURL}}{{.T.ReplyHint}}{{else}}{{.T.EmailOnly}}{{end}}</p>
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
{{end}}

{{- define "confirmation" -}}
{{template "top" .}}
<p style="margin:0 0 16px;">{{.Intro}}</p>
<p style="margin:0 0 16px;"><strong>{{.T.Reference}}</strong> {{.Reference}}</p>
{{- if .SignupURL}}
<p style="margin:0 0 16px;">{{.T.Signup}} <a href="{{.SignupURL}}" style="color:#4f46e5;">{{.T.SignupLink}}</a></p>
{{- end}}
<p style="margin:0 0 16px;color:#52525b;">{{.T.NotYou}}</p>
<p style="margin:0 0 8px;">{{.Team}}</p>
{{template "bottom" .}}
{{- end}}

{{- define "reply" -}}
{{template "top" .}}
<p style="margin:0 0 16px;color:#52525b;">{{.Intro}}</p>
<div style="margin:0 0 8px;padding:8px 12px;border-left:3px solid #4f46e5;">{{.Body}}</div>
{{template "bottom" .}}
{{- end}}

{{- define "link" -}}
{{template "top" .}}
<p style="margin:0 0 16px;">{{.Intro}}</p>
{{template "bottom" .}}
{{- end}}`

var (
	textTemplates = texttemplate.Must(texttemplate.New("text").Parse(textTemplate))
	htmlTemplates = htmltemplate.Must(htmltemplate.New("html").Parse(htmlTemplate))
)
