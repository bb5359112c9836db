package inbound

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func TestParseSESNotification(t *testing.T) {
	m, err := ParseSESNotification(string(fixture(t, "ses/received.json")))
	if err != nil {
		t.Fatal(err)
	}
	if m.Provider != "ses" || m.From.Email != "jane.doe@gmail.com" || m.InReplyTo != "<ticket-42-reply-7@support.example.com>" {
		t.Errorf("Provider %q From %+v InReplyTo %q", m.Provider, m.From, m.InReplyTo)
	}
	if want := []string{"reply+42.1a2b3c4d@support.example.com"}; !reflect.DeepEqual(m.Recipients, want) {
		t.Errorf("Recipients = %q", m.Recipients)
	}
	if m.ReturnPath != "jane.doe@gmail.com" {
		t.Errorf("ReturnPath = %q", m.ReturnPath)
	}
}

func sesNotificationWith(t *testing.T, edit func(n map[string]any)) string {
	t.Helper()
	var n map[string]any
	if err := json.Unmarshal(fixture(t, "ses/received.json"), &n); err != nil {
		t.Fatal(err)
	}
	edit(n)
	b, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseSESNotificationVariants(t *testing.T) {
	raw := fixture(t, "mime/dsn_bounce.eml")
	t.Run("UTF-8 encoding", func(t *testing.T) {
		msg := sesNotificationWith(t, func(n map[string]any) {
			n["content"] = string(fixture(t, "mime/outlook_reply.eml"))
			n["receipt"].(map[string]any)["action"].(map[string]any)["encoding"] = "UTF8"
		})
		m, err := ParseSESNotification(msg)
		if err != nil || m.From.Email != "juergen.mueller@example.de" {
			t.Fatalf("From %+v, err %v", m.From, err)
		}
	})
	t.Run("bounce", func(t *testing.T) {
		msg := sesNotificationWith(t, func(n map[string]any) {
			n["content"] = base64.StdEncoding.EncodeToString(raw)
			n["mail"].(map[string]any)["source"] = ""
		})
		m, err := ParseSESNotification(msg)
		if err != nil {
			t.Fatal(err)
		}
		if m.ReturnPath != "<>" || AutoReplyReason(m, "support.example.com") == "" {
			t.Errorf("ReturnPath %q, reason %q", m.ReturnPath, AutoReplyReason(m, "support.example.com"))
		}
	})
	t.Run("other notification", func(t *testing.T) {
		msg := sesNotificationWith(t, func(n map[string]any) { n["notificationType"] = "Bounce" })
		_, err := ParseSESNotification(msg)
		if !errors.Is(err, ErrNotReceived) || !errors.Is(err, ErrUnparsable) {
			t.Errorf("err = %v, want ErrNotReceived wrapping ErrUnparsable", err)
		}
	})
	for name, edit := range map[string]func(map[string]any){
		"no content (S3 action)": func(n map[string]any) { delete(n, "content") },
		"bad base64":             func(n map[string]any) { n["content"] = "%%%" },
		"content not MIME":       func(n map[string]any) { n["content"] = base64.StdEncoding.EncodeToString([]byte("\r\n\r\nbody only")) },
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseSESNotification(sesNotificationWith(t, edit)); !errors.Is(err, ErrUnparsable) {
				t.Errorf("err = %v, want ErrUnparsable", err)
			}
		})
	}
	if _, err := ParseSESNotification("not json"); !errors.Is(err, ErrUnparsable) {
		t.Errorf("err = %v", err)
	}
}
