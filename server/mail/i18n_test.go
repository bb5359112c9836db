package mail

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/portico/portico/server/i18n"
)

var loadCatalog = sync.OnceValues(i18n.Load)

func catalog(t testing.TB) *i18n.Catalog {
	t.Helper()
	c, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func english(t testing.TB) *i18n.Localizer { return catalog(t).For("en") }

// composed is one mail as a customer gets it.
type composed struct {
	subject, text, html string
}

// mailKind renders one kind of mail in a language; translated says whether
// its subject is portico's (else it is the customer's own).
type mailKind struct {
	name       string
	translated bool
	compose    func(l *i18n.Localizer) (composed, error)
}

const (
	i18nBody   = "The printer works again.\nPlease try now."
	i18nSignin = "https://support.example.com/portal/signin/0123456789abcdef"
)

// everyMail is every kind of customer mail, each variant whose sentences
// differ (with and without a portal link, a name, a signup invitation).
func everyMail() []mailKind {
	return []mailKind{
		{"confirmation", true, func(l *i18n.Localizer) (composed, error) {
			text, page, err := ComposeConfirmation(l, Confirmation{Reference: "TK-42", PortalURL: testPortal, SignupURL: "https://app.example.com/signup?token=x", ProductName: "Acme"})
			return composed{ConfirmationSubject(l, "TK-42"), text, page}, err
		}},
		{"confirmation without portal", true, func(l *i18n.Localizer) (composed, error) {
			text, page, err := ComposeConfirmation(l, Confirmation{Reference: "TK-42"})
			return composed{ConfirmationSubject(l, "TK-42"), text, page}, err
		}},
		{"agent_reply", false, func(l *i18n.Localizer) (composed, error) {
			text, page, err := ComposeAgentReply(l, AgentReply{Reference: "TK-42", Subject: "Printer", CustomerName: "Ada", AgentName: "Grace", BodyText: i18nBody, PortalURL: testPortal})
			return composed{Subject("TK-42", "Printer"), text, page}, err
		}},
		{"agent_reply without names or portal", false, func(l *i18n.Localizer) (composed, error) {
			text, page, err := ComposeAgentReply(l, AgentReply{Reference: "TK-42", Subject: "Printer", BodyText: i18nBody})
			return composed{Subject("TK-42", "Printer"), text, page}, err
		}},
		{"portal_link", false, func(l *i18n.Localizer) (composed, error) {
			text, page, err := ComposePortalLink(l, PortalLink{Reference: "TK-42", Subject: "Printer", CustomerName: "Ada", PortalURL: testPortal})
			return composed{Subject("TK-42", "Printer"), text, page}, err
		}},
		{"status_closed", true, func(l *i18n.Localizer) (composed, error) {
			text, page, err := ComposeStatus(l, Status{Reference: "TK-42", Closed: true, PortalURL: testPortal})
			return composed{StatusSubject(l, "TK-42", true), text, page}, err
		}},
		{"status_reopened", true, func(l *i18n.Localizer) (composed, error) {
			text, page, err := ComposeStatus(l, Status{Reference: "TK-42", PortalURL: testPortal, ProductName: "Acme"})
			return composed{StatusSubject(l, "TK-42", false), text, page}, err
		}},
		{"signin", true, func(l *i18n.Localizer) (composed, error) {
			text, page, err := ComposeSignin(l, Signin{URL: i18nSignin, ValidFor: 30 * time.Minute})
			return composed{SigninSubject(l), text, page}, err
		}},
		{"signin for one minute", true, func(l *i18n.Localizer) (composed, error) {
			text, page, err := ComposeSignin(l, Signin{URL: i18nSignin, ValidFor: time.Minute, ProductName: "Acme"})
			return composed{SigninSubject(l), text, page}, err
		}},
	}
}

// sentences are the lines of the text part and the texts of the HTML part
// that a translator wrote: not blank, no link, not the agent's own words
// nor the customer's subject, which stay as they are in every language.
func sentences(t *testing.T, c composed) []string {
	t.Helper()
	data := map[string]bool{"--": true, "TK-42": true, "Printer": true}
	for _, l := range strings.Split(i18nBody, "\n") {
		data[l] = true
	}
	keep := func(s string) bool {
		s = strings.TrimSpace(s)
		return s != "" && !data[s] && !strings.Contains(s, "http")
	}
	var out []string
	for _, l := range strings.Split(c.text, "\n") {
		if keep(l) {
			out = append(out, strings.TrimSpace(l))
		}
	}
	z := html.NewTokenizer(strings.NewReader(c.html))
	for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
		if s := string(z.Text()); tt == html.TextToken && keep(s) { // Text empties on a second call
			out = append(out, strings.TrimSpace(s))
		}
	}
	return out
}

// sameInEnglish are sentences a language rightly writes as English does.
var sameInEnglish = map[string]bool{
	"de: 😐 Okay": true, // the German score is "Okay" too
}

// TestEveryMailInEveryLanguage renders every kind of customer mail in every
// language and fails on a gap in a catalog: a message missing from the
// texts (Fill's error), one missing everywhere (⟦id⟧), or one that fell
// back to English (a sentence or a subject equal to the English mail's).
func TestEveryMailInEveryLanguage(t *testing.T) {
	t.Parallel()
	c := catalog(t)
	for _, lang := range i18n.Languages {
		if _, err := textsFor(c.For(lang)); err != nil {
			t.Errorf("%s: %v", lang, err)
		}
	}
	for _, k := range everyMail() {
		en, err := k.compose(c.For("en"))
		if err != nil {
			t.Fatalf("%s in en: %v", k.name, err)
		}
		enSentences := sentences(t, en)
		if len(enSentences) < 4 {
			t.Fatalf("%s: only %q found to compare", k.name, enSentences)
		}
		for _, lang := range i18n.Languages {
			l := c.For(lang)
			got, err := k.compose(l)
			if err != nil {
				t.Errorf("%s in %s: %v", k.name, lang, err)
				continue
			}
			all := got.subject + got.text + got.html
			if strings.Contains(all, "⟦") || strings.Contains(all, "<no value>") || strings.Contains(all, "%!") {
				t.Errorf("%s in %s has a message missing or unfilled:\n%s\n%s", k.name, lang, got.subject, got.text)
			}
			if !strings.Contains(got.html, `<html lang="`+lang+`">`) {
				t.Errorf("%s in %s: no <html lang=%q>", k.name, lang, lang)
			}
			checkInert(t, got.html)
			if !strings.HasPrefix(got.subject, "[TK-42] ") && !strings.HasPrefix(k.name, "signin") {
				t.Errorf("%s in %s: subject %q lost its reference", k.name, lang, got.subject)
			}
			if lang == "en" {
				continue
			}
			if k.translated && got.subject == en.subject {
				t.Errorf("%s in %s: the subject is English: %q", k.name, lang, got.subject)
			}
			for _, s := range sentences(t, got) {
				if slices.Contains(enSentences, s) && !sameInEnglish[lang+": "+s] {
					t.Errorf("%s in %s: %q is the English sentence", k.name, lang, s)
				}
			}
		}
	}
}

// TestMailLanguageDetails: the greeting keeps the customer's name, numbers
// are written the language's way, plurals follow the count, and French
// keeps its space before a colon.
func TestMailLanguageDetails(t *testing.T) {
	t.Parallel()
	c := catalog(t)
	for lang, want := range map[string][]string{
		"en": {"Hello Ada <b>,", "Grace replied to your request TK-42:"},
		"de": {"Guten Tag Ada <b>,", "Grace hat auf Ihre Anfrage TK-42 geantwortet:", "Unterhaltung ansehen: " + testPortal},
		"fr": {"Bonjour Ada <b>,", "Grace a répondu à votre demande TK-42\u00a0:", "Voir la conversation\u00a0: " + testPortal},
		"es": {"Hola, Ada <b>:", "Grace ha respondido a su solicitud TK-42:"},
		"pt": {"Olá, Ada <b>,", "Grace respondeu à sua solicitação TK-42:"},
	} {
		text, page, err := ComposeAgentReply(c.For(lang), AgentReply{Reference: "TK-42", CustomerName: "Ada <b>", AgentName: "Grace", BodyText: "x", PortalURL: testPortal})
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s text lacks %q:\n%s", lang, w, text)
			}
		}
		if !strings.Contains(page, "Ada &lt;b&gt;") || strings.Contains(page, "Ada <b>") {
			t.Errorf("%s: the name is not escaped in HTML", lang)
		}
	}
	for _, tc := range []struct {
		lang  string
		valid time.Duration
		want  string
	}{
		{"en", time.Minute, "once, for 1 minute."},
		{"en", 1500 * time.Minute, "once, for 1,500 minutes."},
		{"de", time.Minute, "1 Minute lang gültig"},
		{"de", 1500 * time.Minute, "1.500 Minuten lang gültig"},
		{"es", 30 * time.Minute, "durante 30 minutos"},
		{"pt", time.Minute, "por 1 minuto."},
		{"fr", 30 * time.Minute, "pendant 30\u00a0minutes"},
	} {
		text, page, err := ComposeSignin(c.For(tc.lang), Signin{URL: i18nSignin, ValidFor: tc.valid})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text, tc.want) || !strings.Contains(page, tc.want) {
			t.Errorf("%s, %v: the sign-in mail lacks %q:\n%s", tc.lang, tc.valid, tc.want, text)
		}
	}
	if got := ConfirmationSubject(c.For("de"), "TK-42"); got != "[TK-42] Wir haben Ihre Anfrage erhalten" {
		t.Errorf("German confirmation subject = %q", got)
	}
}
