package inbound

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/portico/portico/server/model"
)

// MailgunSignature is the webhook signature Mailgun posts with every route
// forward; check it with VerifyMailgun.
type MailgunSignature struct {
	Timestamp string
	Token     string
	Signature string
}

// mailgunFile is one uploaded attachment-N part.
type mailgunFile struct {
	field, name, contentType string
	data                     []byte
	tooBig                   bool
}

// ParseMailgun parses a Mailgun route forward() or store(notify=…) POST,
// either multipart/form-data (with attachment-1..n files) or
// application/x-www-form-urlencoded
// (documentation.mailgun.com, "Receiving Messages via HTTP").
func ParseMailgun(contentType string, body []byte) (model.InboundMail, MailgunSignature, error) {
	form, files, err := readMailgunForm(contentType, body)
	if err != nil {
		return model.InboundMail{}, MailgunSignature{}, err
	}
	sig := MailgunSignature{
		Timestamp: form.Get("timestamp"),
		Token:     form.Get("token"),
		Signature: form.Get("signature"),
	}
	m, err := mailgunMail(form, files)
	if err != nil {
		return model.InboundMail{}, sig, err
	}
	return m, sig, nil
}

// readMailgunForm reads the form values and files of either encoding.
func readMailgunForm(contentType string, body []byte) (url.Values, []mailgunFile, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil, nil, unparsable("mailgun content type %q: %v", contentType, err)
	}
	switch strings.ToLower(mt) {
	case "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, nil, unparsable("mailgun form: %v", err)
		}
		return form, nil, nil
	case "multipart/form-data":
		if params["boundary"] == "" {
			return nil, nil, unparsable("mailgun multipart without boundary")
		}
		return readMultipart(multipart.NewReader(bytes.NewReader(body), params["boundary"]))
	default:
		return nil, nil, unparsable("mailgun content type %q", mt)
	}
}

// readMultipart reads the parts one by one instead of ParseMultipartForm so
// that an oversized file is measured and skipped, never buffered whole.
func readMultipart(mr *multipart.Reader) (url.Values, []mailgunFile, error) {
	form := url.Values{}
	var files []mailgunFile
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, unparsable("mailgun multipart: %v", err)
		}
		if p.FileName() == "" {
			v, err := io.ReadAll(p)
			if err != nil {
				return nil, nil, unparsable("mailgun multipart field %q: %v", p.FormName(), err)
			}
			form.Add(p.FormName(), string(v))
			continue
		}
		f, err := readFilePart(p)
		if err != nil {
			return nil, nil, err
		}
		files = append(files, f)
	}
	sort.SliceStable(files, func(i, j int) bool {
		return attachmentIndex(files[i].field) < attachmentIndex(files[j].field)
	})
	return form, files, nil
}

func readFilePart(p *multipart.Part) (mailgunFile, error) {
	f := mailgunFile{field: p.FormName(), name: p.FileName(), contentType: p.Header.Get("Content-Type")}
	data, err := io.ReadAll(io.LimitReader(p, MaxAttachment+1))
	if err != nil {
		return f, unparsable("mailgun attachment %q: %v", f.name, err)
	}
	if len(data) > MaxAttachment {
		f.tooBig = true
		if _, err := io.Copy(io.Discard, p); err != nil {
			return f, unparsable("mailgun attachment %q: %v", f.name, err)
		}
		return f, nil
	}
	f.data = data
	return f, nil
}

// attachmentIndex orders "attachment-2" before "attachment-10"; other field
// names keep their place after them.
func attachmentIndex(field string) int {
	if n, err := strconv.Atoi(strings.TrimPrefix(field, "attachment-")); err == nil {
		return n
	}
	return int(^uint(0) >> 1)
}

// mailgunMail builds the normalized mail from the form.
func mailgunMail(form url.Values, files []mailgunFile) (model.InboundMail, error) {
	if form.Get("from") == "" && form.Get("sender") == "" && form.Get("recipient") == "" &&
		form.Get("message-headers") == "" && field(form, "body-plain") == "" {
		return model.InboundMail{}, unparsable("mailgun: not an inbound message")
	}
	h, err := mailgunHeaders(form)
	if err != nil {
		return model.InboundMail{}, err
	}
	m := model.InboundMail{
		Provider:    "mailgun",
		From:        firstAddress(form.Get("from"), h.get("From"), form.Get("sender")),
		To:          parseAddressList(strings.Join(h["To"], ", ")),
		Cc:          parseAddressList(strings.Join(h["Cc"], ", ")),
		Recipients:  splitRecipients(form["recipient"]),
		Subject:     firstNonEmpty(form.Get("subject"), h.get("Subject")),
		Text:        field(form, "body-plain"),
		HTML:        field(form, "body-html"),
		Headers:     h,
		ContentType: mediaType(h.get("Content-Type")),
		ReturnPath:  mailgunReturnPath(form, h),
	}
	threading(&m, h)
	envelope := form.Get("sender")
	if _, ok := form["sender"]; !ok {
		envelope = h.get("Return-Path")
	}
	m.Auth = mailgunAuth(append(fieldValues(form, "X-Mailgun-Spf"), h[canonical("X-Mailgun-Spf")]...),
		append(fieldValues(form, "X-Mailgun-Dkim-Check-Result"), h[canonical("X-Mailgun-Dkim-Check-Result")]...), envelope, h)
	if m.MessageID == "" {
		m.DedupKey = dedupKey("mailgun", "", mailgunContent(form, files))
	}

	var atts attachments
	for _, f := range files {
		if f.tooBig {
			atts.drop(f.name, "over the "+humanSize(MaxAttachment)+" limit per file")
			continue
		}
		atts.add(f.name, f.contentType, f.data)
	}
	storedAttachments(&atts, form.Get("attachments"))
	atts.into(&m)
	sanitize(&m)
	return m, nil
}

// mailgunHeaders reads message-headers, a JSON array of [name, value] pairs.
// Mailgun also posts each header as its own capitalised field; those fill
// in when message-headers is missing or lacks a threading header.
func mailgunHeaders(form url.Values) (headerMap, error) {
	h := headerMap{}
	if raw := form.Get("message-headers"); raw != "" {
		var pairs []json.RawMessage
		if err := json.Unmarshal([]byte(raw), &pairs); err != nil {
			return nil, unparsable("mailgun message-headers: %v", err)
		}
		for _, p := range pairs {
			var kv []string
			// A pair that is not two strings is skipped, not fatal.
			if json.Unmarshal(p, &kv) == nil && len(kv) == 2 {
				h.add(kv[0], kv[1])
			}
		}
	}
	for key, vals := range form {
		if key == "" || key[0] < 'A' || key[0] > 'Z' || h.has(key) || mailgunFields[strings.ToLower(key)] {
			continue
		}
		for _, v := range vals {
			h.add(key, v)
		}
	}
	return h, nil
}

// mailgunFields are Mailgun's own parameters; the docs spell some of them
// capitalised ("Body-plain"), which must not pass for mail headers.
var mailgunFields = map[string]bool{
	"body-plain": true, "body-html": true, "stripped-text": true, "stripped-html": true,
	"stripped-signature": true, "attachment-count": true, "message-headers": true,
	"content-id-map": true, "timestamp": true, "token": true, "signature": true,
	"recipient": true, "sender": true, "domain": true, "message-url": true, "attachments": true,
}

// field returns a form value, matching the name case-insensitively when the
// exact spelling is absent.
func field(form url.Values, name string) string {
	if v, ok := form[name]; ok && len(v) > 0 {
		return v[0]
	}
	for k, v := range form {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// fieldValues returns every value of a form field, whatever the case of its
// name.
func fieldValues(form url.Values, name string) []string {
	var out []string
	for k, v := range form {
		if strings.EqualFold(k, name) {
			out = append(out, v...)
		}
	}
	return out
}

// mailgunContent is what identifies a forwarded mail across Mailgun's
// retries: every field but the per-post signature, in a fixed order, and
// the files.
func mailgunContent(form url.Values, files []mailgunFile) []byte {
	keys := make([]string, 0, len(form))
	for k := range form {
		switch strings.ToLower(k) {
		case "timestamp", "token", "signature":
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	for _, k := range keys {
		for _, v := range form[k] {
			b.WriteString(k + "\x00" + v + "\x00")
		}
	}
	for _, f := range files {
		b.WriteString(f.field + "\x00" + f.name + "\x00")
		b.Write(f.data)
		b.WriteByte(0)
	}
	return b.Bytes()
}

// mailgunReturnPath prefers the Return-Path header; the envelope sender
// field counts only when Mailgun posted it at all.
func mailgunReturnPath(form url.Values, h headerMap) string {
	if h.has("Return-Path") {
		return normalizeReturnPath(h.get("Return-Path"), true)
	}
	_, reported := form["sender"]
	return normalizeReturnPath(form.Get("sender"), reported)
}

// storedAttachments notes files that Mailgun kept on its side (the
// "attachments" JSON of stored messages): downloading needs an API key we
// do not hold, so they are listed as dropped.
func storedAttachments(atts *attachments, raw string) {
	if raw == "" {
		return
	}
	var list []struct {
		Name string `json:"name"`
	}
	if json.Unmarshal([]byte(raw), &list) != nil {
		return
	}
	for _, a := range list {
		atts.drop(a.Name, "stored at Mailgun, not downloaded")
	}
}

func splitRecipients(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, r := range strings.Split(v, ",") {
			if a := parseAddress(r); a.Email != "" {
				out = append(out, a.Email)
			}
		}
	}
	return out
}

func firstAddress(candidates ...string) model.Address {
	for _, c := range candidates {
		if a := parseAddress(c); a.Email != "" {
			return a
		}
	}
	return model.Address{}
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
