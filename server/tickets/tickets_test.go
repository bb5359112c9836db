package tickets_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/i18n"
	"github.com/portico/portico/server/jobs"
	"github.com/portico/portico/server/keys"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/ratelimit"
	"github.com/portico/portico/server/settings"
	"github.com/portico/portico/server/store"
	"github.com/portico/portico/server/tickets"
)

// The core service against a real database of each dialect, with a real
// (insert-only) job queue: each scenario gets its own database and reads
// back what was stored and which jobs were queued.

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

// human answers the human check as told.
// human answers the Turnstile check; a scenario may change its answer.
type human struct {
	ok    bool
	err   error
	asked []string
}

func (h *human) Verify(_ context.Context, response, _ string) (bool, error) {
	h.asked = append(h.asked, response)
	return h.ok, h.err
}

type fixture struct {
	t     *testing.T
	svc   *tickets.Service
	st    *store.Store
	clock *clock
	human *human
}

const replyDomain = "support.example.com"

func newFixture(t *testing.T, d store.Dialect) *fixture {
	t.Helper()
	c := &clock{now: time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)}
	st := dbtest.Open(t, d, c.Now)
	q, err := jobs.New(jobs.Options{DB: st.WriteDB(), Dialect: string(d)})
	if err != nil {
		t.Fatal(err)
	}
	ring, err := keys.New(keys.Options{Master: []byte("a master secret of at least thirty-two bytes"), Since: c.Now()})
	if err != nil {
		t.Fatal(err)
	}
	h := &human{ok: true}
	catalog, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	svc := tickets.New(tickets.Deps{
		Store: st, Jobs: q, Settings: settings.New(st, settings.Options{Now: c.Now}), Limiter: ratelimit.NewMemory(c.Now),
		Limits:    tickets.Limits{PerEmail: ratelimit.Limit{Count: 2, Period: time.Hour}, PerIP: ratelimit.Limit{Count: 100, Period: time.Hour}},
		Turnstile: h, BaseURL: "https://help.example.com", ReplyDomain: replyDomain, Keys: ring, Catalog: catalog, Now: c.Now,
	})
	return &fixture{t: t, svc: svc, st: st, clock: c, human: h}
}

// jobs lists the queued jobs in order: "mail.deliver", or
// "events.publish ticket.created" for an event, "+1 mail" when the event's
// job sends mails queued with it.
func (f *fixture) jobs() []string {
	f.t.Helper()
	args := "args" // River keeps JSONB on SQLite
	if f.st.Dialect() == store.SQLite {
		args = "json(args)"
	}
	rows, err := f.st.WriteDB().Query("SELECT kind, " + args + " FROM river_job ORDER BY id")
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var kind, args string
		if err := rows.Scan(&kind, &args); err != nil {
			f.t.Fatal(err)
		}
		var ev struct {
			Event struct {
				Kind  string `json:"kind"`
				Depth int    `json:"depth"`
			} `json:"event"`
			Mails []int64 `json:"mails"`
		}
		if kind == "events.publish" && json.Unmarshal([]byte(args), &ev) == nil {
			kind += " " + ev.Event.Kind
			if ev.Event.Depth > 0 {
				kind += " depth " + string(rune('0'+ev.Event.Depth))
			}
			switch n := len(ev.Mails); {
			case n == 1:
				kind += " +1 mail"
			case n > 1:
				kind += " +" + string(rune('0'+n)) + " mails"
			}
		}
		out = append(out, kind)
	}
	if err := rows.Err(); err != nil {
		f.t.Fatal(err)
	}
	return out
}

func (f *fixture) count(table string) int {
	f.t.Helper()
	var n int
	if err := f.st.WriteDB().QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *fixture) ticket(id int64) model.Ticket {
	f.t.Helper()
	t, err := f.st.Ticket(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return t
}

// file files a widget ticket from ada and clears the job list's meaning by
// returning how many jobs there were after it.
func (f *fixture) file(email string) model.Ticket {
	f.t.Helper()
	t, err := f.svc.CreateFromWidget(context.Background(), tickets.WidgetSubmission{
		Email: email, Name: "Ada", Subject: "Printer on fire", Description: "It is on fire.", ClientIP: "192.0.2.1",
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return t
}

func eq(a, b []string) bool { return strings.Join(a, "|") == strings.Join(b, "|") }

// scenario is one story told to a fresh service; it fails t itself.
type scenario struct {
	name string
	run  func(t *testing.T, f *fixture)
}

func runScenarios(t *testing.T, scenarios []scenario) {
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		for _, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) {
				t.Parallel()
				sc.run(t, newFixture(t, d))
			})
		}
	})
}

func TestWidgetIntake(t *testing.T) {
	ctx := context.Background()
	runScenarios(t, []scenario{
		{"a valid ticket commits with its contact, message, event and confirmation", func(t *testing.T, f *fixture) {
			tk := f.file("Ada@Example.com")
			if tk.Status != model.StatusOpen || tk.ContactID == nil || tk.Channel != model.ChannelWidget {
				t.Fatalf("ticket = %+v", tk)
			}
			c, err := f.st.Contact(ctx, *tk.ContactID)
			if err != nil || c.Email != "ada@example.com" {
				t.Errorf("contact = %+v, %v (the address is normalized)", c, err)
			}
			if got := f.jobs(); !eq(got, []string{"events.publish ticket.created +1 mail"}) {
				t.Errorf("jobs = %v", got)
			}
		}},
		{"invalid fields write nothing", func(t *testing.T, f *fixture) {
			_, err := f.svc.CreateFromWidget(ctx, tickets.WidgetSubmission{Email: "not an address", Subject: "", Description: "x", ClientIP: "192.0.2.1"})
			var fe model.FieldErrors
			if !errors.As(err, &fe) || fe["email"] == "" || fe["subject"] == "" {
				t.Fatalf("err = %v, want field errors for email and subject", err)
			}
			if n := f.count("tickets") + f.count("contacts") + len(f.jobs()); n != 0 {
				t.Errorf("%d rows written for a refused submission", n)
			}
		}},
		{"over the per-address budget is refused and writes nothing", func(t *testing.T, f *fixture) {
			f.file("ada@example.com")
			f.file("ada@example.com")
			_, err := f.svc.CreateFromWidget(ctx, tickets.WidgetSubmission{Email: "ada@example.com", Subject: "s", Description: "d", ClientIP: "192.0.2.9"})
			var rl *tickets.RateLimitedError
			if !errors.As(err, &rl) || rl.RetryAfter <= 0 {
				t.Fatalf("third submission: %v, want a rate limit", err)
			}
			if n := f.count("tickets"); n != 2 {
				t.Errorf("%d tickets, want 2", n)
			}
		}},
		{"a guest must pass the human check; a failure writes nothing and charges no budget", func(t *testing.T, f *fixture) {
			sub := tickets.WidgetSubmission{Email: "ada@example.com", Subject: "s", Description: "d", ClientIP: "192.0.2.1", Turnstile: "tok"}
			f.human.ok = false
			for range 3 { // over the per-address budget of 2, were it charged
				if _, err := f.svc.CreateFromWidget(ctx, sub); !errors.Is(err, tickets.ErrNotHuman) {
					t.Fatalf("failed check: %v, want ErrNotHuman", err)
				}
			}
			f.human.ok, f.human.err = false, errors.New("siteverify: connection refused")
			if _, err := f.svc.CreateFromWidget(ctx, sub); !errors.Is(err, tickets.ErrHumanCheckUnavailable) {
				t.Fatalf("siteverify down: %v, want ErrHumanCheckUnavailable", err)
			}
			if n := f.count("tickets") + f.count("contacts") + len(f.jobs()); n != 0 {
				t.Errorf("%d rows written for refused submissions", n)
			}
			f.human.ok, f.human.err = true, nil
			if _, err := f.svc.CreateFromWidget(ctx, sub); err != nil {
				t.Fatalf("passed check: %v (the refused tries must not count against the budget)", err)
			}
			if want := []string{"tok", "tok", "tok", "tok", "tok"}; !eq(f.human.asked, want) {
				t.Errorf("asked %q, want %q", f.human.asked, want)
			}
		}},
		{"fields are checked before the human check, so a typo keeps the token", func(t *testing.T, f *fixture) {
			_, err := f.svc.CreateFromWidget(ctx, tickets.WidgetSubmission{Email: "nope", Subject: "s", Description: "d", ClientIP: "192.0.2.1", Turnstile: "tok"})
			var fe model.FieldErrors
			if !errors.As(err, &fe) || len(f.human.asked) != 0 {
				t.Errorf("err = %v, asked %q", err, f.human.asked)
			}
		}},
		{"a host app's signed user is not asked", func(t *testing.T, f *fixture) {
			f.human.ok = false
			id := int64(42)
			if _, err := f.svc.CreateFromWidget(ctx, tickets.WidgetSubmission{RequesterID: &id, Subject: "s", Description: "d", ClientIP: "192.0.2.1"}); err != nil {
				t.Fatalf("signed requester: %v", err)
			}
			if len(f.human.asked) != 0 {
				t.Errorf("asked %q", f.human.asked)
			}
		}},
	})
}

func TestHumanCheckIsRequired(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("tickets.New without a human check did not refuse")
		}
	}()
	tickets.New(tickets.Deps{})
}

func TestCloseAndReopen(t *testing.T) {
	ctx := context.Background()
	runScenarios(t, []scenario{
		{"close publishes once and keeps the first close time", func(t *testing.T, f *fixture) {
			tk := f.file("ada@example.com")
			at := f.clock.Now().Add(-time.Hour)
			for i, want := range []bool{true, false} {
				closed, err := f.svc.Close(ctx, tk.ID, tickets.StateChange{At: at.Add(time.Duration(i) * time.Minute)})
				if err != nil || closed != want {
					t.Fatalf("close #%d = %v, %v; want %v", i+1, closed, err, want)
				}
			}
			got := f.ticket(tk.ID)
			if got.Status != model.StatusClosed || got.ClosedAt == nil || !got.ClosedAt.Equal(at) {
				t.Errorf("ticket = %s closed at %v, want closed at %v", got.Status, got.ClosedAt, at)
			}
			// The close carries the customer's status mail.
			if jobs := f.jobs(); !eq(jobs[1:], []string{"events.publish ticket.closed +1 mail"}) {
				t.Errorf("jobs after the ticket's own = %v", jobs[1:])
			}
		}},
		{"a zero time closes now", func(t *testing.T, f *fixture) {
			tk := f.file("ada@example.com")
			if _, err := f.svc.Close(ctx, tk.ID, tickets.StateChange{}); err != nil {
				t.Fatal(err)
			}
			if got := f.ticket(tk.ID); got.ClosedAt == nil || !got.ClosedAt.Equal(f.clock.Now()) {
				t.Errorf("closed at %v, want now", got.ClosedAt)
			}
		}},
		{"reopen clears the close and publishes once", func(t *testing.T, f *fixture) {
			tk := f.file("ada@example.com")
			if _, err := f.svc.Close(ctx, tk.ID, tickets.StateChange{}); err != nil {
				t.Fatal(err)
			}
			for i, want := range []bool{true, false} {
				reopened, err := f.svc.Reopen(ctx, tk.ID, tickets.StateChange{})
				if err != nil || reopened != want {
					t.Fatalf("reopen #%d = %v, %v; want %v", i+1, reopened, err, want)
				}
			}
			if got := f.ticket(tk.ID); got.Status != model.StatusOpen || got.ClosedAt != nil {
				t.Errorf("ticket = %s, closed at %v", got.Status, got.ClosedAt)
			}
			if jobs := f.jobs(); !eq(jobs[1:], []string{"events.publish ticket.closed +1 mail", "events.publish ticket.reopened +1 mail"}) {
				t.Errorf("jobs = %v", jobs[1:])
			}
		}},
		{"a workflow's close carries its depth", func(t *testing.T, f *fixture) {
			tk := f.file("ada@example.com")
			if _, err := f.svc.Close(ctx, tk.ID, tickets.StateChange{Depth: 2}); err != nil {
				t.Fatal(err)
			}
			if jobs := f.jobs(); !eq(jobs[1:], []string{"events.publish ticket.closed depth 2 +1 mail"}) {
				t.Errorf("jobs = %v", jobs[1:])
			}
		}},
		{"no such ticket", func(t *testing.T, f *fixture) {
			if _, err := f.svc.Close(ctx, 4242, tickets.StateChange{}); !errors.Is(err, model.ErrNotFound) {
				t.Errorf("close = %v, want not found", err)
			}
			if _, err := f.svc.Reopen(ctx, 4242, tickets.StateChange{}); !errors.Is(err, model.ErrNotFound) {
				t.Errorf("reopen = %v, want not found", err)
			}
		}},
		{"a close in a caller's transaction that fails leaves the ticket open", func(t *testing.T, f *fixture) {
			tk := f.file("ada@example.com")
			errLater := errors.New("the caller's next step failed")
			err := f.st.RunInTx(ctx, func(ctx context.Context, tx *store.Tx) error {
				if closed, err := f.svc.Close(ctx, tk.ID, tickets.StateChange{}); err != nil || !closed {
					t.Errorf("close = %v, %v", closed, err)
				}
				return errLater
			})
			if !errors.Is(err, errLater) {
				t.Fatalf("RunInTx = %v", err)
			}
			if got := f.ticket(tk.ID); got.Status != model.StatusOpen {
				t.Errorf("status = %s, want open", got.Status)
			}
			if n := len(f.jobs()); n != 1 {
				t.Errorf("%d jobs, want the ticket's 1 only", n)
			}
		}},
	})
}

func TestWorkflowChanges(t *testing.T) {
	ctx := context.Background()
	runScenarios(t, []scenario{
		{"priority: unknown refused, same unchanged, new published at depth", func(t *testing.T, f *fixture) {
			tk := f.file("ada@example.com")
			var fe model.FieldErrors
			if _, err := f.svc.SetPriority(ctx, tk.ID, "galactic", 1); !errors.As(err, &fe) {
				t.Errorf("unknown priority = %v, want a field error", err)
			}
			if changed, err := f.svc.SetPriority(ctx, tk.ID, tk.Priority, 1); err != nil || changed {
				t.Errorf("same priority = %v, %v", changed, err)
			}
			if changed, err := f.svc.SetPriority(ctx, tk.ID, "urgent", 1); err != nil || !changed {
				t.Errorf("new priority = %v, %v", changed, err)
			}
			if got := f.ticket(tk.ID).Priority; got != "urgent" {
				t.Errorf("priority = %q", got)
			}
			if jobs := f.jobs(); !eq(jobs[1:], []string{"events.publish ticket.priority_changed depth 1"}) {
				t.Errorf("jobs = %v", jobs[1:])
			}
		}},
		{"tags: only what changed is reported", func(t *testing.T, f *fixture) {
			tk := f.file("ada@example.com")
			added, removed, err := f.svc.ChangeTags(ctx, tk.ID, []string{"vip", "billing"}, []string{"absent"})
			if err != nil || !eq(added, []string{"vip", "billing"}) || len(removed) != 0 {
				t.Fatalf("first = %v %v %v", added, removed, err)
			}
			added, removed, err = f.svc.ChangeTags(ctx, tk.ID, []string{"vip"}, []string{"billing"})
			if err != nil || len(added) != 0 || !eq(removed, []string{"billing"}) {
				t.Errorf("second = %v %v %v", added, removed, err)
			}
			if tags, _ := f.svc.Tags(ctx, tk.ID); !eq(tags, []string{"vip"}) {
				t.Errorf("tags = %v", tags)
			}
		}},
	})
}

func TestAgentReplies(t *testing.T) {
	ctx := context.Background()
	runScenarios(t, []scenario{
		{"a reply is stored with its source and mailed to the customer", func(t *testing.T, f *fixture) {
			tk := f.file("ada@example.com")
			msg, err := f.svc.SendAgentReply(ctx, tickets.AgentReply{TicketID: tk.ID, Source: model.SourceGitHub, AuthorName: "grace", BodyText: " Unplug it. "})
			if err != nil {
				t.Fatal(err)
			}
			if msg.Source != model.SourceGitHub || msg.Direction != model.DirectionOutbound || msg.Body != "Unplug it." || msg.EmailMessageID == nil {
				t.Errorf("message = %+v", msg)
			}
			if jobs := f.jobs(); !eq(jobs[1:], []string{"events.publish reply.created +1 mail"}) {
				t.Errorf("jobs = %v", jobs[1:])
			}
		}},
		{"bad replies write nothing", func(t *testing.T, f *fixture) {
			tk := f.file("ada@example.com")
			noContact, err := f.svc.CreateFromWidget(ctx, tickets.WidgetSubmission{Subject: "s", Description: "d", RequesterID: new(int64(7)), ClientIP: "192.0.2.1"})
			if err != nil {
				t.Fatal(err)
			}
			cases := []struct {
				name  string
				reply tickets.AgentReply
				want  func(error) bool
			}{
				{"no source", tickets.AgentReply{TicketID: tk.ID, BodyText: "x"}, func(err error) bool { return err != nil }},
				{"empty body", tickets.AgentReply{TicketID: tk.ID, Source: model.SourceGitHub, BodyText: "  "},
					func(err error) bool { var fe model.FieldErrors; return errors.As(err, &fe) }},
				{"no such ticket", tickets.AgentReply{TicketID: 4242, Source: model.SourceGitHub, BodyText: "x"},
					func(err error) bool { return errors.Is(err, model.ErrNotFound) }},
				{"nobody to mail", tickets.AgentReply{TicketID: noContact.ID, Source: model.SourceGitHub, BodyText: "x"},
					func(err error) bool { return errors.Is(err, tickets.ErrNoRecipient) }},
			}
			before := f.count("messages")
			for _, c := range cases {
				if _, err := f.svc.SendAgentReply(ctx, c.reply); !c.want(err) {
					t.Errorf("%s: err = %v", c.name, err)
				}
			}
			if n := f.count("messages"); n != before {
				t.Errorf("%d messages stored by refused replies", n-before)
			}
		}},
		{"an internal note mails nobody", func(t *testing.T, f *fixture) {
			tk := f.file("ada@example.com")
			msg, err := f.svc.AddInternalNote(ctx, tickets.Note{TicketID: tk.ID, Source: model.SourceGitHub, Author: "grace", Body: "angry"})
			if err != nil || msg.Direction != model.DirectionInternal {
				t.Fatalf("note = %+v, %v", msg, err)
			}
			if n := len(f.jobs()); n != 1 {
				t.Errorf("%d jobs, want the ticket's 1", n)
			}
		}},
	})
}

// token mints a portal link for the ticket's customer and returns its token.
func (f *fixture) token(tk model.Ticket) string {
	f.t.Helper()
	u, err := f.svc.MintPortalURL(context.Background(), tk.ID, "ada@example.com")
	if err != nil {
		f.t.Fatal(err)
	}
	return u[strings.LastIndex(u, "/")+1:]
}

func TestPortalReplies(t *testing.T) {
	ctx := context.Background()
	runScenarios(t, []scenario{
		{"a reply on a closed ticket reopens it", func(t *testing.T, f *fixture) {
			tk := f.file("ada@example.com")
			token := f.token(tk)
			if _, err := f.svc.Close(ctx, tk.ID, tickets.StateChange{}); err != nil {
				t.Fatal(err)
			}
			msg, err := f.svc.ReplyOnPortal(ctx, tickets.PortalReply{Token: token, Body: "<b>Still</b> broken", Turnstile: "ok", ClientIP: "192.0.2.1"})
			if err != nil {
				t.Fatal(err)
			}
			if msg.Body != "Still broken" || msg.Source != model.SourcePortal || msg.AuthorEmail != "ada@example.com" {
				t.Errorf("message = %+v", msg)
			}
			if got := f.ticket(tk.ID); got.Status != model.StatusOpen {
				t.Errorf("status = %s", got.Status)
			}
			if jobs := f.jobs(); !eq(jobs[1:], []string{"events.publish ticket.closed +1 mail", "events.publish ticket.reopened +1 mail", "events.publish reply.created"}) {
				t.Errorf("jobs = %v", jobs[1:])
			}
		}},
		{"refused replies store nothing", func(t *testing.T, f *fixture) {
			tk := f.file("ada@example.com")
			token := f.token(tk)
			before := f.count("messages")
			var fe model.FieldErrors
			if _, err := f.svc.ReplyOnPortal(ctx, tickets.PortalReply{Token: token, Body: "<p> </p>"}); !errors.As(err, &fe) {
				t.Errorf("empty reply = %v", err)
			}
			if _, err := f.svc.ReplyOnPortal(ctx, tickets.PortalReply{Token: strings.Repeat("0", 64), Body: "x"}); !errors.Is(err, model.ErrNotFound) {
				t.Errorf("unknown token = %v", err)
			}
			if _, err := f.svc.ReplyOnPortal(ctx, tickets.PortalReply{Token: "../../etc", Body: "x"}); !errors.Is(err, model.ErrNotFound) {
				t.Errorf("junk token = %v", err)
			}
			if n := f.count("messages"); n != before {
				t.Errorf("%d messages stored", n-before)
			}
		}},
	})
}

func TestInboundMail(t *testing.T) {
	ctx := context.Background()
	pass := model.MailAuth{DMARC: model.VerdictPass}
	mail := func(mid, inReplyTo string, auth model.MailAuth) tickets.InboundMessage {
		return tickets.InboundMessage{Body: "Hello", Original: "Hello", Mail: model.InboundMail{
			Provider: "postmark", MessageID: mid, InReplyTo: inReplyTo, Subject: "Help",
			From: model.Address{Email: "ada@example.com", Name: "Ada"}, Auth: auth,
		}}
	}
	runScenarios(t, []scenario{
		{"a new ticket records the Content-Language its sender declared", func(t *testing.T, f *fixture) {
			locale := func(email string) string {
				t.Helper()
				c, err := f.st.LiveContactByEmail(ctx, email)
				if err != nil {
					t.Fatal(err)
				}
				return c.Locale
			}
			send := func(from, mid, lang string, auth model.MailAuth) {
				t.Helper()
				in := mail(mid, "", auth)
				in.Mail.From.Email = from
				in.Mail.Headers = map[string][]string{"Content-Language": {lang}}
				if res, err := f.svc.ReceiveMail(ctx, in); err != nil || res.Outcome != tickets.OutcomeCreated {
					t.Fatalf("%s (%s): %+v, %v", mid, lang, res, err)
				}
			}
			send("ada@example.com", "<1@ada>", "de-DE", pass)
			if got := locale("ada@example.com"); got != "de" {
				t.Errorf("after Content-Language: de-DE the contact speaks %q", got)
			}
			// A language portico does not speak, none at all, or a forged
			// sender's: the stored one stays.
			send("ada@example.com", "<2@ada>", "ja", pass)
			send("ada@example.com", "<3@ada>", "", pass)
			send("ada@example.com", "<4@ada>", "fr", model.MailAuth{})
			if got := locale("ada@example.com"); got != "de" {
				t.Errorf("the contact speaks %q, want de kept", got)
			}
			send("ada@example.com", "<5@ada>", "pt-BR, en;q=0.5", pass)
			if got := locale("ada@example.com"); got != "pt" {
				t.Errorf("after Content-Language: pt-BR the contact speaks %q", got)
			}
			send("bob@example.com", "<1@bob>", "ja", pass)
			if got := locale("bob@example.com"); got != "" {
				t.Errorf("Content-Language: ja stored %q", got)
			}
		}},
		{"new, threaded reply, duplicate", func(t *testing.T, f *fixture) {
			res, err := f.svc.ReceiveMail(ctx, mail("<1@ada>", "", pass))
			if err != nil || res.Outcome != tickets.OutcomeCreated {
				t.Fatalf("first = %+v, %v", res, err)
			}
			res, err = f.svc.ReceiveMail(ctx, mail("<2@ada>", "<1@ada>", pass))
			if err != nil || res.Outcome != tickets.OutcomeAppended {
				t.Fatalf("reply = %+v, %v", res, err)
			}
			res, err = f.svc.ReceiveMail(ctx, mail("<2@ada>", "<1@ada>", pass))
			if err != nil || res.Outcome != tickets.OutcomeIgnored {
				t.Errorf("again = %+v, %v", res, err)
			}
			if n := f.count("tickets"); n != 1 {
				t.Errorf("%d tickets", n)
			}
			if n := f.count("messages"); n != 2 {
				t.Errorf("%d messages", n)
			}
		}},
		{"held, then released into its ticket in one transaction", func(t *testing.T, f *fixture) {
			hold := settings.UnauthenticatedHold
			if _, err := settings.New(f.st, settings.Options{Now: f.clock.Now}).SetInbound(ctx, settings.InboundInput{Unauthenticated: &hold}); err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.ReceiveMail(ctx, mail("<1@ada>", "", pass)); err != nil {
				t.Fatal(err)
			}
			res, err := f.svc.ReceiveMail(ctx, mail("<2@ada>", "<1@ada>", model.MailAuth{}))
			if err != nil || res.Outcome != tickets.OutcomeHeld {
				t.Fatalf("unauthenticated reply = %+v, %v", res, err)
			}
			held, err := f.svc.HeldMails(ctx)
			if err != nil || len(held) != 1 {
				t.Fatalf("held = %v, %v", held, err)
			}
			res, err = f.svc.ReleaseHeld(ctx, held[0].ID)
			if err != nil || res.Outcome != tickets.OutcomeAppended {
				t.Fatalf("release = %+v, %v", res, err)
			}
			if n := f.count("held_mails"); n != 0 {
				t.Errorf("%d held mails left", n)
			}
			if _, err := f.svc.ReleaseHeld(ctx, held[0].ID); !errors.Is(err, model.ErrNotFound) {
				t.Errorf("release again = %v, want not found", err)
			}
			if n := f.count("messages"); n != 2 {
				t.Errorf("%d messages, want 2", n)
			}
		}},
	})
}
