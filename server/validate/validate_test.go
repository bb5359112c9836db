package validate

import (
	"maps"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

type strCase struct {
	in   string
	want string // "" = valid
}

func runStr(t *testing.T, name string, f func(string) string, cases []strCase) {
	t.Helper()
	for _, c := range cases {
		if got := f(c.in); got != c.want {
			t.Errorf("%s(%q) = %q, want %q", name, short(c.in), got, c.want)
		}
	}
}

// short keeps failure output readable for the long generated inputs.
func short(s string) string {
	if len(s) > 80 {
		return s[:40] + "…" + s[len(s)-20:] + " (" + itoa(Runes(s)) + " runes)"
	}
	return s
}

func itoa(n int) string { return grouped(n) }

var r = strings.Repeat

const (
	msgTooLong320   = "must be at most 320 characters"
	msgTooLong255   = "must be at most 255 characters"
	msgTooLong500   = "must be at most 500 characters"
	msgTooLong10000 = "must be at most 10,000 characters"
)

func TestEmail(t *testing.T) {
	label63 := r("a", 63)
	domain255 := label63 + "." + label63 + "." + label63 + "." + r("b", 61) + ".c" // 63*3+61+1+3 dots
	if Runes(domain255) != 255 {
		t.Fatalf("test setup: domain is %d characters", Runes(domain255))
	}
	runStr(t, "Email", Email, []strCase{
		// Valid.
		{"alice@example.com", ""},
		{"Alice.Smith+tag@Example.COM", ""},
		{"a@b.co", ""},
		{"o'brien@example.ie", ""},
		{"x_y-z@sub.domain.example", ""},
		{"user%host@example.org", ""},
		{"!#$%&'*+-/=?^_`{|}~@example.com", ""},
		{"1@1example.com", ""},
		{"a@example.c0m", ""},
		{"a@xn--bcher-kva.example", ""},
		{"josé@example.com", ""},
		{"用户@例子.广告", ""},
		{"δοκιμή@παράδειγμα.δοκιμή", ""},
		{"नमस्ते@उदाहरण.भारत", ""}, // needs combining marks
		{"jose\u0301@example.com", ""},
		{r("a", 64) + "@example.com", ""},
		{r("é", 64) + "@example.com", ""},
		{"a@" + label63 + ".com", ""},
		{"a@" + r("ü", 63) + ".com", ""},
		{r("a", 64) + "@" + domain255, ""}, // 320 characters exactly

		// Required.
		{"", msgRequired},
		{"   ", msgRequired},
		// Too long overall (checked before anything else).
		{r("a", 321), msgTooLong320},
		{r("a", 400) + "@example.com", msgTooLong320},
		// Syntax.
		{"plain", msgEmail},
		{"@example.com", msgEmail},
		{"alice@", msgEmail},
		{"a@@example.com", msgEmail},
		{"a@b@example.com", msgEmail},
		{"a b@example.com", msgEmail},
		{" alice@example.com", msgEmail},
		{".a@example.com", msgEmail},
		{"a.@example.com", msgEmail},
		{"a..b@example.com", msgEmail},
		{`"quoted"@example.com`, msgEmail},
		{"a(b)@example.com", msgEmail},
		{"a<b>@example.com", msgEmail},
		{"a[b]@example.com", msgEmail},
		{"a:b@example.com", msgEmail},
		{"a;b@example.com", msgEmail},
		{"a,b@example.com", msgEmail},
		{`a\b@example.com`, msgEmail},
		{"a\tb@example.com", msgEmail},
		{"a\x00@example.com", msgEmail},
		{"a\x7f@example.com", msgEmail},
		{"a\u0085@example.com", msgEmail},  // C1 control
		{"a\u00a0b@example.com", msgEmail}, // no-break space
		{"a\u200b@example.com", msgEmail},  // zero-width space
		{"a😀@example.com", msgEmail},
		{"\xff@example.com", msgEmail},
		{r("a", 65) + "@example.com", msgEmail},
		{r("é", 65) + "@example.com", msgEmail},
		{"a@example", msgEmail},
		{"a@localhost", msgEmail},
		{"a@.example.com", msgEmail},
		{"a@example..com", msgEmail},
		{"a@example.com.", msgEmail},
		{"a@-example.com", msgEmail},
		{"a@example-.com", msgEmail},
		{"a@example.-com", msgEmail},
		{"a@exa_mple.com", msgEmail},
		{"a@exam ple.com", msgEmail},
		{"a@example.com ", msgEmail},
		{"a@1.2.3.4", msgEmail},
		{"a@example.123", msgEmail},
		{"a@example.١٢٣", msgEmail}, // Arabic-Indic digits are still numeric
		{"a@[192.0.2.1]", msgEmail},
		{"a@" + r("a", 64) + ".com", msgEmail},
		{"a@" + r("ü", 64) + ".com", msgEmail},
		{"a@" + domain255 + "x", msgEmail},
		{"a@exa\u00a0mple.com", msgEmail},
	})
}

func TestName(t *testing.T) {
	runStr(t, "Name", Name, []strCase{
		{"", ""},
		{"   ", ""},
		{"Zoë Ämber-O'Neil", ""},
		{"山田 太郎", ""},
		{"Ana 😀", ""},
		{r("é", 255), ""},
		{r("é", 256), msgTooLong255},
		{r("a", 256), msgTooLong255},
		{"a\nb", msgControlName},
		{"a\tb", msgControlName},
		{"a\x00", msgControlName},
		{"a\u0085b", msgControlName},
		{"a\xffb", msgInvalidUTF8},
	})
}

func TestSubject(t *testing.T) {
	runStr(t, "Subject", Subject, []strCase{
		{"Printer on fire", ""},
		{"x", ""},
		{"Column\tseparated", ""},
		{r("é", 500), ""},
		{r("😀", 500), ""},
		{r("é", 501), msgTooLong500},
		{r("a", 501), msgTooLong500},
		{"", msgRequired},
		{" \t\n", msgRequired},
		{"two\nlines", msgControlLine},
		{"carriage\rreturn", msgControlLine},
		{"bell\a", msgControlLine},
		{"bad \xc3\x28 utf8", msgInvalidUTF8},
	})
}

func TestDescription(t *testing.T) {
	runStr(t, "Description", Description, []strCase{
		{"It broke.", ""},
		{"line 1\nline 2\r\n\tindented", ""},
		{r("é", 10000), ""},
		{r("é", 10001), msgTooLong10000},
		{"", msgRequired},
		{"\n\n", msgRequired},
		{"nul\x00byte", msgControlText},
		{"\x1b[31mred", msgControlText},
		{"\xed\xa0\x80", msgInvalidUTF8}, // surrogate half
	})
}

func TestPriority(t *testing.T) {
	allowed := []string{"low", "normal", "high"}
	f := func(s string) string { return Priority(s, allowed) }
	runStr(t, "Priority", f, []strCase{
		{"", ""},
		{"low", ""},
		{"high", ""},
		{"HIGH", "must be one of: low, normal, high"},
		{"urgent", "must be one of: low, normal, high"},
		{" low", "must be one of: low, normal, high"},
	})
	if got := Priority("low", nil); got != "must be left empty" {
		t.Errorf("Priority with no allowed values = %q", got)
	}
}

func TestTicket(t *testing.T) {
	prios := []string{"low", "normal", "high"}
	valid := TicketInput{
		Email: "alice@example.com", Name: "Alice", Subject: "Help",
		Description: "It broke.", Priority: "high", RequireEmail: true,
	}
	tests := []struct {
		name string
		edit func(*TicketInput)
		want map[string]string
	}{
		{"valid", func(*TicketInput) {}, nil},
		{"optional fields empty", func(in *TicketInput) { in.Name, in.Priority = "", "" }, nil},
		{"email not required and empty", func(in *TicketInput) { in.RequireEmail, in.Email = false, "" }, nil},
		{"email not required but invalid", func(in *TicketInput) { in.RequireEmail, in.Email = false, "nope" },
			map[string]string{FieldEmail: msgEmail}},
		{"email required and empty", func(in *TicketInput) { in.Email = "" },
			map[string]string{FieldEmail: msgRequired}},
		{"everything wrong", func(in *TicketInput) {
			*in = TicketInput{Email: "x@", Name: "a\nb", Subject: "", Description: r("é", 10001), Priority: "urgent", RequireEmail: true}
		}, map[string]string{
			FieldEmail:       msgEmail,
			FieldName:        msgControlName,
			FieldSubject:     msgRequired,
			FieldDescription: msgTooLong10000,
			FieldPriority:    "must be one of: low, normal, high",
		}},
	}
	for _, tc := range tests {
		in := valid
		tc.edit(&in)
		got := Ticket(in, prios)
		if tc.want == nil && got != nil {
			t.Errorf("%s: got %v, want nil", tc.name, got)
		}
		if !maps.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestRetention(t *testing.T) {
	day, week := 24*time.Hour, 7*24*time.Hour
	good := []struct {
		in   string
		want time.Duration
	}{
		{"30m", 30 * time.Minute},
		{"1m", time.Minute},
		{"2h", 2 * time.Hour},
		{"7d", 7 * day},
		{"4w", 4 * week},
		{"007d", 7 * day},
		{"3650d", 3650 * day},
		{"87600h", 3650 * day},
		{"5256000m", 3650 * day},
		{"521w", 521 * week},
	}
	for _, c := range good {
		if d, msg := Retention(c.in); d != c.want || msg != "" {
			t.Errorf("Retention(%q) = %v, %q; want %v", c.in, d, msg, c.want)
		}
	}
	bad := []strCase{
		{"", msgRetention},
		{"d", msgRetention},
		{"30", msgRetention},
		{"30 d", msgRetention},
		{" 30d", msgRetention},
		{"30d ", msgRetention},
		{"30D", msgRetention},
		{"30s", msgRetention},
		{"1y", msgRetention},
		{"1.5h", msgRetention},
		{"-1d", msgRetention},
		{"+1d", msgRetention},
		{"1h30m", msgRetention},
		{"30dd", msgRetention},
		{"٣d", msgRetention},
		{"0d", msgRetentionMin},
		{"00m", msgRetentionMin},
		{"3651d", msgRetentionMax},
		{"522w", msgRetentionMax},
		{"87601h", msgRetentionMax},
		{"5256001m", msgRetentionMax},
		{"110000d", msgRetentionMax}, // would overflow time.Duration
		{"15250w", msgRetentionMax},
		{"99999999999999999999999999d", msgRetentionMax},
	}
	for _, c := range bad {
		if d, msg := Retention(c.in); d != 0 || msg != c.want {
			t.Errorf("Retention(%q) = %v, %q; want 0, %q", c.in, d, msg, c.want)
		}
	}
}

func TestFormatRetention(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		in   time.Duration
		want string
	}{
		{30 * time.Minute, "30m"},
		{60 * time.Minute, "1h"},
		{90 * time.Minute, "90m"},
		{25 * time.Hour, "25h"},
		{day, "1d"},
		{7 * day, "1w"},
		{14 * day, "2w"},
		{10 * day, "10d"},
		{3650 * day, "3650d"},
		{30 * time.Second, "1m"},
		{61 * time.Second, "2m"},
		{0, ""},
		{-time.Hour, ""},
	}
	for _, tc := range tests {
		if got := FormatRetention(tc.in); got != tc.want {
			t.Errorf("FormatRetention(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestColor(t *testing.T) {
	runStr(t, "Color", Color, []strCase{
		{"#fff", ""}, {"#FFF", ""}, {"#1a73E8", ""}, {"#000000", ""},
		{"", msgColor}, {"fff", msgColor}, {"#ffff", msgColor}, {"#ggg", msgColor},
		{"#12345", msgColor}, {"#1234567", msgColor}, {" #fff", msgColor}, {"#fff ", msgColor},
		{"##fff", msgColor}, {"#ｆｆｆ", msgColor},
	})
}

func TestPosition(t *testing.T) {
	runStr(t, "Position", Position, []strCase{
		{"bottom-right", ""}, {"bottom-left", ""},
		{"", msgPosition}, {"Bottom-Right", msgPosition}, {"top-left", msgPosition}, {"bottom right", msgPosition},
	})
}

func TestOrigin(t *testing.T) {
	runStr(t, "Origin", Origin, []strCase{
		{"*", ""},
		{"https://example.com", ""},
		{"http://localhost", ""},
		{"http://localhost:3000", ""},
		{"https://sub.example.co.uk:8443", ""},
		{"http://127.0.0.1:8080", ""},
		{"http://[::1]", ""},
		{"http://[::1]:8080", ""},
		{"https://xn--bcher-kva.example", ""},
		{"https://example.com:65535", ""},

		{"", msgOrigin},
		{"**", msgOrigin},
		{"example.com", msgOrigin},
		{"//example.com", msgOrigin},
		{"ftp://example.com", msgOrigin},
		{"HTTPS://example.com", msgOrigin},
		{"https://", msgOrigin},
		{"https://user@example.com", msgOrigin},
		{"https://-example.com", msgOrigin},
		{"https://example-.com", msgOrigin},
		{"https://example..com", msgOrigin},
		{"https://example.com.", msgOrigin},
		{"https://exa mple.com", msgOrigin},
		{"https://*.example.com", msgOrigin},
		{"https://bücher.example", msgOrigin},
		{"https://" + strings.Repeat("a", 64) + ".com", msgOrigin},
		{"http://[::1", msgOrigin},
		{"http://[zz::1]", msgOrigin},
		{"http://[::1]x", msgOrigin},
		{"https://example.com/", msgOriginPath},
		{"https://example.com/path", msgOriginPath},
		{"https://example.com?x=1", msgOriginPath},
		{"https://example.com#top", msgOriginPath},
		{"https://Example.com", msgOriginCase},
		{"https://example.com:", msgOriginPort},
		{"https://example.com:0", msgOriginPort},
		{"https://example.com:08080", msgOriginPort},
		{"https://example.com:65536", msgOriginPort},
		{"https://example.com:80a", msgOriginPort},
		{"https://example.com:+80", msgOriginPort},
		{"https://example.com:443", msgOriginDefault},
		{"http://example.com:80", msgOriginDefault},
	})
}

func TestPriorities(t *testing.T) {
	ten := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}
	tests := []struct {
		in   []string
		want string
	}{
		{[]string{"low", "normal", "high"}, ""},
		{[]string{"p1"}, ""},
		{[]string{"a-b_c"}, ""},
		{ten, ""},
		{[]string{r("x", 32)}, ""},
		{nil, "must list at least one priority"},
		{[]string{}, "must list at least one priority"},
		{append(ten, "k"), "must list at most 10 priorities"},
		{[]string{"low", ""}, "must not contain an empty priority"},
		{[]string{"Low"}, `priority "Low" must use only lowercase letters, digits, - and _`},
		{[]string{"with space"}, `priority "with space" must use only lowercase letters, digits, - and _`},
		{[]string{"é"}, `priority "é" must use only lowercase letters, digits, - and _`},
		{[]string{r("x", 33)}, `priority "` + r("x", 33) + `" must be at most 32 characters`},
		{[]string{"low", "high", "low"}, `priority "low" is listed more than once`},
	}
	for _, tc := range tests {
		if got := Priorities(tc.in); got != tc.want {
			t.Errorf("Priorities(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestHelpers(t *testing.T) {
	if got := Trim(" \t a b \n"); got != "a b" {
		t.Errorf("Trim = %q", got)
	}
	if got := Runes("héllo😀"); got != 6 {
		t.Errorf("Runes = %d", got)
	}
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 10000: "10,000", 1234567: "1,234,567"} {
		if got := grouped(n); got != want {
			t.Errorf("grouped(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestWasmDependencies guards the widget's binary size: these packages must
// never creep in, directly or through another import.
func TestWasmDependencies(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("the go command is required in CI")
		}
		t.Skip("go command not available")
	}
	for _, target := range [][2]string{{"js", "wasm"}, {"wasip1", "wasm"}} {
		cmd := exec.Command("go", "list", "-deps", ".")
		cmd.Env = append(os.Environ(), "GOOS="+target[0], "GOARCH="+target[1])
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go list for %s/%s: %v\n%s", target[0], target[1], err, out)
		}
		for dep := range strings.FieldsSeq(string(out)) {
			switch {
			case dep == "fmt", dep == "encoding/json", dep == "reflect",
				dep == "net", strings.HasPrefix(dep, "net/"),
				dep == "regexp", strings.HasPrefix(dep, "regexp/"):
				t.Errorf("%s/%s: validate depends on %s", target[0], target[1], dep)
			}
		}
	}
}

func TestDescribeRetention(t *testing.T) {
	for in, want := range map[time.Duration]string{
		time.Minute: "1 minute", 90 * time.Minute: "90 minutes", time.Hour: "1 hour",
		14 * 24 * time.Hour: "2 weeks", 30 * 24 * time.Hour: "30 days", 0: "",
	} {
		if got := DescribeRetention(in); got != want {
			t.Errorf("DescribeRetention(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestReply(t *testing.T) {
	for in, want := range map[string]string{
		"Thanks, that worked.":                "",
		"   ":                                 msgRequired,
		"":                                    msgRequired,
		"line\nbreak\ttab":                    "",
		"nul\x00":                             msgControlText,
		"bad \xff utf-8":                      msgInvalidUTF8,
		strings.Repeat("é", MaxDescription):   "",
		strings.Repeat("é", MaxDescription+1): tooLong(MaxDescription) + " (it has 10,001)",
	} {
		if got := Reply(in); got != want {
			t.Errorf("Reply(%.20q) = %q, want %q", in, got, want)
		}
	}
}
