package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// scenario is one kind of request the benchmark sends. To add one, write its
// request func (and setup, if it needs data first) and add it to scenarios.
type scenario struct {
	name string
	// setup runs once against the server before the load, e.g. to create
	// the tickets a read scenario fetches; it may keep what requests need
	// in a field of target. Nil when there is nothing to prepare.
	setup func(ctx context.Context, t *target) error
	// request builds worker's seq-th request. It runs concurrently for
	// different workers and must return a new request each time.
	request func(ctx context.Context, t *target, worker, seq int) (*http.Request, error)
	// accept is the status a request must get to count as accepted; any
	// other status is an error.
	accept int
}

// scenarios are the ones -scenarios can name, in the order they run.
var scenarios = []scenario{
	{name: "widget", request: widgetTicket, accept: http.StatusCreated},
}

func scenarioNames() []string {
	names := make([]string, len(scenarios))
	for i, s := range scenarios {
		names[i] = s.name
	}
	return names
}

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
	body, err := json.Marshal(widgetSubmission{
		Email:       fmt.Sprintf("bench-%s-%d-%d@example.com", t.runID, worker, seq),
		Name:        "Bench Requester",
		Subject:     fmt.Sprintf("Cannot export report %d", seq),
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
