package model

import "testing"

func TestAutomatedAddresses(t *testing.T) {
	for _, c := range []struct {
		email           string
		bounce, noReply bool
	}{
		{"mailer-daemon@mx.example.org", true, false},
		{"MAILER-DAEMON@example.org", true, false},
		{"postmaster+x@example.org", true, false},
		{"noreply@example.com", false, true},
		{"No-Reply+billing@example.com", false, true},
		{"do_not_reply@example.com", false, true},
		{"do.not.reply@example.com", false, true},
		{"ada@example.com", false, false},
		{"replies@example.com", false, false},
		{"norelpy@example.com", false, false},
		{"", false, false},
	} {
		if got := BounceSender(c.email); got != c.bounce {
			t.Errorf("BounceSender(%q) = %v", c.email, got)
		}
		if got := NoReplyAddress(c.email); got != c.noReply {
			t.Errorf("NoReplyAddress(%q) = %v", c.email, got)
		}
	}
}
