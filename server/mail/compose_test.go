package mail

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// checkBodies holds for every composed mail: the footer line in the text, the
// link in the HTML, a lang attribute, and markup limited to a few layout
// tags with no script, no event handler and nothing loaded from outside.
func checkBodies(t *testing.T, text, body, portal string) {
	t.Helper()
	if !slices.Contains(strings.Split(text, "\n"), "View this conversation: "+portal) {
		t.Errorf("text lacks the footer line:\n%s", text)
	}
	if !strings.Contains(body, `<a href="`+portal+`"`) || !strings.Contains(body, ">View this conversation</a>") ||
		!strings.Contains(body, ">"+portal+"</a>") {
		t.Errorf("HTML lacks the portal link:\n%s", body)
	}
	if !strings.Contains(body, `<html lang="en">`) {
		t.Error("HTML lacks a lang attribute")
	}
	if strings.Contains(text, "&lt;") || strings.Contains(text, "&#") {
		t.Errorf("text part is HTML-escaped:\n%s", text)
	}
	checkInert(t, body)
}

// checkInert tokenizes the HTML as a browser would and allows only the tags
// and attributes the templates use (plus what a sanitized reply may hold).
func checkInert(t *testing.T, body string) {
	t.Helper()
	allowed := map[string]bool{
		"html": true, "head": true, "meta": true, "title": true, "body": true, "table": true, "tr": true,
		"td": true, "p": true, "a": true, "strong": true, "br": true, "div": true,
	}
	z := html.NewTokenizer(strings.NewReader(body))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		if !allowed[tok.Data] {
			t.Errorf("HTML has a <%s> tag", tok.Data)
		}
		for _, a := range tok.Attr {
			switch {
			case strings.HasPrefix(a.Key, "on"), a.Key == "src", a.Key == "srcset", a.Key == "background":
				t.Errorf("HTML has %s=%q on <%s>", a.Key, a.Val, tok.Data)
			case a.Key == "href" && !strings.HasPrefix(a.Val, "https://") && !strings.HasPrefix(a.Val, "http://"):
				t.Errorf("HTML links to %q", a.Val)
			case a.Key == "style" && strings.Contains(a.Val, "url("):
				t.Errorf("HTML style loads %q", a.Val)
			}
		}
	}
}

func TestComposeConfirmation(t *testing.T) {
	t.Parallel()
	c := Confirmation{
		Reference: "TK-42",
		PortalURL: testPortal,
	}
	text, page, err := ComposeConfirmation(english(t), c)
	if err != nil {
		t.Fatal(err)
	}
	checkBodies(t, text, page, testPortal)
	for _, want := range []string{
		"Hello,\n",
		"Thank you for contacting Support.", // default product name
		"Reference: TK-42",
		"If you did not send a request, you can ignore this email.",
		"The Support team",
		"\n-- \n", // signature separator before the footer
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	for _, want := range []string{"<title>[TK-42] We received your request</title>", "<strong>Reference:</strong> TK-42"} {
		if !strings.Contains(page, want) {
			t.Errorf("HTML lacks %q:\n%s", want, page)
		}
	}
	if got := ConfirmationSubject(english(t), "TK-42"); got != "[TK-42] We received your request" {
		t.Errorf("subject = %q", got)
	}
	if strings.Contains(text+page, "account") {
		t.Error("signup invitation without a SignupURL")
	}

	c.SignupURL = "https://app.example.com/signup?token=a%2Bb&next=/x"
	c.ProductName = "Acme <Help>"
	text, page, err = ComposeConfirmation(english(t), c)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "Create an account to follow all your requests in one place:\n"+c.SignupURL+"\n") {
		t.Errorf("text lacks the signup invitation:\n%s", text)
	}
	if !strings.Contains(page, `<a href="https://app.example.com/signup?token=a%2Bb&amp;next=/x"`) {
		t.Errorf("HTML lacks the signup link:\n%s", page)
	}
	if !strings.Contains(text, "Thank you for contacting Acme <Help>.") || !strings.Contains(page, "Acme &lt;Help&gt;") {
		t.Error("product name missing or unescaped")
	}
}

func TestComposeAgentReply(t *testing.T) {
	t.Parallel()
	r := AgentReply{
		Reference:    "TK-42",
		Subject:      "Printer",
		CustomerName: "Jane",
		AgentName:    "Alex <admin>",
		BodyText:     "Hi Jane,\nplease try <b>this</b>.",
		PortalURL:    testPortal,
	}
	text, page, err := ComposeAgentReply(english(t), r)
	if err != nil {
		t.Fatal(err)
	}
	checkBodies(t, text, page, testPortal)
	if !strings.Contains(text, "Alex <admin> replied to your request TK-42:\n\nHi Jane,\nplease try <b>this</b>.\n") {
		t.Errorf("text:\n%s", text)
	}
	if !strings.Contains(page, "Alex &lt;admin&gt; replied") || !strings.Contains(page, "Hi Jane,<br>\nplease try &lt;b&gt;this&lt;/b&gt;.") {
		t.Errorf("HTML does not escape the plain body:\n%s", page)
	}

	// Sanitized HTML from Markdown is used as it is.
	r.BodyHTML = "<p>Hi Jane,</p>\n<p>please try <strong>this</strong>.</p>"
	r.AgentName = ""
	text, page, err = ComposeAgentReply(english(t), r)
	if err != nil {
		t.Fatal(err)
	}
	checkBodies(t, text, page, testPortal)
	if !strings.Contains(page, r.BodyHTML) || !strings.Contains(page, "Our team replied") {
		t.Errorf("HTML:\n%s", page)
	}
	if !strings.Contains(text, "please try <b>this</b>.") {
		t.Errorf("text part must stay the plain BodyText:\n%s", text)
	}
}

func TestComposeLinks(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"javascript:alert(1)", "/portal/abc", "ftp://x/y", "https://", "https://x/a b", "https://x/\"><script>"} {
		if _, _, err := ComposeAgentReply(english(t), AgentReply{PortalURL: bad}); err == nil {
			t.Errorf("PortalURL %q accepted", bad)
		}
		if _, _, err := ComposeConfirmation(english(t), Confirmation{PortalURL: testPortal, SignupURL: bad}); err == nil {
			t.Errorf("SignupURL %q accepted", bad)
		}
	}
	// Portal disabled: no link, the rest of the footer stays.
	text, page, err := ComposeConfirmation(english(t), Confirmation{Reference: "TK-1"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text+page, "View this conversation") || !strings.Contains(text, "reply to this email") {
		t.Errorf("footer without portal:\n%s\n%s", text, page)
	}
}

func TestComposePortalLink(t *testing.T) {
	t.Parallel()
	text, page, err := ComposePortalLink(english(t), PortalLink{Reference: "TK-7", Subject: "Printer", CustomerName: "Ada <b>", PortalURL: testPortal})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Hello Ada <b>,", "Here is a new link to follow your request TK-7", "View this conversation: " + testPortal, "You can also reply"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(page, `href="`+testPortal+`"`) || !strings.Contains(page, "Ada &lt;b&gt;") {
		t.Errorf("HTML:\n%s", page)
	}
	// The mail exists for its link: without one it is not composed.
	if _, _, err := ComposePortalLink(english(t), PortalLink{Reference: "TK-7"}); err == nil {
		t.Error("a link mail without a link was composed")
	}
	// Other mails without a link say that replies go by email.
	text, page, err = ComposeAgentReply(english(t), AgentReply{Reference: "TK-7", BodyText: "Hi"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "continues by email only") || !strings.Contains(page, "continues by email only") || strings.Contains(text, "also reply") {
		t.Errorf("footer without a link:\n%s\n%s", text, page)
	}
}
