package store

import (
	"context"
	"fmt"

	"github.com/portico/portico/server/model"
)

// AddParticipant records someone who took part in a ticket by mail.
func (tx *Tx) AddParticipant(ctx context.Context, ticketID int64, email, name string) error {
	if _, err := tx.stmt(ctx, tx.s.q.AddParticipant).ExecContext(ctx, ticketID, email, name, tx.now); err != nil {
		return fmt.Errorf("store: add participant: %w", err)
	}
	return nil
}

// Participants lists a ticket's participants besides the requester.
func (s *Store) Participants(ctx context.Context, ticketID int64) ([]model.Participant, error) {
	ps := []model.Participant{}
	if err := s.q.ParticipantsOfTicket.SelectContext(ctx, &ps, ticketID); err != nil {
		return nil, fmt.Errorf("store: participants of %d: %w", ticketID, err)
	}
	return ps, nil
}
