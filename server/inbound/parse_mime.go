package inbound

import (
	"bytes"
	"mime"
	"net/mail"
	"strings"

	"github.com/jhillyerd/enmime/v2"
	"github.com/jhillyerd/enmime/v2/mediatype"
	"github.com/portico/portico/server/model"
)

// mimeParser is tolerant: real inbound mail is often slightly broken, and a
// half-readable mail is better than a 400 the provider retries forever.
// Parser holds only options, so one value serves concurrent calls.
var mimeParser = enmime.NewParser(
	enmime.SkipMalformedParts(true),
	enmime.MultipartWOBoundaryAsSinglePart(true),
	enmime.SetReadPartErrorPolicy(enmime.AllowCorruptTextPartErrorPolicy),
	enmime.MaxStoredPartErrors(32),
	// Text stays as sent; BodyText converts HTML itself (keeping quotes
	// recognisable for StripQuoted).
	enmime.DisableTextConversion(true),
	// A declared charset is trusted over statistical detection, which
	// misreads short Latin-1 texts; undeclared ones are still detected.
	enmime.DisableCharacterDetection(true),
	enmime.SetCustomParseMediaType(parseMediaType),
)

// parseMediaType reads charsets the way mail clients do: ISO-8859-1 as its
// superset Windows-1252 (Outlook labels cp1252 text as Latin-1, and the
// difference is only C1 control codes no text uses), and a us-ascii label as
// no label, so 8-bit content mislabelled as ASCII goes to detection.
func parseMediaType(ctype string) (string, map[string]string, []string, error) {
	mt, params, invalid, err := mediatype.Parse(ctype)
	if cs, ok := params["charset"]; ok {
		switch strings.ToLower(strings.TrimSpace(cs)) {
		case "iso-8859-1", "iso8859-1", "iso_8859-1", "iso88591", "iso8859_1", "iso_8859-1:1987", "latin1", "l1":
			params["charset"] = "windows-1252"
		case "us-ascii", "ascii":
			delete(params, "charset")
		}
	}
	return mt, params, invalid, err
}

// ParseMIME parses a raw RFC 5322 message: transfer encodings and charsets
// are decoded to UTF-8, text and HTML bodies picked from
// multipart/alternative, attachments and inline files collected.
func ParseMIME(raw []byte) (model.InboundMail, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return model.InboundMail{}, unparsable("mime: empty message")
	}
	env, err := mimeParser.ReadEnvelope(bytes.NewReader(raw))
	if err != nil {
		return model.InboundMail{}, unparsable("mime: %v", err)
	}
	if env.Root == nil || len(env.Root.Header) == 0 {
		return model.InboundMail{}, unparsable("mime: no header")
	}

	h := headerMap{}
	for key := range env.Root.Header {
		for _, v := range env.GetHeaderValues(key) {
			h.add(key, v)
		}
	}
	m := model.InboundMail{
		From:        envelopeAddress(env, "From"),
		To:          envelopeAddresses(env, "To"),
		Cc:          envelopeAddresses(env, "Cc"),
		Subject:     env.GetHeader("Subject"),
		Text:        env.Text,
		HTML:        env.HTML,
		Headers:     h,
		ContentType: strings.ToLower(env.Root.ContentType),
		ReturnPath:  normalizeReturnPath(h.get("Return-Path"), h.has("Return-Path")),
	}
	if m.From.Email == "" {
		m.From = envelopeAddress(env, "Sender")
	}
	threading(&m, h)

	var atts attachments
	for _, parts := range [][]*enmime.Part{env.Attachments, env.Inlines, env.OtherParts} {
		for _, p := range parts {
			if isBodyPart(p) {
				continue
			}
			atts.add(partFilename(p), p.ContentType, p.Content)
		}
	}
	atts.into(&m)
	sanitize(&m)
	return m, nil
}

func envelopeAddresses(env *enmime.Envelope, key string) []model.Address {
	list, err := env.AddressList(key)
	if err != nil {
		// Malformed beyond enmime's repairs: fall back to the lenient
		// parser on the decoded value.
		return parseAddressList(env.GetHeader(key))
	}
	return fromMailAddresses(list)
}

func envelopeAddress(env *enmime.Envelope, key string) model.Address {
	if list := envelopeAddresses(env, key); len(list) > 0 {
		return list[0]
	}
	return model.Address{}
}

func fromMailAddresses(list []*mail.Address) []model.Address {
	var out []model.Address
	for _, a := range list {
		if a != nil && strings.TrimSpace(a.Address) != "" {
			out = append(out, address(a.Name, a.Address))
		}
	}
	return out
}

// isBodyPart tells the text parts enmime already placed in Text/HTML (Apple
// Mail marks body parts "inline") from real files.
func isBodyPart(p *enmime.Part) bool {
	if p.FileName != "" || p.Disposition == "attachment" {
		return false
	}
	return p.ContentType == "text/plain" || p.ContentType == "text/html" || p.ContentType == ""
}

// partFilename names a part, inventing a name for unnamed ones (delivery
// reports, forwarded messages) from the part id and media type.
func partFilename(p *enmime.Part) string {
	if p.FileName != "" {
		return p.FileName
	}
	return "part-" + p.PartID + extensionFor(p.ContentType)
}

// commonExtensions are preferred over mime.ExtensionsByType, whose first
// pick depends on the system's mime.types (".jfif" for JPEG).
var commonExtensions = map[string]string{
	"message/rfc822":                   ".eml",
	"message/delivery-status":          ".txt",
	"message/disposition-notification": ".txt",
	"text/rfc822-headers":              ".txt",
	"text/calendar":                    ".ics",
	"image/jpeg":                       ".jpg",
	"image/png":                        ".png",
	"image/gif":                        ".gif",
	"application/pdf":                  ".pdf",
}

func extensionFor(mediaType string) string {
	if ext, ok := commonExtensions[mediaType]; ok {
		return ext
	}
	if exts, err := mime.ExtensionsByType(mediaType); err == nil && len(exts) > 0 {
		return exts[0]
	}
	return ".bin"
}
