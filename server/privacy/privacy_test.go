package privacy

import "testing"

func TestMaskEmail(t *testing.T) {
	for in, want := range map[string]string{
		"dana@example.org": "d***@example.org", " Émile@exemple.fr ": "É***@exemple.fr", "nope": "***", "@x.org": "***", "": "***",
	} {
		if got := MaskEmail(in); got != want {
			t.Errorf("MaskEmail(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRedactPath(t *testing.T) {
	tok := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for in, want := range map[string]string{
		"/portal/" + tok:                    "/portal/[token]",
		"/portal/" + tok + "/replies":       "/portal/[token]/replies",
		"/portal/" + tok + "/attachments/3": "/portal/[token]/attachments/3",
		"/support/widget/tickets":           "/support/widget/tickets",
		"/portal/short":                     "/portal/short",
	} {
		if got := RedactPath(in); got != want {
			t.Errorf("RedactPath(%q) = %q, want %q", in, got, want)
		}
	}
}
