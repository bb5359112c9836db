package tickets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
)

// MaxHeldListed is how many held mails the admin list shows at once.
const MaxHeldListed = 500

// HeldMail is a held inbound mail as the admin list shows it.
type HeldMail struct {
	ID              int64          `json:"id"`
	TicketReference string         `json:"ticket_reference,omitempty"`
	Provider        string         `json:"provider"`
	FromEmail       string         `json:"from_email"`
	FromName        string         `json:"from_name"`
	Subject         string         `json:"subject"`
	Reason          string         `json:"reason"`
	Auth            model.MailAuth `json:"auth"`
	CreatedAt       string         `json:"created_at"`
}

// holdMail keeps an unauthenticated mail that named ticketID for an agent.
// A mail filed or held already (a provider retry) is not held again.
func (s *Service) holdMail(ctx context.Context, ticketID int64, how string, in InboundMessage) (InboundResult, error) {
	m := in.Mail
	key := m.DedupKey
	if m.MessageID != "" {
		key = "message-id:" + m.MessageID
	}
	if key == "" {
		// No Message-ID and no provider key: hold it under its content.
		sum, err := json.Marshal(m)
		if err != nil {
			return InboundResult{}, fmt.Errorf("tickets: hold mail: %w", err)
		}
		sha := sha256.Sum256(sum)
		key = "content:" + hex.EncodeToString(sha[:])
	}
	if seen, err := s.store.InboundSeen(ctx, m.MessageID, m.DedupKey); err != nil {
		return InboundResult{}, err
	} else if seen {
		return InboundResult{Outcome: OutcomeIgnored, Reason: duplicateReason(m)}, nil
	}
	payload, err := json.Marshal(in)
	if err != nil {
		return InboundResult{}, fmt.Errorf("tickets: hold mail: %w", err)
	}
	auth, err := json.Marshal(m.Auth)
	if err != nil {
		return InboundResult{}, fmt.Errorf("tickets: hold mail: %w", err)
	}
	reason := notAuthenticated + "; it named " + model.Reference(ticketID) + " by " + how
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.HoldMail(ctx, store.NewHeldMail{
			TicketID: ticketID, DedupKey: key, Provider: m.Provider, FromEmail: m.From.Email, FromName: m.From.Name,
			Subject: truncate(m.Subject, 998), Reason: reason, Auth: string(auth), Payload: string(payload),
		})
		return err
	})
	if errors.Is(err, store.ErrDuplicate) {
		return InboundResult{Outcome: OutcomeIgnored, Reason: "duplicate delivery (already held)"}, nil
	}
	if err != nil {
		return InboundResult{}, fmt.Errorf("tickets: hold mail: %w", err)
	}
	return InboundResult{Outcome: OutcomeHeld, Reason: notAuthenticated + ": held for an agent"}, nil
}

// HeldMails lists the held inbound mail, oldest first.
func (s *Service) HeldMails(ctx context.Context) ([]HeldMail, error) {
	rows, err := s.store.HeldMails(ctx, MaxHeldListed)
	if err != nil {
		return nil, err
	}
	out := make([]HeldMail, 0, len(rows))
	for _, r := range rows {
		h := HeldMail{ID: r.ID, Provider: r.Provider, FromEmail: r.FromEmail, FromName: r.FromName, Subject: r.Subject,
			Reason: r.Reason, CreatedAt: r.CreatedAt.UTC().Format("2006-01-02T15:04:05Z")}
		if r.TicketID != nil {
			h.TicketReference = model.Reference(*r.TicketID)
		}
		if err := json.Unmarshal([]byte(r.Auth), &h.Auth); err != nil {
			return nil, fmt.Errorf("tickets: held mail %d: stored verdicts: %w", r.ID, err)
		}
		out = append(out, h)
	}
	return out, nil
}

// ReleaseHeld files a held mail as if its sender were authenticated (an
// agent vouches for it) and removes it from hold in the same transaction; a
// mail that files nothing (a duplicate, or no usable sender) leaves the hold
// all the same. model.ErrNotFound when there is no such held mail.
func (s *Service) ReleaseHeld(ctx context.Context, id int64) (InboundResult, error) {
	h, err := s.store.HeldMail(ctx, id)
	if err != nil {
		return InboundResult{}, err
	}
	var in InboundMessage
	if err := json.Unmarshal([]byte(h.Payload), &in); err != nil {
		return InboundResult{}, fmt.Errorf("tickets: held mail %d: stored mail: %w", id, err)
	}
	in.Trusted = true
	var res InboundResult
	err = s.store.RunInTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		var err error
		if res, err = s.ReceiveMail(ctx, in); err != nil {
			return err
		}
		return tx.DeleteHeldMail(ctx, id)
	})
	if err != nil {
		return InboundResult{}, fmt.Errorf("tickets: release held mail %d: %w", id, err)
	}
	return res, nil
}

// DiscardHeld deletes a held mail; model.ErrNotFound when there is none.
func (s *Service) DiscardHeld(ctx context.Context, id int64) error {
	return s.store.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteHeldMail(ctx, id) })
}
