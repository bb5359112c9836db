package privacy

import (
	"context"
	"fmt"
	"time"

	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
)

// What erased data is replaced with. An erased contact is kept under
// ContactPseudonym (its id keeps the address unique and stable); a portal
// link keeps its row under erased-link-<id>@invalid (unique per ticket);
// mails go to ErasedAddress; a ticket's subject becomes ErasedSubject.
const (
	ErasedAddress = "erased@invalid"
	ErasedSubject = "(erased)"
)

// ContactPseudonym is the address an erased contact is kept under.
func ContactPseudonym(contactID int64) string { return fmt.Sprintf("erased-%d@invalid", contactID) }

var pseudonyms = store.Pseudonyms{Subject: ErasedSubject, Mail: ErasedAddress, LinkPrefix: "erased-link-", LinkSuffix: "@invalid"}

// Audit actions.
const (
	AuditExport = "export"
	AuditErase  = "erase"
	AuditPurge  = "purge"
)

// Erased counts what an erasure overwrote; the audit keeps it as JSON.
type Erased struct {
	Messages    int64 `json:"messages"`
	Attachments int64 `json:"attachments"`
	PortalLinks int64 `json:"portal_links_revoked"`
	Mails       int64 `json:"mails"`
}

// add sums what the store erased into e.
func (e Erased) add(o store.Erased) Erased {
	return Erased{e.Messages + o.Messages, e.Attachments + o.Attachments, e.PortalLinks + o.PortalLinks, e.Mails + o.Mails}
}

// Erasure is what erasing a contact did.
type Erasure struct {
	// Contact is the contact as it is now: under its pseudonym.
	Contact model.Contact
	// ErasedAt and ErasedBy say when and by whom it was erased (the first
	// time, when this call found it erased already).
	ErasedAt time.Time
	ErasedBy string
	// AlreadyErased: an earlier call erased it; this one changed nothing.
	AlreadyErased bool
	// Tickets is how many tickets the contact filed were erased whole.
	Tickets int64
	// Erased counts messages, attachments, portal links and mails.
	Erased Erased
}

// EraseContact erases a contact for good, in one transaction: every ticket
// it filed is erased whole (subject, every message body, attachments,
// participants, portal links, mails; the rows stay and still count), what
// it wrote on others' tickets is erased, its portal links revoked, its mails
// emptied, and the contact itself kept as erased-<id>@invalid with no name
// and no user. The GitHub issues and comments that mirrored the erased text
// are queued for redaction in the same transaction, and the erasure is
// audited (actor: an admin's email or ActorAPIToken).
//
// Erasing again changes nothing and answers the first erasure
// (AlreadyErased). model.ErrNotFound if there is no such contact.
func (s *Service) EraseContact(ctx context.Context, contactID int64, actor string) (Erasure, error) {
	var out Erasure
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		c, first, err := tx.MarkContactErased(ctx, contactID)
		if err != nil {
			return err
		}
		if !first {
			out = Erasure{Contact: c, AlreadyErased: true}
			return nil
		}
		out = Erasure{ErasedBy: actor}
		if out.Contact, out.Tickets, out.Erased, err = s.eraseContact(ctx, tx, c); err != nil {
			return err
		}
		return tx.AddPrivacyAudit(ctx, store.AuditEntry{Action: AuditErase, ContactID: &c.ID, Actor: actor,
			Detail: detail(map[string]any{"tickets": out.Tickets, "erased": out.Erased})})
	})
	if err != nil {
		return Erasure{}, wrap("erase contact", err)
	}
	if out.AlreadyErased {
		return s.earlierErasure(ctx, out)
	}
	// The time as stored (PostgreSQL keeps microseconds), so that a second
	// call answers the same.
	pc, err := s.store.PrivacyContact(ctx, out.Contact.ID)
	if err != nil {
		return Erasure{}, err
	}
	if pc.ErasedAt != nil {
		out.ErasedAt = pc.ErasedAt.UTC()
	}
	s.log.InfoContext(ctx, "contact erased", "contact_id", out.Contact.ID, "tickets", out.Tickets,
		"messages", out.Erased.Messages, "attachments", out.Erased.Attachments, "by", maskActor(actor))
	return out, nil
}

// eraseContact does the work of an erasure inside tx; c is the contact as it
// was, with its address.
func (s *Service) eraseContact(ctx context.Context, tx *store.Tx, c model.Contact) (model.Contact, int64, Erased, error) {
	var total Erased
	// What they wrote on others' tickets must be known before their
	// authorship is wiped, to redact its mirror on GitHub.
	authored, err := tx.AuthoredMessages(ctx, c.Email)
	if err != nil {
		return model.Contact{}, 0, total, err
	}
	ids, err := tx.LiveTicketIDs(ctx, c.ID)
	if err != nil {
		return model.Contact{}, 0, total, err
	}
	whole := map[int64]bool{}
	var tickets int64
	for _, id := range ids {
		_, e, ok, err := s.eraseTicket(ctx, tx, id, nil)
		if err != nil {
			return model.Contact{}, 0, total, err
		}
		if ok {
			tickets++
			total = total.add(e)
		}
		whole[id] = true
	}
	e, err := tx.ErasePerson(ctx, c.Email, pseudonyms)
	if err != nil {
		return model.Contact{}, 0, total, err
	}
	if err := s.sweepFiles(ctx, tx, e); err != nil {
		return model.Contact{}, 0, total, err
	}
	total = total.add(e)
	// Their answers to "How did we do?" keep the score (statistics), not
	// what they wrote.
	if _, err := tx.EraseContactRatings(ctx, c.ID); err != nil {
		return model.Contact{}, 0, total, err
	}
	if s.redactor != nil {
		byTicket := map[int64][]int64{}
		var order []int64
		for _, m := range authored {
			if whole[m.TicketID] {
				continue
			}
			if _, seen := byTicket[m.TicketID]; !seen {
				order = append(order, m.TicketID)
			}
			byTicket[m.TicketID] = append(byTicket[m.TicketID], m.ID)
		}
		for _, t := range order {
			if err := s.redactor.RedactMessages(ctx, tx, t, byTicket[t]); err != nil {
				return model.Contact{}, 0, total, err
			}
		}
	}
	after, err := tx.PseudonymizeContact(ctx, c, ContactPseudonym(c.ID))
	if err != nil {
		return model.Contact{}, 0, total, err
	}
	return after, tickets, total, nil
}

// eraseTicket erases one ticket whole and queues the redaction of its issue.
func (s *Service) eraseTicket(ctx context.Context, tx *store.Tx, ticketID int64, closedBefore *time.Time) (model.Ticket, store.Erased, bool, error) {
	t, e, ok, err := tx.EraseTicket(ctx, ticketID, closedBefore, pseudonyms)
	if err != nil || !ok {
		return t, e, ok, err
	}
	if _, err := tx.EraseTicketRatings(ctx, ticketID); err != nil {
		return model.Ticket{}, store.Erased{}, false, err
	}
	if err := s.sweepFiles(ctx, tx, e); err != nil {
		return model.Ticket{}, store.Erased{}, false, err
	}
	if s.redactor != nil {
		if err := s.redactor.RedactTicket(ctx, tx, ticketID); err != nil {
			return model.Ticket{}, store.Erased{}, false, err
		}
	}
	return t, e, true, nil
}

// earlierErasure fills in when and by whom an erased contact was erased.
func (s *Service) earlierErasure(ctx context.Context, out Erasure) (Erasure, error) {
	pc, err := s.store.PrivacyContact(ctx, out.Contact.ID)
	if err != nil {
		return Erasure{}, err
	}
	if pc.ErasedAt != nil {
		out.ErasedAt = pc.ErasedAt.UTC()
	}
	entries, err := s.store.PrivacyAudit(ctx, out.Contact.ID)
	if err != nil {
		return Erasure{}, err
	}
	for _, e := range entries {
		if e.Action == AuditErase {
			out.ErasedBy = e.Actor
			break
		}
	}
	return out, nil
}

// sweepFiles queues the removal of the erased attachments' files on disk,
// to run once tx commits (the rows are gone then, the files not yet).
func (s *Service) sweepFiles(ctx context.Context, tx *store.Tx, e store.Erased) error {
	if e.Attachments == 0 || s.files == nil {
		return nil
	}
	return s.files.QueueSweep(ctx, tx)
}
