package tickets

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/portico/portico/server/mail"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
)

// recordStatusMail queues the mail that tells the ticket's customer it closed
// (kind model.MailStatusClosed, with "How did we do?") or opened again
// (model.MailStatusReopened), in the transaction of the change, and returns
// its id for the change's event job to send; none (nil) when the portal
// setting status_mails is off, when nobody is to be told (no customer, the
// ticket or the customer erased, no earlier mail to that address about the
// ticket) or the address is a mail system's or a no-reply one. Erasure and
// the purge never close a ticket themselves; a close after them (the GitHub
// issue closed later) finds the ticket erased and mails nobody.
//
// Only the customer who filed the ticket is told: people on Cc of their
// mails took part in the conversation, but whether a request is done, and
// how it went, is the requester's to hear and to answer.
func (s *Service) recordStatusMail(ctx context.Context, tx *store.Tx, ticketID int64, kind string) ([]int64, error) {
	portal, err := s.settings.Portal(ctx)
	if err != nil {
		return nil, err
	}
	if !portal.StatusMails {
		return nil, nil
	}
	to, ok, err := tx.StatusMailRecipient(ctx, ticketID)
	if err != nil || !ok {
		return nil, err
	}
	if model.BounceSender(to.Email) || model.NoReplyAddress(to.Email) {
		return nil, nil
	}
	thread, err := tx.ThreadMessageIDs(ctx, ticketID)
	if err != nil {
		return nil, err
	}
	inReplyTo, refs := s.threadHeaders(ticketID, thread)
	var nonce [8]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, fmt.Errorf("tickets: status mail id: %w", err)
	}
	id, err := s.recordMail(ctx, tx, store.NewOutboundMail{
		TicketID: ticketID, Kind: kind, ToEmail: to.Email,
		EmailMessageID: mail.StatusMessageID(ticketID, hex.EncodeToString(nonce[:]), s.replyDomain),
		InReplyTo:      inReplyTo, Refs: refs,
	}, mail.StatusPayload{})
	if err != nil {
		return nil, err
	}
	return []int64{id}, nil
}
