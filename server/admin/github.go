package admin

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/portico/portico/server/github"
)

// GitHubBackfiller gives the tickets that have no GitHub issue theirs.
type GitHubBackfiller interface {
	BackfillStatus(ctx context.Context) (github.BackfillStatus, error)
	Backfill(ctx context.Context, o github.BackfillOptions) (github.BackfillResult, error)
}

// GitHubHandler serves the GitHub backfill (admin only, behind
// Handler.RequireAdmin).
type GitHubHandler struct {
	svc GitHubBackfiller
}

// NewGitHub returns the GitHub handler.
func NewGitHub(svc GitHubBackfiller) *GitHubHandler { return &GitHubHandler{svc: svc} }

// BackfillStatus answers GET /support/admin/api/github/backfill: how many
// tickets have no issue.
func (h *GitHubHandler) BackfillStatus(c *fiber.Ctx) error {
	st, err := h.svc.BackfillStatus(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"enabled": st.Enabled, "missing": st.Missing, "in_progress": st.InProgress, "erased": st.Erased})
}

type backfillBody struct {
	Limit  *int `json:"limit"` // 0 or left out: every ticket
	DryRun bool `json:"dry_run"`
}

type backfillTicketView struct {
	Reference string `json:"reference"`
	Comments  int    `json:"comments"`
	Closed    bool   `json:"closed"`
}

// Backfill answers POST /support/admin/api/github/backfill: it queues the
// backfill of every ticket without an issue (at most limit; dry_run queues
// nothing) and says what it queued. The service refuses a limit out of
// range (422) and a backfill while the sync is off (409).
func (h *GitHubHandler) Backfill(c *fiber.Ctx) error {
	var in backfillBody
	if len(c.Body()) > 0 {
		if err := decode(c, &in); err != nil {
			return err
		}
	}
	o := github.BackfillOptions{DryRun: in.DryRun}
	if in.Limit != nil {
		o.Limit = *in.Limit
	}
	res, err := h.svc.Backfill(c.UserContext(), o)
	if err != nil {
		return err
	}
	queued := make([]backfillTicketView, 0, len(res.Queued))
	for _, t := range res.Queued {
		queued = append(queued, backfillTicketView{Reference: t.Reference, Comments: t.Comments, Closed: t.Closed})
	}
	return c.JSON(fiber.Map{"dry_run": res.DryRun, "queued": len(queued), "comments": res.Comments, "tickets": queued,
		"in_progress": res.InProgress, "erased": res.Erased, "left": res.Left})
}
