package app_test

import (
	"context"
	"database/sql"
	"io"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/portico/portico/server/app"
	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
)

// postHosted posts the hosted form as a browser would (urlencoded), with
// extra headers in pairs.
func postHosted(t *testing.T, a *app.App, values url.Values, header ...string) response {
	t.Helper()
	return postForm(t, a, "/support/widget/form", values, header...)
}

// postForm posts a urlencoded form to path, with extra headers in pairs.
func postForm(t *testing.T, a *app.App, path string, values url.Values, header ...string) response {
	t.Helper()
	hr := httptest.NewRequest("POST", path, strings.NewReader(values.Encode()))
	hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		hr.Header.Set(header[i], header[i+1])
	}
	res, err := a.HTTP().Test(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return response{Status: res.StatusCode, Header: res.Header, Body: body}
}

// getIn answers GET path with Accept-Language lang ("" sends none).
func getIn(t *testing.T, a *app.App, path, lang string) response {
	t.Helper()
	h := map[string]string{}
	if lang != "" {
		h["Accept-Language"] = lang
	}
	return do(t, a, req{method: "GET", path: path, header: h})
}

// speaks checks that a page is in lang: <html lang>, Content-Language,
// Vary: Accept-Language, and each of says in the body.
func speaks(t *testing.T, what string, r response, lang string, says ...string) {
	t.Helper()
	body := string(r.Body)
	if !strings.Contains(body, `<html lang="`+lang+`">`) || r.Header.Get("Content-Language") != lang {
		t.Errorf("%s: want %s, got Content-Language %q, %d:\n%.600s", what, lang, r.Header.Get("Content-Language"), r.Status, body)
	}
	if !strings.Contains(r.Header.Get("Vary"), "Accept-Language") {
		t.Errorf("%s: Vary = %q", what, r.Header.Get("Vary"))
	}
	for _, s := range says {
		if !strings.Contains(body, s) {
			t.Errorf("%s: lacks %q:\n%s", what, s, body)
		}
	}
}

// TestPagesSpeakCustomersLanguage: the hosted form, the portal page, the
// rating page and "My tickets" choose the customer's language: the
// contact's stored one first, then Accept-Language, then the admin's
// default_language (issue 17 point 5).
func TestPagesSpeakCustomersLanguage(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		vars := env(t, d)
		a := newApp(t, vars, app.Deps{})
		ctx := context.Background()
		db := openDB(t, d, vars, true)
		defer db.Close()
		storedLocale := func(email string) string {
			t.Helper()
			q := `SELECT locale FROM contacts WHERE email = ?`
			if d == store.Postgres {
				q = strings.Replace(q, "?", "$1", 1)
			}
			var l string
			if err := db.QueryRow(q, email).Scan(&l); err != nil && err != sql.ErrNoRows {
				t.Fatal(err)
			}
			return l
		}
		// file posts the hosted form for email and returns the portal path
		// of its ticket for that address.
		file := func(email, language string, header ...string) (string, string) {
			t.Helper()
			v := url.Values{"email": {email}, "subject": {"Printer"}, "description": {"It jams."}}
			if language != "" {
				v.Set("language", language)
			}
			r := postHosted(t, a, v, header...)
			if r.Status != 201 {
				t.Fatalf("hosted form for %s: %d\n%s", email, r.Status, r.Body)
			}
			ref := regexp.MustCompile(`TK-\d+`).FindString(string(r.Body))
			id, _ := model.ParseReference(ref)
			link, err := a.Tickets.MintPortalURL(ctx, id, email)
			if err != nil || link == "" {
				t.Fatalf("portal link: %q %v", link, err)
			}
			u, _ := url.Parse(link)
			return u.Path, string(r.Body)
		}

		// The hosted form in the language the embedding page asked for
		// (?locale=pt-BR), whatever the browser says; its POST carries it
		// and stores it on the contact.
		form := getIn(t, a, "/support/widget/form?locale=pt-BR", "de")
		speaks(t, "hosted form ?locale=pt-BR", form, "pt", "Fale com o suporte", `name="language" value="pt"`,
			"Olá! Como podemos ajudar?", "Até 5 arquivos, 10 MB cada e 25 MB no total")
		if cc := form.Header.Get("Cache-Control"); cc != "no-store" || !strings.Contains(form.Header.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("hosted form headers: Cache-Control %q, CSP %q", cc, form.Header.Get("Content-Security-Policy"))
		}
		ptPath, thanks := file("pt@example.com", "pt", "Accept-Language", "de")
		if !strings.Contains(thanks, "Obrigado, recebemos sua solicitação") || !strings.Contains(thanks, `<html lang="pt">`) {
			t.Errorf("the thanks page is not Portuguese:\n%s", thanks)
		}
		if l := storedLocale("pt@example.com"); l != "pt" {
			t.Errorf("the hosted form stored locale %q, want pt", l)
		}
		speaks(t, "portal of a pt contact", getIn(t, a, ptPath, "en"), "pt", "Sua solicitação de suporte")

		// A contact stored as German reads German, even with a French browser.
		dePath, _ := file("de@example.com", "de")
		if l := storedLocale("de@example.com"); l != "de" {
			t.Errorf("stored locale %q, want de", l)
		}
		page := getIn(t, a, dePath, "fr")
		speaks(t, "portal of a de contact, browser fr", page, "de", "Ihre Supportanfrage", "Antwort senden", "Meine Anfragen")
		if strings.Contains(string(page.Body), "Your support request") || strings.Contains(string(page.Body), "Votre demande") {
			t.Errorf("the German page is not German only:\n%s", page.Body)
		}
		if len(page.Body) >= 15<<10 {
			t.Errorf("the German portal page is %d bytes, want < 15 KB", len(page.Body))
		}
		for k, want := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
			if page.Header.Get(k) != want {
				t.Errorf("portal %s = %q", k, page.Header.Get(k))
			}
		}
		// A reply refused for a field speaks German too.
		r := postForm(t, a, dePath+"/replies", url.Values{"body": {"   "}}, "Accept-Language", "fr")
		speaks(t, "portal reply refused", r, "de", "Bitte prüfen Sie Ihre Antwort", "ist erforderlich")
		// The rating page of the open ticket: refused, in German.
		speaks(t, "rating page", getIn(t, a, dePath+"/rate?score=good", "fr"), "de", "Wie zufrieden waren Sie?",
			"Diese Anfrage ist noch offen")

		// Nothing stored: the browser's language, then the admin's default.
		nonePath, _ := file("none@example.com", "")
		if l := storedLocale("none@example.com"); l != "" {
			t.Errorf("a form without a language stored %q", l)
		}
		speaks(t, "portal, browser es-MX", getIn(t, a, nonePath, "es-MX,es;q=0.9"), "es", "Su solicitud de soporte", "Enviar respuesta")
		speaks(t, "portal, browser ja", getIn(t, a, nonePath, "ja"), "en", "Your support request")
		if r := do(t, a, req{method: "PUT", path: "/support/admin/settings/portal", body: `{"default_language":"fr"}`, header: bearer()}); r.Status != 200 {
			t.Fatalf("default_language fr: %d %s", r.Status, r.Body)
		}
		speaks(t, "portal, browser ja, default fr", getIn(t, a, nonePath, "ja"), "fr", "Votre demande d’assistance")
		speaks(t, "portal, no browser language, default fr", getIn(t, a, nonePath, ""), "fr")
		speaks(t, "unknown link, browser ja, default fr", getIn(t, a, "/portal/"+strings.Repeat("0", 64), "ja"), "fr",
			"Ce lien ne fonctionne pas")
		speaks(t, "My tickets, browser de", getIn(t, a, "/portal", "de-AT"), "de", "Ihre Supportanfragen", "Link per E-Mail senden")
		speaks(t, "My tickets, browser ja, default fr", getIn(t, a, "/portal", "ja"), "fr", "Vos demandes d’assistance")
		speaks(t, "the stored language beats the default", getIn(t, a, dePath, ""), "de")

		// A hidden field that is no language of ours stores nothing and
		// does not fail the submission.
		for i, junk := range []string{"xx", "<script>alert(1)</script>", "pt-BR", strings.Repeat("de", 300)} {
			email := "junk" + string(rune('a'+i)) + "@example.com"
			path, _ := file(email, junk)
			if l := storedLocale(email); l != "" {
				t.Errorf("language=%.20q stored %q", junk, l)
			}
			speaks(t, "portal after junk language", getIn(t, a, path, "es"), "es")
		}

		// A German form with a bad address: the field's message in German.
		bad := postHosted(t, a, url.Values{"email": {"not-an-address"}, "subject": {"s"}, "description": {"d"}, "language": {"de"}})
		if bad.Status != 422 {
			t.Fatalf("bad address: %d", bad.Status)
		}
		speaks(t, "German form, bad address", bad, "de", "E-Mail ist keine gültige E-Mail-Adresse", "Bitte korrigieren Sie die markierten Felder.",
			`value="not-an-address"`)
		if strings.Contains(string(bad.Body), "is not a valid email address") {
			t.Errorf("the German form shows the English field message:\n%s", bad.Body)
		}

		// "My tickets" after sign-in: the contact's language.
		detail := ticketDetail(t, a, regexp.MustCompile(`TK-\d+`).FindString(func() string {
			_, body := file("de@example.com", "")
			return body
		}()))
		contact := int64(detail["contact"].(map[string]any)["id"].(float64))
		signin, err := a.Tickets.MintSigninURL(ctx, contact, "de@example.com")
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(signin)
		v := newVisitor(t, a)
		if r := v.post(u.Path, u.Path, nil); r.Status != 303 {
			t.Fatalf("sign in: %d %s", r.Status, r.Body)
		}
		list := v.get("/portal/tickets")
		speaks(t, "My tickets list of a de contact", list, "de", "Die Anfragen, die Sie uns von <strong>de@example.com</strong> aus gesendet haben.",
			"Letzte Aktivität", "Zu Ihrer Sicherheit werden Sie am ")

		// Headers no browser sends (up to what the server reads at all): never
		// a 500, the default language.
		for _, h := range []string{strings.Repeat("a", 3000), strings.Repeat("de,", 900), "de;q=abc,,,;;=", "*", "\x7f\x01",
			"en-" + strings.Repeat("abcdefgh-", 40) + "x", "zh-Hant-TW-u-ca-chinese-x-private"} {
			for _, path := range []string{nonePath, "/portal", "/support/widget/form", nonePath + "/rate?score=good"} {
				if r := getIn(t, a, path, h); r.Status >= 500 || !strings.Contains(string(r.Body), `<html lang="fr">`) {
					t.Errorf("GET %s with Accept-Language %.30q: %d", path, h, r.Status)
				}
			}
		}
	})
}
