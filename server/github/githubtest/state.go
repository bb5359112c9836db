package githubtest

import (
	"fmt"
	"time"
)

// Issue states changed through the API (PATCH state, state_reason), as
// portico closes and reopens issues, and the webhook GitHub sends back for
// such a change.

// validState checks the state and state_reason of an issue edit as GitHub
// does: state open or closed; state_reason completed, not_planned or
// reopened, and not_planned or completed only with closed.
func validState(state, reason *string) bool {
	if state != nil && *state != "open" && *state != "closed" {
		return false
	}
	if reason == nil {
		return true
	}
	switch *reason {
	case "completed", "not_planned":
		return state == nil || *state == "closed"
	case "reopened":
		return state == nil || *state == "open"
	}
	return false
}

// setState closes or reopens an issue (the caller holds the lock). Closing
// an open issue sets closed_at; closing a closed one changes nothing of it.
func setState(is *Issue, state string, reason *string) {
	switch {
	case state == "closed" && is.State != "closed":
		at := is.UpdatedAt
		is.State, is.ClosedAt, is.StateReason = "closed", &at, "completed"
	case state == "open" && is.State != "open":
		is.State, is.ClosedAt, is.StateReason = "open", nil, "reopened"
	}
	if reason != nil {
		is.StateReason = *reason
	}
}

// nextUpdate is the updated_at of a change to is: now, or a second after
// the last change when that is not earlier (two changes within a second
// still come in order, as the webhooks' updated_at do).
func (s *Server) nextUpdate(is *Issue) time.Time {
	now := time.Now().UTC().Truncate(time.Second)
	if now.After(is.UpdatedAt) {
		return now
	}
	return is.UpdatedAt.Add(time.Second)
}

// stateReason is the issue's state_reason in JSON (null when it has none).
func stateReason(is *Issue) any {
	if is.StateReason == "" {
		return nil
	}
	return is.StateReason
}

// Issue returns a copy of issue number n.
func (s *Server) Issue(n int64) Issue {
	for _, is := range s.Issues() {
		if is.Number == n {
			return is
		}
	}
	panic(fmt.Sprintf("githubtest: no issue #%d", n))
}

// StateEcho is the issues.closed or issues.reopened delivery GitHub sends
// for the issue as it is now: after an API call changed its state, the
// webhook that echoes it.
func (s *Server) StateEcho(issue int64) Delivery {
	s.mu.Lock()
	var ij map[string]any
	action := ""
	for _, is := range s.issues {
		if is.Number == issue {
			ij = s.issueJSON(is)
			action = "reopened"
			if is.State == "closed" {
				action = "closed"
			}
		}
	}
	s.mu.Unlock()
	if ij == nil {
		panic(fmt.Sprintf("githubtest: no issue #%d", issue))
	}
	return s.delivery("issues", map[string]any{"action": action, "issue": ij})
}

// ClearFaults drops the faults still queued for route.
func (s *Server) ClearFaults(route string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.faults, route)
}
