package githubtest

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func post(t *testing.T, s *Server, path, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL()+strings.TrimPrefix(path, "/"), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

// TestOutage: while an outage is set every request gets it (after the work
// when it says so), queued faults first; cleared, the fake answers again.
// New records requests to unknown routes instead of failing a test.
func TestOutage(t *testing.T) {
	s := New("acme/support")
	defer s.Close()
	issue := `{"title":"t","body":"b"}`

	s.SetOutage(new(BadGateway(true)))
	if res := post(t, s, "/repos/acme/support/issues", issue); res.StatusCode != http.StatusBadGateway {
		t.Errorf("during a 502 outage after the work: %d", res.StatusCode)
	}
	if n := len(s.Issues()); n != 1 {
		t.Errorf("%d issues after a 502 that came after the work, want 1", n)
	}
	s.SetOutage(new(PrimaryRateLimit(time.Now().Add(time.Minute))))
	s.Fail(RouteCreateIssue, BadGateway(false))
	if res := post(t, s, "/repos/acme/support/issues", issue); res.StatusCode != http.StatusBadGateway {
		t.Errorf("a queued fault during an outage: %d, want it first", res.StatusCode)
	}
	res := post(t, s, "/repos/acme/support/issues", issue)
	if res.StatusCode != http.StatusForbidden || res.Header.Get("X-Ratelimit-Remaining") != "0" {
		t.Errorf("during a rate-limit outage: %d %v", res.StatusCode, res.Header)
	}
	s.SetOutage(nil)
	if res := post(t, s, "/repos/acme/support/issues", issue); res.StatusCode != http.StatusCreated {
		t.Errorf("after the outage: %d", res.StatusCode)
	}
	if n := len(s.Issues()); n != 2 {
		t.Errorf("%d issues, want 2 (one after the 502, one after the outage)", n)
	}

	post(t, s, "/nowhere", "")
	if got := s.Unexpected(); len(got) != 1 || got[0] != "POST /nowhere" {
		t.Errorf("Unexpected() = %q", got)
	}
}
