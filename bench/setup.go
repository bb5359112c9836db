package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/portico/portico/bench/internal/harness"
)

// mailTimeout bounds how long a setup waits for the confirmation mails of
// the tickets it filed. The job queue delivers them in order after whatever
// earlier scenarios left queued.
const mailTimeout = 90 * time.Second

// link is one ticket filed by a setup and what its confirmation mail said.
type link struct {
	email, subject string
	reference      string // TK-n, from the widget's 201
	token          string // the portal token, from the mail's text part
	messageID      string // the mail's Message-ID, with angle brackets
}

// obtainLinks files n widget tickets, each from its own address, and waits
// for their confirmation mails at the sink to take the portal link out of
// each. It needs the server the benchmark started (its mail comes to us).
func obtainLinks(ctx context.Context, t *target, label string, n int) ([]link, error) {
	if t.sink == nil {
		return nil, errors.New("needs the server's mail, which only a server started by the benchmark sends here")
	}
	start := time.Now()
	links := make([]link, n)
	waits := make([]<-chan []byte, n)
	for i := range links {
		links[i].email = fmt.Sprintf("bench-%s-%s-%d@example.com", t.runID, label, i)
		links[i].subject = fmt.Sprintf("Bench %s ticket %d", label, i)
		waits[i] = t.sink.Expect(links[i].email)
	}
	defer func() {
		for _, l := range links {
			t.sink.Forget(l.email)
		}
	}()

	// File them a few at a time: this is preparation, not load.
	const parallel = 8
	errs := make([]error, n)
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i := range links {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			links[i].reference, errs[i] = fileTicket(ctx, t, links[i].email, links[i].subject)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("file the setup tickets: %w", err)
	}
	t.state.setupTickets += n
	filed := time.Since(start)

	deadline := time.NewTimer(mailTimeout)
	defer deadline.Stop()
	for i := range links {
		var raw []byte
		select {
		case raw = <-waits[i]:
		case <-deadline.C:
			return nil, fmt.Errorf("%d of %d confirmation mails did not reach the SMTP sink within %s (the job queue is behind)",
				n-i, n, mailTimeout)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		portalURL, mid, err := harness.ParseConfirmation(raw)
		if err != nil {
			return nil, fmt.Errorf("confirmation of %s: %w", links[i].reference, err)
		}
		if links[i].token, err = harness.PortalToken(portalURL); err != nil {
			return nil, fmt.Errorf("confirmation of %s: %w", links[i].reference, err)
		}
		links[i].messageID = mid
	}
	t.note("setup: %d widget ticket(s) filed in %.1f s; the last confirmation mail reached the sink %.1f s after the first ticket was filed",
		n, filed.Seconds(), time.Since(start).Seconds())
	return links, nil
}

// fileTicket files a widget ticket and returns its reference.
func fileTicket(ctx context.Context, t *target, email, subject string) (string, error) {
	req, err := widgetRequest(ctx, t, email, subject)
	if err != nil {
		return "", err
	}
	status, body, err := harness.SendRead(t.client, req)
	if err != nil {
		return "", err
	}
	if status != http.StatusCreated {
		return "", fmt.Errorf("POST /support/widget/tickets answered %d: %.200s", status, body)
	}
	var created struct {
		Reference string `json:"reference"`
	}
	if err := json.Unmarshal(body, &created); err != nil || created.Reference == "" {
		return "", fmt.Errorf("POST /support/widget/tickets: no reference in %.200s", body)
	}
	return created.Reference, nil
}

func gzipSize(b []byte) int {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // the level is valid
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Len()
}

func metOrNot(met bool) string {
	if met {
		return "met"
	}
	return "NOT met"
}
