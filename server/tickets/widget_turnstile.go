package tickets

import (
	"context"
	"fmt"
)

// VerifyWidgetHuman checks the Turnstile response sent with a widget
// submission (the JSON API or the hosted form): nil when it proves a human,
// ErrNotHuman when it does not (an empty response included), and
// ErrHumanCheckUnavailable when siteverify cannot be asked. Handlers call it
// only when a Turnstile site key is configured, and not for submissions a
// host app signed.
func (s *Service) VerifyWidgetHuman(ctx context.Context, response, clientIP string) error {
	if s.turnstile == nil {
		return nil
	}
	ok, err := s.turnstile.Verify(ctx, response, clientIP)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrHumanCheckUnavailable, err)
	}
	if !ok {
		return ErrNotHuman
	}
	return nil
}
