package inbound

import (
	"encoding/base64"
	"testing"
)

func TestCheckBasicAuth(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		header, expected string
		want             bool
	}{
		{"Basic " + b64("postmark:s3cret:with:colons"), "postmark:s3cret:with:colons", true},
		{"basic " + b64("postmark:s3cret"), "postmark:s3cret", true},
		{"Basic  " + b64("postmark:s3cret") + " ", "postmark:s3cret", true},
		{"Basic " + b64("postmark:wrong"), "postmark:s3cret", false},
		{"Basic " + b64("postmark:s3cret"), "", false},
		{"Basic " + b64(""), "", false},
		{"Bearer " + b64("postmark:s3cret"), "postmark:s3cret", false},
		{"Basic not-base64!", "postmark:s3cret", false},
		{"", "postmark:s3cret", false},
		{"Basic", "postmark:s3cret", false},
		{"postmark:s3cret", "postmark:s3cret", false},
	}
	for _, tt := range tests {
		if got := CheckBasicAuth(tt.header, tt.expected); got != tt.want {
			t.Errorf("CheckBasicAuth(%q, %q) = %v, want %v", tt.header, tt.expected, got, tt.want)
		}
	}
}

func TestCheckSharedSecret(t *testing.T) {
	tests := []struct {
		header, expected string
		want             bool
	}{
		{"abc123", "abc123", true},
		{"abc124", "abc123", false},
		{"abc1234", "abc123", false},
		{"", "", false},
		{"anything", "", false},
		{"", "abc123", false},
	}
	for _, tt := range tests {
		if got := CheckSharedSecret(tt.header, tt.expected); got != tt.want {
			t.Errorf("CheckSharedSecret(%q, %q) = %v, want %v", tt.header, tt.expected, got, tt.want)
		}
	}
}
