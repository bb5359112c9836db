package main

import (
	"database/sql"
	"io"
	"strings"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	o, err := parseFlags(nil, io.Discard)
	if err != nil || o.duration != time.Minute || o.rate != 40 || o.drainTimeout != 2*time.Minute {
		t.Errorf("defaults: %+v, %v", o, err)
	}
	for _, bad := range [][]string{{"-duration", "5s"}, {"-rate", "0"}, {"-drain-timeout", "0s"}, {"extra"}} {
		if _, err := parseFlags(bad, io.Discard); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}

// TestScaled: the plan fits the run however long it is, and keeps its
// order and proportions.
func TestScaled(t *testing.T) {
	for _, d := range []time.Duration{10 * time.Second, 20 * time.Second, time.Minute, 5 * time.Minute} {
		faults := scaled(d)
		if len(faults) != len(plan) {
			t.Fatalf("%s: %d faults, want %d", d, len(faults), len(plan))
		}
		kills := 0
		for i, f := range faults {
			if f.at+f.length > d {
				t.Errorf("%s: %s ends at %s, after the run", d, f.label, f.at+f.length)
			}
			if want := seconds(plan[i].at * d.Seconds() / 60); f.at != want {
				t.Errorf("%s: %s at %s, want %s", d, f.label, f.at, want)
			}
			if f.kind == faultKill {
				kills++
			}
		}
		if kills != 3 {
			t.Errorf("%s: %d kills, want 3", d, kills)
		}
	}
	if got := scaled(time.Minute)[2].label; got != "SMTP server down 20 s" {
		t.Errorf("label %q", got)
	}
}

// TestSteps: each fault becomes its actions, in time order: one for a kill
// or a restart, start and end for an outage, and a change halfway for
// GitHub's.
func TestSteps(t *testing.T) {
	r := &rig{}
	steps := r.steps(scaled(time.Minute), time.Now())
	if len(steps) != 3+1+2+2+3+3 {
		t.Errorf("%d steps", len(steps))
	}
	for i := 1; i < len(steps); i++ {
		if steps[i].at < steps[i-1].at {
			t.Errorf("step %d at %s comes after one at %s", i, steps[i].at, steps[i-1].at)
		}
	}
}

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func at(s float64) time.Time { return t0.Add(seconds(s)) }

func sent(stream int, from, to float64, status int, key, ref string) outcome {
	return outcome{stream: stream, sent: at(from), done: at(to), status: status, accepted: status == streams[stream].accept, key: key, reference: ref}
}

// TestCount checks every request against the snapshot and every queued
// mail against the SMTP sink.
func TestCount(t *testing.T) {
	outcomes := []outcome{
		sent(streamWidget, 1, 1.1, 201, "a@example.com", "TK-1"),
		sent(streamWidget, 1, 1.1, 201, "lost@example.com", "TK-9"), // answered, never stored
		sent(streamWidget, 2, 2.1, 0, "cut@example.com", ""),        // no answer, stored anyway
		sent(streamWidget, 2, 2.1, 500, "err@example.com", ""),
		sent(streamInbound, 3, 3.1, 200, "<m1@mail.example.com>", ""),
		sent(streamReply, 3, 3.1, 303, "chaos-ab-reply-0", ""),
		sent(streamReply, 3, 3.1, 422, "chaos-ab-reply-1", ""),
		sent(streamPage, 4, 4.1, 200, "", ""),
	}
	s := &snapshot{
		tickets: map[int64]string{1: "a@example.com", 2: "cut@example.com"},
		messages: []message{
			{id: 1, ticket: 1, direction: "inbound", source: "widget"},
			{id: 2, ticket: 2, direction: "inbound", source: "widget"},
			{id: 3, ticket: 1, direction: "inbound", source: "email", emailMessageID: "m1@mail.example.com"},
			{id: 4, ticket: 1, direction: "inbound", source: "portal", body: "Thanks (chaos-ab-reply-0)."},
		},
		mails: []mailRow{
			{ticket: 1, kind: "confirmation", messageID: "<ticket-1@chaos.test>", status: "sent"},
			{ticket: 2, kind: "confirmation", messageID: "<ticket-2@chaos.test>", status: "sent"},
		},
		issues:   map[int64]int{1: 2, 2: 1},
		comments: map[int64]int{3: 1},
	}
	arrivals := map[string][]time.Time{
		"<ticket-1@chaos.test>": {at(1), at(5)}, // twice, in the window
		"<ticket-2@chaos.test>": {at(2), at(3)}, // twice, outside it
		"<stray@chaos.test>":    {at(4)},
	}
	f := count(outcomes, [streamCount]int{streamPage: 2}, s, arrivals, map[string]bool{"<ticket-1@chaos.test>": true})

	w := f.streams[streamWidget]
	if w.sent != 4 || w.accepted != 2 || w.transport != 1 || w.c5xx != 1 || w.lost != 1 || w.stored != 1 {
		t.Errorf("widget: %+v", w)
	}
	if r := f.streams[streamReply]; r.accepted != 1 || r.c4xx != 1 || r.lost != 0 {
		t.Errorf("portal reply: %+v", r)
	}
	if p := f.streams[streamPage]; p.skipped != 2 || p.accepted != 1 {
		t.Errorf("portal page: %+v", p)
	}
	if f.tickets != (effect{expected: 2, done: 1, missing: 1}) {
		t.Errorf("tickets: %+v", f.tickets)
	}
	if f.messages != (effect{expected: 2, done: 2}) {
		t.Errorf("messages: %+v", f.messages)
	}
	if f.mails != (effect{expected: 2, done: 2, duplicates: 1, window: 1, unexpected: 1}) {
		t.Errorf("mails: %+v", f.mails)
	}
	if f.issues != (effect{expected: 2, done: 2, duplicates: 1}) {
		t.Errorf("issues: %+v", f.issues)
	}
	// The portal reply (message 4) has no comment; the widget messages,
	// each its ticket's first, are issue bodies.
	if f.comments != (effect{expected: 2, done: 1, missing: 1}) {
		t.Errorf("comments: %+v", f.comments)
	}
	problems := strings.Join(f.problems(), "\n")
	for _, want := range []string{"1 accepted requests are not in the database", "1 mails arrived more than once",
		"1 mails arrived that no row queued", "1 GitHub issues are duplicates", "1 customer replies have no GitHub comment"} {
		if !strings.Contains(problems, want) {
			t.Errorf("problems lack %q:\n%s", want, problems)
		}
	}
	if strings.Contains(problems, "window") && !strings.Contains(problems, "outside the at-least-once window") {
		t.Errorf("a copy in the kill window is a problem:\n%s", problems)
	}
	if clean := (figures{}).problems(); len(clean) != 0 {
		t.Errorf("a clean run has problems: %v", clean)
	}
}

// TestMeasureFaults: a fault's requests are those overlapping it until
// service is back; "back" is the first accepted answer to a request sent
// after its end; errors elsewhere are reported apart.
func TestMeasureFaults(t *testing.T) {
	kill := &fault{kind: faultKill, label: "kill", start: at(10), end: at(11)}
	smtp := &fault{kind: faultSMTP, label: "smtp", start: at(20), end: at(30)}
	outcomes := []outcome{
		sent(streamWidget, 9.9, 10.1, 0, "", ""),    // cut by the kill
		sent(streamWidget, 10.5, 10.5, 0, "", ""),   // refused
		sent(streamWidget, 11.0, 11.2, 500, "", ""), // after the end, before service was back
		sent(streamWidget, 11.1, 11.4, 201, "", ""), // back
		sent(streamWidget, 15, 15.1, 500, "", ""),   // no fault explains it
		sent(streamPage, 25, 25.1, 200, "", ""),
		sent(streamPage, 31, 31.5, 200, "", ""),
	}
	s := &snapshot{
		mails: []mailRow{
			{created: at(10.5), sent: sql.NullTime{Time: at(12), Valid: true}},
			{created: at(25), sent: sql.NullTime{Time: at(40), Valid: true}},
		},
		posts: []postRow{{created: at(26), posted: sql.NullTime{Time: at(27), Valid: true}}},
	}
	rep := measureFaults([]*fault{kill, smtp}, outcomes, s)
	k := rep.faults[0]
	if k.requests != 4 || k.transport != 2 || k.c5xx != 1 || k.back != 400*time.Millisecond {
		t.Errorf("kill: %+v", k)
	}
	// Caught up once every mail and post queued before the kill's end was
	// done: the mail of 10.5 s at 12 s.
	if k.caughtUp != time.Second {
		t.Errorf("kill caught up after %s, want 1s", k.caughtUp)
	}
	sm := rep.faults[1]
	if sm.requests != 2 || sm.back != 1500*time.Millisecond || sm.caughtUp != 10*time.Second {
		t.Errorf("smtp: %+v", sm)
	}
	if rep.outside[streamWidget] != 1 {
		t.Errorf("outside: %v", rep.outside)
	}
	s.mails = append(s.mails, mailRow{created: at(29)})
	if got := caughtUp(smtp.end, s, true, false); got != -1 {
		t.Errorf("a mail never sent: caught up %s", got)
	}
}

func TestMarkdownSection(t *testing.T) {
	rep := &report{
		o: options{duration: time.Minute, rate: 40}, command: "go run ./bench/chaos -markdown docs/RELIABILITY.md", commit: "abc1234",
		started: t0, finished: t0.Add(3 * time.Minute), counted: true, loadStart: t0, loadEnd: t0.Add(time.Minute), drained: true, drain: 30 * time.Second,
		faults: faultsReport{faults: []faultFigures{{f: &fault{label: "SIGKILL #1, restart", start: t0.Add(5 * time.Second), end: t0.Add(6 * time.Second)}, back: 0, caughtUp: notApplicable}}},
	}
	md := markdownSection(rep)
	for _, want := range []string{
		markers.Begin + "\n", "`go run ./bench/chaos -markdown docs/RELIABILITY.md`", "- **commit**: `abc1234`",
		"| widget ticket (201) |", "| GitHub comments (one per customer reply) |", "| SIGKILL #1, restart | 5.0 | 1.0 |",
		"**PASS: ", markers.End + "\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the section lacks %q:\n%s", want, md)
		}
	}
	rep.problems = []string{"1 mails arrived more than once"}
	if md := markdownSection(rep); !strings.Contains(md, "**FAIL: 1 mails arrived more than once**") {
		t.Errorf("a failed run's section:\n%s", md)
	}
}
