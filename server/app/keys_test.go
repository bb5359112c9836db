package app_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/server/app"
	"github.com/portico/portico/server/config"
	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/keys"
	"github.com/portico/portico/server/mail"
	"github.com/portico/portico/server/store"
)

// replyAddress is the signed reply address of a ticket as portico makes it
// now: signed with the reply-address key derived from the secret key.
func replyAddress(t *testing.T, id int64) string {
	t.Helper()
	ring, err := keys.New(keys.Options{Master: []byte(testSecret)})
	if err != nil {
		t.Fatal(err)
	}
	return mail.ReplyTo(id, ring.ReplyAddress(), "acme.test")
}

// legacyReplyAddress is the reply address as it was signed before
// per-purpose keys: with the secret key itself.
func legacyReplyAddress(id int64) string {
	return mail.ReplyTo(id, []byte(testSecret), "acme.test")
}

// hostSigned is a host app's requester_signature made with key.
func hostSigned(key, id string) string {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(id))
	return hex.EncodeToString(mac.Sum(nil))
}

// storeOf opens a second store on the database an app of vars uses (to
// pre-set a setting or read what the API does not show).
func storeOf(t *testing.T, d store.Dialect, vars map[string]string, now func() time.Time) *store.Store {
	t.Helper()
	return dbtest.OpenDSN(t, d, strings.TrimPrefix(vars["PORTICO_DATABASE_URL"], "sqlite://"), now)
}

// The reported attack: a host user's widget signature for requester id N was
// the (untruncated) Reply-To signature of ticket N, so anyone could post into
// ticket N as if they had its mail. Now neither a requester signature (made
// with PORTICO_REQUESTER_SIGNING_KEY) nor one made with the secret key opens
// a ticket filed since per-purpose keys; the address portico mails out does.
func TestRequesterSignatureIsNoReplyAddress(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ma := startMailApp(t, d, inboundEnv(t, d), app.Deps{})
		ref := fileTicket(t, ma.App, ticketBody("victim@example.com")).json(t)["reference"].(string)
		id := ticketIDOf(t, ref)
		got := ma.mail.Wait(1, 20*time.Second)[0].Envelope(t)
		sent := got.GetHeader("Reply-To")
		if want := replyAddress(t, id); !strings.Contains(sent, want) {
			t.Fatalf("Reply-To = %q, want %q (signed with the reply-address key)", sent, want)
		}
		id10 := strconv.FormatInt(id, 10)
		for name, sig := range map[string]string{
			"requester signature (host key)":   sign(id10),
			"requester signature (secret key)": hostSigned(testSecret, id10),
		} {
			forged := fmt.Sprintf("reply+%d.%s@acme.test", id, sig[:8])
			if forged == sent || strings.Contains(sent, forged) {
				t.Fatalf("%s gives the Reply-To of %s", name, ref)
			}
			o, newRef := outcome(t, postmark(t, ma.App, pm{From: "attacker@evil.example", To: forged, Subject: "hi",
				Text: "please reset my password", MessageID: "<atk-" + strings.ReplaceAll(name, " ", "-") + "@evil.example>"}))
			if o != "created" || newRef == ref {
				t.Errorf("%s as reply address: %s into %s, want a new ticket", name, o, newRef)
			}
		}
		for _, m := range timeline(t, ma.App, ref) {
			if strings.Contains(m["body"].(string), "reset my password") {
				t.Errorf("the attacker's mail is on %s", ref)
			}
		}
		// The real address still threads.
		if o, r := outcome(t, postmark(t, ma.App, pm{From: "victim@example.com", To: replyAddress(t, id), Subject: "Re",
			Text: "real answer", MessageID: "<real-" + string(d) + "@example.com>"})); o != "appended" || r != ref {
			t.Errorf("real reply address: %s into %s", o, r)
		}
	})
}

// requester_signature verifies only with PORTICO_REQUESTER_SIGNING_KEY.
func TestRequesterSigningKey(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		a := newApp(t, env(t, d), app.Deps{})
		body := func(sig string) string {
			return `{"requester_id":7,"requester_signature":"` + sig + `","subject":"s","description":"d"}`
		}
		if r := fileTicket(t, a, body(hostSigned(testSecret, "7"))); r.Status != 401 || !strings.Contains(string(r.Body), "requester_signature") {
			t.Errorf("signed with the secret key: %d %s, want 401", r.Status, r.Body)
		}
		if r := fileTicket(t, a, body(sign("7"))); r.Status != 201 {
			t.Errorf("signed with the requester key: %d %s", r.Status, r.Body)
		}

		vars := env(t, d)
		delete(vars, "PORTICO_REQUESTER_SIGNING_KEY")
		off := newApp(t, vars, app.Deps{})
		for _, sig := range []string{sign("7"), hostSigned(testSecret, "7")} {
			r := fileTicket(t, off, body(sig))
			if r.Status != 401 || !strings.Contains(string(r.Body), "the operator must set PORTICO_REQUESTER_SIGNING_KEY") {
				t.Errorf("without a requester key: %d %s, want 401 naming PORTICO_REQUESTER_SIGNING_KEY", r.Status, r.Body)
			}
		}
		if n, _ := inventory(t, off); n != 0 {
			t.Errorf("%d tickets written by refused requests", n)
		}
	})
}

// A requester key equal to the secret key (set, or the generated one) stops
// the start: host apps would hold the secret again.
func TestRequesterKeyEqualToSecretKey(t *testing.T) {
	t.Parallel()
	vars := env(t, store.SQLite)
	vars["PORTICO_REQUESTER_SIGNING_KEY"] = testSecret
	if _, err := config.Load(func(k string) (string, bool) { v, ok := vars[k]; return v, ok }); err == nil ||
		!strings.Contains(err.Error(), "PORTICO_REQUESTER_SIGNING_KEY: must differ from PORTICO_SECRET_KEY") {
		t.Errorf("config: %v", err)
	}

	// The generated secret key, stored in the database.
	vars = env(t, store.SQLite)
	delete(vars, "PORTICO_SECRET_KEY")
	generated, err := storeOf(t, store.SQLite, vars, nil).SettingOnce(context.Background(), "secret_key", strings.Repeat("ab", 32))
	if err != nil {
		t.Fatal(err)
	}
	vars["PORTICO_REQUESTER_SIGNING_KEY"] = generated
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, app.Deps{Migrations: dbtest.Migrations(t), Logger: slog.New(slog.DiscardHandler)})
	if err == nil {
		a.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "PORTICO_REQUESTER_SIGNING_KEY must differ from the secret key") {
		t.Errorf("app.New with the generated key as requester key: %v", err)
	}
}

// Reply addresses (and signup tokens) mailed before the switch keep working
// during PORTICO_LEGACY_SIGNATURE_GRACE, for what existed before the switch
// only, and stop after it.
func TestLegacySignatureGrace(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		t0 := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
		var clock atomic.Int64
		clock.Store(t0.UnixNano())
		now := func() time.Time { return time.Unix(0, clock.Load()).UTC() }
		vars := inboundEnv(t, d)
		vars["PORTICO_LEGACY_SIGNATURE_GRACE"] = "24h"
		// An existing deployment: its tickets predate the switch to
		// per-purpose keys, recorded as an hour after t0.
		since := t0.Add(time.Hour)
		if _, err := storeOf(t, d, vars, now).SettingOnce(context.Background(), "signing_keys_v1_since", since.Format(time.RFC3339Nano)); err != nil {
			t.Fatal(err)
		}
		a := newApp(t, vars, app.Deps{Now: now})
		old := fileTicket(t, a, ticketBody("old@example.com")).json(t)["reference"].(string)
		oldID := ticketIDOf(t, old)
		clock.Store(since.Add(time.Minute).UnixNano())
		fresh := fileTicket(t, a, ticketBody("new@example.com")).json(t)["reference"].(string)
		freshID := ticketIDOf(t, fresh)

		n := 0
		send := func(to string) (string, string) {
			n++
			return outcome(t, postmark(t, a, pm{From: "colleague@example.com", To: to, Subject: "Re",
				Text: "reply " + strconv.Itoa(n), MessageID: fmt.Sprintf("<grace-%d-%s@example.com>", n, d)}))
		}
		expect := func(when, addr, wantOutcome, wantRef string) {
			t.Helper()
			o, r := send(addr)
			if o != wantOutcome || (wantRef != "" && r != wantRef) {
				t.Errorf("%s: %s → %s %s, want %s %s", when, addr, o, r, wantOutcome, wantRef)
			}
		}

		clock.Store(since.Add(23 * time.Hour).UnixNano()) // inside the grace
		expect("inside the grace", legacyReplyAddress(oldID), "appended", old)
		expect("inside the grace, ticket filed after the switch", legacyReplyAddress(freshID), "created", "")
		expect("inside the grace", replyAddress(t, oldID), "appended", old)

		legacyToken := legacySignupToken(t, a, old, since.Add(-time.Minute))
		clock.Store(since.Add(24 * time.Hour).UnixNano()) // the grace is over
		expect("after the grace", legacyReplyAddress(oldID), "created", "")
		expect("after the grace", replyAddress(t, oldID), "appended", old)
		expect("after the grace", replyAddress(t, freshID), "appended", fresh)
		if r := verifyToken(t, a, legacyToken); r.Status == 200 {
			t.Errorf("legacy signup token after the grace: %d %s", r.Status, r.Body)
		}

		clock.Store(since.Add(time.Hour).UnixNano()) // back inside: the token works (once)
		if r := verifyToken(t, a, legacyToken); r.Status != 200 {
			t.Errorf("legacy signup token inside the grace: %d %s", r.Status, r.Body)
		}
		late := legacySignupToken(t, a, old, since.Add(time.Minute))
		if r := verifyToken(t, a, late); r.Status == 200 {
			t.Errorf("legacy signup token issued after the switch accepted: %s", r.Body)
		}
	})
}

// legacySignupToken builds a signup token for the contact of ref the way
// they were signed before per-purpose keys (HMAC with the secret key).
func legacySignupToken(t *testing.T, a *app.App, ref string, issued time.Time) string {
	t.Helper()
	detail := do(t, a, req{method: "GET", path: "/support/admin/tickets/" + ref, header: bearer()}).json(t)
	contactID := int64(detail["contact"].(map[string]any)["id"].(float64))
	payload := fmt.Sprintf("%d.%d.%s", contactID, issued.Add(7*24*time.Hour).Unix(), hex.EncodeToString([]byte(issued.String()))[:32])
	return payload + "." + hostSigned(testSecret, "signup:"+payload)
}

func verifyToken(t *testing.T, a *app.App, token string) response {
	t.Helper()
	return do(t, a, req{method: "POST", path: "/support/admin/signup-tokens/verify", body: fmt.Sprintf(`{"token":%q}`, token), header: bearer()})
}
