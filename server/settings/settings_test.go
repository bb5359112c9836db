package settings

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Settings are decoded into typed values once; what is stored and what the
// admin API answers stay the "30d" syntax.
func TestPortalJSON(t *testing.T) {
	p := DefaultPortal()
	if err := json.Unmarshal([]byte(`{"allow_reply":false,"retention_after_close":"2w"}`), &p); err != nil {
		t.Fatal(err)
	}
	// Stored before status mails existed: they are on, the default.
	if p != (Portal{Enabled: true, AllowReply: false, Retention: 14 * 24 * time.Hour, StatusMails: true, DefaultLanguage: "en"}) {
		t.Errorf("decoded %+v (a field left out keeps its default)", p)
	}
	out, _ := json.Marshal(p)
	if string(out) != `{"enabled":true,"allow_reply":false,"retention_after_close":"2w","status_mails":true,"default_language":"en"}` {
		t.Errorf("encoded %s", out)
	}
	if err := json.Unmarshal([]byte(`{"status_mails":false}`), &p); err != nil || p.StatusMails || p.AllowReply {
		t.Errorf("status_mails false decoded to %+v, %v", p, err)
	}
	for _, bad := range []string{`{"retention_after_close":"soon"}`, `{"retention_after_close":""}`, `{"retention_after_close":7}`} {
		q := DefaultPortal()
		if err := json.Unmarshal([]byte(bad), &q); err == nil {
			t.Errorf("%s decoded to %+v; a bad stored retention must be an error, not a zero", bad, q)
		}
	}
}

func TestPrivacyJSON(t *testing.T) {
	for stored, want := range map[string]time.Duration{`{"purge_closed_after":null}`: 0, `{}`: 0, `{"purge_closed_after":"365d"}`: 365 * 24 * time.Hour} {
		var p Privacy
		if err := json.Unmarshal([]byte(stored), &p); err != nil || p.PurgeAfter != want {
			t.Errorf("%s: %+v, %v; want %v", stored, p, err, want)
		}
	}
	var p Privacy
	if err := json.Unmarshal([]byte(`{"purge_closed_after":"1y"}`), &p); err == nil || !strings.Contains(err.Error(), "purge_closed_after") {
		t.Errorf("bad period: %v", err)
	}
	for p, want := range map[Privacy]string{{}: `{"purge_closed_after":null}`, {PurgeAfter: 56 * 24 * time.Hour}: `{"purge_closed_after":"8w"}`} {
		if out, _ := json.Marshal(p); string(out) != want {
			t.Errorf("%+v encoded %s, want %s", p, out, want)
		}
	}
}
