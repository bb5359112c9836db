package i18n

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strconv"
	"strings"
	"time"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

// Localizer speaks one language. Messages are looked up by ID ("portal.send");
// one missing from the language falls back to English, one missing from
// English too shows as ⟦id⟧, so that a page never loses a sentence silently
// and the tests can spot it.
type Localizer struct {
	lang    string
	tag     language.Tag
	loc     *goi18n.Localizer
	en      *goi18n.Localizer
	printer *message.Printer
}

func newLocalizer(c *Catalog, lang string) *Localizer {
	tag := language.MustParse(lang)
	return &Localizer{
		lang:    lang,
		tag:     tag,
		loc:     goi18n.NewLocalizer(c.bundle, lang),
		en:      goi18n.NewLocalizer(c.bundle, Default),
		printer: message.NewPrinter(tag),
	}
}

// Lang is the language's code ("de"), for <html lang> and the Content-Language
// header.
func (l *Localizer) Lang() string { return l.lang }

// T returns message id, its template (if any) filled from pairs of name and
// value: T("mail.hello", "Name", "Ana").
func (l *Localizer) T(id string, pairs ...any) string {
	return l.localize(&goi18n.LocalizeConfig{MessageID: id, TemplateData: data(pairs)})
}

// N returns the plural form of message id for count; the template sees
// .Count (written for the language, "1.000") besides pairs.
func (l *Localizer) N(id string, count int, pairs ...any) string {
	d := data(pairs)
	d["Count"] = l.Number(int64(count))
	return l.localize(&goi18n.LocalizeConfig{MessageID: id, PluralCount: count, TemplateData: d})
}

func (l *Localizer) localize(lc *goi18n.LocalizeConfig) string {
	s, tag, err := l.loc.LocalizeWithTag(lc)
	if err == nil && tag == l.tag {
		return s
	}
	// Missing in this language (go-i18n answers with English, or an error):
	// English, said once per lookup in the log.
	var nf *goi18n.MessageNotFoundErr
	if err != nil && !errors.As(err, &nf) {
		slog.Warn("i18n: message does not render", "lang", l.lang, "id", lc.MessageID, "err", err)
	}
	if s, err = l.en.Localize(lc); err == nil {
		if l.lang != Default {
			slog.Warn("i18n: message missing, English shown", "lang", l.lang, "id", lc.MessageID)
		}
		return s
	}
	slog.Error("i18n: message missing in English", "id", lc.MessageID, "err", err)
	return "⟦" + lc.MessageID + "⟧"
}

func data(pairs []any) map[string]any {
	d := make(map[string]any, len(pairs)/2+1)
	for i := 0; i+1 < len(pairs); i += 2 {
		if k, ok := pairs[i].(string); ok {
			d[k] = pairs[i+1]
		}
	}
	return d
}

// Number writes n with the language's grouping: 10,000 / 10.000 / 10 000.
func (l *Localizer) Number(n int64) string {
	return l.printer.Sprint(number.Decimal(n))
}

// Size writes a byte count in the largest unit that keeps it ≥ 1, with at
// most one decimal: "10 MB", "2,5 Mo".
func (l *Localizer) Size(bytes int64) string {
	units := []string{"format.bytes", "format.kb", "format.mb", "format.gb"}
	v, u := float64(bytes), 0
	for v >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	n := l.printer.Sprint(number.Decimal(v, number.MaxFractionDigits(1)))
	if u == 0 {
		n = l.Number(bytes)
	}
	return l.T(units[u], "N", n)
}

// Date writes the day of t in UTC, with the month's name: "8 December 2026",
// "8. Dezember 2026".
func (l *Localizer) Date(t time.Time) string {
	t = t.UTC()
	return l.T("format.date", "Day", strconv.Itoa(t.Day()), "Month", l.T("format.month_"+strconv.Itoa(int(t.Month()))), "Year", strconv.Itoa(t.Year()))
}

// DateTime writes t in UTC with the date and the time of day, as the
// language writes a clock: "8 December 2026, 2:05 PM UTC".
func (l *Localizer) DateTime(t time.Time) string {
	t = t.UTC()
	return l.T("format.date_time", "Date", l.Date(t), "Time", t.Format(l.T("format.clock_layout")))
}

// Field translates a field message of package validate (or a service's
// model.FieldErrors), which is English and follows the field's label: "is
// required", "must be at most 10,000 characters". The English text is the
// catalog key under [field] with each number written {n} and each quoted
// name {q}; the translation takes them back in order. A message the catalog
// lacks stays English.
func (l *Localizer) Field(msg string) string {
	if msg == "" {
		return ""
	}
	key, args := fieldKey(msg)
	id := "field." + key
	tr, tag, err := l.loc.LocalizeWithTag(&goi18n.LocalizeConfig{MessageID: id})
	if err != nil || tag != l.tag {
		return msg
	}
	for _, a := range args {
		if a.number {
			n, _ := strconv.ParseInt(strings.ReplaceAll(a.text, ",", ""), 10, 64)
			tr = strings.Replace(tr, "{n}", l.Number(n), 1)
		} else {
			tr = strings.Replace(tr, "{q}", a.text, 1)
		}
	}
	return tr
}

type fieldArg struct {
	text   string
	number bool
}

// fieldKey turns "must be at most 10,000 characters" into "must be at most
// {n} characters" and `"a.exe" is ...` into "{q} is ...". A list after
// "one of: " becomes {q} too.
func fieldKey(msg string) (string, []fieldArg) {
	if head, list, ok := strings.Cut(msg, "one of: "); ok {
		key, args := fieldKey(head)
		return key + "one of: {q}", append(args, fieldArg{text: list})
	}
	var b strings.Builder
	var args []fieldArg
	for i := 0; i < len(msg); {
		c := msg[i]
		switch {
		case c >= '0' && c <= '9' && (i == 0 || msg[i-1] == ' ' || msg[i-1] == '('): // not the 8 of UTF-8
			j := i
			for j < len(msg) && (msg[j] >= '0' && msg[j] <= '9' || msg[j] == ',' && j+1 < len(msg) && msg[j+1] >= '0' && msg[j+1] <= '9') {
				j++
			}
			args = append(args, fieldArg{text: msg[i:j], number: true})
			b.WriteString("{n}")
			i = j
		case c == '"':
			j := strings.IndexByte(msg[i+1:], '"')
			if j < 0 {
				b.WriteString(msg[i:])
				return b.String(), args
			}
			args = append(args, fieldArg{text: msg[i : i+j+2]})
			b.WriteString("{q}")
			i += j + 2
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), args
}

// Fill sets every string field of the struct dst points to that carries a
// `msg:"id"` tag to that message in l's language, and recurses into nested
// structs. It returns an error naming each message that is missing (in
// this language or in English), after filling the rest with the fallback.
func (l *Localizer) Fill(dst any) error {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("i18n: Fill wants a pointer to a struct, not %T", dst)
	}
	var missing []string
	l.fill(v.Elem(), &missing)
	if len(missing) > 0 {
		return fmt.Errorf("i18n: %s lacks %s", l.lang, strings.Join(missing, ", "))
	}
	return nil
}

func (l *Localizer) fill(v reflect.Value, missing *[]string) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f, fv := t.Field(i), v.Field(i)
		if !f.IsExported() {
			continue
		}
		if id := f.Tag.Get("msg"); id != "" && fv.Kind() == reflect.String {
			if !l.has(id) {
				*missing = append(*missing, id)
			}
			fv.SetString(l.T(id))
			continue
		}
		if fv.Kind() == reflect.Struct {
			l.fill(fv, missing)
		}
	}
}

// has reports whether the message exists in this very language.
func (l *Localizer) has(id string) bool {
	_, tag, err := l.loc.LocalizeWithTag(&goi18n.LocalizeConfig{MessageID: id})
	return err == nil && tag == l.tag
}

type ctxKey struct{}

// With returns ctx carrying l, for templ components (views read it with From).
func With(ctx context.Context, l *Localizer) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// From returns the localizer ctx carries, or nil.
func From(ctx context.Context) *Localizer {
	l, _ := ctx.Value(ctxKey{}).(*Localizer)
	return l
}
