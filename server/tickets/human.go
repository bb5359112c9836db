package tickets

import (
	"context"
	"fmt"
)

// HumanVerifier checks a Turnstile response. It is a required dependency:
// the service, not the handler, decides that a guest submission and a portal
// reply must prove a human, so that no route can forget to ask. The verifier
// itself decides what "no secret configured" means (turnstile.Verifier lets
// everything through and logs that once).
type HumanVerifier interface {
	Verify(ctx context.Context, response, remoteIP string) (bool, error)
}

// checkHuman is the one human check of the widget (JSON API and hosted form)
// and the portal: nil when response proves a human, ErrNotHuman when it does
// not (an empty response included), ErrHumanCheckUnavailable when siteverify
// cannot be asked.
func (s *Service) checkHuman(ctx context.Context, response, clientIP string) error {
	ok, err := s.turnstile.Verify(ctx, response, clientIP)
	if err != nil {
		return fmt.Errorf("tickets: %w: %w", ErrHumanCheckUnavailable, err)
	}
	if !ok {
		return ErrNotHuman
	}
	return nil
}
