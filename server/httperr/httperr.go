// Package httperr says how a service error is answered over HTTP: its status,
// the message a person can act on, the field errors and when to try again.
// The JSON error handler (httpserver) and the HTML pages that render
// themselves again with the reason (the portal, the hosted widget form) ask
// Of, so that a rule such as "the rate limiter is down: 503, Retry-After 30"
// is written once.
package httperr

import (
	"errors"
	"math"
	"net/http"

	"github.com/portico/portico/server/attachments"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/ratings"
	"github.com/portico/portico/server/store"
	"github.com/portico/portico/server/tickets"
)

// Answer is how one error is answered.
type Answer struct {
	Status int
	// Message is for JSON answers ({"error": Message}); pages pick their own
	// localized text by Status.
	Message string
	// Fields holds the field errors of a 422.
	Fields model.FieldErrors
	// RetryAfter is the Retry-After header in seconds; 0: none.
	RetryAfter int
}

// RetryLater is the Retry-After of an answer whose cause is an outage of
// ours (Turnstile or the rate limiter unreachable), in seconds.
const RetryLater = 30

// Of classifies a service error; false for errors that are ours (500).
func Of(err error) (Answer, bool) {
	var fields model.FieldErrors
	var limited *tickets.RateLimitedError
	var tooLarge *attachments.TooLargeError
	var conflict *model.ConflictError
	var unavailable *model.UnavailableError
	switch {
	case err == nil:
		return Answer{}, false
	case errors.As(err, &fields):
		return Answer{Status: http.StatusUnprocessableEntity, Message: "some fields need attention", Fields: fields}, true
	case errors.As(err, &limited):
		secs := max(1, int(math.Ceil(limited.RetryAfter.Seconds())))
		return Answer{Status: http.StatusTooManyRequests, RetryAfter: secs,
			Message: "too many requests from you in a short time; please try again later"}, true
	case errors.Is(err, tickets.ErrNotHuman):
		return Answer{Status: http.StatusForbidden, Message: "the human check failed; complete it and send again"}, true
	case errors.Is(err, tickets.ErrRepliesOff):
		return Answer{Status: http.StatusForbidden, Message: "replies on the portal are switched off"}, true
	case errors.Is(err, tickets.ErrHumanCheckUnavailable), errors.Is(err, tickets.ErrLimiterUnavailable):
		return Answer{Status: http.StatusServiceUnavailable, RetryAfter: RetryLater,
			Message: "submissions are paused for a moment; please try again shortly"}, true
	case errors.Is(err, ratings.ErrFormToken):
		return Answer{Status: http.StatusForbidden, Message: ratings.ErrFormToken.Error()}, true
	case errors.Is(err, ratings.ErrNotRequester):
		return Answer{Status: http.StatusForbidden, Message: ratings.ErrNotRequester.Error()}, true
	case errors.Is(err, ratings.ErrTicketOpen):
		return Answer{Status: http.StatusConflict, Message: ratings.ErrTicketOpen.Error()}, true
	case errors.As(err, &unavailable):
		return Answer{Status: http.StatusServiceUnavailable, RetryAfter: RetryLater, Message: unavailable.Reason}, true
	case store.IsUnavailable(err):
		return Answer{Status: http.StatusServiceUnavailable, RetryAfter: 5,
			Message: "the database is unreachable for a moment; please try again shortly"}, true
	case errors.As(err, &conflict):
		return Answer{Status: http.StatusConflict, Message: conflict.Reason}, true
	case errors.Is(err, tickets.ErrPortalGone):
		return Answer{Status: http.StatusGone, Message: err.Error()}, true
	case errors.As(err, &tooLarge):
		return Answer{Status: http.StatusRequestEntityTooLarge, Message: tooLarge.Reason}, true
	case errors.Is(err, attachments.ErrMalformed):
		return Answer{Status: http.StatusBadRequest, Message: attachments.ErrMalformed.Error()}, true
	case errors.Is(err, attachments.ErrBadSignature):
		return Answer{Status: http.StatusForbidden, Message: err.Error()}, true
	case errors.Is(err, attachments.ErrLinkExpired):
		return Answer{Status: http.StatusGone, Message: err.Error()}, true
	case errors.Is(err, model.ErrNotFound):
		return Answer{Status: http.StatusNotFound, Message: err.Error()}, true
	}
	return Answer{}, false
}
