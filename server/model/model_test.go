package model

import (
	"testing"
	"time"
)

func TestParseReference(t *testing.T) {
	for in, want := range map[string]int64{
		"TK-42": 42, "tk-42": 42, "[TK-042]": 42, " [tk-0001] ": 1, "TK-9223372036854775807": 9223372036854775807,
	} {
		if got, ok := ParseReference(in); !ok || got != want {
			t.Errorf("ParseReference(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "TK-", "TK-0", "TK--1", "TK-1a", "XX-1", "42", "TK-99999999999999999999", "[TK-1", "TK-１"} {
		if got, ok := ParseReference(in); ok {
			t.Errorf("ParseReference(%q) = %d, accepted", in, got)
		}
	}
	if Reference(7) != "TK-7" {
		t.Error(Reference(7))
	}
}

func TestFieldErrorsMessage(t *testing.T) {
	e := FieldErrors{"subject": "is required", "email": "is not a valid email address"}
	if got := e.Error(); got != "invalid input: email is not a valid email address; subject is required" {
		t.Error(got)
	}
}

func TestPortalLinkState(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	closedLongAgo := now.Add(-48 * time.Hour)
	closedRecently := now.Add(-time.Hour)
	revoked := now
	for _, c := range []struct {
		link   PortalLink
		closed *time.Time
		want   string
	}{
		{PortalLink{}, nil, LinkActive},
		{PortalLink{}, &closedRecently, LinkActive},
		{PortalLink{}, &closedLongAgo, LinkExpired},
		{PortalLink{RevokedAt: &revoked}, nil, LinkRevoked},
		{PortalLink{RevokedAt: &revoked}, &closedLongAgo, LinkRevoked},
	} {
		got, exp := c.link.State(c.closed, 24*time.Hour, now)
		if got != c.want || (c.closed == nil) != (exp == nil) {
			t.Errorf("State(%v) = %s, %v; want %s", c.closed, got, exp, c.want)
		}
	}
}
