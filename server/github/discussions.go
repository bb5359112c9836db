package github

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/shurcooL/githubv4"

	"github.com/portico/portico/server/events"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/settings"
	"github.com/portico/portico/server/store"
)

// Discussions as the agents' desk (issue 16). With the desk setting on
// "discussions", each new ticket opens a discussion in the configured
// category instead of an issue, through GitHub's GraphQL API; customer
// replies become discussion comments, agents' discussion comments carry the
// same /send, /sendall and /reply commands, and closing or reopening the
// discussion closes or reopens the ticket (and the other way round). A
// ticket stays on the desk it was first mirrored to: the key of its first
// post says which ("ticket:N" for an issue, "discussion:N"), so switching
// the setting moves only tickets filed after it.
//
// The posts keep the issue format and markers (<!-- portico:ticket=12 -->
// and so on); their github_posts keys are the discussion-* ones below, so
// that nothing written for issues (comment jobs, redaction over REST) ever
// takes a discussion's ids for an issue's.

// DeskSettings is the runtime desk setting (settings.Service).
type DeskSettings interface {
	Desk(ctx context.Context) (settings.Desk, error)
	SetDesk(ctx context.Context, in settings.DeskInput, check settings.DeskCheck) (settings.Desk, error)
}

// Keys of github_posts on the discussion desk.
func discussionKey(ticketID int64) string {
	return discussionKeyPrefix + strconv.FormatInt(ticketID, 10)
}

// discussionKeyPrefix starts the key of a ticket's discussion.
const discussionKeyPrefix = "discussion:"

func discussionMessageKey(messageID int64) string {
	return "discussion-message:" + strconv.FormatInt(messageID, 10)
}
func discussionNoticeKey(commentID int64) string {
	return "discussion-notice:" + strconv.FormatInt(commentID, 10)
}

// discussionMarker is the hidden first line of the post under a discussion
// key: the marker the same post has on an issue.
func discussionMarker(key string) string {
	if rest, ok := strings.CutPrefix(key, "discussion-"); ok {
		return marker(rest)
	}
	return marker("ticket:" + strings.TrimPrefix(key, "discussion:"))
}

// The discussion jobs. Each is enqueued in the transaction that causes it.

// CreateDiscussionArgs opens the discussion of a ticket in Category (a name
// or slug, as the desk setting said when the ticket was queued).
type CreateDiscussionArgs struct {
	TicketID  int64  `json:"ticket_id"`
	MessageID int64  `json:"message_id"`
	Category  string `json:"category"`
}

// Kind names the job for River.
func (CreateDiscussionArgs) Kind() string { return "github.create_discussion" }

// PostDiscussionCommentArgs comments on a ticket's discussion: a customer's
// reply (MessageID) or a notice (Body). Key is its github_posts key.
type PostDiscussionCommentArgs struct {
	TicketID  int64  `json:"ticket_id"`
	Key       string `json:"key"`
	MessageID int64  `json:"message_id,omitempty"`
	Body      string `json:"body,omitempty"`
}

// Kind names the job for River.
func (PostDiscussionCommentArgs) Kind() string { return "github.post_discussion_comment" }

// DiscussionReactArgs reacts to an agent's discussion comment (🚀 once a
// reply went out); GraphQL addresses the comment by node id.
type DiscussionReactArgs struct {
	CommentNodeID string `json:"comment_node_id"`
	Content       string `json:"content"`
}

// Kind names the job for River.
func (DiscussionReactArgs) Kind() string { return "github.discussion_react" }

// DiscussionStateArgs brings a ticket's discussion to the ticket's state:
// closed (as resolved) when the ticket is, open when it is not.
type DiscussionStateArgs struct {
	TicketID int64 `json:"ticket_id"`
}

// Kind names the job for River.
func (DiscussionStateArgs) Kind() string { return "github.discussion_state" }

// registerDiscussions adds the discussion jobs' workers (always, as
// Register does) and, with the sync on, the subscriptions of the discussion
// desk. ticket.created goes through onTicketCreatedDesk, which Register
// subscribes.
func (s *Service) registerDiscussions(workers *river.Workers, bus *events.Bus) {
	river.AddWorker(workers, &worker[CreateDiscussionArgs]{work: s.createDiscussion})
	river.AddWorker(workers, &worker[PostDiscussionCommentArgs]{work: s.postDiscussionComment})
	river.AddWorker(workers, &worker[DiscussionReactArgs]{work: s.discussionReact})
	river.AddWorker(workers, &worker[DiscussionStateArgs]{work: s.discussionState})
	river.AddWorker(workers, &worker[DiscussionCommentEventArgs]{work: s.discussionCommentEvent})
	river.AddWorker(workers, &worker[DiscussionEventArgs]{work: s.discussionEvent})
	if s.Enabled() {
		bus.Subscribe(events.ReplyCreated, s.onReplyCreatedDiscussion)
		bus.Subscribe(events.TicketClosed, s.onTicketStateDiscussion)
		bus.Subscribe(events.TicketReopened, s.onTicketStateDiscussion)
	}
}

// retryGraphQL is retry for GraphQL errors: GitHub's rate limits (a 200
// with an error, or a 403) snooze the job until GitHub says.
func (s *Service) retryGraphQL(ctx context.Context, err error) error {
	var ge *GraphQLError
	if errors.As(err, &ge) {
		if wait, ok := ge.rateLimitWait(s.now()); ok {
			s.log.WarnContext(ctx, "github graphql rate limit; job snoozed", "wait", wait.Round(time.Second), "err", err)
			return river.JobSnooze(wait)
		}
	}
	return s.retry(ctx, err)
}

// The desk.

// onTicketCreatedDesk mirrors a new ticket to the desk the setting names,
// unless an earlier publication of the event already chose one.
func (s *Service) onTicketCreatedDesk(ctx context.Context, e events.Event) error {
	desk, err := s.ticketDesk(ctx, e.TicketID)
	if err != nil {
		return err
	}
	category := ""
	if desk == "" {
		d, err := s.Desk(ctx)
		if err != nil {
			return err
		}
		desk, category = d.Mode, d.DiscussionCategory
	}
	if desk != settings.DeskDiscussions {
		return s.onTicketCreated(ctx, e)
	}
	key := discussionKey(e.TicketID)
	return s.queuePost(ctx, key, e.TicketID, CreateDiscussionArgs{TicketID: e.TicketID, MessageID: e.MessageID, Category: category})
}

// ticketDesk is the desk a ticket was mirrored to, "" when none yet.
func (s *Service) ticketDesk(ctx context.Context, ticketID int64) (string, error) {
	for _, k := range []struct{ key, desk string }{
		{issueKey(ticketID), settings.DeskIssues}, {discussionKey(ticketID), settings.DeskDiscussions},
	} {
		_, err := s.store.GitHubPost(ctx, k.key)
		if err == nil {
			return k.desk, nil
		}
		if !errors.Is(err, model.ErrNotFound) {
			return "", err
		}
	}
	return "", nil
}

// onDiscussion reports whether a ticket is mirrored to a discussion (or
// its discussion is being opened).
func (s *Service) onDiscussion(ctx context.Context, ticketID int64) (bool, error) {
	_, err := s.store.GitHubPost(ctx, discussionKey(ticketID))
	if errors.Is(err, model.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// onReplyCreatedDiscussion queues the discussion comment that shows a
// customer's reply, for tickets on a discussion.
func (s *Service) onReplyCreatedDiscussion(ctx context.Context, e events.Event) error {
	t, m, ok, err := s.customerReply(ctx, e.MessageID)
	if errors.Is(err, model.ErrNotFound) || (err == nil && !ok) {
		return nil
	}
	if err != nil {
		return err
	}
	if on, err := s.onDiscussion(ctx, t.ID); err != nil || !on {
		return err
	}
	key := discussionMessageKey(m.ID)
	return s.queuePost(ctx, key, t.ID, PostDiscussionCommentArgs{TicketID: t.ID, Key: key, MessageID: m.ID})
}

// onTicketStateDiscussion queues the job that closes or reopens a ticket's
// discussion after the ticket closed or reopened. The job reads both states
// when it runs, so jobs of quick changes in a row converge, and a change
// that came from the discussion itself costs one read.
func (s *Service) onTicketStateDiscussion(ctx context.Context, e events.Event) error {
	if on, err := s.onDiscussion(ctx, e.TicketID); err != nil || !on {
		return err
	}
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		return s.jobs.Enqueue(ctx, tx.SQL(), DiscussionStateArgs{TicketID: e.TicketID})
	})
}

// Categories.

// categoryTTL is how long the repository's categories are kept before they
// are read again; a name not among the kept ones is always asked again.
const categoryTTL = 10 * time.Minute

type categoryCache struct {
	mu   sync.Mutex
	repo DiscussionRepository
	at   time.Time
	ok   bool
}

// categoryError says why a category cannot be used: Discussions off, or no
// category of that name or slug.
type categoryError struct{ msg string }

func (e categoryError) Error() string { return e.msg }

// discussionCategory resolves a category name or slug (case does not
// matter) to the repository's node id and the category.
func (s *Service) discussionCategory(ctx context.Context, name string) (string, DiscussionCategory, error) {
	now := s.now()
	c := &s.categories
	c.mu.Lock()
	repo, fresh := c.repo, c.ok && now.Sub(c.at) < categoryTTL
	c.mu.Unlock()
	if fresh {
		if cat, ok := findCategory(repo, name); ok {
			return repo.ID, cat, nil
		}
	}
	repo, err := s.client.DiscussionRepository(ctx)
	if err != nil {
		return "", DiscussionCategory{}, err
	}
	c.mu.Lock()
	c.repo, c.at, c.ok = repo, now, true
	c.mu.Unlock()
	if !repo.Enabled {
		return "", DiscussionCategory{}, categoryError{"Discussions are not enabled on " + s.repo +
			" (Settings → General → Features → Discussions)"}
	}
	cat, ok := findCategory(repo, name)
	if !ok {
		names := make([]string, 0, len(repo.Categories))
		for _, c := range repo.Categories {
			names = append(names, strconv.Quote(c.Name))
		}
		return "", DiscussionCategory{}, categoryError{fmt.Sprintf("%s has no discussion category %q (it has %s)",
			s.repo, name, strings.Join(names, ", "))}
	}
	return repo.ID, cat, nil
}

func findCategory(repo DiscussionRepository, name string) (DiscussionCategory, bool) {
	for _, c := range repo.Categories {
		if strings.EqualFold(c.Name, name) || strings.EqualFold(c.Slug, name) {
			return c, true
		}
	}
	return DiscussionCategory{}, false
}

// The desk setting, checked against GitHub.

// ErrGitHubUnavailable means GitHub could not be asked whether a desk
// setting can work; nothing was stored.
var ErrGitHubUnavailable error = &model.UnavailableError{Reason: "GitHub did not answer, so the discussion category " +
	"could not be checked; nothing was changed, try again shortly"}

// Desk returns the desk setting (issues when the service has no settings).
func (s *Service) Desk(ctx context.Context) (settings.Desk, error) {
	if s.desk == nil {
		return settings.Desk{Mode: settings.DeskIssues}, nil
	}
	return s.desk.Desk(ctx)
}

// SetDesk validates and stores the desk setting. Discussions need the sync
// on and a category GitHub knows (resolved now, stored under its name);
// otherwise model.FieldErrors, or ErrGitHubUnavailable when GitHub did not
// answer.
func (s *Service) SetDesk(ctx context.Context, in settings.DeskInput) (settings.Desk, error) {
	if s.desk == nil {
		return settings.Desk{}, errors.New("github: no desk setting to change")
	}
	return s.desk.SetDesk(ctx, in, s.checkDesk)
}

func (s *Service) checkDesk(ctx context.Context, d settings.Desk) (settings.Desk, error) {
	if d.Mode != settings.DeskDiscussions {
		return d, nil
	}
	if !s.Enabled() {
		return settings.Desk{}, model.FieldErrors{"desk": "discussions need the GitHub sync: set PORTICO_GITHUB_REPOSITORY"}
	}
	_, cat, err := s.discussionCategory(ctx, d.DiscussionCategory)
	var ce categoryError
	if errors.As(err, &ce) {
		return settings.Desk{}, model.FieldErrors{"discussion_category": ce.Error()}
	}
	if err != nil {
		return settings.Desk{}, fmt.Errorf("%w: %w", ErrGitHubUnavailable, err)
	}
	d.DiscussionCategory = cat.Name
	return d, nil
}

// The jobs.

// createDiscussion opens the ticket's discussion. A retry first looks for
// a discussion carrying the ticket's marker, which an earlier try may have
// opened although GitHub answered with an error, so a ticket never gets two.
func (s *Service) createDiscussion(ctx context.Context, job *river.Job[CreateDiscussionArgs]) error {
	if !s.Enabled() {
		return river.JobCancel(ErrSyncOff)
	}
	a := job.Args
	key := discussionKey(a.TicketID)
	_, finished, err := s.posted(ctx, key)
	if finished || err != nil {
		return err
	}
	src, err := s.issueSource(ctx, a.TicketID, a.MessageID)
	if err != nil {
		return gone(err)
	}
	var d Discussion
	found := false
	if job.Attempt > 1 {
		if d, found, err = s.client.FindDiscussion(ctx, marker(issueKey(a.TicketID)), src.Ticket.CreatedAt.Add(-lookBack)); err != nil {
			return s.retryGraphQL(ctx, err)
		}
	}
	if !found {
		repoID, cat, err := s.discussionCategory(ctx, a.Category)
		if err != nil {
			s.log.WarnContext(ctx, "github discussion category unusable; retrying later", "ticket", src.Ticket.Reference, "err", err)
			return s.retryGraphQL(ctx, err)
		}
		if d, err = s.client.CreateDiscussion(ctx, repoID, cat.ID, issueTitle(src.Ticket), issueBody(src)); err != nil {
			return s.retryGraphQL(ctx, err)
		}
		s.log.InfoContext(ctx, "github discussion opened", "ticket", src.Ticket.Reference, "discussion", d.Number, "category", cat.Name)
	}
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.LinkGitHubDiscussion(ctx, a.TicketID, d.Number, d.ID); err != nil {
			return err
		}
		_, err := tx.FinishGitHubNodePost(ctx, key, d.Number, d.ID)
		return err
	})
}

// postDiscussionComment comments on a ticket's discussion; a retry first
// looks for the comment an earlier try may have made.
func (s *Service) postDiscussionComment(ctx context.Context, job *river.Job[PostDiscussionCommentArgs]) error {
	if !s.Enabled() {
		return river.JobCancel(ErrSyncOff)
	}
	a := job.Args
	_, finished, err := s.posted(ctx, a.Key)
	if finished || err != nil {
		return err
	}
	d, err := s.discussionOf(ctx, a.TicketID)
	if err != nil {
		return err
	}
	body := a.Body
	if a.MessageID != 0 {
		m, err := s.store.Message(ctx, a.MessageID)
		if err != nil {
			return gone(err)
		}
		files, err := s.fileLinks(ctx, m.ID)
		if err != nil {
			return err
		}
		body = replyComment(m, files)
	}
	var c DiscussionComment
	found := false
	if job.Attempt > 1 {
		if c, found, err = s.client.FindDiscussionComment(ctx, d.NodeID, discussionMarker(a.Key)); err != nil {
			return s.retryGraphQL(ctx, err)
		}
	}
	if !found {
		if c, err = s.client.AddDiscussionComment(ctx, d.NodeID, body); err != nil {
			return s.retryGraphQL(ctx, err)
		}
	}
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.FinishGitHubNodePost(ctx, a.Key, c.DatabaseID, c.ID)
		return err
	})
}

// discussionOf returns the discussion of a ticket. While it is still being
// opened (perhaps waiting out a rate limit) the error makes the job try
// again later, with backoff, so that a comment gives up when its discussion
// does; a ticket with no discussion coming cancels the job.
func (s *Service) discussionOf(ctx context.Context, ticketID int64) (model.GitHubDiscussion, error) {
	d, err := s.store.GitHubDiscussionOfTicket(ctx, ticketID)
	if !errors.Is(err, model.ErrNotFound) {
		return d, err
	}
	if _, err := s.store.GitHubPost(ctx, discussionKey(ticketID)); err != nil {
		return d, gone(err)
	}
	return d, fmt.Errorf("github: the discussion of %s is not opened yet", model.Reference(ticketID))
}

// posted returns the post under key and whether it is done already (an
// earlier try of the job finished it); a post that is gone cancels the job.
func (s *Service) posted(ctx context.Context, key string) (model.GitHubPost, bool, error) {
	post, err := s.store.GitHubPost(ctx, key)
	if err != nil {
		return post, false, gone(err)
	}
	return post, post.PostedAt != nil, nil
}

// issueOf is discussionOf for the issue desk: the ticket and its issue
// number, or an error that retries the job with backoff while the issue
// is still being opened (perhaps waiting out a rate limit), so that what
// waits on it gives up when the issue does.
func (s *Service) issueOf(ctx context.Context, ticketID int64) (model.Ticket, int64, error) {
	t, err := s.store.Ticket(ctx, ticketID)
	if err != nil {
		return t, 0, gone(err)
	}
	if t.GitHubIssueNumber == nil {
		if _, err := s.store.GitHubPost(ctx, issueKey(t.ID)); err != nil {
			return t, 0, gone(err)
		}
		return t, 0, fmt.Errorf("github: the issue of %s is not opened yet", t.Reference)
	}
	return t, *t.GitHubIssueNumber, nil
}

// discussionReact adds a reaction to an agent's discussion comment; a
// deleted comment gets none.
func (s *Service) discussionReact(ctx context.Context, job *river.Job[DiscussionReactArgs]) error {
	if !s.Enabled() {
		return river.JobCancel(ErrSyncOff)
	}
	err := s.client.ReactToNode(ctx, job.Args.CommentNodeID, githubv4.ReactionContent(job.Args.Content))
	if graphQLNotFound(err) {
		s.log.InfoContext(ctx, "github discussion comment gone; no reaction", "comment", job.Args.CommentNodeID)
		return nil
	}
	if err != nil {
		return s.retryGraphQL(ctx, err)
	}
	return nil
}

// discussionState closes (as resolved) or reopens a ticket's discussion to
// match the ticket as it is now, unless GitHub's last word already is the
// ticket's state: a job left behind by a quick close and reopen on GitHub
// must not flip the discussion back.
func (s *Service) discussionState(ctx context.Context, job *river.Job[DiscussionStateArgs]) error {
	if !s.Enabled() {
		return river.JobCancel(ErrSyncOff)
	}
	// When the last state GitHub reported (or portico set there) is the
	// ticket's, the change came from GitHub or was mirrored already. Both
	// are read together (states): read apart, a reopen made on GitHub
	// between the two reads would look like a change to mirror and close
	// the reopened discussion again. A discussion starts open.
	status, last, err := s.states(ctx, job.Args.TicketID)
	if err != nil {
		return gone(err)
	}
	t, err := s.store.Ticket(ctx, job.Args.TicketID)
	if err != nil {
		return gone(err)
	}
	d, err := s.discussionOf(ctx, t.ID)
	if err != nil {
		return err
	}
	if last == status {
		return nil
	}
	closed, err := s.client.DiscussionClosed(ctx, d.NodeID)
	if graphQLNotFound(err) {
		s.log.InfoContext(ctx, "github discussion gone; state not mirrored", "ticket", t.Reference, "discussion", d.Number)
		return nil
	}
	if err != nil {
		return s.retryGraphQL(ctx, err)
	}
	want := status == model.StatusClosed
	if closed == want {
		return nil
	}
	var at time.Time
	if want {
		at, err = s.client.CloseDiscussion(ctx, d.NodeID)
	} else {
		at, err = s.client.ReopenDiscussion(ctx, d.NodeID)
	}
	if err != nil {
		return s.retryGraphQL(ctx, err)
	}
	// The change is recorded as the newest one GitHub made, at the time its
	// webhook will carry: that echo then changes nothing, also when the
	// ticket changed again before it arrived.
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.AdvanceGitHubIssueState(ctx, t.ID, status, at)
		return err
	})
	if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "github discussion state mirrored", "ticket", t.Reference, "discussion", d.Number, "closed", want)
	return nil
}
