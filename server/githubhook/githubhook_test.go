package githubhook

import (
	"strings"
	"testing"
)

func TestGitHubValidSignature(t *testing.T) {
	secret, body := []byte("It's a Secret to Everybody"), []byte("Hello, World!")
	// The example of GitHub's documentation.
	good := "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	if !validSignature(secret, body, good) {
		t.Error("GitHub's documented example does not verify")
	}
	for _, bad := range []string{"", "sha256=", good[:len(good)-1], strings.Replace(good, "sha256=", "sha1=", 1), good + "00", "sha256=zz"} {
		if validSignature(secret, body, bad) {
			t.Errorf("%q verified", bad)
		}
	}
	if validSignature([]byte("other"), body, good) {
		t.Error("another secret verified")
	}
}
