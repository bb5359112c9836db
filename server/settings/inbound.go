package settings

import (
	"context"
	"strings"

	"github.com/portico/portico/server/model"
)

const keyInbound = "inbound"

// What becomes of an inbound mail whose sender is not authenticated (no
// passing DMARC-aligned SPF or DKIM verdict) but whose headers or subject
// name an existing ticket.
const (
	// UnauthenticatedNewTicket opens a new ticket under the guest policy
	// (the default).
	UnauthenticatedNewTicket = "new_ticket"
	// UnauthenticatedHold keeps the mail for an agent to release into the
	// ticket or discard.
	UnauthenticatedHold = "hold"
)

// Inbound configures inbound mail.
type Inbound struct {
	Unauthenticated string `json:"unauthenticated"`
}

// InboundInput carries what an admin sent; nil keeps the current value.
type InboundInput struct {
	Unauthenticated *string
}

// Inbound returns the inbound settings (new_ticket unless set).
func (s *Service) Inbound(ctx context.Context) (Inbound, error) {
	return cached(ctx, s.cache, keyInbound, s.loadInbound)
}

func (s *Service) loadInbound(ctx context.Context) (Inbound, error) {
	in := Inbound{Unauthenticated: UnauthenticatedNewTicket}
	if _, err := s.load(ctx, keyInbound, &in); err != nil {
		return Inbound{}, err
	}
	if in.Unauthenticated != UnauthenticatedHold {
		in.Unauthenticated = UnauthenticatedNewTicket
	}
	return in, nil
}

// SetInbound validates and stores the inbound settings; an unknown value
// comes back as model.FieldErrors and nothing is stored.
func (s *Service) SetInbound(ctx context.Context, in InboundInput) (Inbound, error) {
	cur, err := s.loadInbound(ctx) // from the database, as in SetPortal
	if err != nil {
		return Inbound{}, err
	}
	if in.Unauthenticated != nil {
		switch v := strings.TrimSpace(*in.Unauthenticated); v {
		case UnauthenticatedNewTicket, UnauthenticatedHold:
			cur.Unauthenticated = v
		default:
			return Inbound{}, model.FieldErrors{"unauthenticated": `must be "new_ticket" or "hold"`}
		}
	}
	if err := s.save(ctx, keyInbound, cur); err != nil {
		return Inbound{}, err
	}
	return cur, nil
}
