package app_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/portico/portico/server/app"
	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/store"
)

// widgetConfig is GET /support/widget/config with the given query and
// headers, answered 200.
func widgetConfig(t *testing.T, a *app.App, query string, header map[string]string) (response, map[string]any) {
	t.Helper()
	r := do(t, a, req{method: "GET", path: "/support/widget/config" + query, header: header})
	if r.Status != 200 {
		t.Fatalf("config%s: %d %s", query, r.Status, r.Body)
	}
	return r, r.json(t)
}

// TestWidgetConfigLanguage: config speaks the page's language (?locale=,
// from data-locale), else the browser's, else the admin's default, and
// sends the form its texts and the field messages in it.
func TestWidgetConfigLanguage(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		a := newApp(t, env(t, d), app.Deps{})

		r, m := widgetConfig(t, a, "?locale=de", map[string]string{"Accept-Language": "fr-CH, fr;q=0.9", "Origin": "https://www.example.com"})
		if m["locale"] != "de" || r.Header.Get("Content-Language") != "de" {
			t.Errorf("?locale=de beside Accept-Language fr: locale %v, Content-Language %q", m["locale"], r.Header.Get("Content-Language"))
		}
		vary := strings.Join(r.Header.Values("Vary"), ", ")
		if !strings.Contains(vary, "Accept-Language") || !strings.Contains(vary, "Origin") {
			t.Errorf("Vary = %q, want Origin and Accept-Language", vary)
		}
		if cc := r.Header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("Cache-Control = %q", cc)
		}
		texts, _ := m["texts"].(map[string]any)
		fields, _ := m["field_messages"].(map[string]any)
		for k, want := range map[string]string{"send": "Anfrage senden", "email": "E-Mail", "thanks": "Vielen Dank, wir haben Ihre Anfrage erhalten", "thousands_separator": "."} {
			if texts[k] != want {
				t.Errorf("texts[%s] = %v, want %q", k, texts[k], want)
			}
		}
		if fields["is required"] != "ist erforderlich" || fields["must be at most {n} characters"] != "darf höchstens {n} Zeichen lang sein" {
			t.Errorf("field_messages = %v", fields)
		}
		if m["title"] != "Support kontaktieren" || !strings.HasPrefix(m["greeting"].(string), "Hallo! Wie können wir Ihnen helfen?") {
			t.Errorf("untouched defaults are translated: title %v, greeting %v", m["title"], m["greeting"])
		}

		for _, c := range []struct {
			name, query, accept, want string
		}{
			{"Accept-Language alone", "", "fr-CH, fr;q=0.9, en;q=0.8", "fr"},
			{"a regional tag", "?locale=pt-BR", "", "pt"},
			{"a page locale portico does not speak", "?locale=ja", "es", "es"},
			{"garbage", "?locale=" + url.QueryEscape("<script>;q=x"), "de", "de"},
			{"an empty one", "?locale=", "", "en"},
			{"a huge one", "?locale=" + strings.Repeat("de-", 700) + "de", "es", "es"},
			{"a list longer than a tag", "?locale=" + url.QueryEscape("xx, yy, zz, ww, vv, uu, de"), "", "en"},
			{"nothing at all", "", "", "en"},
		} {
			h := map[string]string{}
			if c.accept != "" {
				h["Accept-Language"] = c.accept
			}
			_, m := widgetConfig(t, a, c.query, h)
			if m["locale"] != c.want {
				t.Errorf("%s: locale %v, want %s", c.name, m["locale"], c.want)
			}
		}
		_, m = widgetConfig(t, a, "", nil)
		if m["title"] != "Contact support" || m["texts"].(map[string]any)["send"] != "Send request" || m["field_messages"].(map[string]any)["is required"] != "is required" {
			t.Errorf("English config: %v", m)
		}

		// The admin's default language comes last; the page and the browser win.
		if r := do(t, a, req{method: "PUT", path: "/support/admin/settings/portal", body: `{"default_language":"fr"}`, header: bearer()}); r.Status != 200 {
			t.Fatalf("default_language fr: %d %s", r.Status, r.Body)
		}
		for _, c := range []struct {
			query, accept, want string
		}{{"", "", "fr"}, {"?locale=xx", "ja", "fr"}, {"", "es-MX", "es"}, {"?locale=de", "es", "de"}} {
			h := map[string]string{}
			if c.accept != "" {
				h["Accept-Language"] = c.accept
			}
			if _, m := widgetConfig(t, a, c.query, h); m["locale"] != c.want {
				t.Errorf("default fr, %q, Accept-Language %q: locale %v, want %s", c.query, c.accept, m["locale"], c.want)
			}
		}
		_, m = widgetConfig(t, a, "", nil)
		if m["texts"].(map[string]any)["send"] != "Envoyer la demande" || m["title"] != "Contacter le support" {
			t.Errorf("French config: %v", m)
		}

		// The admin's own title stays as written; the untouched greeting is
		// still translated.
		if r := do(t, a, req{method: "PUT", path: "/support/admin/settings/widget", body: `{"title":"Acme Hilfe"}`, header: bearer()}); r.Status != 200 {
			t.Fatalf("title: %d %s", r.Status, r.Body)
		}
		if _, m := widgetConfig(t, a, "?locale=es", nil); m["title"] != "Acme Hilfe" || !strings.HasPrefix(m["greeting"].(string), "¡Hola!") {
			t.Errorf("admin's title, Spanish greeting: title %v, greeting %v", m["title"], m["greeting"])
		}
	})
}

// contactLocale is the stored locale of the contact of ticket ref, as the
// admin API shows it.
func contactLocale(t *testing.T, a *app.App, ref string) string {
	t.Helper()
	r := do(t, a, req{method: "GET", path: "/support/admin/tickets/" + ref, header: bearer()})
	if r.Status != 200 {
		t.Fatalf("ticket %s: %d %s", ref, r.Status, r.Body)
	}
	c, ok := r.json(t)["contact"].(map[string]any)
	if !ok {
		t.Fatalf("ticket %s has no contact: %s", ref, r.Body)
	}
	return c["locale"].(string)
}

// TestWidgetTicketLanguage: the language the form spoke is stored on the
// contact (for later mails) when portico speaks it, and field errors come
// back in it.
func TestWidgetTicketLanguage(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		vars, _ := uploadEnv(t, d)
		a := newApp(t, vars, app.Deps{})
		post := func(body string, header map[string]string) response {
			return do(t, a, req{method: "POST", path: "/support/widget/tickets", body: body, header: header})
		}
		filed := func(r response) string {
			t.Helper()
			if r.Status != 201 {
				t.Fatalf("file: %d %s", r.Status, r.Body)
			}
			return r.json(t)["reference"].(string)
		}

		ref := filed(post(`{"email":"de@example.com","subject":"Hallo","description":"Bitte helfen","language":"de"}`, nil))
		if got := contactLocale(t, a, ref); got != "de" {
			t.Errorf("language de: contact locale %q", got)
		}
		// Not a language portico speaks: filed all the same, nothing stored.
		for _, lang := range []string{"xx", "de-DE", "DE", strings.Repeat("d", 300)} {
			ref := filed(post(`{"email":"xx@example.com","subject":"S","description":"D","language":"`+lang+`"}`, nil))
			if got := contactLocale(t, a, ref); got != "" {
				t.Errorf("language %q: contact locale %q, want none", lang, got)
			}
		}
		// A later ticket in another language moves the contact; one without
		// a language keeps it.
		ref = filed(post(`{"email":"de@example.com","subject":"Encore","description":"D","language":"fr"}`, nil))
		if got := contactLocale(t, a, ref); got != "fr" {
			t.Errorf("language fr: contact locale %q", got)
		}
		ref = filed(post(`{"email":"de@example.com","subject":"Again","description":"D"}`, map[string]string{"Accept-Language": "es"}))
		if got := contactLocale(t, a, ref); got != "fr" {
			t.Errorf("no language: contact locale %q, want fr kept", got)
		}

		// The multipart form (with files) carries it too.
		fields := ticketFields("pt@example.com")
		fields["language"] = "pt"
		ct, body := multipartBody(t, fields, upload{name: "a.png", data: pngFile})
		r := send(t, a, "POST", "/support/widget/tickets", ct, body, nil)
		if got := contactLocale(t, a, filed(r)); got != "pt" {
			t.Errorf("multipart language pt: contact locale %q", got)
		}

		// Field errors in the form's language, else the browser's, else the
		// admin's default.
		bad := `{"email":"not-an-email","subject":"","description":"` + strings.Repeat("x", 10001) + `","priority":"someday"`
		for _, c := range []struct {
			name, body string
			header     map[string]string
			want       map[string]string
		}{
			{"language de", bad + `,"language":"de"}`, map[string]string{"Accept-Language": "fr"}, map[string]string{
				"email": "ist keine gültige E-Mail-Adresse", "subject": "ist erforderlich",
				"description": "darf höchstens 10.000 Zeichen lang sein",
				"priority":    "muss einer dieser Werte sein: low, medium, high, urgent",
			}},
			{"Accept-Language", bad + `,"language":"xx"}`, map[string]string{"Accept-Language": "fr-CA"}, map[string]string{
				"email": "n’est pas une adresse e-mail valide", "description": "doit comporter au plus 10\u00a0000 caractères",
			}},
			{"English", bad + `}`, nil, map[string]string{"email": "is not a valid email address", "subject": "is required"}},
		} {
			r := post(c.body, c.header)
			if r.Status != 422 {
				t.Fatalf("%s: %d %s", c.name, r.Status, r.Body)
			}
			errs := r.json(t)["errors"].(map[string]any)
			for k, want := range c.want {
				if errs[k] != want {
					t.Errorf("%s: errors[%s] = %v, want %q", c.name, k, errs[k], want)
				}
			}
		}
		// Files refused before the form's fields are read: the browser's language.
		six := make([]upload, 6)
		for i := range six {
			six[i] = upload{name: "p.pdf", data: pdfFile}
		}
		ct, body = multipartBody(t, fields, six...)
		r = send(t, a, "POST", "/support/widget/tickets", ct, body, map[string]string{"Accept-Language": "de"})
		if r.Status != 422 || r.json(t)["errors"].(map[string]any)["files"] != "höchstens 5 Dateien können an eine Nachricht angehängt werden" {
			t.Errorf("six files, Accept-Language de: %d %s", r.Status, r.Body)
		}

		if r := do(t, a, req{method: "PUT", path: "/support/admin/settings/portal", body: `{"default_language":"es"}`, header: bearer()}); r.Status != 200 {
			t.Fatalf("default_language es: %d %s", r.Status, r.Body)
		}
		r = post(bad+`}`, nil)
		if got := r.json(t)["errors"].(map[string]any)["subject"]; got != "es obligatorio" {
			t.Errorf("default language es: errors.subject = %v (%s)", got, r.Body)
		}
	})
}
