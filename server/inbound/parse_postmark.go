package inbound

import (
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/portico/portico/server/model"
)

// postmarkPayload is the part of Postmark's inbound webhook JSON we use
// (postmarkapp.com/developer/webhooks/inbound-webhook).
type postmarkPayload struct {
	From              string
	FromName          string
	FromFull          postmarkAddress
	To                string
	ToFull            []postmarkAddress
	Cc                string
	CcFull            []postmarkAddress
	OriginalRecipient string
	Subject           string
	// MessageID is Postmark's own id, not the Message-ID header.
	MessageID   string
	TextBody    string
	HtmlBody    string
	Headers     []postmarkHeader
	Attachments []postmarkAttachment
}

type postmarkAddress struct {
	Email string
	Name  string
}

type postmarkHeader struct {
	Name  string
	Value string
}

type postmarkAttachment struct {
	Name          string
	Content       string
	ContentType   string
	ContentLength int
}

// ParsePostmark parses Postmark's inbound webhook JSON.
func ParsePostmark(body []byte) (model.InboundMail, error) {
	var p postmarkPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return model.InboundMail{}, unparsable("postmark JSON: %v", err)
	}
	if p.From == "" && p.FromFull.Email == "" && len(p.Headers) == 0 && p.MessageID == "" {
		// Valid JSON but nothing of an inbound mail (e.g. "{}" or another
		// webhook type posted to the wrong URL).
		return model.InboundMail{}, unparsable("postmark: not an inbound message")
	}

	h := headerMap{}
	for _, hd := range p.Headers {
		h.add(hd.Name, hd.Value)
	}
	m := model.InboundMail{
		Provider:    "postmark",
		From:        postmarkFrom(p),
		To:          postmarkList(p.ToFull, p.To),
		Cc:          postmarkList(p.CcFull, p.Cc),
		Subject:     p.Subject,
		Text:        p.TextBody,
		HTML:        p.HtmlBody,
		Headers:     h,
		ContentType: mediaType(h.get("Content-Type")),
		ReturnPath:  normalizeReturnPath(h.get("Return-Path"), h.has("Return-Path")),
	}
	if r := normalizeEmail(p.OriginalRecipient); r != "" {
		m.Recipients = []string{r}
	}
	threading(&m, h)
	m.Auth = postmarkAuth(h)
	if m.MessageID == "" {
		// Postmark's own MessageID is the same on every retry of a post.
		m.DedupKey = dedupKey("postmark", strings.TrimSpace(p.MessageID), body)
	}

	var atts attachments
	for _, a := range p.Attachments {
		postmarkAttach(&atts, a)
	}
	atts.into(&m)
	sanitize(&m)
	return m, nil
}

func postmarkFrom(p postmarkPayload) model.Address {
	if p.FromFull.Email != "" {
		return address(p.FromFull.Name, p.FromFull.Email)
	}
	a := parseAddress(p.From)
	if a.Name == "" {
		a.Name = strings.TrimSpace(p.FromName)
	}
	return a
}

// postmarkList prefers the structured *Full list and falls back to parsing
// the header string.
func postmarkList(full []postmarkAddress, header string) []model.Address {
	if len(full) == 0 {
		return parseAddressList(header)
	}
	var out []model.Address
	for _, a := range full {
		if strings.TrimSpace(a.Email) != "" {
			out = append(out, address(a.Name, a.Email))
		}
	}
	return out
}

// postmarkAttach decodes one attachment, checking the size first so an
// oversized file is never decoded.
func postmarkAttach(atts *attachments, a postmarkAttachment) {
	size := a.ContentLength
	if est := base64.StdEncoding.DecodedLen(len(a.Content)); size <= 0 || size > est {
		size = est
	}
	if !atts.fits(cleanFilename(a.Name), size) {
		return
	}
	data, err := decodeBase64(a.Content)
	if err != nil {
		atts.drop(a.Name, "content is not valid base64")
		return
	}
	atts.add(a.Name, a.ContentType, data)
}

// decodeBase64 accepts standard base64 with or without padding and with
// line breaks, as senders produce all of them.
func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '\r', '\n', ' ', '\t':
			return -1
		}
		return r
	}, s)
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}
