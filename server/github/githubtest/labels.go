package githubtest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// Routes of issue labels and assignees (workflow actions).
const (
	RouteAddLabels    = "add_labels"
	RouteRemoveLabel  = "remove_label"
	RouteAddAssignees = "add_assignees"
)

func labelsJSON(labels []string) []map[string]any {
	out := []map[string]any{}
	for i, l := range labels {
		out = append(out, map[string]any{"id": i + 1, "name": l, "color": "ededed", "default": false})
	}
	return out
}

// addLabels answers POST /repos/{owner}/{repo}/issues/{number}/labels with
// {"labels": [...]} or a bare list of names (both are documented; go-github
// sends the list): labels the issue has already stay once.
func (s *Server) addLabels(w http.ResponseWriter, r *http.Request, body []byte) {
	var in struct {
		Labels []string `json:"labels"`
	}
	if err := json.Unmarshal(body, &in.Labels); err != nil {
		err = json.Unmarshal(body, &in)
		if err != nil {
			in.Labels = nil
		}
	}
	if len(in.Labels) == 0 {
		writeError(w, http.StatusUnprocessableEntity, "Validation Failed", "https://docs.github.com/rest/issues/labels#add-labels-to-an-issue")
		return
	}
	s.mu.Lock()
	is := s.findIssue(r)
	if is == nil {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "Not Found", "")
		return
	}
	for _, l := range in.Labels {
		if !slices.ContainsFunc(is.Labels, func(have string) bool { return strings.EqualFold(have, l) }) {
			is.Labels = append(is.Labels, l)
		}
	}
	is.UpdatedAt = s.nextUpdate(is) // never backwards, as on GitHub
	out := labelsJSON(is.Labels)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// removeLabel answers DELETE /repos/{owner}/{repo}/issues/{number}/labels/{name};
// 404 "Label does not exist" when the issue does not have it, as GitHub does.
func (s *Server) removeLabel(w http.ResponseWriter, r *http.Request, _ []byte) {
	name := r.PathValue("name")
	s.mu.Lock()
	is := s.findIssue(r)
	if is == nil {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "Not Found", "")
		return
	}
	i := slices.IndexFunc(is.Labels, func(have string) bool { return strings.EqualFold(have, name) })
	if i < 0 {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "Label does not exist", "https://docs.github.com/rest/issues/labels#remove-a-label-from-an-issue")
		return
	}
	is.Labels = slices.Delete(is.Labels, i, i+1)
	is.UpdatedAt = s.nextUpdate(is) // never backwards, as on GitHub
	out := labelsJSON(is.Labels)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// addAssignees answers POST /repos/{owner}/{repo}/issues/{number}/assignees
// {"assignees": [...]} with the issue.
func (s *Server) addAssignees(w http.ResponseWriter, r *http.Request, body []byte) {
	var in struct {
		Assignees []string `json:"assignees"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		writeError(w, http.StatusUnprocessableEntity, "Validation Failed", "")
		return
	}
	s.mu.Lock()
	is := s.findIssue(r)
	if is == nil {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "Not Found", "")
		return
	}
	for _, a := range in.Assignees {
		if !slices.Contains(is.Assignees, a) {
			is.Assignees = append(is.Assignees, a)
		}
	}
	is.UpdatedAt = s.nextUpdate(is) // never backwards, as on GitHub
	out := s.issueJSON(is)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, out)
}

func assigneesJSON(s *Server, logins []string) []map[string]any {
	out := []map[string]any{}
	for _, l := range logins {
		out = append(out, s.userJSON(l))
	}
	return out
}
