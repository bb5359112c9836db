package main

import (
	"testing"
)

func TestInboundAppended(t *testing.T) {
	for body, want := range map[string]string{
		`{"outcome":"appended","ticket_reference":"TK-1"}`:       "",
		`{"outcome":"created","ticket_reference":"TK-2"}`:        "outcome=created",
		`{"outcome":"ignored","reason":"our own outgoing mail"}`: "outcome=ignored (our own outgoing mail)",
		`not json`: "unparsable",
	} {
		if got := inboundAppended([]byte(body)); got != want {
			t.Errorf("inboundAppended(%s) = %q, want %q", body, got, want)
		}
	}
}

func TestStaticBody(t *testing.T) {
	if len(staticBody) != staticBodySize {
		t.Errorf("static page is %d bytes, want %d", len(staticBody), staticBodySize)
	}
}
