package i18n

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/portico/portico/server/validate"
)

func load(t *testing.T) *Catalog {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Every catalog has every English message, nothing English lacks, and the
// same placeholders: a translator who drops {{.Name}} or {n} fails here.
func TestCatalogsComplete(t *testing.T) {
	c := load(t)
	for lang, miss := range c.Missing() {
		for _, m := range miss {
			t.Errorf("%s: %s", lang, m)
		}
	}
	if len(c.IDs("")) < 40 {
		t.Fatalf("only %d English messages: the catalogs did not load", len(c.IDs("")))
	}
}

func TestMissingCaught(t *testing.T) {
	fsys := fstest.MapFS{
		"l/a.en.toml": {Data: []byte("[a]\nhello = \"Hello {{.Name}}\"\nbye = \"Bye\"\ncount = \"{n} of {q}\"\n")},
		"l/a.de.toml": {Data: []byte("[a]\nhello = \"Hallo {{.Nme}}\"\nextra = \"x\"\ncount = \"{q} von {n}\"\n")},
	}
	c, err := LoadFS(fsys, "l")
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(c.Missing()["de"], "\n")
	for _, want := range []string{"a.bye", "unknown in en: a.extra", "a.hello: placeholders", "a.count: placeholders"} {
		if !strings.Contains(got, want) {
			t.Errorf("Missing() = %q, want it to name %q", got, want)
		}
	}
	de := c.For("de")
	if s := de.T("a.bye"); s != "Bye" {
		t.Errorf("missing German falls back to English: got %q", s)
	}
	if s := de.T("a.nowhere"); s != "⟦a.nowhere⟧" {
		t.Errorf("a message missing everywhere shows its ID: got %q", s)
	}
	var dst struct {
		Bye   string `msg:"a.bye"`
		Inner struct {
			Hello string `msg:"a.count"`
		}
	}
	if err := de.Fill(&dst); err == nil || !strings.Contains(err.Error(), "a.bye") {
		t.Errorf("Fill of a struct naming a missing message: err = %v", err)
	}
	if dst.Bye != "Bye" || dst.Inner.Hello != "{q} von {n}" {
		t.Errorf("Fill = %+v", dst)
	}
}

func TestLoadRefuses(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"unknown language": {"l/a.en.toml": {Data: []byte("[a]\nx = \"x\"\n")}, "l/a.xx.toml": {Data: []byte("[a]\nx = \"x\"\n")}},
		"no area":          {"l/en.toml": {Data: []byte("[a]\nx = \"x\"\n")}},
		"wrong section":    {"l/a.en.toml": {Data: []byte("[b]\nx = \"x\"\n")}},
		"twice":            {"l/a.en.toml": {Data: []byte("[a]\nx = \"x\"\n")}, "l/b.en.toml": {Data: []byte("[b]\nx = \"x\"\n")}, "l/a.de.toml": {Data: []byte("[a]\nx = \"x\"\n")}, "l/c.de.toml": {Data: []byte("[c]\n")}},
		"broken toml":      {"l/a.en.toml": {Data: []byte("[a]\nx = \"x\n")}},
		"no English":       {"l/a.de.toml": {Data: []byte("[a]\nx = \"x\"\n")}},
	} {
		if name == "twice" {
			continue // a second area is fine; see below
		}
		if _, err := LoadFS(fsys, "l"); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
	dup := fstest.MapFS{"l/a.en.toml": {Data: []byte("[a]\nx = \"x\"\n[a.y]\nz = \"z\"\n")}, "l/a.de.toml": {Data: []byte("[a]\nx = \"x\"\n")}}
	if _, err := LoadFS(dup, "l"); err != nil {
		t.Errorf("nested tables under the area: %v", err)
	}
}

func TestMatch(t *testing.T) {
	c := load(t)
	for _, tc := range []struct {
		prefs []string
		want  string
	}{
		{[]string{"de"}, "de"},
		{[]string{"de-CH"}, "de"},
		{[]string{"pt-BR"}, "pt"},
		{[]string{"es-419"}, "es"},
		{[]string{"fr-CA,fr;q=0.9,en;q=0.8"}, "fr"},
		{[]string{"ja, es;q=0.5"}, "es"},
		{[]string{"", "fr"}, "fr"},
		{[]string{"ja", "de-AT"}, "de"},
		{[]string{"ja"}, ""},
		{[]string{"*"}, ""},
		{[]string{"<script>"}, ""},
		{[]string{strings.Repeat("de,", 400)}, ""},
	} {
		if got := c.Match(tc.prefs...); got != tc.want {
			t.Errorf("Match(%q) = %q, want %q", tc.prefs, got, tc.want)
		}
	}
	if got := c.Choose("fr", "ja"); got != "fr" {
		t.Errorf("Choose falls back to the admin's default: %q", got)
	}
	if got := c.Choose("xx", "ja"); got != "en" {
		t.Errorf("Choose with an unsupported default: %q", got)
	}
	if c.For("xx").Lang() != "en" {
		t.Error("For(unsupported) is not English")
	}
}

func TestFormats(t *testing.T) {
	c := load(t)
	at := time.Date(2026, time.March, 8, 14, 5, 0, 0, time.FixedZone("CET", 3600))
	for _, tc := range []struct{ lang, number, date, dateTime, size string }{
		{"en", "10,000", "March 8, 2026", "March 8, 2026, 1:05 PM UTC", "2.5 MB"},
		{"de", "10.000", "8. März 2026", "8. März 2026, 13:05 Uhr UTC", "2,5 MB"},
		{"fr", "10\u00a0000", "8 mars 2026", "8 mars 2026 à 13:05 UTC", "2,5 Mo"},
		{"es", "10.000", "8 de marzo de 2026", "8 de marzo de 2026, 13:05 UTC", "2,5 MB"},
		{"pt", "10.000", "8 de março de 2026", "8 de março de 2026, 13:05 UTC", "2,5 MB"},
	} {
		l := c.For(tc.lang)
		if got := l.Number(10000); got != tc.number {
			t.Errorf("%s: Number = %q, want %q", tc.lang, got, tc.number)
		}
		if got := l.Date(at); got != tc.date {
			t.Errorf("%s: Date = %q, want %q", tc.lang, got, tc.date)
		}
		if got := l.DateTime(at); got != tc.dateTime {
			t.Errorf("%s: DateTime = %q, want %q", tc.lang, got, tc.dateTime)
		}
		if got := l.Size(5 << 19); got != tc.size {
			t.Errorf("%s: Size = %q, want %q", tc.lang, got, tc.size)
		}
	}
	if got := c.For("en").Size(512); got != "512 bytes" {
		t.Errorf("Size(512) = %q", got)
	}
}

// customerFieldMessages are the refusals a customer can meet on the widget,
// the hosted form, the portal and the rating form: each must be translated.
func customerFieldMessages() []string {
	long := strings.Repeat("x", validate.MaxDescription+5)
	msgs := []string{
		validate.Email(""), validate.Email("no-at"), validate.Email("\xff@x.example"), validate.Email(strings.Repeat("a", 400) + "@x.example"),
		validate.Name("a\tb"), validate.Subject("a\nb"), validate.Description("a\x00b"), validate.Description(long),
		validate.Reply(long), validate.Priority("x", nil), validate.Priority("x", []string{"low", "high"}),
		validate.RatingScore(""), validate.RatingScore("great"), validate.RatingComment(strings.Repeat("y", 1200)),
		validate.PageURL("javascript:alert(1)"), validate.Locale("x"),
		"cannot be attached here", "cannot be attached here: uploads are switched off",
		`"a.exe" is not accepted here (its type is "application/x-msdownload"); a file must be one of: image/png, application/pdf`,
		"at most 5 files can be attached to one message",
		`"big.bin" is larger than 10 MB, the most one file may be`,
		"the files add up to more than 25 MB, the most one message may carry",
		"the upload is larger than 26 MB", "must be valid UTF-8 text",
	}
	return msgs
}

func TestFieldMessagesTranslated(t *testing.T) {
	c := load(t)
	for _, msg := range customerFieldMessages() {
		if msg == "" {
			t.Fatal("a sample input was valid: the test list is stale")
		}
		if got := c.For("en").Field(msg); got != msg {
			t.Errorf("en: Field(%q) = %q", msg, got)
		}
		for _, lang := range Languages[1:] {
			got := c.For(lang).Field(msg)
			if got == msg || strings.ContainsAny(got, "{}") {
				t.Errorf("%s: %q is not translated: %q", lang, msg, got)
			}
		}
	}
	de := c.For("de")
	if got, want := de.Field(validate.Reply(strings.Repeat("x", 12345))), "darf höchstens 10.000 Zeichen lang sein (es sind 12.345)"; got != want {
		t.Errorf("numbers in order and grouped: %q, want %q", got, want)
	}
	if got, want := de.Field(`"a.exe" is not accepted here (its type is "x/y"); a file must be one of: image/png, text/plain`),
		`"a.exe" wird hier nicht angenommen (Dateityp "x/y"); erlaubt ist einer dieser Typen: image/png, text/plain`; got != want {
		t.Errorf("names and list: %q, want %q", got, want)
	}
	if got := de.Field("an unknown message 12"); got != "an unknown message 12" {
		t.Errorf("an unknown message stays as it is: %q", got)
	}
}

func TestContext(t *testing.T) {
	c := load(t)
	ctx := With(context.Background(), c.For("fr"))
	if From(ctx).Lang() != "fr" || From(context.Background()) != nil {
		t.Error("With/From")
	}
	texts := c.Texts("de", "format.")
	if texts["month_3"] != "März" {
		t.Errorf("Texts = %v", texts)
	}
}

// What choosing a language adds to each widget request and page: parsing
// a browser's Accept-Language and matching it.
func BenchmarkChoose(b *testing.B) {
	c, err := Load()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if c.Choose("en", "", "de-CH,de;q=0.9,en-US;q=0.8,en;q=0.7") != "de" {
			b.Fatal("not German")
		}
	}
}

// A translated field message, as a 422 in German carries.
func BenchmarkField(b *testing.B) {
	c, err := Load()
	if err != nil {
		b.Fatal(err)
	}
	de := c.For("de")
	msg := validate.Reply(strings.Repeat("x", 12345))
	b.ReportAllocs()
	for b.Loop() {
		_ = de.Field(msg)
	}
}
