package validate

import (
	"strings"
	"testing"
)

func TestRatingFields(t *testing.T) {
	for _, c := range []struct{ score, want string }{
		{"good", ""}, {"okay", ""}, {"bad", ""},
		{"", "is required: choose good, okay or bad"}, {"great", "must be good, okay or bad"}, {"Good", "must be good, okay or bad"},
	} {
		if got := RatingScore(c.score); got != c.want {
			t.Errorf("RatingScore(%q) = %q, want %q", c.score, got, c.want)
		}
	}
	for _, c := range []struct{ comment, want string }{
		{"", ""},
		{"Thanks!\nAll good.", ""},
		{strings.Repeat("é", 1000), ""},
		{strings.Repeat("é", 1001), "must be at most 1,000 characters (it has 1,001)"},
		{"nul\x00", "must not contain control characters other than tabs and line breaks"},
		{"\xff", "contains invalid characters"},
	} {
		if got := RatingComment(c.comment); got != c.want {
			t.Errorf("RatingComment(%.20q) = %q, want %q", c.comment, got, c.want)
		}
	}
}
