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

// Ratings on the issue (issue 17): a customer's answer to "How did we do?"
// is one comment per answer (github_posts key rating:<id>), posted by a job
// queued with the answer; a changed answer edits that comment by another
// job, so the issue shows one current answer per customer. The text is read
// from the database when a job runs, so no customer text rests in the job
// queue, and the latest answer is what GitHub shows whichever job runs last.

func ratingKey(ratingID int64) string { return "rating:" + strconv.FormatInt(ratingID, 10) }

// PostRatingArgs comments a rating on its ticket's issue.
type PostRatingArgs struct {
	TicketID int64 `json:"ticket_id"`
	RatingID int64 `json:"rating_id"`
}

// Kind names the job for River.
func (PostRatingArgs) Kind() string { return "github.post_rating" }

// EditRatingArgs brings a rating's comment up to date after a change.
type EditRatingArgs struct {
	TicketID int64 `json:"ticket_id"`
	RatingID int64 `json:"rating_id"`
}

// Kind names the job for River.
func (EditRatingArgs) Kind() string { return "github.edit_rating" }

// registerRatings adds the rating jobs' workers.
func (s *Service) registerRatings(workers *river.Workers) {
	river.AddWorker(workers, &worker[PostRatingArgs]{work: s.postRating})
	river.AddWorker(workers, &worker[EditRatingArgs]{work: s.editRating})
}

// MirrorRating queues, inside the answer's transaction, the comment that
// shows it on the ticket's issue: the first answer posts one (once, however
// often this is called: the github_posts key), a changed answer edits it.
// With the sync off, or for a ticket filed while it was off (no issue),
// nothing is queued.
func (s *Service) MirrorRating(ctx context.Context, tx *store.Tx, r model.Rating) error {
	if !s.Enabled() {
		return nil
	}
	if _, err := s.store.GitHubPost(ctx, issueKey(r.TicketID)); errors.Is(err, model.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	first, err := tx.QueueGitHubPost(ctx, ratingKey(r.ID), r.TicketID)
	if err != nil {
		return err
	}
	if first {
		return s.jobs.Enqueue(ctx, tx.SQL(), PostRatingArgs{TicketID: r.TicketID, RatingID: r.ID})
	}
	return s.jobs.Enqueue(ctx, tx.SQL(), EditRatingArgs{TicketID: r.TicketID, RatingID: r.ID})
}

// postRating comments the rating on its issue; a retry first looks for the
// comment an earlier try may have made (a 502 after the fact).
func (s *Service) postRating(ctx context.Context, job *river.Job[PostRatingArgs]) error {
	if !s.Enabled() {
		return river.JobCancel(errSyncOff)
	}
	a := job.Args
	key := ratingKey(a.RatingID)
	post, err := s.store.GitHubPost(ctx, key)
	if err != nil {
		return gone(err)
	}
	if post.PostedAt != nil {
		return nil
	}
	issue, body, err := s.ratingComment(ctx, a.TicketID, a.RatingID)
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

// errRatingPending makes an edit wait for the comment it edits.
var errRatingPending = errors.New("the rating's comment is still on its way; editing after it")

// editRating replaces the rating's comment with the answer as it is now.
// Edits are idempotent, so a retry simply edits again; a comment deleted on
// GitHub is left alone.
func (s *Service) editRating(ctx context.Context, job *river.Job[EditRatingArgs]) error {
	if !s.Enabled() {
		return river.JobCancel(errSyncOff)
	}
	a := job.Args
	key := ratingKey(a.RatingID)
	post, err := s.store.GitHubPost(ctx, key)
	if err != nil {
		return gone(err)
	}
	if post.GitHubID == nil {
		return fmt.Errorf("github: rating %d: %w", a.RatingID, errRatingPending)
	}
	_, body, err := s.ratingComment(ctx, a.TicketID, a.RatingID)
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

// ratingComment reads the rating as it is now and returns the issue to
// comment on and the comment's body. An issue still being opened makes the
// job retry with backoff (so it gives up when the issue does); a rating or
// ticket gone cancels it.
func (s *Service) ratingComment(ctx context.Context, ticketID, ratingID int64) (int64, string, error) {
	t, err := s.store.Ticket(ctx, ticketID)
	if err != nil {
		return 0, "", gone(err)
	}
	if t.GitHubIssueNumber == nil {
		if _, err := s.store.GitHubPost(ctx, issueKey(t.ID)); err != nil {
			return 0, "", gone(err)
		}
		return 0, "", fmt.Errorf("github: the issue of %s is not opened yet", t.Reference)
	}
	r, err := s.store.Rating(ctx, ratingID)
	if err != nil {
		return 0, "", gone(err)
	}
	c, err := s.store.Contact(ctx, r.ContactID)
	if err != nil {
		return 0, "", gone(err)
	}
	return *t.GitHubIssueNumber, ratingBody(r, c), nil
}

var scoreIcon = map[string]string{model.RatingGood: "👍", model.RatingOkay: "😐", model.RatingBad: "👎"}

// ratingBody is "Rating from Name <email>: 👍 good" and the comment quoted
// under it (its @mentions defused). A changed answer edits the comment
// (GitHub marks it edited and keeps the earlier text in its history).
func ratingBody(r model.Rating, c model.Contact) string {
	s := marker(ratingKey(r.ID)) + "\n⭐ Rating from " + defuse(person(c.Name, c.Email)) + ": " + scoreIcon[r.Score] + " **" + r.Score + "**"
	if r.Comment != "" {
		s += "\n\n" + quote(r.Comment)
	}
	return s
}
