package portal

import (
	"context"
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/portico/portico/server/clientip"
	"github.com/portico/portico/server/httperr"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/ratings"
	"github.com/portico/portico/server/tickets"
	"github.com/portico/portico/views"
)

// Ratings takes the answers to "How did we do?" (ratings.Service).
type Ratings interface {
	Form(ctx context.Context, page tickets.PortalPage) (ratings.Form, error)
	Rate(ctx context.Context, in ratings.Input) (model.Rating, error)
}

// addRating adds the rating section to the conversation page, unless the
// link is not asked (an open ticket, someone else's link).
func (h *Handler) addRating(c *fiber.Ctx, token string, page tickets.PortalPage, d *views.PortalData) error {
	f, err := h.ratings.Form(c.UserContext(), page)
	if err != nil || f.Refused != nil {
		return err
	}
	v := h.ratingView(d.S, token, f, "", "", true)
	v.Saved = c.Query("rated") == "1"
	// The reply form loads Turnstile's script already when it is shown.
	v.LoadTurnstile = h.siteKey != "" && !page.AllowReply
	d.Rating = &v
	return nil
}

// ratingView fills the form: the score and comment given (or, with
// current, those stored so far where none is given).
func (h *Handler) ratingView(s views.Strings, token string, f ratings.Form, score, comment string, current bool) views.RatingForm {
	v := views.RatingForm{Action: "/portal/" + token + "/rate", FormToken: f.Token, Comment: comment,
		TurnstileSiteKey: h.siteKey, LoadTurnstile: h.siteKey != ""}
	if f.Current != nil {
		v.Current = s.Rate.Label(f.Current.Score)
		if current && score == "" {
			score = f.Current.Score
		}
		if current && comment == "" {
			v.Comment = f.Current.Comment
		}
	}
	v.Choices = views.RatingChoices(s.Rate, score)
	return v
}

// RateForm answers GET /portal/:token/rate?score=good, the page a rating
// link of the close mail opens: the form with that answer chosen, to be
// confirmed. It stores nothing: mail scanners open links on their own.
func (h *Handler) RateForm(c *fiber.Ctx) error {
	token := c.Params("token")
	page, err := h.svc.OpenPortal(c.UserContext(), token)
	if err != nil {
		return h.fail(c, err)
	}
	f, err := h.ratings.Form(c.UserContext(), page)
	if err != nil {
		return h.fail(c, err)
	}
	status := fiber.StatusOK
	if a, ok := httperr.Of(f.Refused); ok {
		status = a.Status // 409 an open ticket, 403 someone else's link
	}
	s := h.lang.pick(c, page.Locale)
	v := h.ratingView(s, token, f, c.Query("score"), "", true)
	return h.ratePage(c, s, token, page, f, status, v)
}

// Rate answers POST /portal/:token/rate (form score, comment, form_token,
// cf-turnstile-response): 303 to the conversation on success; otherwise the
// rating page again, with the answer kept and the reason.
func (h *Handler) Rate(c *fiber.Ctx) error {
	token := c.Params("token")
	score, comment := c.FormValue("score"), c.FormValue("comment")
	_, err := h.ratings.Rate(c.UserContext(), ratings.Input{
		Token: token, FormToken: c.FormValue("form_token"), Score: score, Comment: comment,
		Turnstile: c.FormValue("cf-turnstile-response"), ClientIP: clientip.String(c.UserContext()),
	})
	if err == nil {
		return c.Redirect("/portal/"+token+"?rated=1#rating", fiber.StatusSeeOther)
	}
	a, ok := httperr.Of(err)
	if !ok || a.Status == fiber.StatusNotFound || a.Status == fiber.StatusGone {
		return h.fail(c, err)
	}
	if a.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(a.RetryAfter))
	}
	page, perr := h.svc.OpenPortal(c.UserContext(), token)
	if perr != nil {
		return h.fail(c, perr)
	}
	f, perr := h.ratings.Form(c.UserContext(), page)
	if perr != nil {
		return h.fail(c, perr)
	}
	s := h.lang.pick(c, page.Locale)
	v := h.ratingView(s, token, f, score, comment, false)
	v.ScoreError, v.CommentError = s.Field(a.Fields["score"]), s.Field(a.Fields["comment"])
	switch {
	case errors.Is(err, ratings.ErrFormToken):
		v.Error = s.Rate.FormExpired
	case errors.Is(err, tickets.ErrNotHuman):
		v.Error = s.HumanCheckFailed
	case a.Status == fiber.StatusTooManyRequests:
		v.Error = s.Rate.TooMany
	case a.Status == fiber.StatusServiceUnavailable:
		v.Error = s.UnavailableText
	}
	return h.ratePage(c, s, token, page, f, a.Status, v)
}

// ratePage renders the rating page, or why this link cannot rate.
func (h *Handler) ratePage(c *fiber.Ctx, s views.Strings, token string, page tickets.PortalPage, f ratings.Form, status int, v views.RatingForm) error {
	d := views.RatePageData{S: s, Nonce: nonce(c), Reference: page.Ticket.Reference, BackURL: "/portal/" + token, Form: v}
	if f.Refused != nil {
		d.Refused = s.Rate.NotYours
		if errors.Is(f.Refused, ratings.ErrTicketOpen) {
			d.Refused = s.Rate.Open
		}
	}
	return render(c, status, views.RatePage(d))
}
