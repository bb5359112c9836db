package tickets

import (
	"context"
	"errors"

	"github.com/portico/portico/server/mail"
	"github.com/portico/portico/server/model"
)

// signedReplyTicket returns the ticket a signed reply+<id>.<sig>@ address
// names, or 0 when the address is not one, is forged, or names no ticket.
// The signature must be made with the reply-address key; one made the old
// way (with the secret key itself, which host apps held and which signed
// their requester ids alike) counts only during the legacy grace and only
// for a ticket filed before per-purpose keys took over.
func (s *Service) signedReplyTicket(ctx context.Context, addr string) (int64, error) {
	now := s.now()
	id, legacy, ok := mail.ParseSignedReplyTo(addr, s.replyDomain, s.keys.ReplyAddress(), s.keys.Legacy(now))
	if !ok {
		return 0, nil
	}
	t, err := s.store.Ticket(ctx, id)
	if errors.Is(err, model.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if legacy && s.keys.LegacyFor(t.CreatedAt, now) == nil {
		return 0, nil
	}
	return id, nil
}
