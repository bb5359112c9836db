package mail

import (
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strconv"
	"strings"
	texttemplate "text/template"

	"github.com/portico/portico/server/i18n"
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
	ProductName string // the operator's PORTICO_MAIL_FROM name; empty: the catalog's mail.product
}

// StatusSubject is the fixed subject of a status mail in l's language:
// "[TK-42] Your request is closed" or "[TK-42] Your request is open again".
func StatusSubject(l *i18n.Localizer, reference string, closed bool) string {
	if closed {
		return Subject(reference, l.T("mail.closed_subject"))
	}
	return Subject(reference, l.T("mail.reopened_subject"))
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

// statusTexts are the fixed sentences of the status mails (see texts).
type statusTexts struct {
	HowDidWeDo string `msg:"mail.how_did_we_do"`
	RateHint   string `msg:"mail.rate_hint"`
	Good       string `msg:"mail.score_good"`
	Okay       string `msg:"mail.score_okay"`
	Bad        string `msg:"mail.score_bad"`
}

func (s statusTexts) score(score string) string {
	switch score {
	case model.RatingGood:
		return s.Good
	case model.RatingOkay:
		return s.Okay
	}
	return s.Bad
}

// rateLink is one answer's link in the close mail; Line is its line in
// the text part.
type rateLink struct {
	Label, Icon, URL, Line string
}

var scoreIcon = map[string]string{model.RatingGood: "👍", model.RatingOkay: "😐", model.RatingBad: "👎"}

// statusView is what the status templates see; its view feeds the shared
// "top", "bottom" and "footer" templates.
type statusView struct {
	view
	Rate []rateLink
}

// ComposeStatus renders, in l's language, the text and HTML bodies of a
// status mail.
func ComposeStatus(l *i18n.Localizer, st Status) (text, html string, err error) {
	if err := checkURLs(st.PortalURL); err != nil {
		return "", "", err
	}
	v := statusView{view: newView(l, st.ProductName)}
	v.Subject = StatusSubject(l, st.Reference, st.Closed)
	v.Reference, v.PortalURL = st.Reference, st.PortalURL
	v.Intro = l.T("mail.reopened", "Reference", st.Reference)
	if st.Closed {
		v.Intro = l.T("mail.closed", "Reference", st.Reference)
	}
	if st.Closed && st.PortalURL != "" {
		for _, s := range model.RatingScores {
			label, u := v.T.Status.score(s), RatingURL(st.PortalURL, s)
			v.Rate = append(v.Rate, rateLink{Label: label, Icon: scoreIcon[s], URL: u, Line: l.T("mail.rate_line", "Score", label, "URL", u)})
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

{{.Intro}}
{{- if .Rate}}

{{.T.Status.HowDidWeDo}}
{{range .Rate}}{{.Line}}
{{end}}{{.T.Status.RateHint}}
{{- end}}

{{.Team}}
{{template "footer" .}}
{{- end}}`

const statusHTMLTemplate = `
{{- define "status" -}}
{{template "top" .}}
<p style="margin:0 0 16px;">{{.Intro}}</p>
{{- if .Rate}}
<p style="margin:0 0 8px;"><strong>{{.T.Status.HowDidWeDo}}</strong></p>
<p style="margin:0 0 8px;">
{{- range .Rate}}
<a href="{{.URL}}" style="display:inline-block;margin:0 8px 8px 0;padding:8px 14px;border:1px solid #4f46e5;border-radius:4px;color:#4f46e5;text-decoration:none;font-weight:bold;">{{.Icon}} {{.Label}}</a>
{{- end}}
</p>
<p style="margin:0 0 16px;color:#52525b;">{{.T.Status.RateHint}}</p>
{{- end}}
<p style="margin:0 0 8px;">{{.Team}}</p>
{{template "bottom" .}}
{{- end}}`

// The status templates join the sets of the other mails, whose "top",
// "bottom" and "footer" they use.
var (
	statusText = texttemplate.Must(texttemplate.Must(textTemplates.Clone()).Parse(statusTextTemplate))
	statusHTML = htmltemplate.Must(htmltemplate.Must(htmlTemplates.Clone()).Parse(statusHTMLTemplate))
)
