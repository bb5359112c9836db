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
	day := int64(24 * 60 * 60)
	week := 7 * day
	open := Ticket{}
	recent := Ticket{ClosedAt: &closedRecently, PortalRetention: &day}
	old := Ticket{ClosedAt: &closedLongAgo, PortalRetention: &day}
	promisedLonger := Ticket{ClosedAt: &closedLongAgo, PortalRetention: &week}
	stopped := Ticket{PortalStoppedAt: &now}
	stoppedOld := Ticket{ClosedAt: &closedLongAgo, PortalRetention: &day, PortalStoppedAt: &now}
	noRecord := Ticket{ClosedAt: &closedRecently}
	for _, c := range []struct {
		name   string
		link   PortalLink
		ticket Ticket
		want   string
	}{
		{"open", PortalLink{}, open, LinkActive},
		{"closed within retention", PortalLink{}, recent, LinkActive},
		{"closed beyond retention", PortalLink{}, old, LinkExpired},
		{"the retention recorded at the close counts", PortalLink{}, promisedLonger, LinkActive},
		{"a close without a recorded retention expires at once", PortalLink{}, noRecord, LinkExpired},
		{"revoked", PortalLink{RevokedAt: &revoked}, open, LinkRevoked},
		{"revoked wins over expired", PortalLink{RevokedAt: &revoked}, old, LinkRevoked},
		{"revoked wins over stopped", PortalLink{RevokedAt: &revoked}, stopped, LinkRevoked},
		{"stopped", PortalLink{}, stopped, LinkStopped},
		{"stopped wins over expired", PortalLink{}, stoppedOld, LinkStopped},
	} {
		got, exp := c.link.State(c.ticket, now)
		if got != c.want || (c.ticket.ClosedAt == nil) != (exp == nil) {
			t.Errorf("%s: State = %s, %v; want %s", c.name, got, exp, c.want)
		}
	}
	if _, exp := (PortalLink{}).State(promisedLonger, now); !exp.Equal(closedLongAgo.Add(7 * 24 * time.Hour)) {
		t.Errorf("expires_at = %v, want the close plus the recorded week", exp)
	}
}
