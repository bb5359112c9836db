package github

import (
	"net/http"
	"strings"
	"testing"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/portico/portico/server/model"
)

func TestGitHubParseCommand(t *testing.T) {
	for _, c := range []struct {
		body string
		ok   bool
		want command
	}{
		{"just a note", false, command{}},
		{"/sendx hi", false, command{}},
		{"mention /send in a sentence", false, command{}},
		{"/send", true, command{Name: "/send"}},
		{"/send Hi there", true, command{Name: "/send", Text: "Hi there"}},
		{"internal preamble\r\n/send\r\nHi Ada,\r\n\r\nfixed.\r\n", true, command{Name: "/send", Text: "Hi Ada,\n\nfixed."}},
		{"  /sendall\tHello all\nline 2", true, command{Name: "/sendall", Text: "Hello all\nline 2"}},
		{"/reply welcome", true, command{Name: "/reply", Arg: "welcome"}},
		{"/reply   welcome  extra words\nignored", true, command{Name: "/reply", Arg: "welcome"}},
		{"/reply", true, command{Name: "/reply"}},
		{"```\n/send not this\n```\nnote", false, command{}},
		{"~~~\n/send no\n~~~\n/send yes", true, command{Name: "/send", Text: "yes"}},
		{"/reply a\n/send b", true, command{Name: "/reply", Arg: "a"}},
	} {
		got, ok := parseCommand(c.body)
		if ok != c.ok || got != c.want {
			t.Errorf("parseCommand(%q) = %+v, %v; want %+v, %v", c.body, got, ok, c.want, c.ok)
		}
	}
}

func TestGitHubReplyPathAndFill(t *testing.T) {
	for name, want := range map[string]string{
		"welcome": ".github/portico/replies/welcome.md", "faq.md": ".github/portico/replies/faq.md",
		"v1.2_b-c": ".github/portico/replies/v1.2_b-c.md", "../secret": "", "a/b": "", ".hidden": "", "a..b": "", "": "",
	} {
		got, ok := replyPath(name)
		if got != want || ok != (want != "") {
			t.Errorf("replyPath(%q) = %q, %v", name, got, ok)
		}
	}
	got := fill("Hi {{customer_name}} <{{ customer_email }}>: {{issue_title}} #{{issue_number}} {{issue_url}} {{other}} {{customer_name}}",
		replyVars{CustomerName: "Ada", CustomerEmail: "ada@example.com", IssueTitle: "[TK-1] X", IssueNumber: 7, IssueURL: "https://github.com/o/r/issues/7"})
	want := "Hi Ada <ada@example.com>: [TK-1] X #7 https://github.com/o/r/issues/7 {{other}} Ada"
	if got != want {
		t.Errorf("fill = %q", got)
	}
}

func TestGitHubRenderMarkdown(t *testing.T) {
	got, err := renderMarkdown("Hi **Ada**,\nline two\n\n- [docs](https://example.com/docs)\n- ~~old~~\n\n" +
		"<script>alert(1)</script><b onclick=\"x()\">bold</b> <img src=x onerror=alert(2)>\n\n[bad](javascript:alert(1)) <a href=\"javascript:alert(3)\">worse</a>")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<strong>Ada</strong>", "<br>", `<a href="https://example.com/docs" rel="nofollow">docs</a>`, "<del>old</del>", "<b>bold</b>"} {
		if !strings.Contains(got, want) {
			t.Errorf("HTML lacks %q:\n%s", want, got)
		}
	}
	for _, bad := range []string{"<script", "onclick", `href="javascript:`, "onerror"} {
		if strings.Contains(got, bad) {
			t.Errorf("HTML keeps %q:\n%s", bad, got)
		}
	}
}

func TestGitHubFormat(t *testing.T) {
	for in, want := range map[string]string{
		"@octocat look":           "@\u200boctocat look",
		"hi @octocat and @hubot":  "hi @\u200boctocat and @\u200bhubot",
		"(@team/devs)":            "(@\u200bteam/devs)",
		"line\n@first":            "line\n@\u200bfirst",
		"mail ada@example.com":    "mail ada@example.com",
		"path a/@b and x.@y":      "path a/@b and x.@y",
		"nothing @ here, @ 2 @-x": "nothing @ here, @ 2 @-x",
	} {
		if got := defuse(in); got != want {
			t.Errorf("defuse(%q) = %q, want %q", in, got, want)
		}
	}
	m := model.Message{ID: 9, Source: model.SourceEmail, AuthorEmail: "bob@example.com", Body: "one\r\n\r\ntwo"}
	if got, want := replyComment(m, nil), "<!-- portico:message=9 -->\n📧 Reply via email — from <bob@example.com>\n\n> one\n>\n> two"; got != want {
		t.Errorf("replyComment = %q, want %q", got, want)
	}
	m.Source, m.AuthorName = model.SourcePortal, "Bob  B."
	if got := replyComment(m, nil); !strings.Contains(got, "\n📨 Reply via portal — from Bob B. <bob@example.com>\n") {
		t.Errorf("replyComment = %q", got)
	}
	if !hasMarker("\n"+marker("ticket:3")+"\nbody", "<!-- portico:ticket=3 -->") || hasMarker("x <!-- portico:ticket=3 -->", marker("ticket:3")) {
		t.Error("hasMarker")
	}
	if hasMarker(marker("ticket:31"), marker("ticket:3")) {
		t.Error("ticket 3's marker matched ticket 31's")
	}
	if !isOwnPost(noticeComment(5, "x")) || isOwnPost("> <!-- portico:message=1 -->") {
		t.Error("isOwnPost")
	}
	long := strings.Repeat("é", maxTitle+10)
	if got := issueTitle(model.Ticket{Reference: "TK-1", Subject: long}); len([]rune(got)) != maxTitle || !strings.HasSuffix(got, "…") {
		t.Errorf("title of %d runes", len([]rune(got)))
	}
}

func TestGitHubRateLimitWait(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	resp := func(status int, h http.Header) error {
		return &gh.ErrorResponse{Response: &http.Response{StatusCode: status, Header: h, Request: &http.Request{}}}
	}
	for _, c := range []struct {
		name string
		err  error
		wait time.Duration
		ok   bool
	}{
		{"primary (go-github)", &gh.RateLimitError{Rate: gh.Rate{Reset: gh.Timestamp{Time: now.Add(90 * time.Second)}}}, 91 * time.Second, true},
		{"secondary (go-github)", &gh.AbuseRateLimitError{RetryAfter: ptr(30 * time.Second)}, 30 * time.Second, true},
		{"secondary without time", &gh.AbuseRateLimitError{}, time.Minute, true},
		{"429 remaining 0", resp(429, http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"1700000010"}}), 11 * time.Second, true},
		{"403 Retry-After", resp(403, http.Header{"Retry-After": {"5"}}), 5 * time.Second, true},
		{"429 bare", resp(429, nil), time.Minute, true},
		{"reset passed", resp(403, http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"1600000000"}}), time.Second, true},
		{"403 forbidden", resp(403, http.Header{"X-Ratelimit-Remaining": {"4000"}}), 0, false},
		{"502", resp(502, nil), 0, false},
		{"other", http.ErrHandlerTimeout, 0, false},
	} {
		wait, ok := rateLimitWait(c.err, now)
		if wait != c.wait || ok != c.ok {
			t.Errorf("%s: %v, %v; want %v, %v", c.name, wait, ok, c.wait, c.ok)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestGitHubNewClientSettings(t *testing.T) {
	for _, c := range []struct {
		o    ClientOptions
		want string
	}{
		{ClientOptions{Repository: "noslash", Token: "t"}, "PORTICO_GITHUB_REPOSITORY"},
		{ClientOptions{Repository: "o/r"}, "PORTICO_GITHUB_TOKEN"},
		{ClientOptions{Repository: "o/r", AppID: 1, AppPrivateKeyFile: "/nonexistent"}, "PORTICO_GITHUB_APP_INSTALLATION_ID"},
		{ClientOptions{Repository: "o/r", AppID: 1, InstallationID: 2}, "PORTICO_GITHUB_APP_PRIVATE_KEY_FILE"},
		{ClientOptions{Repository: "o/r", AppID: 1, InstallationID: 2, AppPrivateKeyFile: "/nonexistent"}, "PORTICO_GITHUB_APP_PRIVATE_KEY_FILE"},
		{ClientOptions{Repository: "o/r", Token: "t", APIURL: "ftp://x/"}, "PORTICO_GITHUB_API_URL"},
	} {
		if _, err := NewClient(c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewClient(%+v) = %v, want an error naming %s", c.o, err, c.want)
		}
	}
	c, err := NewClient(ClientOptions{Repository: "o/r", Token: "t", APIURL: "https://ghe.example.com/api/v3"})
	if err != nil || c.gh.BaseURL.String() != "https://ghe.example.com/api/v3/" || c.owner != "o" || c.repo != "r" {
		t.Errorf("client = %+v, %v", c, err)
	}
}
