package githubtest

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Discussions: what the GraphQL endpoint serves, and the discussion and
// discussion_comment webhooks built from it.

// DiscussionCategory is a discussion category of the fake repository.
type DiscussionCategory struct {
	ID, Name, Slug string
	DatabaseID     int64
}

// Discussion is a discussion of the fake repository. Numbers are shared
// with issues, as on GitHub.
type Discussion struct {
	ID          string
	DatabaseID  int64
	Number      int64
	Title       string
	Body        string
	CategoryID  string
	User        string
	Closed      bool
	StateReason string
	ClosedAt    *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// DiscussionComment is a comment on a discussion.
type DiscussionComment struct {
	ID               string
	DatabaseID       int64
	DiscussionNumber int64
	Body             string
	User             string
	Association      string
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// gqlState is the fake's GraphQL side, guarded by Server.mu.
type gqlState struct {
	enabled     bool
	categories  []*DiscussionCategory
	discussions []*Discussion
	comments    []*DiscussionComment
	reactions   []Reaction
	faults      map[string][]GraphQLFault
	calls       []GraphQLCall
}

// repositoryNodeID is the fake repository's GraphQL id.
const repositoryNodeID = "R_kgDOfake1296269"

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// EnableDiscussions turns Discussions on with these categories (slugs as
// GitHub makes them: "Q&A" is "q-a").
func (s *Server) EnableDiscussions(categories ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gql.enabled = true
	for _, name := range categories {
		id := s.id()
		slug := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(name), "-"), "-")
		s.gql.categories = append(s.gql.categories, &DiscussionCategory{ID: fmt.Sprintf("DIC_kwDOfake%d", id), Name: name, Slug: slug, DatabaseID: id})
	}
}

// Discussions returns a copy of every discussion, oldest first.
func (s *Server) Discussions() []Discussion {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Discussion, len(s.gql.discussions))
	for i, d := range s.gql.discussions {
		out[i] = *d
	}
	return out
}

// Category returns the category with this node id.
func (s *Server) Category(id string) DiscussionCategory {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.category(id); c != nil {
		return *c
	}
	return DiscussionCategory{}
}

// DiscussionComments returns the comments of a discussion, oldest first.
func (s *Server) DiscussionComments(number int64) []DiscussionComment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []DiscussionComment
	for _, c := range s.gql.comments {
		if c.DiscussionNumber == number {
			out = append(out, *c)
		}
	}
	return out
}

// DiscussionReactions returns the reactions to discussion comments
// (CommentID is the comment's database id, Content GraphQL's: ROCKET).
func (s *Server) DiscussionReactions() []Reaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Reaction(nil), s.gql.reactions...)
}

// nextNumber is the next issue or discussion number: GitHub numbers both
// from one sequence.
func (s *Server) nextNumber() int64 {
	var n int64
	for _, is := range s.issues {
		n = max(n, is.Number)
	}
	for _, d := range s.gql.discussions {
		n = max(n, d.Number)
	}
	return n + 1
}

func (s *Server) category(id string) *DiscussionCategory {
	for _, c := range s.gql.categories {
		if c.ID == id {
			return c
		}
	}
	return nil
}

func (s *Server) discussionByID(id string) *Discussion {
	for _, d := range s.gql.discussions {
		if d.ID == id {
			return d
		}
	}
	return nil
}

func (s *Server) discussionByNumber(n int64) *Discussion {
	for _, d := range s.gql.discussions {
		if d.Number == n {
			return d
		}
	}
	return nil
}

func (s *Server) discussionCommentByID(id string) *DiscussionComment {
	for _, c := range s.gql.comments {
		if c.ID == id {
			return c
		}
	}
	return nil
}

func (s *Server) discussionURL(n int64) string {
	return fmt.Sprintf("https://github.com/%s/%s/discussions/%d", s.Owner, s.Repo, n)
}

// touch moves a discussion's updated_at to now, or a second past it when it
// is already there, so that every change is newer than the one before.
func touch(d *Discussion) time.Time {
	now := time.Now().UTC().Truncate(time.Second)
	if d.UpdatedAt.Before(now) {
		d.UpdatedAt = now
	} else {
		d.UpdatedAt = d.UpdatedAt.Add(time.Second)
	}
	return d.UpdatedAt
}

// Resolvers. They run under s.mu.

type queryRoot struct{}

func (queryRoot) typeName() string { return "Query" }

func (queryRoot) resolve(x *executor, name string, args map[string]any) (any, *gqlError) {
	s := x.s
	switch name {
	case "repository":
		owner, repo := argString(args, "owner"), argString(args, "name")
		if !strings.EqualFold(owner, s.Owner) || !strings.EqualFold(repo, s.Repo) {
			return nil, &gqlError{Type: "NOT_FOUND", Message: fmt.Sprintf("Could not resolve to a Repository with the name '%s/%s'.", owner, repo)}
		}
		return repoObj{}, nil
	case "node":
		id := argString(args, "id")
		if d := s.discussionByID(id); d != nil {
			return discussionObj{d}, nil
		}
		if c := s.discussionCommentByID(id); c != nil {
			return commentObj{c}, nil
		}
		if c := s.category(id); c != nil {
			return categoryObj{c}, nil
		}
		return nil, notFoundNode(id)
	}
	return nil, unknownField("Query", name)
}

type mutationRoot struct{}

func (mutationRoot) typeName() string { return "Mutation" }

type payload struct {
	typ    string
	fields map[string]any
}

func (p payload) typeName() string { return p.typ }

func (p payload) resolve(_ *executor, name string, _ map[string]any) (any, *gqlError) {
	if name == "clientMutationId" {
		return nil, nil
	}
	return p.fields[name], nil
}

var reactionContents = map[string]bool{"THUMBS_UP": true, "THUMBS_DOWN": true, "LAUGH": true, "HOORAY": true,
	"CONFUSED": true, "HEART": true, "ROCKET": true, "EYES": true}

func (mutationRoot) resolve(x *executor, name string, args map[string]any) (any, *gqlError) {
	s := x.s
	in := argInput(args)
	now := time.Now().UTC().Truncate(time.Second)
	switch name {
	case "createDiscussion":
		if id := argString(in, "repositoryId"); id != repositoryNodeID {
			return nil, notFoundNode(id)
		}
		if !s.gql.enabled {
			return nil, &gqlError{Type: "UNPROCESSABLE", Message: "Discussions are disabled for this repository."}
		}
		cat := s.category(argString(in, "categoryId"))
		if cat == nil {
			return nil, notFoundNode(argString(in, "categoryId"))
		}
		title, body := argString(in, "title"), argString(in, "body")
		if strings.TrimSpace(title) == "" || strings.TrimSpace(body) == "" {
			return nil, &gqlError{Type: "UNPROCESSABLE", Message: "Title can't be blank, Body can't be blank"}
		}
		id := s.id()
		d := &Discussion{ID: fmt.Sprintf("D_kwDOfake%d", id), DatabaseID: id, Number: s.nextNumber(), Title: title, Body: body,
			CategoryID: cat.ID, User: s.BotLogin, CreatedAt: now, UpdatedAt: now}
		s.gql.discussions = append(s.gql.discussions, d)
		return payload{"CreateDiscussionPayload", map[string]any{"discussion": discussionObj{d}}}, nil
	case "addDiscussionComment":
		d := s.discussionByID(argString(in, "discussionId"))
		if d == nil {
			return nil, notFoundNode(argString(in, "discussionId"))
		}
		body := argString(in, "body")
		if strings.TrimSpace(body) == "" {
			return nil, &gqlError{Type: "UNPROCESSABLE", Message: "Body can't be blank"}
		}
		id := s.id()
		c := &DiscussionComment{ID: fmt.Sprintf("DC_kwDOfake%d", id), DatabaseID: id, DiscussionNumber: d.Number, Body: body,
			User: s.BotLogin, Association: "NONE", CreatedAt: now, UpdatedAt: now}
		s.gql.comments = append(s.gql.comments, c)
		touch(d)
		return payload{"AddDiscussionCommentPayload", map[string]any{"comment": commentObj{c}}}, nil
	case "closeDiscussion", "reopenDiscussion":
		d := s.discussionByID(argString(in, "discussionId"))
		if d == nil {
			return nil, notFoundNode(argString(in, "discussionId"))
		}
		if name == "closeDiscussion" {
			reason := "RESOLVED"
			if r, ok := in["reason"]; ok && r != nil {
				reason, _ = r.(string)
			}
			if reason != "RESOLVED" && reason != "OUTDATED" && reason != "DUPLICATE" {
				return nil, &gqlError{Message: fmt.Sprintf("Argument 'reason' on InputObject 'CloseDiscussionInput' has an invalid value (%q).", reason)}
			}
			at := touch(d)
			d.Closed, d.StateReason, d.ClosedAt = true, strings.ToLower(reason), &at
			return payload{"CloseDiscussionPayload", map[string]any{"discussion": discussionObj{d}}}, nil
		}
		touch(d)
		d.Closed, d.StateReason, d.ClosedAt = false, "reopened", nil
		return payload{"ReopenDiscussionPayload", map[string]any{"discussion": discussionObj{d}}}, nil
	case "addReaction":
		content := argString(in, "content")
		if !reactionContents[content] {
			return nil, &gqlError{Message: fmt.Sprintf("Argument 'content' on InputObject 'AddReactionInput' has an invalid value (%q).", content)}
		}
		c := s.discussionCommentByID(argString(in, "subjectId"))
		if c == nil {
			return nil, notFoundNode(argString(in, "subjectId"))
		}
		var re *Reaction
		for i := range s.gql.reactions {
			if r := &s.gql.reactions[i]; r.CommentID == c.DatabaseID && r.Content == content && r.User == s.BotLogin {
				re = r // one reaction per content and user
			}
		}
		if re == nil {
			s.gql.reactions = append(s.gql.reactions, Reaction{ID: s.id(), CommentID: c.DatabaseID, Content: content, User: s.BotLogin})
			re = &s.gql.reactions[len(s.gql.reactions)-1]
		}
		return payload{"AddReactionPayload", map[string]any{"reaction": reactionObj{*re}, "subject": commentObj{c}}}, nil
	case "updateDiscussion":
		d := s.discussionByID(argString(in, "discussionId"))
		if d == nil {
			return nil, notFoundNode(argString(in, "discussionId"))
		}
		if t, ok := in["title"].(string); ok {
			d.Title = t
		}
		if b, ok := in["body"].(string); ok {
			d.Body = b
		}
		touch(d)
		return payload{"UpdateDiscussionPayload", map[string]any{"discussion": discussionObj{d}}}, nil
	case "updateDiscussionComment":
		c := s.discussionCommentByID(argString(in, "commentId"))
		if c == nil {
			return nil, notFoundNode(argString(in, "commentId"))
		}
		c.Body, c.UpdatedAt = argString(in, "body"), now
		return payload{"UpdateDiscussionCommentPayload", map[string]any{"comment": commentObj{c}}}, nil
	}
	return nil, unknownField("Mutation", name)
}

type repoObj struct{}

func (repoObj) typeName() string { return "Repository" }

func (repoObj) resolve(x *executor, name string, args map[string]any) (any, *gqlError) {
	s := x.s
	switch name {
	case "id":
		return repositoryNodeID, nil
	case "name":
		return s.Repo, nil
	case "nameWithOwner":
		return s.Owner + "/" + s.Repo, nil
	case "hasDiscussionsEnabled":
		return s.gql.enabled, nil
	case "discussionCategories":
		var all []object
		if s.gql.enabled {
			for _, c := range s.gql.categories {
				all = append(all, categoryObj{c})
			}
		}
		nodes, more, end, err := page(all, args, "discussionCategories")
		if err != nil {
			return nil, err
		}
		return connection{typ: "DiscussionCategoryConnection", nodes: nodes, total: len(all), hasNext: more, endCurso: end}, nil
	case "discussions":
		list := append([]*Discussion(nil), s.gql.discussions...)
		if cat := argString(args, "categoryId"); cat != "" {
			list = slicesFilter(list, func(d *Discussion) bool { return d.CategoryID == cat })
		}
		// GitHub's default order is the newest update first.
		field, desc := "UPDATED_AT", true
		if o, ok := args["orderBy"].(map[string]any); ok {
			field, desc = argString(o, "field"), argString(o, "direction") != "ASC"
		}
		sort.SliceStable(list, func(i, j int) bool {
			a, b := list[i].UpdatedAt, list[j].UpdatedAt
			if field == "CREATED_AT" {
				a, b = list[i].CreatedAt, list[j].CreatedAt
			}
			if a.Equal(b) {
				return (list[i].Number > list[j].Number) == desc
			}
			return a.After(b) == desc
		})
		all := make([]object, len(list))
		for i, d := range list {
			all[i] = discussionObj{d}
		}
		nodes, more, end, err := page(all, args, "discussions")
		if err != nil {
			return nil, err
		}
		return connection{typ: "DiscussionConnection", nodes: nodes, total: len(all), hasNext: more, endCurso: end}, nil
	case "discussion":
		n, _ := argInt(args, "number")
		if d := s.discussionByNumber(int64(n)); d != nil {
			return discussionObj{d}, nil
		}
		return nil, &gqlError{Type: "NOT_FOUND", Message: fmt.Sprintf("Could not resolve to a Discussion with the number of %d.", n)}
	}
	return nil, unknownField("Repository", name)
}

func slicesFilter[T any](list []T, keep func(T) bool) []T {
	var out []T
	for _, v := range list {
		if keep(v) {
			out = append(out, v)
		}
	}
	return out
}

type categoryObj struct{ c *DiscussionCategory }

func (categoryObj) typeName() string { return "DiscussionCategory" }

func (o categoryObj) resolve(_ *executor, name string, _ map[string]any) (any, *gqlError) {
	switch name {
	case "id":
		return o.c.ID, nil
	case "name":
		return o.c.Name, nil
	case "slug":
		return o.c.Slug, nil
	case "emoji":
		return ":speech_balloon:", nil
	case "description":
		return "", nil
	case "isAnswerable":
		return false, nil
	}
	return nil, unknownField("DiscussionCategory", name)
}

type discussionObj struct{ d *Discussion }

func (discussionObj) typeName() string { return "Discussion" }

func (o discussionObj) resolve(x *executor, name string, args map[string]any) (any, *gqlError) {
	d := o.d
	switch name {
	case "id":
		return d.ID, nil
	case "databaseId":
		return d.DatabaseID, nil
	case "number":
		return d.Number, nil
	case "title":
		return d.Title, nil
	case "body":
		return d.Body, nil
	case "url":
		return x.s.discussionURL(d.Number), nil
	case "closed":
		return d.Closed, nil
	case "closedAt":
		return d.ClosedAt, nil
	case "stateReason":
		if d.StateReason == "" {
			return nil, nil
		}
		return strings.ToUpper(d.StateReason), nil
	case "createdAt":
		return d.CreatedAt, nil
	case "updatedAt":
		return d.UpdatedAt, nil
	case "category":
		if c := x.s.category(d.CategoryID); c != nil {
			return categoryObj{c}, nil
		}
		return nil, nil
	case "author":
		return actorObj(d.User), nil
	case "comments":
		var all []object
		for _, c := range x.s.gql.comments {
			if c.DiscussionNumber == d.Number {
				all = append(all, commentObj{c})
			}
		}
		nodes, more, end, err := page(all, args, "comments")
		if err != nil {
			return nil, err
		}
		return connection{typ: "DiscussionCommentConnection", nodes: nodes, total: len(all), hasNext: more, endCurso: end}, nil
	}
	return nil, unknownField("Discussion", name)
}

type commentObj struct{ c *DiscussionComment }

func (commentObj) typeName() string { return "DiscussionComment" }

func (o commentObj) resolve(x *executor, name string, _ map[string]any) (any, *gqlError) {
	c := o.c
	switch name {
	case "id":
		return c.ID, nil
	case "databaseId":
		return c.DatabaseID, nil
	case "body":
		return c.Body, nil
	case "url":
		return fmt.Sprintf("%s#discussioncomment-%d", x.s.discussionURL(c.DiscussionNumber), c.DatabaseID), nil
	case "createdAt":
		return c.CreatedAt, nil
	case "updatedAt":
		return c.UpdatedAt, nil
	case "author":
		return actorObj(c.User), nil
	case "discussion":
		if d := x.s.discussionByNumber(c.DiscussionNumber); d != nil {
			return discussionObj{d}, nil
		}
		return nil, nil
	}
	return nil, unknownField("DiscussionComment", name)
}

type actorObj string

func (actorObj) typeName() string { return "User" }

func (a actorObj) resolve(_ *executor, name string, _ map[string]any) (any, *gqlError) {
	if name == "login" {
		return string(a), nil
	}
	return nil, unknownField("Actor", name)
}

type reactionObj struct{ r Reaction }

func (reactionObj) typeName() string { return "Reaction" }

func (o reactionObj) resolve(_ *executor, name string, _ map[string]any) (any, *gqlError) {
	switch name {
	case "id":
		return fmt.Sprintf("REA_lALOfake%d", o.r.ID), nil
	case "content":
		return o.r.Content, nil
	}
	return nil, unknownField("Reaction", name)
}

// Webhooks.

// discussionJSON is a discussion as webhook payloads carry it.
func (s *Server) discussionJSON(d *Discussion) map[string]any {
	state := "open"
	if d.Closed {
		state = "closed"
	}
	var reason any
	if d.StateReason != "" {
		reason = d.StateReason
	}
	var cat map[string]any
	if c := s.category(d.CategoryID); c != nil {
		cat = map[string]any{"id": c.DatabaseID, "node_id": c.ID, "repository_id": 1296269, "emoji": ":speech_balloon:",
			"name": c.Name, "description": "", "slug": c.Slug, "is_answerable": false,
			"created_at": d.CreatedAt.Format(time.RFC3339), "updated_at": d.CreatedAt.Format(time.RFC3339)}
	}
	comments := 0
	for _, c := range s.gql.comments {
		if c.DiscussionNumber == d.Number {
			comments++
		}
	}
	return map[string]any{
		"repository_url": s.srv.URL + "/repos/" + s.Owner + "/" + s.Repo, "category": cat,
		"answer_html_url": nil, "answer_chosen_at": nil, "answer_chosen_by": nil,
		"html_url": s.discussionURL(d.Number), "id": d.DatabaseID, "node_id": d.ID, "number": d.Number, "title": d.Title,
		"user": s.userJSON(d.User), "state": state, "state_reason": reason, "locked": false, "comments": comments,
		"created_at": d.CreatedAt.Format(time.RFC3339), "updated_at": d.UpdatedAt.Format(time.RFC3339),
		"author_association": "NONE", "active_lock_reason": nil, "body": d.Body,
		"timeline_url": s.srv.URL + "/repos/" + s.Owner + "/" + s.Repo + fmt.Sprintf("/discussions/%d/timeline", d.Number),
	}
}

// discussionCommentJSON is a discussion comment as webhook payloads carry
// it ("id" is the database id).
func (s *Server) discussionCommentJSON(c *DiscussionComment, d *Discussion) map[string]any {
	return map[string]any{
		"id": c.DatabaseID, "node_id": c.ID,
		"html_url":  fmt.Sprintf("%s#discussioncomment-%d", s.discussionURL(d.Number), c.DatabaseID),
		"parent_id": nil, "child_comment_count": 0, "repository_url": s.Owner + "/" + s.Repo, "discussion_id": d.DatabaseID,
		"author_association": c.Association, "user": s.userJSON(c.User),
		"created_at": c.CreatedAt.Format(time.RFC3339), "updated_at": c.UpdatedAt.Format(time.RFC3339), "body": c.Body,
		"reactions": map[string]any{"url": s.srv.URL + "/repos/" + s.Owner + "/" + s.Repo + fmt.Sprintf("/discussions/comments/%d/reactions", c.DatabaseID),
			"total_count": 0, "+1": 0, "-1": 0, "laugh": 0, "hooray": 0, "confused": 0, "heart": 0, "rocket": 0, "eyes": 0},
	}
}

// CommentOnDiscussion adds a comment by login (author_association as
// given) to a discussion and returns the discussion_comment.created
// delivery and the comment's database id.
func (s *Server) CommentOnDiscussion(number int64, login, association, body string) (Delivery, int64) {
	s.mu.Lock()
	d := s.discussionByNumber(number)
	if d == nil {
		s.mu.Unlock()
		panic(fmt.Sprintf("githubtest: no discussion #%d", number))
	}
	now := time.Now().UTC().Truncate(time.Second)
	id := s.id()
	c := &DiscussionComment{ID: fmt.Sprintf("DC_kwDOfake%d", id), DatabaseID: id, DiscussionNumber: number, Body: body,
		User: login, Association: association, CreatedAt: now, UpdatedAt: now}
	s.gql.comments = append(s.gql.comments, c)
	touch(d)
	cj, dj := s.discussionCommentJSON(c, d), s.discussionJSON(d)
	s.mu.Unlock()
	return s.delivery("discussion_comment", map[string]any{"action": "created", "discussion": dj, "comment": cj}), id
}

// EchoDiscussionComment is the discussion_comment.created delivery GitHub
// sends for a comment already on the fake (one portico made, say).
func (s *Server) EchoDiscussionComment(databaseID int64) Delivery {
	s.mu.Lock()
	var cj, dj map[string]any
	for _, c := range s.gql.comments {
		if c.DatabaseID == databaseID {
			d := s.discussionByNumber(c.DiscussionNumber)
			cj, dj = s.discussionCommentJSON(c, d), s.discussionJSON(d)
		}
	}
	s.mu.Unlock()
	if cj == nil {
		panic(fmt.Sprintf("githubtest: no discussion comment %d", databaseID))
	}
	return s.delivery("discussion_comment", map[string]any{"action": "created", "discussion": dj, "comment": cj})
}

// SetDiscussionState closes (as resolved) or reopens a discussion as a
// person would, at at (zero: now; its updated_at becomes that time), and
// returns the discussion.closed or discussion.reopened delivery.
func (s *Server) SetDiscussionState(number int64, closed bool, at time.Time) Delivery {
	s.mu.Lock()
	d := s.discussionByNumber(number)
	if d == nil {
		s.mu.Unlock()
		panic(fmt.Sprintf("githubtest: no discussion #%d", number))
	}
	if at.IsZero() {
		at = touch(d)
	} else {
		at = at.UTC().Truncate(time.Second)
		d.UpdatedAt = at
	}
	action := "reopened"
	d.Closed, d.StateReason, d.ClosedAt = false, "reopened", nil
	if closed {
		action = "closed"
		d.Closed, d.StateReason, d.ClosedAt = true, "resolved", &at
	}
	dj := s.discussionJSON(d)
	s.mu.Unlock()
	return s.delivery("discussion", map[string]any{"action": action, "discussion": dj})
}

// DiscussionEcho is the discussion.closed or discussion.reopened delivery
// GitHub sends for the discussion as it is now (after portico closed or
// reopened it, say).
func (s *Server) DiscussionEcho(number int64) Delivery {
	s.mu.Lock()
	d := s.discussionByNumber(number)
	if d == nil {
		s.mu.Unlock()
		panic(fmt.Sprintf("githubtest: no discussion #%d", number))
	}
	action := "reopened"
	if d.Closed {
		action = "closed"
	}
	dj := s.discussionJSON(d)
	s.mu.Unlock()
	return s.delivery("discussion", map[string]any{"action": action, "discussion": dj})
}
