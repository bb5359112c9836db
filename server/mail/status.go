package mail

import (
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strconv"
	"strings"
	texttemplate "text/template"

	"github.com/portico/portico/server/model"
)

// Status mails (issue 17) tell the customer that their ticket closed or
// opened again. They are automatic, so, like the confirmation, they say
// nothing the submitter chose: a fixed subject and text, the reference, the
// portal link and, on close, "How did we do?" with one link per score.

// Status is one status mail.
type Status struct {
	Reference string
	// Closed: the ticket closed (else it opened again).
	Closed bool
	// PortalURL is the link minted for this mail; the rating links lead to
	// its /rate page. Empty: no links at all.
	PortalURL   string
	ProductName string // the operator's PORTICO_MAIL_FROM name; empty: texts.Product
}

// StatusSubject is the fixed subject of a status mail:
// "[TK-42] Your request is closed" or "[TK-42] Your request is open again".
func StatusSubject(reference string, closed bool) string {
	if closed {
		return Subject(reference, statusEnglish.ClosedSubject)
	}
	return Subject(reference, statusEnglish.ReopenedSubject)
}

// StatusMessageID is the Message-ID of a status mail:
// <ticket-42-status-<nonce>@domain>. The "ticket-" prefix makes inbound
// mail know it as ours when it comes back; the nonce (hex) keeps every
// status mail's id apart.
func StatusMessageID(ticketID int64, nonce, domain string) string {
	return "<ticket-" + strconv.FormatInt(ticketID, 10) + "-status-" + nonce + "@" + domain + ">"
}

// RatingURL is the page a rating link of the close mail opens: a form to
// confirm the answer, since mail scanners open links on their own.
func RatingURL(portalURL, score string) string {
	return portalURL + "/rate?score=" + url.QueryEscape(score)
}

// StatusPayload is what a status mail needs beyond its row (kind, ticket,
// recipient): nothing, and above all nothing the customer typed.
type StatusPayload struct{}

type statusTexts struct {
	ClosedSubject   string
	ReopenedSubject string
	Closed          string // %s = reference
	Reopened        string // %s = reference
	HowDidWeDo      string
	RateHint        string
	Scores          map[string]string
}

var statusEnglish = statusTexts{
	ClosedSubject:   "Your request is closed",
	ReopenedSubject: "Your request is open again",
	Closed:          "Your request %s is closed. If you still need help, reply to this email to reopen it.",
	Reopened:        "Your request %s is open again. We will get back to you by email.",
	HowDidWeDo:      "How did we do?",
	RateHint:        "Choose one; you can add a comment on the next page.",
	Scores:          map[string]string{model.RatingGood: "Good", model.RatingOkay: "Okay", model.RatingBad: "Bad"},
}

// rateLink is one answer's link in the close mail.
type rateLink struct {
	Label, Icon, URL string
}

var scoreIcon = map[string]string{model.RatingGood: "👍", model.RatingOkay: "😐", model.RatingBad: "👎"}

// statusView is what the status templates see; T, Greeting, Subject and
// PortalURL feed the shared "top", "bottom" and "footer" templates.
type statusView struct {
	T         texts
	S         statusTexts
	Greeting  string
	Subject   string
	Reference string
	Product   string
	Closed    bool
	PortalURL string
	Rate      []rateLink
}

// ComposeStatus renders the text and HTML bodies of a status mail.
func ComposeStatus(st Status) (text, html string, err error) {
	if err := checkURLs(st.PortalURL); err != nil {
		return "", "", err
	}
	v := statusView{
		T: english, S: statusEnglish, Greeting: english.HelloNoName,
		Subject: StatusSubject(st.Reference, st.Closed), Reference: st.Reference,
		Product: orDefault(st.ProductName, english.Product), Closed: st.Closed, PortalURL: st.PortalURL,
	}
	if st.Closed && st.PortalURL != "" {
		for _, s := range model.RatingScores {
			v.Rate = append(v.Rate, rateLink{Label: statusEnglish.Scores[s], Icon: scoreIcon[s], URL: RatingURL(st.PortalURL, s)})
		}
	}
	var tb, hb strings.Builder
	if err := statusText.ExecuteTemplate(&tb, "status", v); err != nil {
		return "", "", fmt.Errorf("mail: render status text: %w", err)
	}
	if err := statusHTML.ExecuteTemplate(&hb, "status", v); err != nil {
		return "", "", fmt.Errorf("mail: render status html: %w", err)
	}
	return tb.String(), hb.String(), nil
}

const statusTextTemplate = `
{{- define "status" -}}
{{.Greeting}}

{{if .Closed}}{{printf .S.Closed .Reference}}{{else}}{{printf .S.Reopened .Reference}}{{end}}
{{- if .Rate}}

{{.S.HowDidWeDo}}
{{range .Rate}}{{.Label}}: {{.URL}}
{{end}}{{.S.RateHint}}
{{- end}}

{{printf .T.Team .Product}}
{{template "footer" .}}
{{- end}}`

const statusHTMLTemplate = `
{{- define "status" -}}
{{template "top" .}}
<p style="margin:0 0 16px;">{{if .Closed}}{{printf .S.Closed .Reference}}{{else}}{{printf .S.Reopened .Reference}}{{end}}</p>
{{- if .Rate}}
<p style="margin:0 0 8px;"><strong>{{.S.HowDidWeDo}}</strong></p>
<p style="margin:0 0 8px;">
{{- range .Rate}}
<a href="{{.URL}}" style="display:inline-block;margin:0 8px 8px 0;padding:8px 14px;border:1px solid #4f46e5;border-radius:4px;color:#4f46e5;text-decoration:none;font-weight:bold;">{{.Icon}} {{.Label}}</a>
{{- end}}
</p>
<p style="margin:0 0 16px;color:#52525b;">{{.S.RateHint}}</p>
{{- end}}
<p style="margin:0 0 8px;">{{printf .T.Team .Product}}</p>
{{template "bottom" .}}
{{- end}}`

// The status templates join the sets of the other mails, whose "top",
// "bottom" and "footer" they use.
var (
	statusText = texttemplate.Must(texttemplate.Must(textTemplates.Clone()).Parse(statusTextTemplate))
	statusHTML = htmltemplate.Must(htmltemplate.Must(htmlTemplates.Clone()).Parse(statusHTMLTemplate))
)
