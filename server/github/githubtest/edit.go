package githubtest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// Route names of the edits (privacy redaction), for Fail and Calls.
const (
	RouteEditIssue   = "edit_issue"
	RouteEditComment = "edit_comment"
)

// editIssue answers PATCH /repos/{owner}/{repo}/issues/{number}: title,
// body and state (with state_reason, state.go), when given, replace the
// issue's.
func (s *Server) editIssue(w http.ResponseWriter, r *http.Request, body []byte) {
	var in struct {
		Title       *string `json:"title"`
		Body        *string `json:"body"`
		State       *string `json:"state"`
		StateReason *string `json:"state_reason"`
	}
	if err := json.Unmarshal(body, &in); err != nil || (in.Title != nil && *in.Title == "") || !validState(in.State, in.StateReason) {
		writeError(w, http.StatusUnprocessableEntity, "Validation Failed", "https://docs.github.com/rest/issues/issues#update-an-issue")
		return
	}
	s.mu.Lock()
	is := s.findIssue(r)
	if is == nil {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "Not Found", "")
		return
	}
	if in.Title != nil {
		is.Title = *in.Title
	}
	if in.Body != nil {
		is.Body = *in.Body
	}
	is.UpdatedAt = s.nextUpdate(is)
	if in.State != nil {
		setState(is, *in.State, in.StateReason)
	}
	out := s.issueJSON(is)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// editComment answers PATCH /repos/{owner}/{repo}/issues/comments/{id}.
func (s *Server) editComment(w http.ResponseWriter, r *http.Request, body []byte) {
	var in struct {
		Body string `json:"body"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.Body == "" {
		writeError(w, http.StatusUnprocessableEntity, "Validation Failed", "https://docs.github.com/rest/issues/comments#update-an-issue-comment")
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.comments {
		if c.ID == id {
			c.Body = in.Body
			c.UpdatedAt = time.Now().UTC().Truncate(time.Second)
			writeJSON(w, http.StatusOK, s.commentJSON(c))
			return
		}
	}
	writeError(w, http.StatusNotFound, "Not Found", "")
}
