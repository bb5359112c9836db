package admin

import (
	"context"
	"errors"

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
	Limit  *int `json:"limit"`
	DryRun bool `json:"dry_run"`
}

type backfillTicketView struct {
	Reference string `json:"reference"`
	Comments  int    `json:"comments"`
	Closed    bool   `json:"closed"`
}

// maxBackfillLimit bounds limit only to refuse nonsense early.
const maxBackfillLimit = 1_000_000

// Backfill answers POST /support/admin/api/github/backfill: it queues the
// backfill of every ticket without an issue (at most limit; dry_run queues
// nothing) and says what it queued. 409 while the sync is off.
func (h *GitHubHandler) Backfill(c *fiber.Ctx) error {
	var in backfillBody
	if len(c.Body()) > 0 {
		if err := decode(c, &in); err != nil {
			return err
		}
	}
	o := github.BackfillOptions{DryRun: in.DryRun}
	if in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > maxBackfillLimit {
			return c.Status(fiber.StatusUnprocessableEntity).JSON(fiber.Map{"errors": fiber.Map{
				"limit": "must be a whole number from 1 to 1000000, or left out for every ticket"}})
		}
		o.Limit = *in.Limit
	}
	res, err := h.svc.Backfill(c.UserContext(), o)
	if errors.Is(err, github.ErrSyncOff) {
		return fiber.NewError(fiber.StatusConflict, "the GitHub sync is off: set PORTICO_GITHUB_REPOSITORY (with "+
			"PORTICO_GITHUB_TOKEN or a GitHub App) and restart portico, then backfill")
	}
	if errors.Is(err, github.ErrBackfillDesk) {
		return fiber.NewError(fiber.StatusConflict, "the backfill opens issues, and new tickets go to GitHub Discussions: "+
			`set the desk to issues (PUT /support/admin/settings/github {"desk":"issues"}) to backfill`)
	}
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
