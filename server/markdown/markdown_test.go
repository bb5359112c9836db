package markdown

import (
	"strings"
	"testing"
)

func TestMarkdownToHTML(t *testing.T) {
	got, err := ToHTML("Hi **Ada**,\nline two\n\n<script>alert(1)</script><img src=x onerror=alert(2)> [x](javascript:alert(3))")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<strong>Ada</strong>", "<br>"} {
		if !strings.Contains(got, want) {
			t.Errorf("HTML lacks %q:\n%s", want, got)
		}
	}
	for _, bad := range []string{"<script", "onerror", "javascript:"} {
		if strings.Contains(got, bad) {
			t.Errorf("HTML keeps %q:\n%s", bad, got)
		}
	}
}
