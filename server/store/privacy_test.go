package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
)

// pseudonyms are what server/privacy writes in place of erased data; the
// store takes whatever it is given.
var pseudonyms = store.Pseudonyms{Subject: "(erased)", Mail: "erased@invalid", LinkPrefix: "erased-link-", LinkSuffix: "@invalid"}

func pseudonym(contactID int64) string { return fmt.Sprintf("erased-%d@invalid", contactID) }

// privacyFixture is a ticket filed by ada with a reply from a colleague on
// Cc, an agent reply mailed to both, a note, an attachment and portal links;
// and a ticket of bob's on which ada took part.
type privacyFixture struct {
	ada, bob         model.Contact
	adas, bobs       model.Ticket
	adaReplyOnBobs   model.Message
	bobsOwnMessageID int64
}

func seedPrivacy(t *testing.T, ctx context.Context, s *store.Store) privacyFixture {
	t.Helper()
	var f privacyFixture
	mid := func(s string) *string { return &s }
	err := s.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if f.ada, err = tx.UpsertContact(ctx, "ada@example.com", "Ada Lovelace", "de"); err != nil {
			return err
		}
		if f.ada, err = tx.SetContactUser(ctx, f.ada.ID, 42); err != nil {
			return err
		}
		if f.bob, err = tx.UpsertContact(ctx, "bob@example.com", "Bob", ""); err != nil {
			return err
		}
		if f.adas, err = tx.CreateTicket(ctx, store.NewTicket{Subject: "Ada's printer", Priority: "high", Channel: model.ChannelEmail, ContactID: &f.ada.ID, RequesterID: 42}); err != nil {
			return err
		}
		first, err := tx.AddMessage(ctx, store.NewMessage{TicketID: f.adas.ID, Direction: model.DirectionInbound, Source: model.SourceEmail,
			AuthorName: "Ada Lovelace", AuthorEmail: "ada@example.com", Body: "My printer is on fire", Original: "My printer is on fire\n> quoted",
			EmailMessageID: mid("<ada-1@example.com>")})
		if err != nil {
			return err
		}
		if err := tx.AddAttachment(ctx, f.adas.ID, first.ID, model.InboundAttachment{Filename: "fire.png", ContentType: "image/png", Data: []byte("png")}); err != nil {
			return err
		}
		if _, err := tx.AddMessage(ctx, store.NewMessage{TicketID: f.adas.ID, Direction: model.DirectionInbound, Source: model.SourceEmail,
			AuthorName: "Carol", AuthorEmail: "carol@example.com", Body: "Colleague here"}); err != nil {
			return err
		}
		if err := tx.AddParticipant(ctx, f.adas.ID, "carol@example.com", "Carol"); err != nil {
			return err
		}
		reply, err := tx.AddMessage(ctx, store.NewMessage{TicketID: f.adas.ID, Direction: model.DirectionOutbound, Source: model.SourceGitHub,
			AuthorName: "grace", Body: "Dear Ada, unplug it", EmailMessageID: mid("<ticket-1-reply-3@acme.test>")})
		if err != nil {
			return err
		}
		for _, to := range []string{"ada@example.com", "carol@example.com"} {
			if _, err := tx.QueueMail(ctx, store.NewOutboundMail{TicketID: f.adas.ID, MessageID: &reply.ID, Kind: model.MailAgentReply,
				ToEmail: to, ToName: "Ada Lovelace", EmailMessageID: "<ticket-1-reply-3@acme.test>", Payload: `{"body_text":"Dear Ada"}`}); err != nil {
				return err
			}
		}
		if _, err := tx.AddMessage(ctx, store.NewMessage{TicketID: f.adas.ID, Direction: model.DirectionInternal, Source: model.SourceGitHub,
			AuthorName: "grace", Body: "Ada seems upset"}); err != nil {
			return err
		}
		for i, email := range []string{"ada@example.com", "carol@example.com"} {
			if _, err := tx.AddPortalToken(ctx, f.adas.ID, email, []byte{byte(i), 1, 2, 3}); err != nil {
				return err
			}
		}

		if f.bobs, err = tx.CreateTicket(ctx, store.NewTicket{Subject: "Bob's question", Priority: "low", Channel: model.ChannelWidget, ContactID: &f.bob.ID}); err != nil {
			return err
		}
		bobs, err := tx.AddMessage(ctx, store.NewMessage{TicketID: f.bobs.ID, Direction: model.DirectionInbound, Source: model.SourceWidget,
			AuthorName: "Bob", AuthorEmail: "bob@example.com", Body: "Bob asks"})
		if err != nil {
			return err
		}
		f.bobsOwnMessageID = bobs.ID
		if err := tx.AddParticipant(ctx, f.bobs.ID, "ada@example.com", "Ada Lovelace"); err != nil {
			return err
		}
		if f.adaReplyOnBobs, err = tx.AddMessage(ctx, store.NewMessage{TicketID: f.bobs.ID, Direction: model.DirectionInbound, Source: model.SourceEmail,
			AuthorName: "Ada Lovelace", AuthorEmail: "ada@example.com", Body: "Ada chimes in", EmailMessageID: mid("<ada-2@example.com>")}); err != nil {
			return err
		}
		if err := tx.AddAttachment(ctx, f.bobs.ID, f.adaReplyOnBobs.ID, model.InboundAttachment{Filename: "ada.txt", ContentType: "text/plain", Data: []byte("x")}); err != nil {
			return err
		}
		if _, err := tx.QueueMail(ctx, store.NewOutboundMail{TicketID: f.bobs.ID, Kind: model.MailAgentReply,
			ToEmail: "ada@example.com", ToName: "Ada Lovelace", EmailMessageID: "<ticket-2-reply-9@acme.test>", Payload: `{}`}); err != nil {
			return err
		}
		_, err = tx.AddPortalToken(ctx, f.bobs.ID, "ada@example.com", []byte{9, 9, 9})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestPrivacyEraseContact(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		s := dbtest.Open(t, d, fixedClock())
		f := seedPrivacy(t, ctx, s)

		ts, err := s.TicketsOfPerson(ctx, f.ada.ID, f.ada.Email)
		if err != nil || len(ts) != 2 || ts[0].ID != f.adas.ID || ts[1].ID != f.bobs.ID || ts[0].ErasedAt != nil {
			t.Fatalf("TicketsOfPerson = %+v, %v", ts, err)
		}
		msgs, err := s.PrivacyMessages(ctx, f.adas.ID)
		if err != nil || len(msgs) != 4 || msgs[0].Original != "My printer is on fire\n> quoted" {
			t.Fatalf("PrivacyMessages = %+v, %v", msgs, err)
		}

		if ok, err := s.MailPendingTo(ctx, f.bobs.ID, "ada@example.com"); !ok || err != nil {
			t.Errorf("MailPendingTo before erasure = %v, %v", ok, err)
		}
		var erased store.Erased
		var after model.Contact
		err = s.InTx(ctx, func(tx *store.Tx) error {
			c, first, err := tx.MarkContactErased(ctx, f.ada.ID)
			if err != nil || !first || c.Email != "ada@example.com" {
				t.Errorf("MarkContactErased = %+v, %v, %v", c, first, err)
			}
			authored, err := tx.AuthoredMessages(ctx, c.Email)
			if err != nil || len(authored) != 2 || authored[1].ID != f.adaReplyOnBobs.ID || authored[1].TicketID != f.bobs.ID {
				t.Errorf("AuthoredMessages = %+v, %v", authored, err)
			}
			ids, err := tx.LiveTicketIDs(ctx, c.ID)
			if err != nil || len(ids) != 1 || ids[0] != f.adas.ID {
				t.Errorf("LiveTicketIDs = %v, %v", ids, err)
			}
			tk, e, ok, err := tx.EraseTicket(ctx, f.adas.ID, nil, pseudonyms)
			if err != nil || !ok || tk.Subject != pseudonyms.Subject {
				t.Errorf("EraseTicket = %+v, %v, %v", tk, ok, err)
			}
			if (e != store.Erased{Messages: 4, Attachments: 1, PortalLinks: 2, Mails: 2}) {
				t.Errorf("EraseTicket counts = %+v", e)
			}
			if _, _, ok, err := tx.EraseTicket(ctx, f.adas.ID, nil, pseudonyms); ok || err != nil {
				t.Errorf("second EraseTicket = %v, %v", ok, err)
			}
			p, err := tx.ErasePerson(ctx, c.Email, pseudonyms)
			if err != nil {
				return err
			}
			erased = store.Erased{Messages: e.Messages + p.Messages, Attachments: e.Attachments + p.Attachments,
				PortalLinks: e.PortalLinks + p.PortalLinks, Mails: e.Mails + p.Mails}
			after, err = tx.PseudonymizeContact(ctx, c, pseudonym(c.ID))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if (erased != store.Erased{Messages: 5, Attachments: 2, PortalLinks: 3, Mails: 3}) {
			t.Errorf("total erased = %+v", erased)
		}
		if f.ada.Locale != "de" {
			t.Fatalf("ada's language before erasure = %q", f.ada.Locale)
		}
		if after.Email != pseudonym(f.ada.ID) || after.Name != "" || after.UserID != nil || after.Locale != "" {
			t.Errorf("contact after = %+v", after)
		}
		if c, err := s.Contact(ctx, f.ada.ID); err != nil || c.Locale != "" {
			t.Errorf("stored contact after = %+v, %v: the language is personal data too", c, err)
		}
		pc, err := s.PrivacyContact(ctx, f.ada.ID)
		if err != nil || pc.ErasedAt == nil || !pc.ErasedAt.Equal(fixedClock()()) {
			t.Errorf("PrivacyContact = %+v, %v", pc, err)
		}

		// Ada's ticket: row kept, everything personal gone.
		tk, err := s.Ticket(ctx, f.adas.ID)
		if err != nil || tk.Subject != pseudonyms.Subject || tk.RequesterID != 0 || tk.Priority != "high" || *tk.ContactID != f.ada.ID {
			t.Errorf("ticket after = %+v, %v", tk, err)
		}
		msgs, _ = s.PrivacyMessages(ctx, f.adas.ID)
		if len(msgs) != 4 {
			t.Fatalf("%d messages left, want 4", len(msgs))
		}
		for _, m := range msgs {
			if m.Body != "" || m.Original != "" || m.AuthorEmail != "" || (m.Direction == model.DirectionInbound && (m.AuthorName != "" || m.EmailMessageID != nil)) {
				t.Errorf("message after = %+v", m)
			}
		}
		if msgs[2].AuthorName != "grace" || msgs[2].EmailMessageID == nil {
			t.Errorf("agent name or our Message-ID lost: %+v", msgs[2])
		}
		if as, _ := s.Attachments(ctx, f.adas.ID); len(as) != 0 {
			t.Errorf("attachments left: %+v", as)
		}
		if ps, _ := s.Participants(ctx, f.adas.ID); len(ps) != 0 {
			t.Errorf("participants left: %+v", ps)
		}
		links, _ := s.PortalLinks(ctx, f.adas.ID)
		for _, l := range links {
			if l.RevokedAt == nil || l.Email != fmt.Sprintf("erased-link-%d@invalid", l.ID) {
				t.Errorf("link after = %+v", l)
			}
		}
		for _, h := range [][]byte{{0, 1, 2, 3}, {1, 1, 2, 3}, {9, 9, 9}} {
			if _, err := s.PortalLinkByToken(ctx, h); !errors.Is(err, model.ErrNotFound) {
				t.Errorf("token %v still resolves: %v", h, err)
			}
		}
		for _, tid := range []int64{f.adas.ID, f.bobs.ID} {
			mails, _ := s.OutboundMails(ctx, tid)
			for _, m := range mails {
				if m.ToEmail != pseudonyms.Mail || m.ToName != "" || m.Payload != "{}" || m.Status != model.MailFailed {
					t.Errorf("mail after = %+v", m)
				}
			}
		}

		for _, tid := range []int64{f.adas.ID, f.bobs.ID} {
			if ok, err := s.MailPendingTo(ctx, tid, "ada@example.com"); ok || err != nil {
				t.Errorf("MailPendingTo(%d) after erasure = %v, %v", tid, ok, err)
			}
		}

		// Bob's ticket: only Ada's part went.
		bt, _ := s.Ticket(ctx, f.bobs.ID)
		if bt.Subject != "Bob's question" {
			t.Errorf("bob's subject = %q", bt.Subject)
		}
		msgs, _ = s.PrivacyMessages(ctx, f.bobs.ID)
		if msgs[0].Body != "Bob asks" || msgs[0].AuthorEmail != "bob@example.com" {
			t.Errorf("bob's own message changed: %+v", msgs[0])
		}
		if msgs[1].Body != "" || msgs[1].AuthorEmail != "" || msgs[1].AuthorName != "" {
			t.Errorf("ada's message on bob's ticket = %+v", msgs[1])
		}
		if ps, _ := s.Participants(ctx, f.bobs.ID); len(ps) != 0 {
			t.Errorf("ada still a participant: %+v", ps)
		}
		if ts, _ := s.TicketsOfPerson(ctx, f.ada.ID, after.Email); len(ts) != 1 || ts[0].ErasedAt == nil {
			t.Errorf("tickets of the erased contact = %+v", ts)
		}

		// Erasing again: nothing to do.
		err = s.InTx(ctx, func(tx *store.Tx) error {
			c, first, err := tx.MarkContactErased(ctx, f.ada.ID)
			if err != nil || first || c.Email != pseudonym(f.ada.ID) {
				t.Errorf("MarkContactErased again = %+v, %v, %v", c, first, err)
			}
			_, _, err = tx.MarkContactErased(ctx, 999999)
			if !errors.Is(err, model.ErrNotFound) {
				t.Errorf("unknown contact: %v", err)
			}
			return tx.AddPrivacyAudit(ctx, store.AuditEntry{Action: "erase", ContactID: &f.ada.ID, Actor: "root@example.com"})
		})
		if err != nil {
			t.Fatal(err)
		}
		audit, err := s.PrivacyAudit(ctx, f.ada.ID)
		if err != nil || len(audit) != 1 || audit[0].Actor != "root@example.com" || audit[0].Detail != "{}" {
			t.Errorf("audit = %+v, %v", audit, err)
		}
	})
}

// Of two concurrent erasures of one contact exactly one does the work.
func TestPrivacyEraseOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		s := dbtest.Open(t, d, fixedClock())
		f := seedPrivacy(t, ctx, s)
		var wg sync.WaitGroup
		firsts := make(chan bool, 4)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := s.InTx(ctx, func(tx *store.Tx) error {
					c, first, err := tx.MarkContactErased(ctx, f.ada.ID)
					if err != nil || !first {
						firsts <- false
						return err
					}
					time.Sleep(20 * time.Millisecond)
					_, err = tx.PseudonymizeContact(ctx, c, pseudonym(c.ID))
					firsts <- true
					return err
				})
				if err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		close(firsts)
		n := 0
		for f := range firsts {
			if f {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d erasures did the work, want 1", n)
		}
	})
}

func TestPrivacyPurgeCandidates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		now := fixedClock()()
		s := dbtest.Open(t, d, fixedClock())
		f := seedPrivacy(t, ctx, s)
		err := s.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.CloseTicket(ctx, f.adas.ID, now.Add(-400*24*time.Hour), 30*24*time.Hour); err != nil {
				return err
			}
			_, err := tx.CloseTicket(ctx, f.bobs.ID, now.Add(-10*24*time.Hour), 30*24*time.Hour)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		cutoff := now.Add(-365 * 24 * time.Hour)
		ids, err := s.PurgeCandidates(ctx, cutoff, 10)
		if err != nil || len(ids) != 1 || ids[0] != f.adas.ID {
			t.Fatalf("PurgeCandidates = %v, %v", ids, err)
		}
		err = s.InTx(ctx, func(tx *store.Tx) error {
			// Bob's ticket is not closed long enough: the gate says no.
			if _, _, ok, err := tx.EraseTicket(ctx, f.bobs.ID, &cutoff, pseudonyms); ok || err != nil {
				t.Errorf("EraseTicket(bob's, cutoff) = %v, %v", ok, err)
			}
			tk, _, ok, err := tx.EraseTicket(ctx, f.adas.ID, &cutoff, pseudonyms)
			if err != nil || !ok || *tk.ContactID != f.ada.ID {
				t.Errorf("EraseTicket(ada's, cutoff) = %+v, %v, %v", tk, ok, err)
			}
			n, err := tx.CountLiveTickets(ctx, f.ada.ID)
			if err != nil || n != 0 {
				t.Errorf("CountLiveTickets = %d, %v", n, err)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if ids, _ := s.PurgeCandidates(ctx, cutoff, 10); len(ids) != 0 {
			t.Errorf("candidates after the purge: %v", ids)
		}
		// A reopened ticket is no candidate however long ago it was closed.
		err = s.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.CloseTicket(ctx, f.bobs.ID, now.Add(-500*24*time.Hour), 30*24*time.Hour); err != nil {
				return err
			}
			_, err := tx.ReopenTicket(ctx, f.bobs.ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if ids, _ := s.PurgeCandidates(ctx, cutoff, 10); len(ids) != 0 {
			t.Errorf("a reopened ticket is a candidate: %v", ids)
		}
	})
}
