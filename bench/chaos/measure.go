package main

import (
	"time"
)

// faultFigures are what one fault did to the service.
type faultFigures struct {
	f               *fault
	requests        int // sent while the service was affected (see measureFaults)
	c5xx, transport int
	back            time.Duration // from the fault's end to the first accepted answer after it; -1: none
	caughtUp        time.Duration // from the fault's end until everything queued before it was done; -1: never
}

// notApplicable is a duration that does not apply to the fault.
const notApplicable time.Duration = -2

// faultsReport is every fault's figures and the errors that fell outside
// all of them.
type faultsReport struct {
	faults  []faultFigures
	outside [streamCount]int // 5xx and transport errors of requests no fault explains
}

// measureFaults measures each fault on the requests and on the queued
// work. A fault affects the service from its start until the first
// accepted answer to a request sent after its end ("back"): requests that
// overlap that span count as during the fault. "Caught up" is how long
// after its end the last mail and GitHub post queued before its end was
// done.
func measureFaults(faults []*fault, outcomes []outcome, s *snapshot) faultsReport {
	var rep faultsReport
	spans := make([][2]time.Time, len(faults))
	for i, f := range faults {
		ff := faultFigures{f: f, back: -1, caughtUp: -1}
		var first time.Time
		for _, o := range outcomes {
			if o.accepted && !o.sent.Before(f.end) && (first.IsZero() || o.done.Before(first)) {
				first = o.done
			}
		}
		to := f.end
		if !first.IsZero() {
			ff.back = first.Sub(f.end)
			to = first
		}
		spans[i] = [2]time.Time{f.start, to}
		for _, o := range outcomes {
			if o.sent.Before(to) && o.done.After(f.start) {
				ff.requests++
				switch {
				case o.status == 0:
					ff.transport++
				case o.status >= 500:
					ff.c5xx++
				}
			}
		}
		if f.kind == faultRedis {
			// Only the rate limiter uses Redis: no work waits for it.
			ff.caughtUp = notApplicable
		} else {
			ff.caughtUp = caughtUp(f.end, s, f.kind != faultGitHub502 && f.kind != faultGitHubRate, f.kind != faultSMTP)
		}
		rep.faults = append(rep.faults, ff)
	}
	for _, o := range outcomes {
		if o.status != 0 && o.status < 500 {
			continue
		}
		explained := false
		for _, sp := range spans {
			explained = explained || (o.sent.Before(sp[1]) && o.done.After(sp[0]))
		}
		if !explained {
			rep.outside[o.stream]++
		}
	}
	return rep
}

// caughtUp is how long after end the last mail (if mails) and GitHub post
// (if posts) queued before end was done; -1 when one never was.
func caughtUp(end time.Time, s *snapshot, mails, posts bool) time.Duration {
	var last time.Time
	for _, m := range s.mails {
		if !mails || !m.created.Before(end) {
			continue
		}
		if !m.sent.Valid {
			return -1
		}
		last = later(last, m.sent.Time)
	}
	for _, p := range s.posts {
		if !posts || !p.created.Before(end) {
			continue
		}
		if !p.posted.Valid {
			return -1
		}
		last = later(last, p.posted.Time)
	}
	return max(last.Sub(end), 0)
}
