package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"

	"github.com/portico/portico/bench/internal/harness"
)

// scenario is one kind of request the benchmark sends. To add one, write its
// request func (and setup, if it needs data first) and add it to scenarios.
type scenario struct {
	name string
	// setup runs once against the server before the load, e.g. to create
	// the tickets a read scenario fetches; it keeps what requests need in
	// t.state and may add report lines with t.note. Nil when there is
	// nothing to prepare.
	setup func(ctx context.Context, t *target, o options) error
	// request builds worker's seq-th request. It runs concurrently for
	// different workers and must return a new request each time.
	request func(ctx context.Context, t *target, worker, seq int) (*http.Request, error)
	// accept is the status a request must get to count as accepted; any
	// other status is an error.
	accept int
	// check, if set, looks at the body of each answer with the accept
	// status: "" accepts it, anything else is an error counted under that
	// label.
	check func(body []byte) string
	// after, if set, returns report lines about the finished load.
	after func(ctx context.Context, t *target, res result) []string
	// ownServer: the setup needs the server the benchmark started (its mail
	// or its secrets), so the scenario is skipped with -url.
	ownServer bool
	// inProcess: the scenario is aimed at a server inside the benchmark
	// (the static ceiling) and runs once, not once per database.
	inProcess bool
	// queuesMail: each accepted request queues one mail.
	queuesMail bool
	// sustain: accepted requests leave work for the job queue, so the
	// scenario also gets a sustained load timed until that work is done.
	sustain bool
	// limited explains the 429s of this scenario, if it can get any.
	limited string
}

// scenarios are the ones -scenarios can name, in the order they run.
var scenarios = []scenario{
	{
		name: "widget", request: widgetTicket, accept: http.StatusCreated, queuesMail: true, sustain: true,
		limited: "429s mean the server's widget limits are too low for a benchmark " +
			"(PORTICO_WIDGET_LIMIT_PER_IP, PORTICO_WIDGET_LIMIT_PER_EMAIL)",
	},
	{name: "portal", setup: portalSetup, request: portalPage, accept: http.StatusOK, ownServer: true},
	{
		name: "portal-reply", setup: portalReplySetup, request: portalReply, accept: http.StatusSeeOther,
		after: portalReplyAfter, ownServer: true, sustain: true,
		limited: "429s mean the scenario ran out of portal links: each allows 20 replies an hour " +
			"(tickets.PortalReplyLimit); raise replyRateCeiling in bench/scenarios.go",
	},
	{
		name: "inbound", setup: inboundSetup, request: inboundReply, accept: http.StatusOK, check: inboundAppended,
		ownServer: true, sustain: true,
	},
	{name: "static", request: staticPage, accept: http.StatusOK, inProcess: true},
}

// defaultScenarios run when -scenarios is not given.
const defaultScenarios = "widget,portal,portal-reply,inbound,static"

func scenarioNames() []string {
	names := make([]string, len(scenarios))
	for i, s := range scenarios {
		names[i] = s.name
	}
	return names
}

// state is what the setups prepared for the requests of their scenario.
type state struct {
	portalToken  string   // portal: the one link loaded
	replyTokens  []string // portal-reply: one link per ticket
	inboundMail  inboundTarget
	pageBytes    int // portal: the page's body, measured once in setup
	setupTickets int // tickets filed by setups, each one confirmation mail
}

// ---- widget ----

type widgetSubmission struct {
	Email       string `json:"email"`
	Name        string `json:"name"`
	Subject     string `json:"subject"`
	Description string `json:"description"`
	Priority    string `json:"priority"`
}

// widgetDescription is about the length of a typical first message.
const widgetDescription = "Exporting the monthly report as CSV fails with a timeout after about thirty seconds. " +
	"It worked last week; nothing changed on our side. Steps: open Reports, pick March, press Export."

// widgetTicket files a ticket through the widget API. Each request has its
// own email address, as the per-email rate limit would otherwise be what is
// measured; the run id keeps repeated runs against one -url server apart.
func widgetTicket(ctx context.Context, t *target, worker, seq int) (*http.Request, error) {
	return widgetRequest(ctx, t, fmt.Sprintf("bench-%s-%d-%d-%d@example.com", t.runID, t.load, worker, seq),
		fmt.Sprintf("Cannot export report %d", seq))
}

func widgetRequest(ctx context.Context, t *target, email, subject string) (*http.Request, error) {
	body, err := json.Marshal(widgetSubmission{
		Email:       email,
		Name:        "Bench Requester",
		Subject:     subject,
		Description: widgetDescription,
		Priority:    "medium",
	})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.base+"/support/widget/tickets", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}

// ---- portal ----

// portalSetup files one widget ticket, takes the portal link from its
// confirmation mail and fetches the page once to weigh it.
func portalSetup(ctx context.Context, t *target, _ options) error {
	links, err := obtainLinks(ctx, t, "portal", 1)
	if err != nil {
		return err
	}
	t.state.portalToken = links[0].token
	req, err := portalPage(ctx, t, 0, 0)
	if err != nil {
		return err
	}
	status, body, err := harness.SendRead(t.client, req)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("GET /portal/<token> answered %d, want 200", status)
	}
	t.state.pageBytes = len(body)
	turnstile := "without Turnstile"
	if bytes.Contains(body, []byte("challenges.cloudflare.com")) {
		turnstile = "WITH Turnstile"
	}
	t.note("page weight: %d bytes of HTML (%d gzip -9), %d message(s) on the timeline, %s; aim < 15 KB (15,360 bytes): %s",
		len(body), gzipSize(body), bytes.Count(body, []byte("<article")), turnstile, metOrNot(len(body) < 15*1024))
	return nil
}

func portalPage(ctx context.Context, t *target, _, _ int) (*http.Request, error) {
	return http.NewRequestWithContext(ctx, http.MethodGet, t.base+"/portal/"+t.state.portalToken, nil)
}

// ---- portal-reply ----

// replyRateCeiling is the reply rate portal-reply must be able to sustain
// without running out of links: each link allows 20 replies an hour
// (tickets.PortalReplyLimit), so the setup files
// ceil(replyRateCeiling × (warm-up + duration + sustained) / 20) tickets,
// one link each, for the burst and the sustained load.
const replyRateCeiling = 2000

// repliesPerLink is tickets.PortalReplyLimit's burst: 20 replies at once on
// a fresh link, then one every three minutes.
const repliesPerLink = 20

func replyLinkCount(o options) int {
	return int(math.Ceil(replyRateCeiling * (o.warmup + o.duration + o.sustained).Seconds() / repliesPerLink))
}

func portalReplySetup(ctx context.Context, t *target, o options) error {
	n := replyLinkCount(o)
	links, err := obtainLinks(ctx, t, "reply", n)
	if err != nil {
		return err
	}
	t.state.replyTokens = make([]string, len(links))
	for i, l := range links {
		t.state.replyTokens[i] = l.token
	}
	t.replyNext.Store(0)
	return nil
}

// replyBody is a short customer answer, form-encoded once.
var replyBody = url.Values{"body": {"Thanks, that helped. The export works again with the new setting; " +
	"one more question: can we schedule it to run every Monday morning?"}}.Encode()

// portalReply posts on the links in turn, so each link's 20 replies are
// spread over the run.
func portalReply(ctx context.Context, t *target, _, _ int) (*http.Request, error) {
	i := t.replyNext.Add(1) - 1
	token := t.state.replyTokens[i%int64(len(t.state.replyTokens))]
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.base+"/portal/"+token+"/replies", strings.NewReader(replyBody))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req, nil
}

// portalReplyAfter says how much of the links' budget the load used, and
// weighs the page of a link that now has a conversation on it.
func portalReplyAfter(ctx context.Context, t *target, _ result) []string {
	n := len(t.state.replyTokens)
	lines := []string{fmt.Sprintf("limit: %d links × %d replies/hour each = %d replies at most; the burst sent %d (warm-up included), the sustained load has the rest",
		n, repliesPerLink, n*repliesPerLink, t.replyNext.Load())}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.base+"/portal/"+t.state.replyTokens[0], nil)
	if err != nil {
		return append(lines, "page weight after the replies: "+err.Error())
	}
	status, body, err := harness.SendRead(t.client, req)
	switch {
	case err != nil:
		lines = append(lines, "page weight after the replies: "+err.Error())
	case status != http.StatusOK:
		lines = append(lines, fmt.Sprintf("page weight after the replies: GET answered %d", status))
	default:
		lines = append(lines, fmt.Sprintf("page weight: %d bytes of HTML (%d gzip -9) for a link with %d messages on its timeline",
			len(body), gzipSize(body), bytes.Count(body, []byte("<article"))))
	}
	return lines
}

// ---- inbound ----

// inboundTarget is the ticket inbound mail is appended to.
type inboundTarget struct {
	from       string // the customer, a participant of the ticket
	reference  string // TK-n
	subject    string
	inReplyTo  string // <ticket-n@reply domain>: the confirmation's Message-ID
	recipients string // where the customer writes: the server's From
}

// inboundSetup files one ticket and checks that its confirmation went out
// with the Message-ID docs/CONTRACTS.md gives, which inbound replies then quote.
func inboundSetup(ctx context.Context, t *target, _ options) error {
	links, err := obtainLinks(ctx, t, "inbound", 1)
	if err != nil {
		return err
	}
	l := links[0]
	id := strings.TrimPrefix(l.reference, "TK-")
	want := "<ticket-" + strings.TrimLeft(id, "0") + "@" + t.replyDomain + ">"
	if l.messageID != want {
		return fmt.Errorf("the confirmation of %s has Message-ID %s, want %s", l.reference, l.messageID, want)
	}
	t.state.inboundMail = inboundTarget{
		from: l.email, reference: l.reference, subject: l.subject, inReplyTo: want, recipients: "support@" + t.replyDomain,
	}
	return nil
}

// inboundText is a reply with the quoted confirmation below it, which the
// server strips before storing.
const inboundText = "Hello,\n\nthanks for the quick answer. The export works now, but the CSV has no header row.\n" +
	"Is that expected?\n\nBest regards,\nBench Requester\n\n" +
	"On Tue, 24 Nov 2026 at 10:02, Support <support@bench.test> wrote:\n" +
	"> Hello Bench Requester,\n>\n> Thank you for contacting Support. We received your request.\n"

// inboundReply is the customer answering the confirmation by email, as
// Postmark posts it; each has its own Message-ID, or the server would
// treat it as a redelivery.
func inboundReply(ctx context.Context, t *target, worker, seq int) (*http.Request, error) {
	m := t.state.inboundMail
	body, err := harness.PostmarkReply{
		From:       m.from,
		FromName:   "Bench Requester",
		To:         m.recipients,
		Subject:    "Re: [" + m.reference + "] " + m.subject,
		MessageID:  fmt.Sprintf("<bench-%s-%d-%d-%d@mail.example.com>", t.runID, t.load, worker, seq),
		ProviderID: fmt.Sprintf("%s-%04x-4%03x-8000-%012x", t.runID, worker&0xffff, t.load&0xfff, seq),
		InReplyTo:  m.inReplyTo,
		Text:       inboundText,
	}.JSON()
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.base+"/support/inbound/postmark", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Portico-Inbound-Secret", t.inboundSecret)
	return req, nil
}

// inboundAppended accepts only {"outcome":"appended"}: a reply that made a
// new ticket or was ignored did not do what is measured.
func inboundAppended(body []byte) string {
	var r struct {
		Outcome string `json:"outcome"`
		Reason  string `json:"reason"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return "unparsable"
	}
	if r.Outcome == "appended" {
		return ""
	}
	if r.Reason != "" {
		return "outcome=" + r.Outcome + " (" + r.Reason + ")"
	}
	return "outcome=" + r.Outcome
}

// ---- static ----

// staticPage is GET / on the in-process static server.
func staticPage(ctx context.Context, t *target, _, _ int) (*http.Request, error) {
	return http.NewRequestWithContext(ctx, http.MethodGet, t.base+"/", nil)
}
