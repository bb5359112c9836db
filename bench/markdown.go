package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/portico/portico/bench/internal/harness"
)

// The markers around the section -markdown writes: the text between them is
// replaced by each run, and the rest of the file is left as it is.
const (
	markBegin = "<!-- bench:begin -->"
	markEnd   = "<!-- bench:end -->"
)

var markers = harness.Markers{Begin: markBegin, End: markEnd}

// markdownSection is the report as a self-contained markdown section,
// markers included.
func markdownSection(rep *report) string {
	var b strings.Builder
	b.WriteString(markBegin + "\n")
	b.WriteString("## Latest run\n\n")
	fmt.Fprintf(&b, "Written by the benchmark (`-markdown`) on %s, in %s. Everything between the `bench:begin` and `bench:end` markers is replaced by the next run; edit outside them.\n\n",
		rep.started.UTC().Format("2006-01-02 15:04 MST"), rep.finished.Sub(rep.started).Round(time.Second))
	for _, kv := range environment(rep) {
		v := kv[1]
		switch kv[0] {
		case "command":
			v = "`" + v + "`"
		case sideCurrent, sideBaseline:
			commit, from, _ := strings.Cut(v, " ")
			v = "`" + commit + "` " + from
		}
		fmt.Fprintf(&b, "- **%s**: %s\n", kv[0], v)
	}
	if len(rep.rows) > 0 {
		b.WriteString("\n### Latest figures\n\n")
		b.WriteString("burst/s and the latencies are of the burst; sustained/s counts only requests whose mail and jobs were done " +
			"(accepted / (window + drain)); backlog s is what was left undone when the sustained load ended, in seconds of intake.\n\n")
		_ = resultsTable(rep).Markdown(&b)
	}
	if cs := compare(rep.rows); len(cs) > 0 {
		b.WriteString("\n### Latest comparison\n\n")
		b.WriteString(upperFirst(comparisonTitle(cs)) + ". `<` marks an upper bound: the drain outlasted `-drain-timeout`.\n\n")
		_ = comparisonTable(cs).Markdown(&b)
	}
	if lines := reportLines(rep); len(lines) > 0 {
		// Folded: a few lines per run of each scenario on each server make
		// a long page otherwise.
		fmt.Fprintf(&b, "\n### Latest notes\n\n<details><summary>%d lines: setups, drains, aims, failures</summary>\n\n```text\n", len(lines))
		for _, l := range lines {
			b.WriteString(l + "\n")
		}
		b.WriteString("```\n\n</details>\n")
	}
	if len(rep.sizes) > 0 {
		b.WriteString("\nFront-end sizes (no load):\n\n```text\n")
		for _, l := range rep.sizes {
			b.WriteString(l + "\n")
		}
		b.WriteString("```\n")
	}
	b.WriteString(markEnd + "\n")
	return b.String()
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
