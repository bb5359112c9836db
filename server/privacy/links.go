package privacy

import (
	"context"
	"errors"
	"fmt"

	"github.com/portico/portico/server/store"
)

// LinkMinter creates a fresh portal link for (ticket, email); the mail
// delivery worker calls it while composing a mail.
type LinkMinter interface {
	MintPortalURL(ctx context.Context, ticketID int64, email string) (string, error)
}

// ErrMailErased means a mail's recipient was erased while the mail was being
// delivered: no portal link is minted, and the delivery's retry finds the
// mail failed and drops it.
var ErrMailErased = errors.New("the recipient was erased; no portal link for this mail")

// GuardLinks mints portal links only for mails that still wait to be
// delivered. Erasure marks waiting mails failed; without this, a delivery
// already composing when the erasure committed would create a fresh, live
// link under the erased address.
func GuardLinks(next LinkMinter, s *store.Store) LinkMinter { return guardedLinks{next, s} }

type guardedLinks struct {
	next  LinkMinter
	store *store.Store
}

func (g guardedLinks) MintPortalURL(ctx context.Context, ticketID int64, email string) (string, error) {
	pending, err := g.store.MailPendingTo(ctx, ticketID, email)
	if err != nil {
		return "", err
	}
	if !pending {
		return "", fmt.Errorf("privacy: mail about ticket %d: %w", ticketID, ErrMailErased)
	}
	return g.next.MintPortalURL(ctx, ticketID, email)
}
