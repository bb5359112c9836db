package main

import (
	"fmt"
	"slices"
	"time"

	"github.com/portico/portico/bench/internal/harness"
)

// figures are the numbers compared between runs: one run's, or the median
// of several.
type figures struct {
	burst     float64       // accepted/s of the burst
	p99       time.Duration // of the burst
	sustained float64       // accepted/s until the effects were done; -1 not measured
	bound     bool          // sustained is an upper bound: a drain timed out
	backlog   float64       // s of intake left at the end of the sustained load; -1 not measured
}

func (r row) figures() figures {
	f := figures{burst: r.result.acceptedPerSecond(), p99: r.result.percentile(99), sustained: -1, backlog: -1}
	if s := r.sustained; s != nil {
		f.sustained, f.bound, f.backlog = s.perSecond(), !s.drained, s.backlogSeconds()
	}
	return f
}

// medianFigures is the median of each figure over runs; a run that did not
// measure one (-1) is left out of its median.
func medianFigures(runs []figures) figures {
	var burst, p99, sustained, backlog []float64
	var m figures
	for _, f := range runs {
		burst = append(burst, f.burst)
		p99 = append(p99, float64(f.p99))
		if f.sustained >= 0 {
			sustained = append(sustained, f.sustained)
			m.bound = m.bound || f.bound
		}
		if f.backlog >= 0 {
			backlog = append(backlog, f.backlog)
		}
	}
	m.burst, m.sustained, m.backlog = median(burst), median(sustained), median(backlog)
	m.p99 = time.Duration(max(median(p99), 0))
	return m
}

// median of xs, the mean of the middle two for an even count; -1 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return -1
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// ratio is current/baseline to two places, "-" when there is no baseline
// figure to divide by.
func ratio(baseline, current float64) string {
	if baseline <= 0 || current < 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", current/baseline)
}

// medianOf is the median over rounds of the rows of one database, scenario
// and side; false when there are none.
func medianOf(rows []row, database, scenario, side string) (figures, bool) {
	var runs []figures
	for _, r := range rows {
		if r.database == database && r.scenario.name == scenario && r.side == side {
			runs = append(runs, r.figures())
		}
	}
	if len(runs) == 0 {
		return figures{}, false
	}
	return medianFigures(runs), true
}

// comparison is one database and scenario run on both sides.
type comparison struct {
	database, scenario string
	rounds             int
	baseline, current  figures
}

// compare pairs the sides' medians for each database and scenario, in the
// order they ran.
func compare(rows []row) []comparison {
	var out []comparison
	for _, r := range rows {
		if r.side != sideBaseline || slices.ContainsFunc(out, func(c comparison) bool {
			return c.database == r.database && c.scenario == r.scenario.name
		}) {
			continue
		}
		base, _ := medianOf(rows, r.database, r.scenario.name, sideBaseline)
		cur, ok := medianOf(rows, r.database, r.scenario.name, sideCurrent)
		if !ok {
			continue
		}
		rounds := 0
		for _, x := range rows {
			if x.database == r.database && x.scenario.name == r.scenario.name && x.side == sideCurrent {
				rounds++
			}
		}
		out = append(out, comparison{database: r.database, scenario: r.scenario.name, rounds: rounds, baseline: base, current: cur})
	}
	return out
}

// comparisonTable has a line per figure: the baseline's, the current
// one's and their ratio.
func comparisonTable(cs []comparison) harness.Table {
	t := harness.Table{Header: []string{"database", "scenario", "figure", "baseline", "current", "ratio"}}
	for _, c := range cs {
		b, n := c.baseline, c.current
		t.Add(c.database, c.scenario, "burst/s", rate(b.burst, false), rate(n.burst, false), ratio(b.burst, n.burst))
		if b.sustained >= 0 || n.sustained >= 0 {
			t.Add(c.database, c.scenario, "sustained/s", rate(b.sustained, b.bound), rate(n.sustained, n.bound), ratio(b.sustained, n.sustained))
		}
		if b.backlog >= 0 || n.backlog >= 0 {
			t.Add(c.database, c.scenario, "backlog s", seconds(b.backlog), seconds(n.backlog), ratio(b.backlog, n.backlog))
		}
		t.Add(c.database, c.scenario, "p99 ms", ms(b.p99), ms(n.p99), ratio(float64(b.p99), float64(n.p99)))
	}
	return t
}

// rate is a per-second figure, "<" marking an upper bound, "-" none.
func rate(v float64, bound bool) string {
	switch {
	case v < 0:
		return "-"
	case bound:
		return fmt.Sprintf("<%.0f", v)
	}
	return fmt.Sprintf("%.0f", v)
}

// seconds is a figure in seconds, "-" when not measured.
func seconds(v float64) string {
	if v < 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", v)
}
