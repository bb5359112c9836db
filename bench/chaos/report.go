package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"github.com/portico/portico/bench/internal/harness"
)

// The markers around the section -markdown writes.
var markers = harness.Markers{Begin: "<!-- chaos:begin -->", End: "<!-- chaos:end -->"}

// report is everything the run found.
type report struct {
	o                     options
	command               string
	commit                string
	started, finished     time.Time
	loadStart, loadEnd    time.Time
	loadBefore, loadAfter string
	links                 int
	drain                 time.Duration
	drained               bool
	left                  string // what was still queued when the drain gave up
	others                string // jobs the run does not count, still queued when it counted
	counted               bool   // the run got as far as counting
	figures               figures
	faults                faultsReport
	unexpected            []string // requests the fake GitHub did not know
	problems              []string // why the run fails; none: it passes
}

// requestsTable has a row per kind of request and one for all.
func requestsTable(rep *report) harness.Table {
	t := harness.Table{Header: []string{"requests", "sent", "accepted", "4xx", "5xx", "no answer", "other", "not sent",
		"accepted, not stored (lost)", "not accepted, stored anyway"}}
	row := func(name string, s streamFigures, stores bool) {
		lost, stored := fmt.Sprint(s.lost), fmt.Sprint(s.stored)
		if !stores {
			lost, stored = "-", "-"
		}
		t.Add(name, fmt.Sprint(s.sent), fmt.Sprint(s.accepted), fmt.Sprint(s.c4xx), fmt.Sprint(s.c5xx), fmt.Sprint(s.transport),
			fmt.Sprint(s.other), fmt.Sprint(s.skipped), lost, stored)
	}
	for i, s := range rep.figures.streams {
		row(fmt.Sprintf("%s (%d)", streams[i].name, streams[i].accept), s, i != streamPage)
	}
	row("all", rep.figures.total(), true)
	return t
}

// effectsTable has a row per kind of effect.
func effectsTable(rep *report) harness.Table {
	f := rep.figures
	t := harness.Table{Header: []string{"effects", "expected", "there", "missing", "duplicates", "unexpected"}}
	row := func(name string, e effect) {
		dup := fmt.Sprint(e.duplicates)
		if e.window > 0 {
			dup += fmt.Sprintf(" (+%d in the kill window)", e.window)
		}
		t.Add(name, fmt.Sprint(e.expected), fmt.Sprint(e.done), fmt.Sprint(e.missing), dup, fmt.Sprint(e.unexpected))
	}
	row("tickets (accepted widget tickets)", f.tickets)
	row("messages (accepted inbound mails and portal replies)", f.messages)
	row("mails (by Message-ID, at the SMTP server)", f.mails)
	row("GitHub issues (one per ticket)", f.issues)
	row("GitHub comments (one per customer reply)", f.comments)
	return t
}

// faultsTable has a row per fault.
func faultsTable(rep *report) harness.Table {
	t := harness.Table{Header: []string{"fault", "at s", "lasted s", "requests during", "5xx", "no answer", "back after s", "caught up after s"}}
	for _, ff := range rep.faults.faults {
		f := ff.f
		t.Add(f.label, fmt.Sprintf("%.1f", f.start.Sub(rep.loadStart).Seconds()), fmt.Sprintf("%.1f", f.end.Sub(f.start).Seconds()),
			fmt.Sprint(ff.requests), fmt.Sprint(ff.c5xx), fmt.Sprint(ff.transport), secondsOrNever(ff.back), secondsOrNever(ff.caughtUp))
	}
	return t
}

func secondsOrNever(d time.Duration) string {
	switch {
	case d == notApplicable:
		return "-"
	case d < 0:
		return "never"
	}
	return fmt.Sprintf("%.1f", d.Seconds())
}

// notes are the lines under the tables.
func notes(rep *report) []string {
	var out []string
	for _, ff := range rep.faults.faults {
		for _, n := range ff.f.notes {
			out = append(out, ff.f.label+": "+n)
		}
	}
	var outside []string
	for i, n := range rep.faults.outside {
		if n > 0 {
			outside = append(outside, fmt.Sprintf("%s %d", streams[i].name, n))
		}
	}
	if len(outside) == 0 {
		out = append(out, "errors outside the faults: none")
	} else {
		out = append(out, "errors outside the faults (5xx or no answer): "+strings.Join(outside, ", "))
	}
	if rep.drained {
		out = append(out, fmt.Sprintf("every mail was sent and every GitHub post made %.1f s after the load ended", rep.drain.Seconds()))
	} else {
		out = append(out, fmt.Sprintf("mails and GitHub posts were still queued %.0f s after the load ended: %s", rep.drain.Seconds(), rep.left))
	}
	if rep.others != "" {
		out = append(out, "still queued then, not counted: "+rep.others)
	}
	return out
}

// environment is what the figures depend on besides the code.
func environment(rep *report) [][2]string {
	return [][2]string{
		{"command", rep.command},
		{"commit", rep.commit},
		{"load", fmt.Sprintf("%.0f requests/s for %.0f s (planned %s; it runs on until 3 s after the last fault), %d portal links, open loop, %s timeout per request",
			rep.o.rate, rep.loadEnd.Sub(rep.loadStart).Seconds(), rep.o.duration, rep.links, requestTimeout)},
		{"machine", fmt.Sprintf("%s, %d CPUs%s, %s; load average %s at the start, %s at the end (1, 5, 15 min); the server, PostgreSQL, Redis and the run share it",
			harness.UnameSR(), runtime.NumCPU(), harness.CPUModel(), runtime.Version(), rep.loadBefore, rep.loadAfter)},
	}
}

func result(rep *report) string {
	if len(rep.problems) == 0 {
		return "PASS: nothing accepted was lost, no mail or GitHub post is missing or there twice"
	}
	return "FAIL: " + strings.Join(rep.problems, "; ")
}

// writeText prints the report for the terminal.
func writeText(w io.Writer, rep *report) {
	fmt.Fprintf(w, "portico chaos run, %s\n", rep.started.UTC().Format(time.RFC3339))
	for _, kv := range environment(rep) {
		fmt.Fprintf(w, "%-8s %s\n", kv[0]+":", kv[1])
	}
	if rep.counted {
		for _, t := range []harness.Table{requestsTable(rep), effectsTable(rep), faultsTable(rep)} {
			fmt.Fprintln(w)
			_ = t.Text(w)
		}
		fmt.Fprintln(w)
		for _, n := range notes(rep) {
			fmt.Fprintln(w, "note "+n)
		}
	}
	fmt.Fprintln(w, result(rep))
}

// markdownSection is the report for docs/RELIABILITY.md, markers included.
func markdownSection(rep *report) string {
	var b strings.Builder
	b.WriteString(markers.Begin + "\n")
	fmt.Fprintf(&b, "Written by `%s` on %s, in %s. Everything between the `chaos:begin` and `chaos:end` markers is replaced by the next run.\n\n",
		rep.command, rep.started.UTC().Format("2006-01-02 15:04 MST"), rep.finished.Sub(rep.started).Round(time.Second))
	for _, kv := range environment(rep) {
		v := kv[1]
		if kv[0] == "command" || kv[0] == "commit" {
			v = "`" + v + "`"
		}
		fmt.Fprintf(&b, "- **%s**: %s\n", kv[0], v)
	}
	for _, t := range []harness.Table{requestsTable(rep), effectsTable(rep), faultsTable(rep)} {
		b.WriteString("\n")
		_ = t.Markdown(&b)
	}
	b.WriteString("\n")
	for _, n := range notes(rep) {
		b.WriteString("- " + n + "\n")
	}
	b.WriteString("\n**" + result(rep) + "**\n")
	b.WriteString(markers.End + "\n")
	return b.String()
}
