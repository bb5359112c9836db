package app_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/server/app"
	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
	"github.com/portico/portico/server/tickets"
)

// A mail with From: victim and [TK-n] (and In-Reply-To) whose sender the
// provider did not authenticate opens a new ticket: never on TK-n, never on
// the victim's portal, no confirmation, and its Cc never becomes a
// participant who /sendall would mail. The same mail with passing verdicts
// appends.
func TestInboundSpoofedSenderCannotThread(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ma := startMailApp(t, d, inboundEnv(t, d), app.Deps{})
		a := ma.App
		ref := fileTicket(t, a, ticketBody("victim@example.com")).json(t)["reference"].(string)
		id := ticketIDOf(t, ref)
		portal := portalPath(t, ma.mail.Wait(1, 20*time.Second)[0].Envelope(t).Text)
		first := fmt.Sprintf("<ticket-%d@acme.test>", id)

		for i, v := range []string{"fail", "none", "missing"} {
			text := "spoofed " + v
			o, got := outcome(t, postmark(t, a, pm{From: "victim@example.com", To: "help@acme.test", Cc: "spy-" + v + "@evil.example",
				Subject: fmt.Sprintf("Re: [TK-%d] hello", id), Text: text, MessageID: fmt.Sprintf("<spoof-%d@evil.example>", i),
				InReplyTo: first, Verdicts: v}))
			if o != "created" || got == ref || got == "" {
				t.Fatalf("%s verdicts: outcome %s into %s, want a new ticket, not %s", v, o, got, ref)
			}
			for _, m := range timeline(t, a, ref) {
				if m["body"] == text {
					t.Errorf("%s verdicts: the spoofed mail is on %s", v, ref)
				}
			}
			if page := string(do(t, a, req{method: "GET", path: portal}).Body); strings.Contains(page, text) {
				t.Errorf("%s verdicts: the spoofed mail shows on the victim's portal", v)
			}
			for _, r := range []string{ref, got} {
				recips, err := ma.Tickets.Recipients(t.Context(), ticketIDOf(t, r))
				if err != nil {
					t.Fatal(err)
				}
				for _, rc := range recips {
					if strings.HasPrefix(rc.Email, "spy-") {
						t.Errorf("%s verdicts: spoofed Cc %s became a participant of %s", v, rc.Email, r)
					}
				}
			}
		}
		// /sendall on the victim's ticket reaches the victim only.
		recips, err := ma.Tickets.Recipients(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ma.Tickets.SendAgentReply(t.Context(), tickets.AgentReply{Source: model.SourceGitHub, TicketID: id, AuthorName: "agent", BodyText: "To all.", To: recips}); err != nil {
			t.Fatal(err)
		}
		ma.mail.Wait(2, 20*time.Second)
		settle()
		got := ma.mail.Received()
		// The first confirmation and the /sendall reply: no confirmation
		// went to the forged victim, nothing to a spoofed Cc.
		if len(got) != 2 {
			var to []string
			for _, m := range got {
				to = append(to, strings.Join(m.To, ","))
			}
			t.Fatalf("mails sent: %d (%v), want 2 (confirmation, reply to the victim)", len(got), to)
		}
		if strings.Join(got[1].To, ",") != "victim@example.com" {
			t.Errorf("/sendall went to %v", got[1].To)
		}

		// The genuine sender, with passing verdicts, appends; its Cc
		// (matched by headers from an authenticated participant) joins.
		o, into := outcome(t, postmark(t, a, pm{From: "victim@example.com", To: "help@acme.test", Cc: "colleague@example.com",
			Subject: fmt.Sprintf("Re: [TK-%d] hello", id), Text: "the real victim", MessageID: "<real@example.com>", InReplyTo: first}))
		if o != "appended" || into != ref {
			t.Fatalf("authenticated: %s into %s, want appended to %s", o, into, ref)
		}
		recips, _ = ma.Tickets.Recipients(t.Context(), id)
		if len(recips) != 2 || recips[1].Email != "colleague@example.com" {
			t.Errorf("recipients after the authenticated mail: %v", recips)
		}
	})
}

// A new ticket from an unauthenticated sender gets no confirmation; the
// same from an authenticated one does.
func TestInboundNoConfirmationUnauthenticated(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ma := startMailApp(t, d, inboundEnv(t, d), app.Deps{})
		o, ref := outcome(t, postmark(t, ma.App, pm{From: "someone@example.org", To: "help@acme.test", Subject: "Phish",
			Text: "Click http://evil.example", MessageID: "<phish@example.org>", Verdicts: "missing"}))
		if o != "created" || ref == "" {
			t.Fatalf("unauthenticated new mail: %s %s", o, ref)
		}
		o, ref2 := outcome(t, postmark(t, ma.App, pm{From: "real@example.org", To: "help@acme.test", Subject: "Help",
			Text: "Real question", MessageID: "<real@example.org>"}))
		if o != "created" {
			t.Fatalf("authenticated new mail: %s", o)
		}
		ma.mail.Wait(1, 20*time.Second)
		settle()
		got := ma.mail.Received()
		if len(got) != 1 || strings.Join(got[0].To, ",") != "real@example.org" {
			var to []string
			for _, m := range got {
				to = append(to, strings.Join(m.To, ","))
			}
			t.Errorf("confirmations went to %v; want only real@example.org (%s), none for %s", to, ref2, ref)
		}
	})
}

// inbound.unauthenticated = hold: the spoofed mail waits for an agent, is
// listed, held once however often the provider retries, and is released
// into the ticket or discarded. Bad values and ids are refused clearly.
func TestInboundHeldMail(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		a := newApp(t, inboundEnv(t, d), app.Deps{})
		ref := fileTicket(t, a, ticketBody("cust@example.com")).json(t)["reference"].(string)
		id := ticketIDOf(t, ref)
		put := func(body string) response {
			return do(t, a, req{method: "PUT", path: "/support/admin/settings/inbound", body: body, header: bearer()})
		}
		if r := do(t, a, req{method: "GET", path: "/support/admin/settings/inbound", header: bearer()}); r.Status != 200 || r.json(t)["unauthenticated"] != "new_ticket" {
			t.Fatalf("default inbound settings: %d %s", r.Status, r.Body)
		}
		for _, bad := range []string{`{"unauthenticated":"drop"}`, `{"unauthenticated":""}`} {
			r := put(bad)
			if r.Status != 422 || !strings.Contains(string(r.Body), `must be \"new_ticket\" or \"hold\"`) {
				t.Errorf("PUT %s: %d %s", bad, r.Status, r.Body)
			}
		}
		if r := put(`{"unauthenticated":7}`); r.Status != 400 || !strings.Contains(string(r.Body), "unauthenticated must be a string") {
			t.Errorf("PUT a number: %d %s", r.Status, r.Body)
		}
		if r := do(t, a, req{method: "GET", path: "/support/admin/settings/inbound", header: bearer()}); r.json(t)["unauthenticated"] != "new_ticket" {
			t.Errorf("refused PUTs changed the setting: %s", r.Body)
		}
		if r := put(`{"unauthenticated":"hold"}`); r.Status != 200 || r.json(t)["unauthenticated"] != "hold" {
			t.Fatalf("PUT hold: %d %s", r.Status, r.Body)
		}
		_, before := inventory(t, a)

		spoof := func(n int) pm {
			return pm{From: "cust@example.com", To: "help@acme.test", Subject: fmt.Sprintf("[TK-%d] again", id),
				Text: fmt.Sprintf("held text %d", n), MessageID: fmt.Sprintf("<held-%d@evil.example>", n), Verdicts: "fail"}
		}
		for try := 0; try < 2; try++ {
			r := postmark(t, a, spoof(1))
			o, _ := outcome(t, r)
			if want := []string{"held", "ignored"}[try]; o != want {
				t.Fatalf("post %d: outcome %s (%s), want %s", try+1, o, r.Body, want)
			}
		}
		if o, _ := outcome(t, postmark(t, a, spoof(2))); o != "held" {
			t.Fatalf("second mail: %s", o)
		}
		if tk, msgs := inventory(t, a); msgs != before || tk != 1 {
			t.Errorf("holding stored tickets %d, messages %d (before %d)", tk, msgs, before)
		}
		list := do(t, a, req{method: "GET", path: "/support/admin/inbound/held", header: bearer()}).json(t)["held"].([]any)
		if len(list) != 2 {
			t.Fatalf("held list: %v", list)
		}
		h := list[0].(map[string]any)
		if h["ticket_reference"] != ref || h["from_email"] != "cust@example.com" || h["auth"].(map[string]any)["dmarc"] != "fail" ||
			!strings.Contains(h["reason"].(string), "not authenticated") {
			t.Errorf("held entry: %v", h)
		}
		heldID := strconv.Itoa(int(h["id"].(float64)))
		otherID := strconv.Itoa(int(list[1].(map[string]any)["id"].(float64)))

		r := do(t, a, req{method: "POST", path: "/support/admin/inbound/held/" + heldID + "/release", header: bearer()})
		if r.Status != 200 || r.json(t)["outcome"] != "appended" || r.json(t)["ticket_reference"] != ref {
			t.Fatalf("release: %d %s", r.Status, r.Body)
		}
		found := false
		for _, m := range timeline(t, a, ref) {
			found = found || m["body"] == "held text 1"
		}
		if !found {
			t.Errorf("released mail not on %s", ref)
		}
		if r := do(t, a, req{method: "POST", path: "/support/admin/inbound/held/" + heldID + "/release", header: bearer()}); r.Status != 404 ||
			!strings.Contains(string(r.Body), "released or discarded already") {
			t.Errorf("release again: %d %s", r.Status, r.Body)
		}
		// The provider retrying the released mail files nothing more.
		if o, _ := outcome(t, postmark(t, a, spoof(1))); o != "ignored" {
			t.Errorf("retry after release: %s", o)
		}
		if r := do(t, a, req{method: "POST", path: "/support/admin/inbound/held/" + otherID + "/discard", header: bearer()}); r.Status != 204 {
			t.Errorf("discard: %d %s", r.Status, r.Body)
		}
		for _, path := range []string{"/support/admin/inbound/held/" + otherID + "/discard", "/support/admin/inbound/held/abc/release", "/support/admin/inbound/held/-1/discard"} {
			if r := do(t, a, req{method: "POST", path: path, header: bearer()}); r.Status != 404 || !strings.Contains(string(r.Body), "no held mail") {
				t.Errorf("POST %s: %d %s", path, r.Status, r.Body)
			}
		}
		if list := do(t, a, req{method: "GET", path: "/support/admin/inbound/held", header: bearer()}).json(t)["held"].([]any); len(list) != 0 {
			t.Errorf("held after release and discard: %v", list)
		}
		if r := do(t, a, req{method: "GET", path: "/support/admin/inbound/held"}); r.Status != 401 {
			t.Errorf("held list without auth: %d", r.Status)
		}

		// Erasing the address erases what is held in its name, too.
		if o, _ := outcome(t, postmark(t, a, spoof(3))); o != "held" {
			t.Fatalf("third mail: %s", o)
		}
		detail := do(t, a, req{method: "GET", path: "/support/admin/tickets/" + ref, header: bearer()}).json(t)
		contactID := int64(detail["contact"].(map[string]any)["id"].(float64))
		if r := do(t, a, req{method: "POST", path: fmt.Sprintf("/support/admin/contacts/%d/erase", contactID), header: bearer()}); r.Status != 200 {
			t.Fatalf("erase: %d %s", r.Status, r.Body)
		}
		if list := do(t, a, req{method: "GET", path: "/support/admin/inbound/held", header: bearer()}).json(t)["held"].([]any); len(list) != 0 {
			t.Errorf("held mail survived the sender's erasure: %v", list)
		}
	})
}

// SNS messages older than an hour, or from the future, are refused with a
// 401 that says why; nothing is stored.
func TestInboundSNSAge(t *testing.T) {
	t.Parallel()
	a := newApp(t, inboundEnv(t, store.SQLite), app.Deps{})
	post := func(ts string, n int) response {
		raw := fmt.Sprintf("From: a@example.com\r\nTo: help@acme.test\r\nSubject: s\r\nMessage-ID: <sns-age-%d@example.com>\r\n\r\nbody\r\n", n)
		notification, _ := json.Marshal(map[string]any{
			"notificationType": "Received", "mail": map[string]any{"source": "a@example.com", "messageId": fmt.Sprintf("ses-%d", n)},
			"receipt": map[string]any{"recipients": []string{"help@acme.test"}, "action": map[string]string{"type": "SNS", "encoding": "BASE64"}},
			"content": base64.StdEncoding.EncodeToString([]byte(raw)),
		})
		body, _ := json.Marshal(map[string]string{"Type": "Notification", "MessageId": fmt.Sprintf("sns-age-%d", n),
			"TopicArn": "arn:aws:sns:us-east-1:123456789012:inbound", "Message": string(notification), "Timestamp": ts})
		return do(t, a, req{method: "POST", path: "/support/inbound/ses", body: string(body), header: map[string]string{"X-Portico-Inbound-Secret": inboundSecret}})
	}
	now := time.Now().UTC()
	for i, c := range []struct {
		ts, want string
	}{
		{now.Add(-61 * time.Minute).Format(time.RFC3339), "more than 1h0m0s ago"},
		{now.Add(-48 * time.Hour).Format(time.RFC3339Nano), "more than 1h0m0s ago"},
		{now.Add(10 * time.Minute).Format(time.RFC3339), "in the future"},
		{"", "Timestamp is missing or not RFC 3339"},
		{"yesterday", "Timestamp is missing or not RFC 3339"},
	} {
		if r := post(c.ts, i); r.Status != 401 || !strings.Contains(string(r.Body), c.want) {
			t.Errorf("Timestamp %q: %d %s, want 401 %q", c.ts, r.Status, r.Body, c.want)
		}
	}
	if tk, _ := inventory(t, a); tk != 0 {
		t.Errorf("refused SNS messages stored %d tickets", tk)
	}
	if o, _ := outcome(t, post(now.Add(-59*time.Minute).Format(time.RFC3339), 99)); o != "created" {
		t.Errorf("fresh SNS message: %s", o)
	}
}

// A provider retrying a mail without a Message-ID files it once: Postmark by
// its own MessageID, Mailgun (re-signed on each try) by content.
func TestInboundDedupWithoutMessageID(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		a := newApp(t, inboundEnv(t, d), app.Deps{})
		mail := pm{From: "nomid@example.com", To: "help@acme.test", Subject: "No Message-ID", Text: "once"}
		o1, ref := outcome(t, postmark(t, a, mail))
		o2, _ := outcome(t, postmark(t, a, mail))
		if o1 != "created" || o2 != "ignored" {
			t.Errorf("postmark twice: %s, %s", o1, o2)
		}
		// The same mail as a reply to its own ticket (In-Reply-To our
		// confirmation) twice: appended once.
		reply := pm{From: "nomid@example.com", To: "help@acme.test", Subject: "Re", Text: "reply once",
			InReplyTo: fmt.Sprintf("<ticket-%d@acme.test>", ticketIDOf(t, ref)), Extra: map[string]string{"X-Try": "reply"}}
		body := strings.Replace(reply.json(), "f1b5d2c4-0000-4000-8000-000000000000", "f1b5d2c4-0000-4000-8000-000000000001", 1)
		hdr := map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(postmarkAuth))}
		for i, want := range []string{"appended", "ignored"} {
			if o, _ := outcome(t, do(t, a, req{method: "POST", path: "/support/inbound/postmark", body: body, header: hdr})); o != want {
				t.Errorf("reply post %d: %s, want %s", i+1, o, want)
			}
		}
		fields := map[string]string{"sender": "mg@example.com", "from": "mg@example.com", "recipient": "help@acme.test",
			"subject": "Mailgun without Message-Id", "body-plain": "once via mailgun",
			"message-headers": `[["From","mg@example.com"],["Subject","Mailgun without Message-Id"]]`}
		for i, want := range []string{"created", "ignored"} {
			v := mailgunForm(strconv.FormatInt(time.Now().Unix(), 10), fmt.Sprintf("tok-%d-%s", i, dbtest.Name()), fields)
			if o, _ := outcome(t, form(t, a, "/support/inbound/mailgun", v)); o != want {
				t.Errorf("mailgun post %d: %s, want %s", i+1, o, want)
			}
		}
		if tk, msgs := inventory(t, a); tk != 2 || msgs != 3 {
			t.Errorf("tickets %d, messages %d; want 2 and 3", tk, msgs)
		}
	})
}
