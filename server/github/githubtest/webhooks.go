package githubtest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"
)

// Webhooks.

// Delivery is a webhook request as GitHub sends it.
type Delivery struct {
	Event, ID string
	Body      []byte
}

// Header returns the delivery's headers signed with secret ("" leaves the
// signature out).
func (d Delivery) Header(secret string) map[string]string {
	h := map[string]string{
		"Content-Type":      "application/json",
		"User-Agent":        "GitHub-Hookshot/test",
		"X-GitHub-Event":    d.Event,
		"X-GitHub-Delivery": d.ID,
		"X-GitHub-Hook-ID":  "1",
	}
	if secret != "" {
		h["X-Hub-Signature-256"] = Sign(secret, d.Body)
	}
	return h
}

// Sign is X-Hub-Signature-256 of body.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

var deliveries atomic.Int64

func (s *Server) delivery(event string, payload map[string]any) Delivery {
	id := fmt.Sprintf("72d3162e-cc78-11e3-81ab-%012d", deliveries.Add(1))
	payload["repository"] = map[string]any{
		"id": 1296269, "name": s.Repo, "full_name": s.Owner + "/" + s.Repo, "private": false,
		"owner": s.userJSON(s.Owner), "html_url": "https://github.com/" + s.Owner + "/" + s.Repo,
	}
	payload["sender"] = s.userJSON("octocat")
	body, _ := json.Marshal(payload)
	return Delivery{Event: event, ID: id, Body: body}
}

// CommentOption changes a comment made by Comment.
type CommentOption func(c map[string]any)

// ViaApp marks the comment as made through the GitHub App appID.
func ViaApp(appID int64) CommentOption {
	return func(c map[string]any) {
		c["performed_via_github_app"] = map[string]any{"id": appID, "slug": "portico", "name": "portico"}
	}
}

// Comment adds a comment by login (author_association as given) to an
// issue and returns the issue_comment.created delivery.
func (s *Server) Comment(issue int64, login, association, body string, opts ...CommentOption) (Delivery, int64) {
	s.mu.Lock()
	var is *Issue
	for _, x := range s.issues {
		if x.Number == issue {
			is = x
		}
	}
	if is == nil {
		s.mu.Unlock()
		panic(fmt.Sprintf("githubtest: no issue #%d", issue))
	}
	now := time.Now().UTC().Truncate(time.Second)
	c := &Comment{ID: s.id(), IssueNumber: issue, Body: body, User: login, Association: association, CreatedAt: now, UpdatedAt: now}
	s.comments = append(s.comments, c)
	cj, ij := s.commentJSON(c), s.issueJSON(is)
	s.mu.Unlock()
	for _, o := range opts {
		o(cj)
	}
	return s.delivery("issue_comment", map[string]any{"action": "created", "issue": ij, "comment": cj}), c.ID
}

// SetState closes (at closedAt) or reopens an issue and returns the
// issues.closed or issues.reopened delivery.
func (s *Server) SetState(issue int64, closed bool, closedAt time.Time) Delivery {
	s.mu.Lock()
	var is *Issue
	for _, x := range s.issues {
		if x.Number == issue {
			is = x
		}
	}
	if is == nil {
		s.mu.Unlock()
		panic(fmt.Sprintf("githubtest: no issue #%d", issue))
	}
	now := time.Now().UTC().Truncate(time.Second)
	action := "reopened"
	is.State, is.ClosedAt = "open", nil
	if closed {
		action = "closed"
		at := closedAt.UTC().Truncate(time.Second)
		is.State, is.ClosedAt = "closed", &at
	}
	if is.UpdatedAt.Before(now) {
		is.UpdatedAt = now
	} else {
		is.UpdatedAt = is.UpdatedAt.Add(time.Second) // a later change, even within one second
	}
	ij := s.issueJSON(is)
	s.mu.Unlock()
	return s.delivery("issues", map[string]any{"action": action, "issue": ij})
}

// OpenIssue opens an issue as a person would (not through the API).
func (s *Server) OpenIssue(title, body string) Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now().UTC().Truncate(time.Second)
	is := &Issue{ID: s.id(), Number: s.nextNumber(), Title: title, Body: body, State: "open", User: "octocat",
		CreatedAt: now, UpdatedAt: now}
	s.issues = append(s.issues, is)
	return *is
}

// Echo is the issue_comment.created delivery GitHub sends for a comment
// already on the fake (one portico made, say).
func (s *Server) Echo(commentID int64, opts ...CommentOption) Delivery {
	s.mu.Lock()
	var cj, ij map[string]any
	for _, c := range s.comments {
		if c.ID == commentID {
			cj = s.commentJSON(c)
			for _, is := range s.issues {
				if is.Number == c.IssueNumber {
					ij = s.issueJSON(is)
				}
			}
		}
	}
	s.mu.Unlock()
	if cj == nil {
		panic(fmt.Sprintf("githubtest: no comment %d", commentID))
	}
	for _, o := range opts {
		o(cj)
	}
	return s.delivery("issue_comment", map[string]any{"action": "created", "issue": ij, "comment": cj})
}
