// Package githubtest is a fake GitHub for tests: the REST endpoints portico
// calls (issues, comments, reactions, contents, App installation tokens),
// answering with GitHub's documented JSON, recording every call, and able
// to fail on request (a 502, a primary or secondary rate limit). It also
// builds signed webhook deliveries for the issues and comments it holds.
package githubtest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Route names, for Fail and Calls.
const (
	RouteAccessToken    = "access_token"
	RouteCreateIssue    = "create_issue"
	RouteListIssues     = "list_issues"
	RouteCreateComment  = "create_comment"
	RouteListComments   = "list_comments"
	RouteCreateReaction = "create_reaction"
	RouteGetContents    = "get_contents"
)

// Issue is an issue of the fake repository.
type Issue struct {
	ID        int64
	Number    int64
	Title     string
	Body      string
	Labels    []string
	Assignees []string
	State     string
	// StateReason is GitHub's state_reason: completed, not_planned or
	// reopened; empty for an issue never closed.
	StateReason string
	User        string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	ClosedAt    *time.Time
}

// Comment is an issue comment.
type Comment struct {
	ID          int64
	IssueNumber int64
	Body        string
	User        string
	Association string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Reaction is a reaction to an issue comment.
type Reaction struct {
	ID        int64
	CommentID int64
	Content   string
	User      string
}

// Call is one request the fake answered.
type Call struct {
	Route  string
	Method string
	Path   string
	Query  url.Values
	Auth   string
	Body   string
	Status int
	At     time.Time
}

// Fault is an answer to give instead of the real one.
type Fault struct {
	Status int
	// Header is added to the answer; a func so that times are computed
	// when it is given.
	Header func() http.Header
	// Message is the error message of the JSON body; DocURL its
	// documentation_url.
	Message, DocURL string
	// AfterEffect does the work first (the issue is created) and then
	// answers with the fault, as a gateway timing out behind GitHub would.
	AfterEffect bool
}

// BadGateway is a 502 that may come after the work was done.
func BadGateway(afterEffect bool) Fault {
	return Fault{Status: http.StatusBadGateway, Message: "Server Error", AfterEffect: afterEffect}
}

// PrimaryRateLimit is GitHub's answer once the hourly budget is spent:
// 403, X-RateLimit-Remaining: 0 and X-RateLimit-Reset in Unix seconds.
func PrimaryRateLimit(reset time.Time) Fault {
	return Fault{Status: http.StatusForbidden, Message: "API rate limit exceeded for installation ID 1.",
		DocURL: "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting",
		Header: func() http.Header {
			return http.Header{
				"X-Ratelimit-Limit":     {"5000"},
				"X-Ratelimit-Remaining": {"0"},
				"X-Ratelimit-Used":      {"5000"},
				"X-Ratelimit-Reset":     {strconv.FormatInt(reset.Unix(), 10)},
				"X-Ratelimit-Resource":  {"core"},
			}
		}}
}

// SecondaryRateLimit is GitHub's answer to too many requests at once:
// 403 with Retry-After in seconds.
func SecondaryRateLimit(status int, retryAfter int) Fault {
	return Fault{Status: status, Message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
		DocURL: "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
		Header: func() http.Header { return http.Header{"Retry-After": {strconv.Itoa(retryAfter)}} }}
}

// Server is the fake.
type Server struct {
	Owner, Repo string
	// Token is the token requests must carry (Bearer, or token <...> for an
	// installation token this fake issued).
	Token string
	// AppID is the App whose JWT the access-token endpoint accepts.
	AppID int64
	// BotLogin is the login of whoever the token belongs to.
	BotLogin string

	srv       *httptest.Server
	mu        sync.Mutex
	nextID    int64
	issues    []*Issue
	comments  []*Comment
	reactions []*Reaction
	files     map[string]string
	faults    map[string][]Fault
	calls     []Call
	issued    map[string]bool

	permissions map[string]string
	public      bool
	outage      *Fault   // answered to every request while set
	unexpected  []string // New: requests to unknown routes
	gql         gqlState
}

// Start runs a fake holding the repository owner/name; it stops when the
// test ends, and a request to a route it does not know fails the test.
func Start(t testing.TB, repository string) *Server {
	t.Helper()
	s := newServer(repository, func(r *http.Request) { t.Errorf("githubtest: unexpected %s %s", r.Method, r.URL) })
	t.Cleanup(s.Close)
	return s
}

// New runs a fake outside a test (a load tool's): Close stops it, and
// Unexpected lists the requests to routes it does not know.
func New(repository string) *Server {
	var s *Server
	s = newServer(repository, func(r *http.Request) {
		s.mu.Lock()
		s.unexpected = append(s.unexpected, r.Method+" "+r.URL.String())
		s.mu.Unlock()
	})
	return s
}

func newServer(repository string, unexpected func(*http.Request)) *Server {
	owner, repo, _ := strings.Cut(repository, "/")
	s := &Server{Owner: owner, Repo: repo, Token: "ghp_test_token", BotLogin: "portico-bot", nextID: 1000,
		files: map[string]string{}, faults: map[string][]Fault{}, issued: map[string]bool{},
		permissions: map[string]string{}, gql: gqlState{faults: map[string][]GraphQLFault{}}}
	mux := http.NewServeMux()
	p := "/repos/{owner}/{repo}"
	mux.HandleFunc("POST /app/installations/{id}/access_tokens", s.route(RouteAccessToken, s.accessToken))
	mux.HandleFunc("POST "+p+"/issues", s.route(RouteCreateIssue, s.createIssue))
	mux.HandleFunc("GET "+p+"/issues", s.route(RouteListIssues, s.listIssues))
	mux.HandleFunc("POST "+p+"/issues/{number}/comments", s.route(RouteCreateComment, s.createComment))
	mux.HandleFunc("GET "+p+"/issues/{number}/comments", s.route(RouteListComments, s.listComments))
	mux.HandleFunc("POST "+p+"/issues/comments/{id}/reactions", s.route(RouteCreateReaction, s.createReaction))
	mux.HandleFunc("GET "+p+"/contents/{path...}", s.route(RouteGetContents, s.getContents))
	mux.HandleFunc("PATCH "+p+"/issues/{number}", s.route(RouteEditIssue, s.editIssue))
	mux.HandleFunc("PATCH "+p+"/issues/comments/{id}", s.route(RouteEditComment, s.editComment))
	mux.HandleFunc("POST "+p+"/issues/{number}/labels", s.route(RouteAddLabels, s.addLabels))
	mux.HandleFunc("DELETE "+p+"/issues/{number}/labels/{name}", s.route(RouteRemoveLabel, s.removeLabel))
	mux.HandleFunc("POST "+p+"/issues/{number}/assignees", s.route(RouteAddAssignees, s.addAssignees))
	mux.HandleFunc("GET "+p+"/collaborators/{username}/permission", s.route(RoutePermission, s.permission))
	mux.HandleFunc("GET "+p, s.route(RouteGetRepository, s.repository))
	mux.HandleFunc("POST /graphql", s.route(RouteGraphQL, s.graphql))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		unexpected(r)
		writeError(w, http.StatusNotFound, "Not Found", "")
	})
	s.srv = httptest.NewServer(mux)
	return s
}

// Close stops the fake.
func (s *Server) Close() { s.srv.Close() }

// Unexpected lists the requests (method and URL) a fake made by New got
// for routes it does not know.
func (s *Server) Unexpected() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.unexpected)
}

// URL is the API root, with a trailing slash (PORTICO_GITHUB_API_URL).
func (s *Server) URL() string { return s.srv.URL + "/" }

// Repository is "owner/name".
func (s *Server) Repository() string { return s.Owner + "/" + s.Repo }

// Fail makes the next request to route answer with f (several calls queue
// several faults, used in order).
func (s *Server) Fail(route string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[route] = append(s.faults[route], f)
}

// SetOutage makes every request answer f, after doing the work when
// f.AfterEffect, until SetOutage(nil): GitHub down, or rate limiting
// everything, for a while. Faults queued with Fail come first.
func (s *Server) SetOutage(f *Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outage = f
}

// SetFile puts a file on the default branch (for the Contents API).
func (s *Server) SetFile(path, content string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[path] = content
}

// Issues returns a copy of every issue, oldest first.
func (s *Server) Issues() []Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Issue, len(s.issues))
	for i, is := range s.issues {
		out[i] = *is
		// Label and assignee slices change under the lock; callers get copies.
		out[i].Labels = slices.Clone(is.Labels)
		out[i].Assignees = slices.Clone(is.Assignees)
	}
	return out
}

// Comments returns the comments of an issue, oldest first.
func (s *Server) Comments(issue int64) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Comment
	for _, c := range s.comments {
		if c.IssueNumber == issue {
			out = append(out, *c)
		}
	}
	return out
}

// Reactions returns every reaction.
func (s *Server) Reactions() []Reaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Reaction, len(s.reactions))
	for i, r := range s.reactions {
		out[i] = *r
	}
	return out
}

// Calls returns the calls made to route ("" for all), in order.
func (s *Server) Calls(route string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if route == "" || c.Route == route {
			out = append(out, c)
		}
	}
	return out
}

// Wait polls cond until it holds or timeout passes, and fails the test then.
func Wait(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// recorder captures the status an endpoint answered.
type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (s *Server) route(name string, h func(w http.ResponseWriter, r *http.Request, body []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			s.mu.Lock()
			s.calls = append(s.calls, Call{Route: name, Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(),
				Auth: r.Header.Get("Authorization"), Body: string(body), Status: rec.status, At: time.Now()})
			s.mu.Unlock()
		}()
		if !s.authorized(name, r.Header.Get("Authorization")) {
			writeError(rec, http.StatusUnauthorized, "Bad credentials", "https://docs.github.com/rest")
			return
		}
		if (r.PathValue("owner") != "" || r.PathValue("repo") != "") && (r.PathValue("owner") != s.Owner || r.PathValue("repo") != s.Repo) {
			writeError(rec, http.StatusNotFound, "Not Found", "https://docs.github.com/rest")
			return
		}
		s.mu.Lock()
		var fault *Fault
		if q := s.faults[name]; len(q) > 0 {
			fault = &q[0]
			s.faults[name] = q[1:]
		} else if s.outage != nil {
			f := *s.outage
			fault = &f
		}
		s.mu.Unlock()
		if fault != nil && !fault.AfterEffect {
			writeFault(rec, *fault)
			return
		}
		reset := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
		w.Header().Set("X-RateLimit-Limit", "5000")
		w.Header().Set("X-RateLimit-Remaining", "4999")
		w.Header().Set("X-RateLimit-Reset", reset)
		if fault != nil {
			h(httptest.NewRecorder(), r, body)
			writeFault(rec, *fault)
			return
		}
		h(rec, r, body)
	}
}

func (s *Server) authorized(route, auth string) bool {
	if route == RouteAccessToken {
		jwt, ok := strings.CutPrefix(auth, "Bearer ")
		return ok && s.validJWT(jwt)
	}
	if tok, ok := strings.CutPrefix(auth, "Bearer "); ok && tok == s.Token {
		return true
	}
	if tok, ok := strings.CutPrefix(auth, "token "); ok {
		s.mu.Lock()
		defer s.mu.Unlock()
		return tok == s.Token || s.issued[tok]
	}
	return false
}

// validJWT checks that the App JWT names the App (its RS256 signature is
// not verified: the fake has no key).
func (s *Server) validJWT(token string) bool {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return false
	}
	var claims struct {
		Iss any `json:"iss"`
	}
	if json.Unmarshal(raw, &claims) != nil {
		return false
	}
	return fmt.Sprint(claims.Iss) == strconv.FormatInt(s.AppID, 10)
}

func writeFault(w http.ResponseWriter, f Fault) {
	if f.Header != nil {
		for k, vs := range f.Header() {
			w.Header()[http.CanonicalHeaderKey(k)] = vs
		}
	}
	writeError(w, f.Status, f.Message, f.DocURL)
}

func writeError(w http.ResponseWriter, status int, message, doc string) {
	writeJSON(w, status, map[string]any{"message": message, "documentation_url": doc})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) id() int64 {
	s.nextID++
	return s.nextID
}

func (s *Server) accessToken(w http.ResponseWriter, r *http.Request, _ []byte) {
	s.mu.Lock()
	tok := fmt.Sprintf("ghs_installation_%d", s.id())
	s.issued[tok] = true
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{
		"token":                tok,
		"expires_at":           time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		"permissions":          map[string]string{"issues": "write", "contents": "read"},
		"repository_selection": "selected",
	})
}

func (s *Server) createIssue(w http.ResponseWriter, r *http.Request, body []byte) {
	var in struct {
		Title  string   `json:"title"`
		Body   string   `json:"body"`
		Labels []string `json:"labels"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.Title == "" {
		writeError(w, http.StatusUnprocessableEntity, "Validation Failed", "https://docs.github.com/rest/issues/issues#create-an-issue")
		return
	}
	s.mu.Lock()
	now := time.Now().UTC().Truncate(time.Second)
	is := &Issue{ID: s.id(), Number: s.nextNumber(), Title: in.Title, Body: in.Body, Labels: in.Labels,
		State: "open", User: s.BotLogin, CreatedAt: now, UpdatedAt: now}
	s.issues = append(s.issues, is)
	out := s.issueJSON(is)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) listIssues(w http.ResponseWriter, r *http.Request, _ []byte) {
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	var since time.Time
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			writeError(w, http.StatusUnprocessableEntity, "Validation Failed", "")
			return
		}
		since = t
	}
	s.mu.Lock()
	var list []*Issue
	for _, is := range s.issues {
		if (state == "all" || is.State == state) && !is.UpdatedAt.Before(since) {
			list = append(list, is)
		}
	}
	desc := q.Get("direction") != "asc"
	sort.SliceStable(list, func(i, j int) bool {
		if desc {
			return list[i].CreatedAt.After(list[j].CreatedAt) || (list[i].CreatedAt.Equal(list[j].CreatedAt) && list[i].Number > list[j].Number)
		}
		return list[i].Number < list[j].Number
	})
	page := paginate(w, r, len(list))
	out := []map[string]any{}
	for _, is := range list[page.from:page.to] {
		out = append(out, s.issueJSON(is))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) findIssue(r *http.Request) *Issue {
	n, _ := strconv.ParseInt(r.PathValue("number"), 10, 64)
	for _, is := range s.issues {
		if is.Number == n {
			return is
		}
	}
	return nil
}

func (s *Server) createComment(w http.ResponseWriter, r *http.Request, body []byte) {
	var in struct {
		Body string `json:"body"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.Body == "" {
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
	now := time.Now().UTC().Truncate(time.Second)
	c := &Comment{ID: s.id(), IssueNumber: is.Number, Body: in.Body, User: s.BotLogin, Association: "NONE", CreatedAt: now, UpdatedAt: now}
	s.comments = append(s.comments, c)
	if now.After(is.UpdatedAt) { // never backwards, after a change bumped it
		is.UpdatedAt = now
	}
	out := s.commentJSON(c)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) listComments(w http.ResponseWriter, r *http.Request, _ []byte) {
	var since time.Time
	if v := r.URL.Query().Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			writeError(w, http.StatusUnprocessableEntity, "Validation Failed", "")
			return
		}
		since = t
	}
	s.mu.Lock()
	is := s.findIssue(r)
	if is == nil {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "Not Found", "")
		return
	}
	var list []*Comment
	for _, c := range s.comments {
		if c.IssueNumber == is.Number && !c.UpdatedAt.Before(since) {
			list = append(list, c)
		}
	}
	page := paginate(w, r, len(list))
	out := []map[string]any{}
	for _, c := range list[page.from:page.to] {
		out = append(out, s.commentJSON(c))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createReaction(w http.ResponseWriter, r *http.Request, body []byte) {
	var in struct {
		Content string `json:"content"`
	}
	valid := map[string]bool{"+1": true, "-1": true, "laugh": true, "confused": true, "heart": true, "hooray": true, "rocket": true, "eyes": true}
	if err := json.Unmarshal(body, &in); err != nil || !valid[in.Content] {
		writeError(w, http.StatusUnprocessableEntity, "Validation Failed", "")
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	found := false
	for _, c := range s.comments {
		found = found || c.ID == id
	}
	if !found {
		writeError(w, http.StatusNotFound, "Not Found", "")
		return
	}
	status := http.StatusCreated
	var re *Reaction
	for _, x := range s.reactions {
		if x.CommentID == id && x.Content == in.Content && x.User == s.BotLogin {
			re, status = x, http.StatusOK // GitHub: 200 when the reaction exists
		}
	}
	if re == nil {
		re = &Reaction{ID: s.id(), CommentID: id, Content: in.Content, User: s.BotLogin}
		s.reactions = append(s.reactions, re)
	}
	writeJSON(w, status, map[string]any{
		"id": re.ID, "node_id": fmt.Sprintf("REA_%d", re.ID), "content": re.Content,
		"user": s.userJSON(re.User), "created_at": time.Now().UTC().Format(time.RFC3339),
	})
}

func (s *Server) getContents(w http.ResponseWriter, r *http.Request, _ []byte) {
	path := r.PathValue("path")
	s.mu.Lock()
	content, ok := s.files[path]
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest/repos/contents#get-repository-content")
		return
	}
	sum := sha256.Sum256([]byte(content))
	sha := hex.EncodeToString(sum[:20])
	base := s.srv.URL + "/repos/" + s.Owner + "/" + s.Repo
	name := path[strings.LastIndex(path, "/")+1:]
	// GitHub wraps the base64 content at 60 characters.
	enc := base64.StdEncoding.EncodeToString([]byte(content))
	var wrapped strings.Builder
	for len(enc) > 60 {
		wrapped.WriteString(enc[:60] + "\n")
		enc = enc[60:]
	}
	wrapped.WriteString(enc + "\n")
	writeJSON(w, http.StatusOK, map[string]any{
		"type": "file", "encoding": "base64", "size": len(content), "name": name, "path": path,
		"content": wrapped.String(), "sha": sha,
		"url":          base + "/contents/" + path + "?ref=main",
		"git_url":      base + "/git/blobs/" + sha,
		"html_url":     "https://github.com/" + s.Owner + "/" + s.Repo + "/blob/main/" + path,
		"download_url": "https://raw.githubusercontent.com/" + s.Owner + "/" + s.Repo + "/main/" + path,
		"_links": map[string]string{
			"self": base + "/contents/" + path + "?ref=main",
			"git":  base + "/git/blobs/" + sha,
			"html": "https://github.com/" + s.Owner + "/" + s.Repo + "/blob/main/" + path,
		},
	})
}
