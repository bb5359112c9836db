package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/riverqueue/river"

	"github.com/portico/portico/server/i18n"
	"github.com/portico/portico/server/model"
)

// The "My tickets" sign-in mail (issue 17): a one-time link to the list of a
// customer's tickets, sent on request to an address that may not be the
// requester's. Like a confirmation it says nothing anyone typed, and it
// counts against the recipient's budget of automatic mails.

// SigninMinter creates a one-time sign-in link for a contact; the delivery
// worker calls it while composing, so no usable token rests in the
// database. It fails with model.ErrNotFound when the contact was erased or
// no longer has this address.
type SigninMinter interface {
	MintSigninURL(ctx context.Context, contactID int64, email string) (string, error)
}

// SigninPayload is what a sign-in mail needs, stored with the queued mail.
type SigninPayload struct {
	ContactID int64 `json:"contact_id"`
}

// SigninMessageID is the Message-ID of a sign-in mail; key makes it unique
// (the id of the job that queued it, so that a retried job finds its mail).
func SigninMessageID(key int64, domain string) string {
	return fmt.Sprintf("<signin-%d@%s>", key, domain)
}

// Signin is the sign-in mail's content.
type Signin struct {
	URL         string
	ValidFor    time.Duration
	ProductName string // the operator's PORTICO_MAIL_FROM name; empty: the catalog's mail.product
}

// SigninSubject is the fixed subject of a sign-in mail in l's language.
func SigninSubject(l *i18n.Localizer) string { return l.T("mail.signin_subject") }

// signinTexts are the fixed sentences of the sign-in mail (see texts).
type signinTexts struct {
	Button string `msg:"mail.signin_button"`
	NotYou string `msg:"mail.signin_not_you"`
}

// signinView is what the sign-in templates see.
type signinView struct {
	view
	URL   string
	Valid string // how long the link works, in the language's words and digits
}

// ComposeSignin renders, in l's language, the text and HTML bodies of a
// sign-in mail.
func ComposeSignin(l *i18n.Localizer, s Signin) (text, html string, err error) {
	if s.URL == "" {
		return "", "", fmt.Errorf("mail: sign-in mail without a link")
	}
	if err := checkURLs(s.URL); err != nil {
		return "", "", err
	}
	v := signinView{view: newView(l, s.ProductName), URL: s.URL,
		Valid: l.N("mail.signin_valid", int(s.ValidFor.Minutes()))}
	v.Subject = SigninSubject(l)
	v.Intro = l.T("mail.signin_intro", "Product", orDefault(s.ProductName, v.T.Product))
	var tb, hb strings.Builder
	if err := signinText.Execute(&tb, v); err != nil {
		return "", "", fmt.Errorf("mail: render sign-in text: %w", err)
	}
	if err := signinHTML.Execute(&hb, v); err != nil {
		return "", "", fmt.Errorf("mail: render sign-in html: %w", err)
	}
	return tb.String(), hb.String(), nil
}

var signinText = texttemplate.Must(texttemplate.New("signin").Parse(`{{.Greeting}}

{{.Intro}}

{{.URL}}

{{.Valid}}

{{.T.Signin.NotYou}}

{{.Team}}
`))

var signinHTML = htmltemplate.Must(htmltemplate.New("signin").Parse(`<!DOCTYPE html>
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
<p style="margin:0 0 16px;">{{.Intro}}</p>
<p style="margin:0 0 16px;"><a href="{{.URL}}" style="display:inline-block;padding:10px 18px;background-color:#4f46e5;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">{{.T.Signin.Button}}</a></p>
<p style="margin:0 0 16px;">{{.T.OrOpen}} <a href="{{.URL}}" style="color:#4f46e5;word-break:break-all;">{{.URL}}</a></p>
<p style="margin:0 0 16px;color:#52525b;">{{.Valid}}</p>
<p style="margin:0 0 16px;color:#52525b;">{{.T.Signin.NotYou}}</p>
<p style="margin:0;">{{.Team}}</p>
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`))

// composeSignin builds a sign-in mail with a freshly minted link. It has no
// Reply-To and no ticket in its subject: it is about no ticket.
func (w *Worker) composeSignin(ctx context.Context, l *i18n.Localizer, m model.OutboundMail) (Message, error) {
	var p SigninPayload
	if err := json.Unmarshal([]byte(m.Payload), &p); err != nil {
		return Message{}, river.JobCancel(fmt.Errorf("mail %d: payload: %w", m.ID, err))
	}
	if w.d.Signins == nil {
		return Message{}, river.JobCancel(fmt.Errorf("mail %d: sign-in mails are not set up", m.ID))
	}
	link, err := w.d.Signins.MintSigninURL(ctx, p.ContactID, m.ToEmail)
	if errors.Is(err, model.ErrNotFound) {
		// Erased (or the address changed) since the mail was queued.
		return Message{}, river.JobCancel(fmt.Errorf("mail %d: %w", m.ID, err))
	}
	if err != nil {
		return Message{}, err
	}
	msg := Message{
		From: w.d.From, To: Address{Email: m.ToEmail}, Subject: SigninSubject(l), MessageID: m.EmailMessageID,
		AutoSubmitted: true, Language: l.Lang(),
	}
	msg.Text, msg.HTML, err = ComposeSignin(l, Signin{URL: link, ValidFor: w.d.SigninValidFor, ProductName: w.d.From.Name})
	if err != nil {
		return Message{}, &composeError{err}
	}
	return msg, nil
}
