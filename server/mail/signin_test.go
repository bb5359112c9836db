package mail

import (
	"strings"
	"testing"
	"time"
)

func TestComposeSignin(t *testing.T) {
	link := "https://support.example.com/portal/signin/" + strings.Repeat("ab", 32)
	text, html, err := ComposeSignin(english(t), Signin{URL: link, ValidFor: 30 * time.Minute, ProductName: `Acme <b>"Support"</b>`})
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{text, html} {
		if !strings.Contains(part, link) || !strings.Contains(part, "once, for 30 minutes") {
			t.Errorf("a part lacks the link or its rule:\n%s", part)
		}
	}
	if strings.Contains(html, "<b>") || !strings.Contains(html, "Acme &lt;b&gt;") {
		t.Errorf("the product name is not escaped in HTML:\n%s", html)
	}
	for _, bad := range []string{"", "javascript:alert(1)", "/portal/signin/x"} {
		if _, _, err := ComposeSignin(english(t), Signin{URL: bad, ValidFor: time.Minute}); err == nil {
			t.Errorf("link %q accepted", bad)
		}
	}
	if got := SigninMessageID(42, "acme.test"); got != "<signin-42@acme.test>" || checkMsgID("Message-ID", got) != nil {
		t.Errorf("SigninMessageID = %q", got)
	}
}
