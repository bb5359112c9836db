package harness

import (
	"encoding/json"
	"strings"
	"time"
)

// PostmarkReply is a customer's mail answering a thread, as Postmark's
// inbound webhook posts it (POST /support/inbound/postmark).
type PostmarkReply struct {
	From, FromName string // the customer
	To             string // the server's address
	Subject        string
	MessageID      string // the Message-ID header, with angle brackets
	ProviderID     string // Postmark's own MessageID, a UUID
	InReplyTo      string // the Message-ID answered, with angle brackets
	Text           string
}

// postmarkInbound is Postmark's inbound webhook JSON, the fields of
// postmarkapp.com/developer/webhooks/inbound-webhook that a plain reply has.
type postmarkInbound struct {
	FromName          string
	From              string
	FromFull          postmarkAddress
	To                string
	ToFull            []postmarkAddress
	Cc                string
	CcFull            []postmarkAddress
	OriginalRecipient string
	Subject           string
	MessageID         string
	Date              string
	MailboxHash       string
	TextBody          string
	HtmlBody          string
	StrippedTextReply string
	Tag               string
	Headers           []postmarkHeader
	Attachments       []struct{}
}

type postmarkAddress struct {
	Email       string
	Name        string
	MailboxHash string
}

type postmarkHeader struct {
	Name  string
	Value string
}

// JSON is the webhook's body.
func (m PostmarkReply) JSON() ([]byte, error) {
	to := postmarkAddress{Email: m.To, Name: "Support"}
	return json.Marshal(postmarkInbound{
		FromName:          m.FromName,
		From:              m.From,
		FromFull:          postmarkAddress{Email: m.From, Name: m.FromName},
		To:                `"Support" <` + m.To + ">",
		ToFull:            []postmarkAddress{to},
		CcFull:            []postmarkAddress{},
		OriginalRecipient: m.To,
		Subject:           m.Subject,
		MessageID:         m.ProviderID,
		Date:              time.Now().Format(time.RFC1123Z),
		TextBody:          m.Text,
		Headers: []postmarkHeader{
			// Postmark's verdicts for a genuine sender: only an authenticated
			// sender threads by header or subject (issue 13).
			{Name: "Authentication-Results", Value: "mx.postmarkapp.com; spf=pass smtp.mailfrom=" + m.From +
				"; dmarc=pass header.from=" + domainOf(m.From)},
			{Name: "Message-ID", Value: m.MessageID},
			{Name: "In-Reply-To", Value: m.InReplyTo},
			{Name: "References", Value: m.InReplyTo},
			{Name: "MIME-Version", Value: "1.0"},
			{Name: "Content-Type", Value: "text/plain; charset=UTF-8"},
		},
		Attachments: []struct{}{},
	})
}

// domainOf is the domain of an address.
func domainOf(email string) string {
	_, d, _ := strings.Cut(email, "@")
	return d
}
