package inbound

import (
	"bytes"
	"errors"
	"fmt"
	"mime/multipart"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/portico/portico/server/model"
)

func mailgunMultipart(t testing.TB) (string, []byte) {
	boundary := strings.TrimSpace(string(fixture(t, "mailgun/multipart.boundary")))
	return "multipart/form-data; boundary=" + boundary, fixture(t, "mailgun/multipart.txt")
}

func TestParseMailgun(t *testing.T) {
	mpType, mpBody := mailgunMultipart(t)
	tests := []struct {
		name        string
		contentType string
		body        []byte
		files       []string
	}{
		{"urlencoded", "application/x-www-form-urlencoded", fixture(t, "mailgun/urlencoded.txt"), nil},
		{"urlencoded with charset", "application/x-www-form-urlencoded; charset=utf-8", fixture(t, "mailgun/urlencoded.txt"), nil},
		// Files arrive out of order; attachment-1 comes first.
		{"multipart", mpType, mpBody, []string{"invoice.pdf application/pdf %PDF-1.4 fake", "notes.txt text/plain second file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, sig, err := ParseMailgun(tt.contentType, tt.body)
			if err != nil {
				t.Fatal(err)
			}
			wantSig := MailgunSignature{
				Timestamp: "1715677913",
				Token:     "c9b3e2f0a4d1b8e7f6a5c4d3b2a1f0e9d8c7b6a5f4e3d2c1b0",
				Signature: strings.Repeat("0", 64),
			}
			if sig != wantSig {
				t.Errorf("signature = %+v", sig)
			}
			checks := []struct {
				name      string
				got, want any
			}{
				{"Provider", m.Provider, "mailgun"},
				{"From", m.From, model.Address{Name: "Jane Doe", Email: "jane.doe@example.com"}},
				{"To", m.To, []model.Address{{Name: "Acme Support", Email: "reply+42.1a2b3c4d@support.example.com"}}},
				{"Cc", m.Cc, []model.Address{{Name: "Bob Martin", Email: "bob@example.org"}, {Name: "Carol", Email: "carol@example.org"}}},
				{"Recipients", m.Recipients, []string{"reply+42.1a2b3c4d@support.example.com"}},
				{"ReturnPath", m.ReturnPath, "jane.doe@example.com"},
				{"Subject", m.Subject, "Re: [TK-42] Invoice"},
				{"MessageID", m.MessageID, "<CAF=mg-1@mail.gmail.com>"},
				{"InReplyTo", m.InReplyTo, "<ticket-42-reply-7@support.example.com>"},
				{"References", m.References, []string{"<ticket-42@support.example.com>", "<ticket-42-reply-7@support.example.com>"}},
				{"ContentType", m.ContentType, "multipart/alternative"},
				{"Header", m.Header("X-Mailgun-Incoming"), "Yes"},
				{"HTML", m.HTML, `<div dir="ltr">Thanks, that fixed it.</div>`},
				{"Body", StripQuoted(BodyText(m)), "Thanks, that fixed it."},
				{"Mailgun fields are no headers", m.Header("Body-Plain") + m.Header("Token"), ""},
			}
			for _, c := range checks {
				if !reflect.DeepEqual(c.got, c.want) {
					t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
				}
			}
			var files []string
			for _, a := range m.Attachments {
				files = append(files, a.Filename+" "+a.ContentType+" "+string(a.Data))
			}
			if !reflect.DeepEqual(files, tt.files) {
				t.Errorf("attachments = %q, want %q", files, tt.files)
			}
		})
	}
}

// mailgunForm encodes fields as multipart/form-data with files.
func mailgunForm(t *testing.T, fields url.Values, files map[string][]byte) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			if err := w.WriteField(k, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	i := 0
	for name, data := range files {
		i++
		fw, err := w.CreateFormFile(fmt.Sprintf("attachment-%d", i), name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.FormDataContentType(), buf.Bytes()
}

func TestParseMailgunWithoutMessageHeaders(t *testing.T) {
	// Without message-headers, the capitalised header fields Mailgun also
	// posts are used.
	fields := url.Values{
		"sender":         {""},
		"from":           {"MAILER-DAEMON@mx.example.org"},
		"recipient":      {"reply+42.1a2b3c4d@support.example.com, other@support.example.com"},
		"subject":        {"Undelivered Mail"},
		"body-plain":     {"bounce"},
		"Message-Id":     {"<bounce-1@mx.example.org>"},
		"Auto-Submitted": {"auto-replied"},
		"To":             {"reply+42.1a2b3c4d@support.example.com"},
	}
	ct, body := mailgunForm(t, fields, map[string][]byte{"big.bin": bytes.Repeat([]byte("y"), MaxAttachment+10)})
	m, _, err := ParseMailgun(ct, body)
	if err != nil {
		t.Fatal(err)
	}
	if m.ReturnPath != "<>" || m.MessageID != "<bounce-1@mx.example.org>" || m.Header("Auto-Submitted") != "auto-replied" {
		t.Errorf("ReturnPath %q MessageID %q Auto-Submitted %q", m.ReturnPath, m.MessageID, m.Header("Auto-Submitted"))
	}
	if want := []string{"reply+42.1a2b3c4d@support.example.com", "other@support.example.com"}; !reflect.DeepEqual(m.Recipients, want) {
		t.Errorf("Recipients = %q", m.Recipients)
	}
	if len(m.To) != 1 || len(m.Attachments) != 0 || len(m.DroppedAttachments) != 1 || !strings.HasPrefix(m.DroppedAttachments[0], "big.bin (") {
		t.Errorf("To %+v attachments %d dropped %q", m.To, len(m.Attachments), m.DroppedAttachments)
	}
	if r := AutoReplyReason(m, "support.example.com"); r == "" {
		t.Error("bounce not recognised")
	}
}

func TestParseMailgunStoredAttachments(t *testing.T) {
	form := url.Values{
		"from":        {"a@example.com"},
		"attachments": {`[{"url":"https://storage.eu.mailgun.net/v3/domains/x/messages/y/attachments/0","content-type":"application/pdf","name":"report.pdf","size":1234}]`},
	}
	m, _, err := ParseMailgun("application/x-www-form-urlencoded", []byte(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"report.pdf (stored at Mailgun, not downloaded)"}; !reflect.DeepEqual(m.DroppedAttachments, want) {
		t.Errorf("dropped = %q", m.DroppedAttachments)
	}
	if m.ReturnPath != "" {
		t.Errorf("ReturnPath = %q; no sender field means unknown", m.ReturnPath)
	}
}

func TestParseMailgunUnparsable(t *testing.T) {
	tests := []struct{ contentType, body string }{
		{"application/json", `{"from":"a@b.c"}`},
		{"", "from=a%40b.c"},
		{"multipart/form-data", "x"},
		{"multipart/form-data; boundary=zz", "no boundary here"},
		{"application/x-www-form-urlencoded", "from=%zz"},
		{"application/x-www-form-urlencoded", "token=abc"},
		{"application/x-www-form-urlencoded", "from=a%40b.c&message-headers=not-json"},
	}
	for _, tt := range tests {
		if _, _, err := ParseMailgun(tt.contentType, []byte(tt.body)); !errors.Is(err, ErrUnparsable) {
			t.Errorf("ParseMailgun(%q, %q) error = %v, want ErrUnparsable", tt.contentType, tt.body, err)
		}
	}
}

func FuzzParseMailgun(f *testing.F) {
	mpType, mpBody := mailgunMultipart(f)
	f.Add("application/x-www-form-urlencoded", fixture(f, "mailgun/urlencoded.txt"))
	f.Add(mpType, mpBody)
	f.Add("multipart/form-data; boundary=a", []byte("--a\r\nContent-Disposition: form-data; name=\"attachment-1\"; filename=\"../x\"\r\n\r\nzz\r\n--a--\r\n"))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		m, _, err := ParseMailgun(contentType, body)
		if err != nil {
			if !errors.Is(err, ErrUnparsable) {
				t.Fatalf("error %v does not wrap ErrUnparsable", err)
			}
			return
		}
		checkInvariants(t, m)
	})
}
