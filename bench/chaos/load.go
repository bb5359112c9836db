package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/portico/portico/bench/internal/harness"
)

// The kinds of request the load sends, each a share of -rate.
const (
	streamWidget = iota
	streamInbound
	streamReply
	streamPage
	streamCount
)

// streams describes each kind: its name in the report, its share of the
// rate and the answer that means it was taken.
var streams = [streamCount]struct {
	name   string
	share  float64
	accept int
}{
	streamWidget:  {"widget ticket", 0.40, http.StatusCreated},
	streamInbound: {"inbound mail", 0.25, http.StatusOK},
	streamReply:   {"portal reply", 0.10, http.StatusSeeOther},
	streamPage:    {"portal page", 0.25, http.StatusOK},
}

const (
	// requestTimeout bounds one request: a server that hangs during an
	// outage shows as a transport error, not as a stalled load.
	requestTimeout = 10 * time.Second
	// maxInFlight per kind: beyond it a request is not sent but counted,
	// so that a hung server cannot make the load generator pile up.
	maxInFlight = 64
	// replyDomain is the host of the server's From, so of its Message-IDs.
	replyDomain = "chaos.test"
	serverMail  = "support@" + replyDomain
	// repliesPerLink stays under a portal link's 20 replies an hour
	// (tickets.PortalReplyLimit): a 429 would be the limit, not a fault.
	repliesPerLink = 15
)

// outcome is one request: when it was sent and answered, how, and what
// identifies its effect in the database.
type outcome struct {
	stream     int
	sent, done time.Time
	status     int   // 0: no answer
	err        error // the transport error, when there was no answer
	accepted   bool  // the stream's accept status (and, for inbound, "appended")
	key        string
	reference  string // widget: the TK-n answered
}

// link is a ticket filed before the load: its portal page takes replies and
// page loads, its confirmation is what inbound replies answer.
type link struct {
	email, subject, reference string
	token                     string // from the confirmation's portal link
	messageID                 string // the confirmation's, which replies quote
}

// load sends the requests at a fixed rate, whatever the server does (an
// open loop: a server that is down does not slow the load down).
type load struct {
	base          string
	inboundSecret string
	runID         string
	links         []link
	client        *http.Client

	mu       sync.Mutex
	outcomes []outcome
	skipped  [streamCount]int
	inFlight sync.WaitGroup
}

func newLoad(base, inboundSecret, runID string, links []link) *load {
	return &load{base: base, inboundSecret: inboundSecret, runID: runID, links: links, client: &http.Client{
		Timeout: requestTimeout,
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
			MaxIdleConnsPerHost: maxInFlight,
			DisableCompression:  true,
		},
		// 303 is the portal reply's success; the page behind it is not asked for.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// run sends rate requests a second, shared between the kinds, until ctx
// ends, then waits for the answers of those in flight.
func (l *load) run(ctx context.Context, rate float64) {
	var wg sync.WaitGroup
	for s := range streamCount {
		interval := time.Duration(float64(time.Second) / (rate * streams[s].share))
		wg.Go(func() { l.stream(ctx, s, interval) })
	}
	wg.Wait()
	l.inFlight.Wait()
}

func (l *load) stream(ctx context.Context, s int, interval time.Duration) {
	sem := make(chan struct{}, maxInFlight)
	next := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for seq := 0; ; seq++ {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		select {
		case sem <- struct{}{}:
			l.inFlight.Go(func() {
				defer func() { <-sem }()
				l.record(l.send(s, seq))
			})
		default:
			l.mu.Lock()
			l.skipped[s]++
			l.mu.Unlock()
		}
		next = next.Add(interval)
		timer.Reset(time.Until(next))
	}
}

func (l *load) record(o outcome) {
	l.mu.Lock()
	l.outcomes = append(l.outcomes, o)
	l.mu.Unlock()
}

// send makes the seq-th request of kind s and waits for its answer. Not
// the load's context: a request sent is answered (or times out) even when
// the load has stopped sending.
func (l *load) send(s, seq int) outcome {
	o := outcome{stream: s}
	req, err := l.request(s, seq, &o)
	if err != nil {
		o.err = err
		return o
	}
	o.sent = time.Now()
	var body []byte
	o.status, body, o.err = harness.SendRead(l.client, req)
	o.done = time.Now()
	if o.err != nil {
		o.status = 0
		return o
	}
	o.accepted = o.status == streams[s].accept
	switch {
	case !o.accepted:
	case s == streamWidget:
		var r struct{ Reference string }
		if json.Unmarshal(body, &r) != nil || r.Reference == "" {
			o.accepted = false
		}
		o.reference = r.Reference
	case s == streamInbound:
		var r struct{ Outcome string }
		// "created" or "ignored" is not the reply the customer sent landing
		// on their ticket.
		o.accepted = json.Unmarshal(body, &r) == nil && r.Outcome == "appended"
	}
	return o
}

// request builds the seq-th request of kind s and sets o.key to what will
// identify its effect.
func (l *load) request(s, seq int, o *outcome) (*http.Request, error) {
	switch s {
	case streamWidget:
		o.key = fmt.Sprintf("chaos-%s-%d@example.com", l.runID, seq)
		return widgetRequest(l.base, o.key, fmt.Sprintf("Cannot export report %d", seq))
	case streamInbound:
		lk := l.links[seq%len(l.links)]
		o.key = fmt.Sprintf("<chaos-%s-%d@mail.example.com>", l.runID, seq)
		body, err := harness.PostmarkReply{
			From: lk.email, FromName: "Chaos Requester", To: serverMail,
			Subject:    "Re: [" + lk.reference + "] " + lk.subject,
			MessageID:  o.key,
			ProviderID: fmt.Sprintf("%s-0000-4000-8000-%012x", l.runID, seq),
			InReplyTo:  lk.messageID,
			Text:       "Hello,\n\nthe export works now, but the CSV has no header row. Is that expected?\n\nBest regards\n",
		}.JSON()
		if err != nil {
			return nil, err
		}
		req, err := http.NewRequest(http.MethodPost, l.base+"/support/inbound/postmark", bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Portico-Inbound-Secret", l.inboundSecret)
		return req, nil
	case streamReply:
		lk := l.links[seq%len(l.links)]
		o.key = fmt.Sprintf("chaos-%s-reply-%d", l.runID, seq)
		form := url.Values{"body": {"Thanks, that helped (" + o.key + "). Can we schedule the export for Monday mornings?"}}
		req, err := http.NewRequest(http.MethodPost, l.base+"/portal/"+lk.token+"/replies", strings.NewReader(form.Encode()))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return req, nil
	default:
		return http.NewRequest(http.MethodGet, l.base+"/portal/"+l.links[seq%len(l.links)].token, nil)
	}
}

// widgetRequest is a widget submission from email.
func widgetRequest(base, email, subject string) (*http.Request, error) {
	body, err := json.Marshal(map[string]string{
		"email": email, "name": "Chaos Requester", "subject": subject, "priority": "medium",
		"description": "Exporting the monthly report as CSV fails with a timeout after about thirty seconds.",
	})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodPost, base+"/support/widget/tickets", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}

// linkCount is how many portal links the replies of a load of length d
// need at the rate given.
func linkCount(rate float64, d time.Duration) int {
	replies := rate * streams[streamReply].share * d.Seconds()
	return int(replies/repliesPerLink) + 2
}

// fileLinks files n widget tickets, each from its own address, and takes
// the portal link and Message-ID out of each one's confirmation mail.
func fileLinks(ctx context.Context, base string, sink *harness.MailSink, runID string, n int) ([]link, error) {
	client := &http.Client{Timeout: requestTimeout, Transport: &http.Transport{Proxy: nil}}
	defer client.CloseIdleConnections()
	links := make([]link, n)
	waits := make([]<-chan []byte, n)
	for i := range links {
		links[i].email = fmt.Sprintf("chaos-%s-link-%d@example.com", runID, i)
		links[i].subject = fmt.Sprintf("Chaos link %d", i)
		waits[i] = sink.Expect(links[i].email)
		defer sink.Forget(links[i].email)
		req, err := widgetRequest(base, links[i].email, links[i].subject)
		if err != nil {
			return nil, err
		}
		status, body, err := harness.SendRead(client, req.WithContext(ctx))
		if err != nil {
			return nil, err
		}
		var r struct{ Reference string }
		if status != http.StatusCreated || json.Unmarshal(body, &r) != nil {
			return nil, fmt.Errorf("POST /support/widget/tickets answered %d: %.200s", status, body)
		}
		links[i].reference = r.Reference
	}
	deadline := time.NewTimer(60 * time.Second)
	defer deadline.Stop()
	for i := range links {
		var raw []byte
		select {
		case raw = <-waits[i]:
		case <-deadline.C:
			return nil, fmt.Errorf("the confirmation of %s did not arrive within 60s", links[i].reference)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		portalURL, mid, err := harness.ParseConfirmation(raw)
		if err != nil {
			return nil, fmt.Errorf("confirmation of %s: %w", links[i].reference, err)
		}
		if links[i].token, err = harness.PortalToken(portalURL); err != nil {
			return nil, err
		}
		links[i].messageID = mid
	}
	return links, nil
}
