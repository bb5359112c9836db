package githubtest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// How the fake writes pages and objects, as GitHub does.

type window struct{ from, to int }

// paginate reads per_page and page, sets the Link header for the next page
// and returns the slice bounds.
func paginate(w http.ResponseWriter, r *http.Request, n int) window {
	q := r.URL.Query()
	per, _ := strconv.Atoi(q.Get("per_page"))
	if per <= 0 || per > 100 {
		per = 30
	}
	page, _ := strconv.Atoi(q.Get("page"))
	if page <= 0 {
		page = 1
	}
	from := min((page-1)*per, n)
	to := min(from+per, n)
	if to < n {
		next := *r.URL
		nq := next.Query()
		nq.Set("page", strconv.Itoa(page+1))
		next.RawQuery = nq.Encode()
		next.Scheme, next.Host = "http", r.Host
		w.Header().Set("Link", fmt.Sprintf(`<%s>; rel="next"`, next.String()))
	}
	return window{from, to}
}

func (s *Server) htmlURL(kind string, n int64) string {
	return fmt.Sprintf("https://github.com/%s/%s/%s/%d", s.Owner, s.Repo, kind, n)
}

func (s *Server) userJSON(login string) map[string]any {
	typ := "User"
	if strings.HasSuffix(login, "[bot]") {
		typ = "Bot"
	}
	return map[string]any{"login": login, "id": len(login) * 1000, "type": typ, "site_admin": false}
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (s *Server) issueJSON(is *Issue) map[string]any {
	labels := []map[string]any{}
	for i, l := range is.Labels {
		labels = append(labels, map[string]any{"id": i + 1, "name": l, "color": "ededed", "default": false})
	}
	var closedAt any
	if is.ClosedAt != nil {
		closedAt = ts(*is.ClosedAt)
	}
	api := s.srv.URL + "/repos/" + s.Owner + "/" + s.Repo
	return map[string]any{
		"id": is.ID, "node_id": fmt.Sprintf("I_%d", is.ID), "number": is.Number,
		"url":            fmt.Sprintf("%s/issues/%d", api, is.Number),
		"repository_url": api,
		"html_url":       s.htmlURL("issues", is.Number),
		"title":          is.Title, "body": is.Body, "state": is.State, "labels": labels, "assignees": assigneesJSON(s, is.Assignees),
		"user": s.userJSON(is.User), "comments": 0, "locked": false,
		"created_at": ts(is.CreatedAt), "updated_at": ts(is.UpdatedAt), "closed_at": closedAt, "state_reason": stateReason(is),
		"author_association": "NONE",
	}
}

func (s *Server) commentJSON(c *Comment) map[string]any {
	api := s.srv.URL + "/repos/" + s.Owner + "/" + s.Repo
	return map[string]any{
		"id": c.ID, "node_id": fmt.Sprintf("IC_%d", c.ID),
		"url":       fmt.Sprintf("%s/issues/comments/%d", api, c.ID),
		"html_url":  fmt.Sprintf("%s#issuecomment-%d", s.htmlURL("issues", c.IssueNumber), c.ID),
		"issue_url": fmt.Sprintf("%s/issues/%d", api, c.IssueNumber),
		"body":      c.Body, "user": s.userJSON(c.User), "author_association": c.Association,
		"created_at": ts(c.CreatedAt), "updated_at": ts(c.UpdatedAt),
	}
}
