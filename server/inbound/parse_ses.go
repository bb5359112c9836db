package inbound

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/portico/portico/server/model"
)

// ErrNotReceived is returned for SES notifications other than "Received"
// (bounce, complaint or delivery feedback sent to the same topic). It wraps
// ErrUnparsable; a handler may answer it 200 and ignore the message instead.
var ErrNotReceived = fmt.Errorf("%w: SES notification is not a received mail", ErrUnparsable)

// sesNotification is the SES email-receiving notification published by an
// SNS receipt-rule action (docs.aws.amazon.com/ses/latest/dg/receiving-email-notifications-contents.html).
type sesNotification struct {
	NotificationType string `json:"notificationType"`
	Mail             struct {
		Source    *string `json:"source"`
		MessageID string  `json:"messageId"`
	} `json:"mail"`
	Receipt struct {
		Recipients   []string   `json:"recipients"`
		SPFVerdict   sesVerdict `json:"spfVerdict"`
		DKIMVerdict  sesVerdict `json:"dkimVerdict"`
		DMARCVerdict sesVerdict `json:"dmarcVerdict"`
		Action       struct {
			Type     string `json:"type"`
			Encoding string `json:"encoding"`
		} `json:"action"`
	} `json:"receipt"`
	Content string `json:"content"`
}

// sesVerdict is one of receipt.spfVerdict, dkimVerdict, dmarcVerdict.
type sesVerdict struct {
	Status string `json:"status"`
}

// ParseSESNotification parses the Message of a verified SNS notification:
// SES's JSON with the raw mail in content (base64 when the receipt rule's
// SNS action uses BASE64 encoding, the raw text with UTF-8).
func ParseSESNotification(message string) (model.InboundMail, error) {
	var n sesNotification
	if err := json.Unmarshal([]byte(message), &n); err != nil {
		return model.InboundMail{}, unparsable("ses JSON: %v", err)
	}
	if n.NotificationType != "Received" {
		return model.InboundMail{}, fmt.Errorf("%w (%q)", ErrNotReceived, n.NotificationType)
	}
	if n.Content == "" {
		// Only the SNS action carries the mail; S3 or Lambda actions
		// publish metadata alone.
		return model.InboundMail{}, unparsable("ses: notification without content (receipt action %q)", n.Receipt.Action.Type)
	}
	raw := []byte(n.Content)
	if strings.EqualFold(n.Receipt.Action.Encoding, "BASE64") {
		var err error
		if raw, err = decodeBase64(n.Content); err != nil {
			return model.InboundMail{}, unparsable("ses content base64: %v", err)
		}
	}
	m, err := ParseMIME(raw)
	if err != nil {
		return model.InboundMail{}, fmt.Errorf("ses content: %w", err)
	}
	m.Provider = "ses"
	m.Recipients = nil
	for _, r := range n.Receipt.Recipients {
		if r = cleanText(normalizeEmail(r)); r != "" {
			m.Recipients = append(m.Recipients, r)
		}
	}
	if m.ReturnPath == "" && n.Mail.Source != nil {
		m.ReturnPath = cleanText(normalizeReturnPath(*n.Mail.Source, true))
	}
	source := ""
	if n.Mail.Source != nil {
		source = *n.Mail.Source
	}
	m.Auth = sesAuth(n.Receipt.SPFVerdict.Status, n.Receipt.DKIMVerdict.Status, n.Receipt.DMARCVerdict.Status, source, m.Headers)
	if m.MessageID == "" {
		m.DedupKey = dedupKey("ses", strings.TrimSpace(n.Mail.MessageID), raw)
	}
	return m, nil
}
