package admin

import (
	"context"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/portico/portico/server/workflows"
)

// Workflows is the rule engine as the admin API uses it.
type Workflows interface {
	Rules(ctx context.Context) ([]workflows.Rule, error)
	Rule(ctx context.Context, id int64) (workflows.Rule, error)
	Create(ctx context.Context, in workflows.RuleInput) (workflows.Rule, error)
	Update(ctx context.Context, id int64, in workflows.RuleInput) (workflows.Rule, error)
	SetEnabled(ctx context.Context, id int64, enabled bool) (workflows.Rule, error)
	Delete(ctx context.Context, id int64) error
	Reorder(ctx context.Context, ids []int64) ([]workflows.Rule, error)
	DryRun(ctx context.Context, in workflows.DryRunInput) (workflows.DryRun, error)
	Runs(ctx context.Context, q workflows.RunQuery) ([]workflows.RunView, error)
}

// WorkflowHandler serves /support/admin/workflows*; it runs behind
// Handler.RequireAdmin.
type WorkflowHandler struct {
	wf Workflows
}

// NewWorkflows returns the workflow rules handler.
func NewWorkflows(wf Workflows) *WorkflowHandler { return &WorkflowHandler{wf: wf} }

func ruleID(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fiber.NewError(fiber.StatusNotFound, "no workflow rule "+c.Params("id"))
	}
	return id, nil
}

// List answers GET /support/admin/workflows: every rule in evaluation order.
func (h *WorkflowHandler) List(c *fiber.Ctx) error {
	rules, err := h.wf.Rules(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"rules": rules})
}

// Get answers GET /support/admin/workflows/:id.
func (h *WorkflowHandler) Get(c *fiber.Ctx) error {
	id, err := ruleID(c)
	if err != nil {
		return err
	}
	r, err := h.wf.Rule(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(r)
}

// Create answers POST /support/admin/workflows: 201 with the rule, or 422
// {errors} with nothing stored.
func (h *WorkflowHandler) Create(c *fiber.Ctx) error {
	var in workflows.RuleInput
	if err := decode(c, &in); err != nil {
		return err
	}
	r, err := h.wf.Create(c.UserContext(), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(r)
}

// Update answers PUT /support/admin/workflows/:id.
func (h *WorkflowHandler) Update(c *fiber.Ctx) error {
	id, err := ruleID(c)
	if err != nil {
		return err
	}
	var in workflows.RuleInput
	if err := decode(c, &in); err != nil {
		return err
	}
	r, err := h.wf.Update(c.UserContext(), id, in)
	if err != nil {
		return err
	}
	return c.JSON(r)
}

// Delete answers DELETE /support/admin/workflows/:id with 204.
func (h *WorkflowHandler) Delete(c *fiber.Ctx) error {
	id, err := ruleID(c)
	if err != nil {
		return err
	}
	if err := h.wf.Delete(c.UserContext(), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// Enable answers POST /support/admin/workflows/:id/enable.
func (h *WorkflowHandler) Enable(c *fiber.Ctx) error { return h.setEnabled(c, true) }

// Disable answers POST /support/admin/workflows/:id/disable.
func (h *WorkflowHandler) Disable(c *fiber.Ctx) error { return h.setEnabled(c, false) }

func (h *WorkflowHandler) setEnabled(c *fiber.Ctx, on bool) error {
	id, err := ruleID(c)
	if err != nil {
		return err
	}
	r, err := h.wf.SetEnabled(c.UserContext(), id, on)
	if err != nil {
		return err
	}
	return c.JSON(r)
}

// Reorder answers POST /support/admin/workflows/reorder {ids: [...]}, every
// rule's id once, in the new order.
func (h *WorkflowHandler) Reorder(c *fiber.Ctx) error {
	var in struct {
		IDs []int64 `json:"ids"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	rules, err := h.wf.Reorder(c.UserContext(), in.IDs)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"rules": rules})
}

// DryRun answers POST /support/admin/workflows/dry-run {ticket, trigger?,
// author?}: which rules would act on the ticket, and why; nothing changes.
func (h *WorkflowHandler) DryRun(c *fiber.Ctx) error {
	var in workflows.DryRunInput
	if err := decode(c, &in); err != nil {
		return err
	}
	res, err := h.wf.DryRun(c.UserContext(), in)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

// Runs answers GET /support/admin/workflows/runs?rule=&ticket=&before=&limit=:
// recent runs, newest first.
func (h *WorkflowHandler) Runs(c *fiber.Ctx) error {
	q := workflows.RunQuery{Ticket: c.Query("ticket")}
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"rule", &q.RuleID}, {"before", &q.Before}} {
		if v := c.Query(p.name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return fiber.NewError(fiber.StatusBadRequest, p.name+" must be a positive integer")
			}
			*p.dst = n
		}
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > workflows.MaxRuns {
			return fiber.NewError(fiber.StatusBadRequest, "limit must be 1 to "+strconv.Itoa(workflows.MaxRuns))
		}
		q.Limit = n
	}
	runs, err := h.wf.Runs(c.UserContext(), q)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"runs": runs})
}
