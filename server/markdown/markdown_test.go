package markdown

import (
	"strings"
	"testing"
)

func TestMarkdownToHTML(t *testing.T) {
	got, err := ToHTML("Hi **Ada**,\nline two\n\n<script>alert(1)</script><img src=x onerror=alert(2)>\n\n[x](javascript:alert(3))")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<strong>Ada</strong>", "<br>"} {
		if !strings.Contains(got, want) {
			t.Errorf("HTML lacks %q:\n%s", want, got)
		}
	}
	for _, bad := range []string{"<script", "onerror", `href="javascript:`} {
		if strings.Contains(got, bad) {
			t.Errorf("HTML keeps %q:\n%s", bad, got)
		}
	}
	if again := Sanitize(got); again != got {
		t.Errorf("sanitizing rendered HTML again changed it:\n%s\n%s", got, again)
	}
	if got := Sanitize(`<p onclick="x()">hi</p><script>alert(1)</script>`); got != "<p>hi</p>" {
		t.Errorf("Sanitize = %q", got)
	}
}
