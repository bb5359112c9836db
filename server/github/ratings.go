package github

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/riverqueue/river"

	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
)

// Ratings on GitHub (issue 17): a customer's answer to "How did we do?" is
// one comment per answer on the ticket's issue (github_posts key
// rating:<id>) or discussion (discussion-rating:<id>), posted by a job
// queued with the answer; a changed answer edits that comment by another
// job, so GitHub shows one current answer per customer. The text is read
// from the database when a job runs, so no customer text rests in the job
// queue, and the latest answer is what GitHub shows whichever job runs last.

func ratingKey(ratingID int64) string { return "rating:" + strconv.FormatInt(ratingID, 10) }
func discussionRatingKey(ratingID int64) string {
	return "discussion-rating:" + strconv.FormatInt(ratingID, 10)
}

// PostRatingArgs comments a rating on its ticket's issue, or discussion.
type PostRatingArgs struct {
	TicketID   int64 `json:"ticket_id"`
	RatingID   int64 `json:"rating_id"`
	Discussion bool  `json:"discussion,omitempty"`
}

// Kind names the job for River.
func (PostRatingArgs) Kind() string { return "github.post_rating" }

// EditRatingArgs brings a rating's comment up to date after a change.
type EditRatingArgs struct {
	TicketID   int64 `json:"ticket_id"`
	RatingID   int64 `json:"rating_id"`
	Discussion bool  `json:"discussion,omitempty"`
}

// Kind names the job for River.
func (EditRatingArgs) Kind() string { return "github.edit_rating" }

// registerRatings adds the rating jobs' workers.
func (s *Service) registerRatings(workers *river.Workers) {
	river.AddWorker(workers, &worker[PostRatingArgs]{work: s.postRating})
	river.AddWorker(workers, &worker[EditRatingArgs]{work: s.editRating})
}

// MirrorRating queues, inside the answer's transaction, the comment that
// shows it where the ticket is mirrored (its issue or its discussion): the
// first answer posts one (once, however often this is called: the
// github_posts key), a changed answer edits it. With the sync off, or for a
// ticket filed while it was off (nothing mirrored), nothing is queued.
func (s *Service) MirrorRating(ctx context.Context, tx *store.Tx, r model.Rating) error {
	if !s.Enabled() {
		return nil
	}
	key := ratingKey(r.ID)
	onDiscussion, err := s.onDiscussion(ctx, r.TicketID)
	if err != nil {
		return err
	}
	if onDiscussion {
		key = discussionRatingKey(r.ID)
	} else if _, err := s.store.GitHubPost(ctx, issueKey(r.TicketID)); errors.Is(err, model.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	first, err := tx.QueueGitHubPost(ctx, key, r.TicketID)
	if err != nil {
		return err
	}
	if first {
		return s.jobs.Enqueue(ctx, tx.SQL(), PostRatingArgs{TicketID: r.TicketID, RatingID: r.ID, Discussion: onDiscussion})
	}
	return s.jobs.Enqueue(ctx, tx.SQL(), EditRatingArgs{TicketID: r.TicketID, RatingID: r.ID, Discussion: onDiscussion})
}

// postRating comments the rating; a retry first looks for the comment an
// earlier try may have made (a 502 after the fact).
func (s *Service) postRating(ctx context.Context, job *river.Job[PostRatingArgs]) error {
	if !s.Enabled() {
		return river.JobCancel(ErrSyncOff)
	}
	a := job.Args
	if a.Discussion {
		return s.postDiscussionRating(ctx, job)
	}
	key := ratingKey(a.RatingID)
	post, finished, err := s.posted(ctx, key)
	if finished || err != nil {
		return err
	}
	_, issue, err := s.issueOf(ctx, a.TicketID)
	if err != nil {
		return err
	}
	body, err := s.ratingBodyOf(ctx, a.RatingID)
	if err != nil {
		return err
	}
	var id int64
	if job.Attempt > 1 {
		if id, err = s.client.FindComment(ctx, issue, marker(key), post.CreatedAt.Add(-lookBack)); err != nil {
			return s.retry(ctx, err)
		}
	}
	if id == 0 {
		if id, err = s.client.CreateComment(ctx, issue, body); err != nil {
			return s.retry(ctx, err)
		}
	}
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.FinishGitHubPost(ctx, key, id)
		return err
	})
}

// postDiscussionRating is postRating on the discussion desk (GraphQL).
func (s *Service) postDiscussionRating(ctx context.Context, job *river.Job[PostRatingArgs]) error {
	a := job.Args
	key := discussionRatingKey(a.RatingID)
	_, finished, err := s.posted(ctx, key)
	if finished || err != nil {
		return err
	}
	d, err := s.discussionOf(ctx, a.TicketID)
	if err != nil {
		return err
	}
	body, err := s.ratingBodyOf(ctx, a.RatingID)
	if err != nil {
		return err
	}
	var c DiscussionComment
	found := false
	if job.Attempt > 1 {
		if c, found, err = s.client.FindDiscussionComment(ctx, d.NodeID, discussionMarker(key)); err != nil {
			return s.retryGraphQL(ctx, err)
		}
	}
	if !found {
		if c, err = s.client.AddDiscussionComment(ctx, d.NodeID, body); err != nil {
			return s.retryGraphQL(ctx, err)
		}
	}
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.FinishGitHubNodePost(ctx, key, c.DatabaseID, c.ID)
		return err
	})
}

// errRatingPending makes an edit wait for the comment it edits.
var errRatingPending = errors.New("the rating's comment is still on its way; editing after it")

// editRating replaces the rating's comment with the answer as it is now.
// Edits are idempotent, so a retry simply edits again; a comment deleted on
// GitHub is left alone.
func (s *Service) editRating(ctx context.Context, job *river.Job[EditRatingArgs]) error {
	if !s.Enabled() {
		return river.JobCancel(ErrSyncOff)
	}
	a := job.Args
	if a.Discussion {
		return s.editDiscussionRating(ctx, a)
	}
	post, err := s.store.GitHubPost(ctx, ratingKey(a.RatingID))
	if err != nil {
		return gone(err)
	}
	if post.GitHubID == nil {
		return fmt.Errorf("github: rating %d: %w", a.RatingID, errRatingPending)
	}
	body, err := s.ratingBodyOf(ctx, a.RatingID)
	if err != nil {
		return err
	}
	err = s.client.EditComment(ctx, *post.GitHubID, body)
	if notFound(err) {
		s.log.InfoContext(ctx, "github rating comment gone; not edited", "rating_id", a.RatingID)
		return nil
	}
	if err != nil {
		return s.retry(ctx, err)
	}
	return nil
}

// editDiscussionRating is editRating on the discussion desk (GraphQL).
func (s *Service) editDiscussionRating(ctx context.Context, a EditRatingArgs) error {
	post, err := s.store.GitHubNodePost(ctx, discussionRatingKey(a.RatingID))
	if err != nil {
		return gone(err)
	}
	if post.NodeID == nil {
		return fmt.Errorf("github: rating %d: %w", a.RatingID, errRatingPending)
	}
	body, err := s.ratingBodyOf(ctx, a.RatingID)
	if err != nil {
		return err
	}
	err = s.client.EditDiscussionComment(ctx, *post.NodeID, body)
	if graphQLNotFound(err) {
		s.log.InfoContext(ctx, "github rating comment gone; not edited", "rating_id", a.RatingID)
		return nil
	}
	if err != nil {
		return s.retryGraphQL(ctx, err)
	}
	return nil
}

// ratingBodyOf reads the rating as it is now and returns its comment's
// body; a rating or contact gone cancels the job.
func (s *Service) ratingBodyOf(ctx context.Context, ratingID int64) (string, error) {
	r, err := s.store.Rating(ctx, ratingID)
	if err != nil {
		return "", gone(err)
	}
	c, err := s.store.Contact(ctx, r.ContactID)
	if err != nil {
		return "", gone(err)
	}
	return ratingBody(r, c), nil
}

var scoreIcon = map[string]string{model.RatingGood: "👍", model.RatingOkay: "😐", model.RatingBad: "👎"}

// ratingBody is "Rating from Name <email>: 👍 good" and the comment quoted
// under it (its @mentions defused), under the marker rating:<id> on either
// desk. A changed answer edits the comment (GitHub marks it edited and
// keeps the earlier text in its history).
func ratingBody(r model.Rating, c model.Contact) string {
	s := marker(ratingKey(r.ID)) + "\n⭐ Rating from " + defuse(person(c.Name, c.Email)) + ": " + scoreIcon[r.Score] + " **" + r.Score + "**"
	if r.Comment != "" {
		s += "\n\n" + quote(r.Comment)
	}
	return s
}
