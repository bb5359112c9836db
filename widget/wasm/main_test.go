//go:build js && wasm

package main

import (
	"strings"
	"syscall/js"
	"testing"

	"github.com/portico/portico/server/i18n"
	"github.com/portico/portico/server/validate"
)

// The form translates validate's messages itself (fieldText, which cannot
// import server/i18n); it must say exactly what the server's
// Localizer.Field says, in every language, numbers grouped alike.
// Run in a JavaScript engine: npm test in widget/ (GOOS=js GOARCH=wasm go
// test -exec go_js_wasm_exec).
func TestFieldTextMatchesServer(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("é", 10001)
	msgs := []string{
		"plain text the catalog lacks",
		"must be at most 10,000 characters",
		"must be at most 1,000 characters (it has 12,345,678)",
		"must be at most 0 characters",
		"must be one of: low, high",
		`"a.exe" is not accepted here (its type is "application/x-msdownload"); a file must be one of: image/png, application/pdf`,
		`"no closing quote is larger than 10 MB, the most one file may be`,
		"at most 5 files can be attached to one message",
		"must be valid UTF-8 text",
	}
	for _, m := range validate.Ticket(validate.TicketInput{Email: "a@@b", Name: "x\ty", Subject: "", Description: long, Priority: "someday", RequireEmail: true}, []string{"low", "medium"}) {
		msgs = append(msgs, m)
	}
	if len(msgs) < 13 {
		t.Fatalf("validate.Ticket gave too few messages: %q", msgs)
	}
	for _, lang := range i18n.Languages {
		texts, fields := c.Texts(lang, "widget."), c.Texts(lang, "field.")
		cfg := js.ValueOf(map[string]any{"texts": toJS(texts), "field_messages": toJS(fields)})
		if !localize(cfg) {
			t.Fatal("localize refused texts")
		}
		l := c.For(lang)
		for _, m := range msgs {
			if got, want := fieldText(m), l.Field(m); got != want {
				t.Errorf("%s: fieldText(%q) = %q, the server says %q", lang, m, got, want)
			}
		}
		// The form's own numbers are written as the server writes them.
		for _, n := range []int{0, 7, 999, 1000, 10000, 1234567} {
			if got, want := num(n), l.Number(int64(n)); got != want {
				t.Errorf("%s: num(%d) = %q, the server writes %q", lang, n, got, want)
			}
		}
	}
}

// Without config's texts (it failed) the form speaks its English defaults
// and leaves validate's messages as they are.
func TestLocalizeWithoutTexts(t *testing.T) {
	fieldMessages = js.Undefined()
	if localize(js.ValueOf(map[string]any{"color": "#fff"})) {
		t.Fatal("localize accepted a config without texts")
	}
	if got := fieldText("is required"); got != "is required" {
		t.Errorf("fieldText = %q", got)
	}
}

func TestPlaceholders(t *testing.T) {
	txtThousands, txtDecimal = ".", ","
	defer func() { txtThousands, txtDecimal = ",", "." }()
	if got := put(put("“{q}” ({n} MB) max {n} MB", "{q}", "a.pdf"), "{n}", megabytes(1.5*(1<<20))); got != "“a.pdf” (1,5 MB) max {n} MB" {
		t.Errorf("put = %q", got)
	}
	if got := megabytes(2048 * (1 << 20)); got != "2.048" {
		t.Errorf("megabytes(2 GiB) = %q", got)
	}
	if got := put("no placeholder", "{n}", "1"); got != "no placeholder" {
		t.Errorf("put without placeholder = %q", got)
	}
}

func toJS(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// fieldKey's cases as i18n's fieldKey treats them, including those no
// catalog message has yet.
func TestFieldKey(t *testing.T) {
	for msg, want := range map[string]string{
		"must be at most 1,000 characters (it has 1,001)": "must be at most {n} characters (it has {n}) | 1,000 1,001",
		"between (5 and 6)":               "between ({n} and {n}) | 5 6",
		"UTF-8 and x2 and -3 and 4,":      "UTF-8 and x2 and -3 and {n}, | 4",
		`"a" or "b`:                       `{q} or "b | "a"`,
		"must be one of: a, b (1)":        "must be one of: {q} | a, b (1)",
		`"f.exe" is 5 MB; one of: "x", 2`: `{q} is {n} MB; one of: {q} | "f.exe" 5 "x", 2`,
		"":                                " | ",
	} {
		key, args := fieldKey(msg)
		var texts []string
		for _, a := range args {
			texts = append(texts, a.text)
		}
		if got := key + " | " + strings.Join(texts, " "); got != want {
			t.Errorf("fieldKey(%q) = %q, want %q", msg, got, want)
		}
	}
}
