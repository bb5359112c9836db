package mail

import (
	"strings"
	"testing"
)

func TestComposeStatus(t *testing.T) {
	const portal = "https://support.example.com/portal/" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	text, html, err := ComposeStatus(english(t), Status{Reference: "TK-7", Closed: true, PortalURL: portal, ProductName: "Acme <Support>"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Your request TK-7 is closed", "reply to this email to reopen it", "How did we do?",
		"Good: " + portal + "/rate?score=good", "Okay: " + portal + "/rate?score=okay", "Bad: " + portal + "/rate?score=bad",
		"The Acme <Support> team", "View this conversation: " + portal} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	for _, want := range []string{`href="` + portal + `/rate?score=good"`, `href="` + portal + `/rate?score=bad"`, "Acme &lt;Support&gt;"} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %q:\n%s", want, html)
		}
	}
	if got := StatusSubject(english(t), "TK-7", true); got != "[TK-7] Your request is closed" {
		t.Errorf("subject = %q", got)
	}

	text, _, err = ComposeStatus(english(t), Status{Reference: "TK-7", PortalURL: portal})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "Your request TK-7 is open again") || strings.Contains(text, "/rate?") || strings.Contains(text, "How did we do") {
		t.Errorf("reopen text:\n%s", text)
	}
	if got := StatusSubject(english(t), "TK-7", false); got != "[TK-7] Your request is open again" {
		t.Errorf("subject = %q", got)
	}
	// Without a portal link there is nothing to rate on.
	if text, _, _ := ComposeStatus(english(t), Status{Reference: "TK-7", Closed: true}); strings.Contains(text, "How did we do") {
		t.Errorf("close text without a portal:\n%s", text)
	}
	if _, _, err := ComposeStatus(english(t), Status{Reference: "TK-7", Closed: true, PortalURL: "javascript:alert(1)"}); err == nil {
		t.Error("a link that is not http(s) was accepted")
	}
	if got := StatusMessageID(42, "00ff", "acme.test"); got != "<ticket-42-status-00ff@acme.test>" {
		t.Errorf("Message-ID = %q", got)
	}
}
