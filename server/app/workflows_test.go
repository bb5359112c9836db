package app_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/server/app"
	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/github/githubtest"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
	"github.com/portico/portico/server/tickets"
	"github.com/portico/portico/server/workflows"
)

// wfClock is a clock tests move by hand.
type wfClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *wfClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *wfClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// wfServe serves a (the jobs run) until the test ends, or until the
// returned stop is called.
func wfServe(t *testing.T, a *app.App) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, listen(t)) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-served; err != nil {
				t.Errorf("serve: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// wfApp builds a serving app whose delayed chains notice a moved clock at
// once.
func wfApp(t *testing.T, vars map[string]string, clk *wfClock) *app.App {
	t.Helper()
	deps := app.Deps{JobRetryPolicy: fastRetry{}, WorkflowMaxSleep: 50 * time.Millisecond}
	if clk != nil {
		deps.Now = clk.now
	}
	a := newApp(t, vars, deps)
	wfServe(t, a)
	return a
}

func wfCreate(t *testing.T, a *app.App, body string) map[string]any {
	t.Helper()
	r := do(t, a, req{method: "POST", path: "/support/admin/workflows", body: body, header: bearer()})
	if r.Status != 201 {
		t.Fatalf("create rule: %d %s\n%s", r.Status, r.Body, body)
	}
	return r.json(t)
}

func wfRule(name, trigger, conditions, actions string) string {
	return fmt.Sprintf(`{"name":%q,"trigger":%q,"conditions":%s,"actions":%s}`, name, trigger, conditions, actions)
}

type wfRun struct {
	ID       int64              `json:"id"`
	RuleID   *int64             `json:"rule_id"`
	RuleName string             `json:"rule_name"`
	Ticket   string             `json:"ticket"`
	Event    string             `json:"event"`
	Status   string             `json:"status"`
	Error    string             `json:"error"`
	Step     int                `json:"step"`
	Actions  []workflows.Action `json:"actions"`
	DueAt    *time.Time         `json:"due_at"`
}

func wfRuns(t *testing.T, a *app.App, query string) []wfRun {
	t.Helper()
	r := do(t, a, req{method: "GET", path: "/support/admin/workflows/runs" + query, header: bearer()})
	if r.Status != 200 {
		t.Fatalf("runs: %d %s", r.Status, r.Body)
	}
	var out struct{ Runs []wfRun }
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatal(err)
	}
	return out.Runs
}

// wfWaitRun waits until the ticket has a run of the rule named name in
// status and returns it.
func wfWaitRun(t *testing.T, a *app.App, ref, name, status string) wfRun {
	t.Helper()
	var found wfRun
	githubtest.Wait(t, fmt.Sprintf("run of %q on %s to be %s", name, ref, status), 20*time.Second, func() bool {
		for _, r := range wfRuns(t, a, "?ticket="+ref) {
			if r.RuleName == name && r.Status == status {
				found = r
				return true
			}
		}
		return false
	})
	return found
}

func wfTicket(t *testing.T, a *app.App, ref string) map[string]any {
	t.Helper()
	r := do(t, a, req{method: "GET", path: "/support/admin/tickets/" + ref, header: bearer()})
	if r.Status != 200 {
		t.Fatalf("ticket %s: %d %s", ref, r.Status, r.Body)
	}
	return r.json(t)
}

func wfTags(t *testing.T, a *app.App, ref string) string {
	t.Helper()
	var tags []string
	for _, v := range wfTicket(t, a, ref)["tags"].([]any) {
		tags = append(tags, v.(string))
	}
	return strings.Join(tags, ",")
}

func wfFile(t *testing.T, a *app.App, email, subject string) string {
	t.Helper()
	r := fileTicket(t, a, fmt.Sprintf(`{"email":%q,"name":"Ada","subject":%q,"description":"Details here.","priority":"medium"}`, email, subject))
	if r.Status != 201 {
		t.Fatalf("file: %d %s", r.Status, r.Body)
	}
	return r.json(t)["reference"].(string)
}

// customerMails replies by email as the ticket's requester.
func customerMails(t *testing.T, a *app.App, ref, from, body string) {
	t.Helper()
	res, err := a.Tickets.ReceiveMail(context.Background(), tickets.InboundMessage{
		Mail: model.InboundMail{Provider: "postmark", MessageID: "<" + dbtest.Name() + "@mail.example>",
			From: model.Address{Email: from}, To: []model.Address{{Email: "help@acme.test"}}, Subject: "Re: [" + ref + "] hello", Text: body,
			Auth: model.MailAuth{DMARC: model.VerdictPass}},
		Body: body, Original: body,
	})
	if err != nil || res.Outcome != tickets.OutcomeAppended {
		t.Fatalf("customer mail on %s: %+v, %v", ref, res, err)
	}
}

// TestWorkflowRulesAPI: defaults on first start, create, edit, reorder,
// enable and disable, delete, malformed rules refused, dry-run, run log.
func TestWorkflowRulesAPI(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		vars := env(t, d)
		a := newApp(t, vars, app.Deps{})
		list := func() []workflows.Rule {
			t.Helper()
			r := do(t, a, req{method: "GET", path: "/support/admin/workflows", header: bearer()})
			if r.Status != 200 {
				t.Fatalf("list: %d %s", r.Status, r.Body)
			}
			var out struct{ Rules []workflows.Rule }
			if err := json.Unmarshal(r.Body, &out); err != nil {
				t.Fatal(err)
			}
			return out.Rules
		}
		rules := list()
		if len(rules) != 2 || rules[0].Name != "Tag widget tickets" || rules[1].Name != "Tag email tickets" ||
			rules[0].Actions[0] != (workflows.Action{Type: "add_tag", Value: "from-widget"}) ||
			fmt.Sprint(rules[1].Conditions.All[0]) != fmt.Sprint(workflows.Condition{Field: "channel", Operator: "equals", Value: "email"}) {
			t.Fatalf("default rules = %+v", rules)
		}
		// A second start on the same database adds nothing; nor does one
		// after the defaults were deleted.
		if r := do(t, a, req{method: "DELETE", path: fmt.Sprintf("/support/admin/workflows/%d", rules[1].ID), header: bearer()}); r.Status != 204 {
			t.Fatalf("delete: %d %s", r.Status, r.Body)
		}
		again := newApp(t, vars, app.Deps{})
		if r := do(t, again, req{method: "GET", path: "/support/admin/workflows", header: bearer()}); strings.Count(string(r.Body), `"name"`) != 1 {
			t.Errorf("after a restart: %s", r.Body)
		}

		if r := do(t, a, req{method: "GET", path: "/support/admin/workflows"}); r.Status != 401 {
			t.Errorf("without credentials: %d", r.Status)
		}

		urgent := wfCreate(t, a, `{"name":"Outages are urgent","trigger":"ticket.created",
			"conditions":{"all":[{"field":"subject","operator":"contains","value":"outage"}],"any":[{"field":"tags","operator":"is_empty"},{"field":"email_domain","operator":"in","value":["example.com"]}]},
			"actions":[{"type":"set_priority","value":"urgent"},{"type":"add_tag","value":"Incident"}],"stop_processing":true}`)
		id := int64(urgent["id"].(float64))
		if urgent["position"].(float64) != 2 || urgent["enabled"] != true || urgent["stop_processing"] != true || len(urgent["webhook_secret"].(string)) < 32 {
			t.Errorf("created = %v", urgent)
		}
		if acts := urgent["actions"].([]any); acts[1].(map[string]any)["value"] != "incident" {
			t.Errorf("tag not normalized: %v", acts)
		}
		spamRule := wfCreate(t, a, wfRule("Close spam", "ticket.created", `{"any":[{"field":"subject","operator":"matches","value":"(?i)free money"}]}`, `[{"type":"close"}]`))
		closeID := int64(spamRule["id"].(float64))

		// Malformed rules: 422 with every problem, nothing stored.
		bad := do(t, a, req{method: "POST", path: "/support/admin/workflows", header: bearer(), body: `{"name":"","trigger":"ticket.sent",
			"conditions":{"all":[],"any":[{"field":"subject","operator":"matches","value":"(x"}]},"actions":[{"type":"delay","value":"7d"}]}`})
		if bad.Status != 422 {
			t.Fatalf("malformed: %d %s", bad.Status, bad.Body)
		}
		errs, _ := bad.json(t)["errors"].(map[string]any)
		for _, k := range []string{"name", "trigger", "conditions.all", "conditions.any[0].value", "actions[0].type"} {
			if _, ok := errs[k]; !ok {
				t.Errorf("no error for %s: %s", k, bad.Body)
			}
		}
		if r := do(t, a, req{method: "POST", path: "/support/admin/workflows", header: bearer(), body: `{"name":`}); r.Status != 400 {
			t.Errorf("invalid JSON: %d", r.Status)
		}
		if n := len(list()); n != 3 {
			t.Errorf("%d rules after refused ones, want 3", n)
		}

		// Edit: PUT replaces the definition; enabled and the secret stay.
		secret := urgent["webhook_secret"].(string)
		r := do(t, a, req{method: "PUT", path: fmt.Sprintf("/support/admin/workflows/%d", id), header: bearer(),
			body: wfRule("Outages", "ticket.created", `{"all":[{"field":"subject","operator":"contains","value":"outage"}]}`, `[{"type":"set_priority","value":"urgent"}]`)})
		if r.Status != 200 {
			t.Fatalf("update: %d %s", r.Status, r.Body)
		}
		up := r.json(t)
		if up["name"] != "Outages" || up["version"].(float64) != 2 || up["stop_processing"] != false || up["webhook_secret"] != secret || up["enabled"] != true {
			t.Errorf("updated = %v", up)
		}
		if _, ok := up["conditions"].(map[string]any)["any"]; ok {
			t.Errorf("a group left out came back: %v", up["conditions"])
		}
		if r := do(t, a, req{method: "PUT", path: fmt.Sprintf("/support/admin/workflows/%d", id), header: bearer(),
			body: wfRule("Outages", "ticket.created", `{"all":[]}`, `[{"type":"close"}]`)}); r.Status != 422 {
			t.Errorf("update to an empty group: %d %s", r.Status, r.Body)
		}
		for _, c := range []struct {
			method, path string
			status       int
		}{
			{"GET", "/support/admin/workflows/999999", 404},
			{"GET", "/support/admin/workflows/abc", 404},
			{"PUT", "/support/admin/workflows/999999", 404},
			{"DELETE", "/support/admin/workflows/999999", 404},
			{"POST", "/support/admin/workflows/999999/enable", 404},
			{"GET", "/support/admin/workflows/runs?limit=0", 400},
			{"GET", "/support/admin/workflows/runs?ticket=nope", 422},
		} {
			body := ""
			if c.method == "PUT" {
				body = wfRule("x", "ticket.created", `{"all":[{"field":"subject","operator":"contains","value":"x"}]}`, `[{"type":"close"}]`)
			}
			if r := do(t, a, req{method: c.method, path: c.path, body: body, header: bearer()}); r.Status != c.status {
				t.Errorf("%s %s = %d %s, want %d", c.method, c.path, r.Status, r.Body, c.status)
			}
		}

		// Reorder: every rule once.
		ids := []int64{closeID, id, rules[0].ID}
		body, _ := json.Marshal(map[string]any{"ids": ids})
		if r := do(t, a, req{method: "POST", path: "/support/admin/workflows/reorder", header: bearer(), body: string(body)}); r.Status != 200 {
			t.Fatalf("reorder: %d %s", r.Status, r.Body)
		}
		got := list()
		if got[0].ID != closeID || got[1].ID != id || got[2].ID != rules[0].ID || got[0].Position != 1 || got[2].Position != 3 {
			t.Errorf("order = %+v", got)
		}
		for _, bad := range []string{`{"ids":[1]}`, fmt.Sprintf(`{"ids":[%d,%d,%d,%d]}`, closeID, id, rules[0].ID, id), fmt.Sprintf(`{"ids":[%d,%d,99999]}`, closeID, id)} {
			if r := do(t, a, req{method: "POST", path: "/support/admin/workflows/reorder", header: bearer(), body: bad}); r.Status != 422 {
				t.Errorf("reorder %s: %d %s", bad, r.Status, r.Body)
			}
		}

		// Disable and enable.
		if r := do(t, a, req{method: "POST", path: fmt.Sprintf("/support/admin/workflows/%d/disable", closeID), header: bearer()}); r.Status != 200 || r.json(t)["enabled"] != false {
			t.Errorf("disable: %d %s", r.Status, r.Body)
		}

		// Dry run on a ticket: which rules would act, condition by condition.
		ref := wfFile(t, a, "ada@example.com", "Total outage: free money lost")
		dr := do(t, a, req{method: "POST", path: "/support/admin/workflows/dry-run", header: bearer(), body: `{"ticket":"` + ref + `"}`})
		if dr.Status != 200 {
			t.Fatalf("dry run: %d %s", dr.Status, dr.Body)
		}
		var res workflows.DryRun
		if err := json.Unmarshal(dr.Body, &res); err != nil {
			t.Fatal(err)
		}
		if res.Ticket != ref || res.Trigger != "ticket.created" || res.Facts.EmailDomain != "example.com" || len(res.Rules) != 3 {
			t.Fatalf("dry run = %s", dr.Body)
		}
		verdict := func(i int) string {
			r := res.Rules[i]
			return fmt.Sprintf("%v/%v/%v", r.Enabled, r.Matched, r.WouldRun)
		}
		if verdict(0) != "false/true/false" || verdict(1) != "true/true/true" || verdict(2) != "true/true/true" {
			t.Errorf("verdicts = %s %s %s\n%s", verdict(0), verdict(1), verdict(2), dr.Body)
		}
		if !strings.Contains(string(dr.Body), `"actual":"Total outage: free money lost"`) {
			t.Errorf("dry run does not show what it compared: %s", dr.Body)
		}
		if r := do(t, a, req{method: "POST", path: "/support/admin/workflows/dry-run", header: bearer(), body: `{"ticket":"TK-0"}`}); r.Status != 422 {
			t.Errorf("dry run of no ticket: %d", r.Status)
		}
		if r := do(t, a, req{method: "POST", path: "/support/admin/workflows/dry-run", header: bearer(), body: `{"ticket":"TK-99999"}`}); r.Status != 404 {
			t.Errorf("dry run of a missing ticket: %d", r.Status)
		}
		// Stop processing: the first matching rule that stops hides the rest.
		do(t, a, req{method: "POST", path: fmt.Sprintf("/support/admin/workflows/%d/enable", closeID), header: bearer()})
		do(t, a, req{method: "PUT", path: fmt.Sprintf("/support/admin/workflows/%d", closeID), header: bearer(),
			body: `{"name":"Close spam","trigger":"ticket.created","conditions":{"any":[{"field":"subject","operator":"matches","value":"(?i)free money"}]},"actions":[{"type":"close"}],"stop_processing":true}`})
		dr = do(t, a, req{method: "POST", path: "/support/admin/workflows/dry-run", header: bearer(), body: `{"ticket":"` + ref + `"}`})
		res = workflows.DryRun{}
		_ = json.Unmarshal(dr.Body, &res)
		if !res.Rules[0].WouldRun || res.Rules[1].WouldRun || res.Rules[1].StoppedBy == nil || *res.Rules[1].StoppedBy != closeID {
			t.Errorf("stop processing in the dry run: %s", dr.Body)
		}

		// Nothing ran: the app is not serving jobs.
		if runs := wfRuns(t, a, ""); len(runs) != 0 {
			t.Errorf("runs = %+v", runs)
		}
	})
}

// TestWorkflowActions runs every local action and the webhook, in rule
// order, on both databases; the default rules tag by channel.
func TestWorkflowActions(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		var (
			mu        sync.Mutex
			hits      []*http.Request
			bodies    [][]byte
			failFirst = true
		)
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			defer mu.Unlock()
			hits, bodies = append(hits, r), append(bodies, b)
			if failFirst {
				failFirst = false
				w.WriteHeader(http.StatusBadGateway)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		}))
		t.Cleanup(hook.Close)

		vars := env(t, d)
		vars["PORTICO_OUTBOUND_ALLOW"] = "127.0.0.1" // the receiver is a local test server
		a := wfApp(t, vars, nil)
		outage := wfCreate(t, a, wfRule("Outage", "ticket.created", `{"all":[{"field":"subject","operator":"contains","value":"outage"}]}`,
			`[{"type":"set_priority","value":"urgent"},{"type":"add_tag","value":"incident"},{"type":"remove_tag","value":"from-widget"},`+
				`{"type":"set_department","value":"Ops"},{"type":"set_department","value":"SRE"},{"type":"assign","value":"octocat"},{"type":"send_webhook","value":"`+hook.URL+`/hook"}]`))
		wfCreate(t, a, wfRule("Escalated", "ticket.priority_changed", `{"all":[{"field":"priority","operator":"equals","value":"urgent"}]}`,
			`[{"type":"add_tag","value":"escalated"}]`))
		wfCreate(t, a, wfRule("Close spam", "ticket.created", `{"any":[{"field":"subject","operator":"starts_with","value":"[spam]"}]}`, `[{"type":"close"}]`))
		wfCreate(t, a, wfRule("Closed", "ticket.closed", `{"all":[{"field":"tags","operator":"contains","value":"from-widget"}]}`,
			`[{"type":"add_tag","value":"auto-closed"}]`))
		wfCreate(t, a, wfRule("Customer wrote", "reply.created", `{"all":[{"field":"author","operator":"equals","value":"customer"}]}`,
			`[{"type":"add_tag","value":"customer-replied"}]`))

		ref := wfFile(t, a, "ada@example.com", "Database outage")
		wfWaitRun(t, a, ref, "Outage", "done")
		wfWaitRun(t, a, ref, "Escalated", "done")
		tk := wfTicket(t, a, ref)
		if tk["priority"] != "urgent" {
			t.Errorf("priority = %v", tk["priority"])
		}
		// from-widget was added by the default rule, then removed: rules
		// act in order. The second department replaced the first.
		if tags := wfTags(t, a, ref); tags != "dept:sre,escalated,incident" {
			t.Errorf("tags = %s", tags)
		}

		// The webhook: retried after a 502, signed with the rule's secret.
		githubtest.Wait(t, "the webhook's second try", 20*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(hits) == 2 })
		mu.Lock()
		first, second, body := hits[0], hits[1], bodies[1]
		mu.Unlock()
		mac := hmac.New(sha256.New, []byte(outage["webhook_secret"].(string)))
		mac.Write(body)
		if got := second.Header.Get("X-Portico-Signature-256"); got != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
			t.Errorf("signature = %q", got)
		}
		if first.Header.Get("X-Portico-Delivery") == "" || first.Header.Get("X-Portico-Delivery") != second.Header.Get("X-Portico-Delivery") {
			t.Errorf("delivery ids %q, %q", first.Header.Get("X-Portico-Delivery"), second.Header.Get("X-Portico-Delivery"))
		}
		if second.URL.Path != "/hook" || second.Header.Get("Content-Type") != "application/json" || second.Header.Get("X-Portico-Event") != "ticket.created" {
			t.Errorf("request %s %v", second.URL, second.Header)
		}
		var p workflows.WebhookPayload
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatal(err)
		}
		if p.Ticket.Reference != ref || p.Ticket.Email != "ada@example.com" || p.Rule.Name != "Outage" || p.Event != "ticket.created" ||
			!slices.Contains(p.Ticket.Tags, "incident") || p.Ticket.AdminURL != testOrigin+"/admin/tickets/"+ref {
			t.Errorf("payload = %s", body)
		}
		run := wfWaitRun(t, a, ref, "Outage", "done")
		if run.Step != 7 || !strings.Contains(run.Error, "502") {
			t.Errorf("run = %+v (the failed try is in its error)", run)
		}

		// close, and ticket.closed for the next rule.
		spam := wfFile(t, a, "bot@spam.example", "[SPAM] cheap watches")
		wfWaitRun(t, a, spam, "Close spam", "done")
		wfWaitRun(t, a, spam, "Closed", "done")
		if tk := wfTicket(t, a, spam); tk["status"] != "closed" || tk["closed_at"] == nil {
			t.Errorf("spam ticket = %v", tk)
		}
		if tags := wfTags(t, a, spam); tags != "auto-closed,from-widget" {
			t.Errorf("spam tags = %s", tags)
		}

		// reply.created by the customer (by mail), and an email ticket
		// tagged by the default rule.
		customerMails(t, a, ref, "ada@example.com", "Any news?")
		wfWaitRun(t, a, ref, "Customer wrote", "done")
		if _, err := a.Tickets.SendAgentReply(context.Background(), tickets.AgentReply{Source: model.SourceGitHub, TicketID: ticketIDOf(t, ref), AuthorName: "grace", BodyText: "Looking."}); err != nil {
			t.Fatal(err)
		}
		res, err := a.Tickets.ReceiveMail(context.Background(), tickets.InboundMessage{
			Mail: model.InboundMail{Provider: "postmark", MessageID: "<new@mail.example>", From: model.Address{Email: "eve@example.org"},
				To: []model.Address{{Email: "help@acme.test"}}, Subject: "Hello", Text: "New here",
				Auth: model.MailAuth{DMARC: model.VerdictPass}}, Body: "New here"})
		if err != nil || res.Outcome != tickets.OutcomeCreated {
			t.Fatalf("mail ticket: %+v %v", res, err)
		}
		mailRef := res.Ticket.Reference
		wfWaitRun(t, a, mailRef, "Tag email tickets", "done")
		if tags := wfTags(t, a, mailRef); tags != "from-email" {
			t.Errorf("email ticket tags = %s", tags)
		}
		settle()
		n := 0
		for _, r := range wfRuns(t, a, "?ticket="+ref) {
			if r.RuleName == "Customer wrote" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d customer-reply runs; the agent's reply must not count", n)
		}
	})
}

// TestWorkflowLoopsStop: two rules that undo each other stop after
// workflows.MaxDepth hops.
func TestWorkflowLoopsStop(t *testing.T) {
	t.Parallel()
	a := wfApp(t, env(t, store.SQLite), nil)
	wfCreate(t, a, wfRule("Up", "ticket.priority_changed", `{"all":[{"field":"priority","operator":"equals","value":"high"}]}`, `[{"type":"set_priority","value":"urgent"}]`))
	wfCreate(t, a, wfRule("Down", "ticket.priority_changed", `{"all":[{"field":"priority","operator":"equals","value":"urgent"}]}`, `[{"type":"set_priority","value":"high"}]`))
	wfCreate(t, a, wfRule("Start", "ticket.created", `{"all":[{"field":"subject","operator":"contains","value":"flip"}]}`, `[{"type":"set_priority","value":"high"}]`))
	ref := wfFile(t, a, "loop@example.com", "flip flop")
	wfWaitRun(t, a, ref, "Start", "done")
	var last int
	githubtest.Wait(t, "the loop to stop", 20*time.Second, func() bool {
		n := len(wfRuns(t, a, "?ticket="+ref))
		if n > 1 && n == last {
			return true
		}
		last = n
		time.Sleep(500 * time.Millisecond)
		return false
	})
	// Start (depth 0) and one run per depth up to MaxDepth, plus the
	// default rule.
	if want := 2 + workflows.MaxDepth; last != want {
		t.Errorf("%d runs, want %d", last, want)
	}
}

// TestWorkflowDelayedClose: "close 7 days after the agent's reply unless the
// customer answers", with a clock the test moves; the chain survives a
// restart.
func TestWorkflowDelayedClose(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		clk := &wfClock{t: time.Now().UTC()}
		vars := env(t, d)
		deps := app.Deps{JobRetryPolicy: fastRetry{}, WorkflowMaxSleep: 50 * time.Millisecond, Now: clk.now}
		a := newApp(t, vars, deps)
		stop := wfServe(t, a)
		wfCreate(t, a, wfRule("Close when quiet", "reply.created", `{"all":[{"field":"author","operator":"equals","value":"agent"}]}`,
			`[{"type":"delay","value":"7d"},{"type":"close"}]`))
		ctx := context.Background()
		agentReplies := func(ref string) {
			t.Helper()
			if _, err := a.Tickets.SendAgentReply(ctx, tickets.AgentReply{Source: model.SourceGitHub, TicketID: ticketIDOf(t, ref), AuthorName: "grace", BodyText: "Does it work now?"}); err != nil {
				t.Fatal(err)
			}
		}
		quiet := wfFile(t, a, "quiet@example.com", "Printer")
		answered := wfFile(t, a, "talks@example.com", "Scanner")
		restarted := wfFile(t, a, "later@example.com", "Fax")
		for _, ref := range []string{quiet, answered, restarted} {
			agentReplies(ref)
		}
		start := clk.now()
		for _, ref := range []string{quiet, answered, restarted} {
			run := wfWaitRun(t, a, ref, "Close when quiet", "waiting")
			// PostgreSQL keeps microseconds.
			if run.DueAt == nil || run.DueAt.Sub(start)-7*24*time.Hour > time.Millisecond || run.DueAt.Sub(start)-7*24*time.Hour < -time.Millisecond {
				t.Errorf("%s due at %v, want 7 days after %v", ref, run.DueAt, start)
			}
		}

		// The customer answers one of them: its chain is canceled.
		customerMails(t, a, answered, "talks@example.com", "Still broken.")
		canceled := wfWaitRun(t, a, answered, "Close when quiet", "canceled")
		if !strings.Contains(canceled.Error, "customer replied") {
			t.Errorf("canceled run = %+v", canceled)
		}

		// Not yet: a minute early nothing closes.
		clk.add(7*24*time.Hour - time.Minute)
		time.Sleep(400 * time.Millisecond)
		if s := wfTicket(t, a, quiet)["status"]; s != "open" {
			t.Fatalf("closed a minute early: %v", s)
		}
		// The app stops; the chains wait in the database.
		stop()
		clk.add(2 * time.Minute)
		b := newApp(t, vars, deps)
		wfServe(t, b)
		for _, ref := range []string{quiet, restarted} {
			wfWaitRun(t, b, ref, "Close when quiet", "done")
			if s := wfTicket(t, b, ref)["status"]; s != "closed" {
				t.Errorf("%s status %v after the delay", ref, s)
			}
		}
		settle()
		if s := wfTicket(t, b, answered)["status"]; s != "open" {
			t.Errorf("the answered ticket was closed: %v", s)
		}
		// A later agent reply starts a new chain; a newer one replaces it.
		agentReplies(answered)
		first := wfWaitRun(t, b, answered, "Close when quiet", "waiting")
		agentReplies(answered)
		githubtest.Wait(t, "the older chain to be replaced", 20*time.Second, func() bool {
			for _, r := range wfRuns(t, b, "?ticket="+answered) {
				if r.ID == first.ID {
					return r.Status == "canceled" && strings.Contains(r.Error, "replaced")
				}
			}
			return false
		})
		// Disabling the rule cancels the chain still pending.
		rules := do(t, b, req{method: "GET", path: "/support/admin/workflows", header: bearer()}).json(t)["rules"].([]any)
		id := rules[len(rules)-1].(map[string]any)["id"].(float64)
		do(t, b, req{method: "POST", path: fmt.Sprintf("/support/admin/workflows/%d/disable", int64(id)), header: bearer()})
		for _, r := range wfRuns(t, b, "?ticket="+answered) {
			if r.Status == "waiting" {
				t.Errorf("run %d still waits after its rule was disabled", r.ID)
			}
		}
		clk.add(8 * 24 * time.Hour)
		settle()
		if s := wfTicket(t, b, answered)["status"]; s != "open" {
			t.Errorf("closed by a disabled rule: %v", s)
		}
	})
}

// TestWorkflowDelayOnceAcrossInstances: two instances on one PostgreSQL
// database; a delayed webhook is sent once.
func TestWorkflowDelayOnceAcrossInstances(t *testing.T) {
	t.Parallel()
	var (
		mu   sync.Mutex
		hits int
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(hook.Close)
	clk := &wfClock{t: time.Now().UTC()}
	vars := env(t, store.Postgres)
	vars["PORTICO_OUTBOUND_ALLOW"] = "127.0.0.1" // the receiver is a local test server
	a := wfApp(t, vars, clk)
	b := wfApp(t, vars, clk)
	wfCreate(t, a, wfRule("Nudge", "ticket.created", `{"all":[{"field":"subject","operator":"contains","value":"nudge"}]}`,
		`[{"type":"delay","value":"1h"},{"type":"add_tag","value":"nudged"},{"type":"send_webhook","value":"`+hook.URL+`"}]`))
	var refs []string
	for i := range 3 {
		refs = append(refs, wfFile(t, []*app.App{a, b}[i%2], fmt.Sprintf("n%d@example.com", i), "Please nudge me"))
	}
	for _, ref := range refs {
		wfWaitRun(t, b, ref, "Nudge", "waiting")
	}
	clk.add(time.Hour + time.Second)
	for _, ref := range refs {
		wfWaitRun(t, a, ref, "Nudge", "done")
	}
	settle()
	mu.Lock()
	defer mu.Unlock()
	if hits != len(refs) {
		t.Errorf("%d webhooks for %d tickets", hits, len(refs))
	}
	for _, ref := range refs {
		if n := len(wfRuns(t, a, "?ticket="+ref)); n != 2 { // Nudge and the default tag rule
			t.Errorf("%s has %d runs", ref, n)
		}
		if tags := wfTags(t, b, ref); tags != "from-widget,nudged" {
			t.Errorf("%s tags = %s", ref, tags)
		}
	}
}

// TestWorkflowGitHubActions: tags become labels, a department a dept:
// label (replacing the previous one), assign sets assignees — on the fake
// GitHub, once the ticket's issue exists.
func TestWorkflowGitHubActions(t *testing.T) {
	t.Parallel()
	g := startGitHubApp(t, store.SQLite)
	wfCreate(t, g.App, wfRule("Billing", "ticket.created", `{"all":[{"field":"subject","operator":"contains","value":"invoice"}]}`,
		`[{"type":"add_tag","value":"Billing"},{"type":"set_department","value":"Finance"},{"type":"assign","value":"octocat, hubot"},`+
			`{"type":"remove_tag","value":"from-widget"},{"type":"remove_tag","value":"never-there"}]`))
	wfCreate(t, g.App, wfRule("Move", "reply.created", `{"all":[{"field":"tags","operator":"contains","value":"dept:finance"}]}`,
		`[{"type":"set_department","value":"Sales"}]`))
	// The issue is slow to open: the label jobs wait for it.
	g.gh.Fail(githubtest.RouteCreateIssue, githubtest.BadGateway(false))
	// A rate limit on the assignment: the job waits, then assigns once.
	g.gh.Fail(githubtest.RouteAddAssignees, githubtest.SecondaryRateLimit(429, 1))
	ref := fileTicket(t, g.App, `{"email":"ada@example.com","subject":"Wrong invoice","description":"Twice charged."}`).json(t)["reference"].(string)
	issue := g.issueFor(t, ref)
	labels := func() string {
		for _, is := range g.gh.Issues() {
			if is.Number == issue.Number {
				l := slices.Clone(is.Labels)
				slices.Sort(l)
				return strings.Join(l, ",") + " / " + strings.Join(is.Assignees, ",")
			}
		}
		return ""
	}
	deadline := time.Now().Add(20 * time.Second)
	for labels() != "billing,dept:finance,portico / octocat,hubot" {
		if time.Now().After(deadline) {
			t.Fatalf("labels and assignees: %q; runs %+v; calls %+v", labels(), wfRuns(t, g.App, "?ticket="+ref), g.gh.Calls(""))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if tags := wfTags(t, g.App, ref); tags != "billing,dept:finance" {
		t.Errorf("tags = %s", tags)
	}
	customerMails(t, g.App, ref, "ada@example.com", "Any news?")
	githubtest.Wait(t, "the department to move", 20*time.Second, func() bool {
		return labels() == "billing,dept:sales,portico / octocat,hubot"
	})
	if tags := wfTags(t, g.App, ref); tags != "billing,dept:sales" {
		t.Errorf("tags = %s", tags)
	}
	// Removing a label the issue does not have is fine (GitHub's 404).
	for _, c := range g.gh.Calls(githubtest.RouteRemoveLabel) {
		if c.Status != 200 && c.Status != 404 {
			t.Errorf("remove label call: %+v", c)
		}
	}
	if ac := g.gh.Calls(githubtest.RouteAddAssignees); len(ac) != 2 || ac[0].Status != 429 || ac[1].Status != 201 || ac[1].At.Sub(ac[0].At) < time.Second {
		t.Errorf("assign calls: %+v", ac)
	}
	run := wfWaitRun(t, g.App, ref, "Billing", "done")
	if run.Error != "" {
		t.Errorf("run error: %q", run.Error)
	}
}
