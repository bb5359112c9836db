package validate

import (
	"strings"
	"testing"
)

func TestPage(t *testing.T) {
	for _, c := range []struct {
		in     PageInput
		errors []string
	}{
		{PageInput{}, nil},
		{PageInput{URL: "https://shop.example/pricing?plan=pro#top", Title: "Pricing\tAcme", Locale: "pt-BR"}, nil},
		{PageInput{URL: "HTTP://user:pw@shop.example:8080", Locale: "de-CH-1996"}, nil},
		{PageInput{URL: "http://[::1]:8080/x", Locale: "zh-Hant-TW"}, nil},
		{PageInput{URL: "https://shop.example/" + strings.Repeat("a", MaxPageURL-21), Title: strings.Repeat("é", MaxPageTitle), Locale: "abcdefgh-" + strings.Repeat("1234567-", 3) + "12"}, nil},
		{PageInput{URL: "javascript:alert(1)"}, []string{FieldPageURL}},
		{PageInput{URL: "JAVASCRIPT://shop.example/%0Aalert(1)"}, []string{FieldPageURL}},
		{PageInput{URL: "data:text/html,x"}, []string{FieldPageURL}},
		{PageInput{URL: "//shop.example/x"}, []string{FieldPageURL}},
		{PageInput{URL: "https://"}, []string{FieldPageURL}},
		{PageInput{URL: "https://user@/x"}, []string{FieldPageURL}},
		{PageInput{URL: "https://:80/x"}, []string{FieldPageURL}},
		{PageInput{URL: "https://shop.example/a b"}, []string{FieldPageURL}},
		{PageInput{URL: "https://shop.example/a\"onmouseover=x"}, []string{FieldPageURL}},
		{PageInput{URL: "https://shop.example/<x>"}, []string{FieldPageURL}},
		{PageInput{URL: "https://shop.example/\x00"}, []string{FieldPageURL}},
		{PageInput{URL: "https://shop.example/" + strings.Repeat("a", MaxPageURL-20)}, []string{FieldPageURL}},
		{PageInput{Title: strings.Repeat("é", MaxPageTitle+1)}, []string{FieldPageTitle}},
		{PageInput{Title: "two\nlines"}, []string{FieldPageTitle}},
		{PageInput{Title: "bad \xff byte"}, []string{FieldPageTitle}},
		{PageInput{Locale: "e"}, []string{FieldLocale}},
		{PageInput{Locale: "en_US"}, []string{FieldLocale}},
		{PageInput{Locale: "en-"}, []string{FieldLocale}},
		{PageInput{Locale: "12-US"}, []string{FieldLocale}},
		{PageInput{Locale: "en-toolongsub"}, []string{FieldLocale}},
		{PageInput{Locale: "én"}, []string{FieldLocale}},
		{PageInput{Locale: "en-" + strings.Repeat("abcdefgh-", 4)[:33]}, []string{FieldLocale}},
	} {
		got := Page(c.in)
		if len(got) != len(c.errors) {
			t.Errorf("Page(%+.60v) = %v, want errors for %v", c.in, got, c.errors)
			continue
		}
		for _, f := range c.errors {
			if got[f] == "" {
				t.Errorf("Page(%+.60v): no error for %s (%v)", c.in, f, got)
			}
		}
	}
	if msg := PageURL("https://shop.example/" + strings.Repeat("a", MaxPageURL)); msg != "must be at most 2,048 characters" {
		t.Errorf("long URL message = %q", msg)
	}
}
