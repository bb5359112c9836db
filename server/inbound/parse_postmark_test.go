package inbound

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/portico/portico/server/model"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParsePostmarkReply(t *testing.T) {
	m, err := ParsePostmark(fixture(t, "postmark/reply.json"))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Provider", m.Provider, "postmark"},
		{"From", m.From, model.Address{Name: "Jane Doe", Email: "jane.doe@example.com"}},
		{"To", m.To, []model.Address{{Name: "Acme Support", Email: "reply+42.1a2b3c4d@support.example.com"}}},
		{"Cc", m.Cc, []model.Address{{Name: "Bob Martin", Email: "bob@example.org"}}},
		{"Recipients", m.Recipients, []string{"reply+42.1a2b3c4d@support.example.com"}},
		{"Subject", m.Subject, "Re: [TK-42] Invoice shows the wrong VAT régime"},
		// The header's Message-ID, never Postmark's own MessageID.
		{"MessageID", m.MessageID, "<CAF=1q2w3e4r5t6y7u8i9o0p@mail.gmail.com>"},
		{"InReplyTo", m.InReplyTo, "<ticket-42-reply-7@support.example.com>"},
		{"References", m.References, []string{"<ticket-42@support.example.com>", "<ticket-42-reply-7@support.example.com>"}},
		{"ReturnPath", m.ReturnPath, "jane.doe@example.com"},
		{"Header", m.Header("X-Spam-Status"), "No"},
		{"Text prefix", strings.HasPrefix(m.Text, "Thanks, that fixed it."), true},
		{"HTML", strings.Contains(m.HTML, "<blockquote>"), true},
		{"Dropped", len(m.DroppedAttachments), 0},
		{"Attachments", len(m.Attachments), 2},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
	if len(m.Attachments) == 2 {
		png, txt := m.Attachments[0], m.Attachments[1]
		if png.Filename != "screenshot.png" || png.ContentType != "image/png" || !bytes.HasPrefix(png.Data, []byte("\x89PNG")) {
			t.Errorf("png attachment = %q %q %d bytes", png.Filename, png.ContentType, len(png.Data))
		}
		// Path components of a sender-chosen name are dropped.
		if txt.Filename != "order.txt" || txt.ContentType != "text/plain" || string(txt.Data) != "Order 998, 2 items\n" {
			t.Errorf("txt attachment = %q %q %q", txt.Filename, txt.ContentType, txt.Data)
		}
	}
	if r := AutoReplyReason(m, "support.example.com"); r != "" {
		t.Errorf("AutoReplyReason = %q for a customer reply", r)
	}
	if got := StripQuoted(BodyText(m)); got != "Thanks, that fixed it." {
		t.Errorf("StripQuoted(BodyText) = %q", got)
	}
}

func TestParsePostmarkAutoReply(t *testing.T) {
	m, err := ParsePostmark(fixture(t, "postmark/autoreply.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got := AutoReplyReason(m, "support.example.com"); got != "Auto-Submitted: auto-replied" {
		t.Errorf("AutoReplyReason = %q", got)
	}
	if m.MessageID != "<oof-1@example.com>" || m.ReturnPath != "" {
		t.Errorf("MessageID %q ReturnPath %q", m.MessageID, m.ReturnPath)
	}
}

// postmarkWith returns the reply fixture changed by edit.
func postmarkWith(t *testing.T, edit func(map[string]any)) []byte {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(fixture(t, "postmark/reply.json"), &p); err != nil {
		t.Fatal(err)
	}
	edit(p)
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParsePostmarkAttachmentLimits(t *testing.T) {
	file := func(name string, size int) map[string]any {
		return map[string]any{
			"Name": name, "ContentType": "application/octet-stream", "ContentLength": size,
			"Content": base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{'x'}, size)),
		}
	}
	body := postmarkWith(t, func(p map[string]any) {
		p["Attachments"] = []any{
			file("huge.bin", MaxAttachment+1),
			file("a.bin", 9<<20),
			file("b.bin", 9<<20),
			file("c.bin", 9<<20), // 27 MB in total: over the per-mail limit
			file("small.txt", 10),
			map[string]any{"Name": "broken.bin", "Content": "!!not base64!!", "ContentLength": 10},
		}
	})
	m, err := ParsePostmark(body)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, a := range m.Attachments {
		kept = append(kept, a.Filename)
	}
	if want := []string{"a.bin", "b.bin", "small.txt"}; !reflect.DeepEqual(kept, want) {
		t.Errorf("kept %v, want %v", kept, want)
	}
	want := []string{
		"huge.bin (10.0 MB, over the 10 MB limit per file)",
		"c.bin (9 MB, over the 25 MB limit per mail)",
		"broken.bin (content is not valid base64)",
	}
	if !reflect.DeepEqual(m.DroppedAttachments, want) {
		t.Errorf("dropped %q, want %q", m.DroppedAttachments, want)
	}
}

func TestParsePostmarkFallbacks(t *testing.T) {
	body := postmarkWith(t, func(p map[string]any) {
		delete(p, "FromFull")
		delete(p, "ToFull")
		delete(p, "CcFull")
		p["From"] = "Jane Doe <JANE@example.com>"
		p["Cc"] = `"First Cc" <firstcc@example.com>, secondCc@example.com`
		p["Headers"] = []any{
			map[string]any{"Name": "Return-Path", "Value": "<>"},
			map[string]any{"Name": "Content-Type", "Value": "multipart/report; report-type=delivery-status; boundary=x"},
		}
	})
	m, err := ParsePostmark(body)
	if err != nil {
		t.Fatal(err)
	}
	if m.From != (model.Address{Name: "Jane Doe", Email: "jane@example.com"}) {
		t.Errorf("From = %+v", m.From)
	}
	wantCc := []model.Address{{Name: "First Cc", Email: "firstcc@example.com"}, {Email: "secondcc@example.com"}}
	if !reflect.DeepEqual(m.Cc, wantCc) {
		t.Errorf("Cc = %+v", m.Cc)
	}
	if len(m.To) != 1 || m.To[0].Email != "reply+42.1a2b3c4d@support.example.com" {
		t.Errorf("To = %+v", m.To)
	}
	if m.MessageID != "" || m.ReturnPath != "<>" || m.ContentType != "multipart/report" {
		t.Errorf("MessageID %q ReturnPath %q ContentType %q", m.MessageID, m.ReturnPath, m.ContentType)
	}
}

func TestParsePostmarkUnparsable(t *testing.T) {
	for _, body := range []string{"", "null", "{}", "[]", `{"From": 42}`, `{"FromFull": {"Email": "a@b.c"}`, "<xml/>"} {
		if _, err := ParsePostmark([]byte(body)); !errors.Is(err, ErrUnparsable) {
			t.Errorf("ParsePostmark(%q) error = %v, want ErrUnparsable", body, err)
		}
	}
}

func FuzzParsePostmark(f *testing.F) {
	f.Add(fixture(f, "postmark/reply.json"))
	f.Add(fixture(f, "postmark/autoreply.json"))
	f.Add([]byte(`{"FromFull":{"Email":"a@b"},"Attachments":[{"Name":"x","Content":"QQ==","ContentLength":-5}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := ParsePostmark(body)
		if err != nil {
			if !errors.Is(err, ErrUnparsable) {
				t.Fatalf("error %v does not wrap ErrUnparsable", err)
			}
			return
		}
		checkInvariants(t, m)
	})
}

// checkInvariants holds for every parsed mail, whatever the input.
func checkInvariants(t *testing.T, m model.InboundMail) {
	t.Helper()
	total := 0
	for _, a := range m.Attachments {
		total += len(a.Data)
		if len(a.Data) > MaxAttachment || a.Filename == "" || strings.ContainsAny(a.Filename, "/\\\x00") {
			t.Fatalf("bad attachment %q (%d bytes)", a.Filename, len(a.Data))
		}
	}
	if total > MaxAttachmentsTotal {
		t.Fatalf("attachments total %d", total)
	}
	for _, s := range append([]string{m.Text, m.HTML, m.Subject, m.From.Email, m.From.Name, m.MessageID}, m.References...) {
		if !utf8Clean(s) {
			t.Fatalf("field %q is not clean UTF-8", s)
		}
	}
	if m.From.Email != strings.ToLower(strings.TrimSpace(m.From.Email)) {
		t.Fatalf("From.Email %q not normalized", m.From.Email)
	}
	_ = AutoReplyReason(m, "support.example.com")
	_ = StripQuoted(BodyText(m))
}

func utf8Clean(s string) bool {
	return strings.ToValidUTF8(s, "") == s && !strings.Contains(s, "\x00")
}
