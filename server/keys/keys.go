// Package keys gives every signature its own key. Internal signatures (reply
// addresses, signup tokens) use keys derived from the master secret
// (PORTICO_SECRET_KEY) by HKDF-SHA256, one info label per purpose, so a
// signature made for one purpose never verifies for another. Host apps sign
// requester ids with a key of their own (PORTICO_REQUESTER_SIGNING_KEY) and
// never hold the master secret.
package keys

import (
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"time"
)

// HKDF info labels, one per purpose. Changing one invalidates every
// signature of that purpose already handed out: add a v2 label instead.
const (
	LabelReplyAddress = "portico reply-address v1"
	LabelSignup       = "portico signup-token v1"
	// LabelPortalForm signs the anti-forgery tokens of portal forms ("My
	// tickets", the rating), each form with its own message prefix.
	LabelPortalForm = "portico portal-form v1"
	// LabelAttachmentURL signs the expiring attachment links GitHub shows.
	LabelAttachmentURL = "portico attachment-url v1"
)

// Options are what a Ring is built from.
type Options struct {
	// Master is the master secret; it never signs anything itself.
	Master []byte
	// Requester is the host apps' key for requester_signature; empty: the
	// widget refuses signed requester ids.
	Requester []byte
	// Since is when this instance's database first used derived keys
	// (stored, so every instance and restart agrees).
	Since time.Time
	// Grace is how long after Since signatures made the old way (with the
	// master secret itself) are still accepted; 0: never.
	Grace time.Duration
}

// Ring holds the keys of one running instance. Build it once (app.build) and
// pass it to whatever signs or verifies.
type Ring struct {
	replyAddress, signup []byte
	attachmentURL        []byte
	portalForm           []byte
	requester            []byte
	master               []byte
	since, until         time.Time
}

// New derives the purpose keys from the master secret.
func New(o Options) (*Ring, error) {
	if len(o.Master) == 0 {
		return nil, errors.New("keys: no master secret")
	}
	// Equal keys would make a host app's requester signature for id N the
	// old-style (legacy) signature of reply address N again.
	if len(o.Requester) > 0 && subtle.ConstantTimeCompare(o.Requester, o.Master) == 1 {
		return nil, errors.New("PORTICO_REQUESTER_SIGNING_KEY must differ from the secret key (PORTICO_SECRET_KEY or the generated one): give host apps a new key")
	}
	if o.Grace < 0 {
		return nil, errors.New("keys: negative grace")
	}
	r := &Ring{requester: o.Requester, master: o.Master, since: o.Since}
	if o.Grace > 0 {
		r.until = o.Since.Add(o.Grace)
	}
	var err error
	if r.replyAddress, err = derive(o.Master, LabelReplyAddress); err != nil {
		return nil, err
	}
	if r.signup, err = derive(o.Master, LabelSignup); err != nil {
		return nil, err
	}
	if r.attachmentURL, err = derive(o.Master, LabelAttachmentURL); err != nil {
		return nil, err
	}
	if r.portalForm, err = derive(o.Master, LabelPortalForm); err != nil {
		return nil, err
	}
	return r, nil
}

// derive is HKDF-SHA256 without salt (the master secret is already random or
// at least 32 characters; the label is what separates the keys).
func derive(master []byte, label string) ([]byte, error) {
	k, err := hkdf.Key(sha256.New, master, nil, label, sha256.Size)
	if err != nil {
		return nil, fmt.Errorf("keys: derive %q: %w", label, err)
	}
	return k, nil
}

// ReplyAddress signs and verifies reply+<ticket>.<mac>@ addresses.
func (r *Ring) ReplyAddress() []byte { return r.replyAddress }

// Signup signs and verifies signup tokens.
func (r *Ring) Signup() []byte { return r.signup }

// AttachmentURL signs and verifies expiring attachment links.
func (r *Ring) AttachmentURL() []byte { return r.attachmentURL }

// PortalForm signs the anti-forgery tokens of portal forms: the "My tickets"
// forms ("portal-form:" + cookie) and the rating form ("rate:" + link and
// expiry).
func (r *Ring) PortalForm() []byte { return r.portalForm }

// Requester verifies host apps' requester_signature; nil when not configured.
func (r *Ring) Requester() []byte {
	if len(r.requester) == 0 {
		return nil
	}
	return r.requester
}

// Legacy returns the key that signed before derived keys existed (the master
// secret itself) while the grace lasts at now, and nil after it. Callers
// accept a legacy signature only on something made before Since.
func (r *Ring) Legacy(now time.Time) []byte {
	if r.until.IsZero() || !now.Before(r.until) {
		return nil
	}
	return r.master
}

// Since is when derived keys took over.
func (r *Ring) Since() time.Time { return r.since }

// LegacyUntil is when the grace ends (zero: no grace).
func (r *Ring) LegacyUntil() time.Time { return r.until }

// LegacyFor is Legacy for something made at made (a ticket whose reply
// address is checked, a signup token by its issue time): the master secret
// while the grace lasts and only for what existed before derived keys took
// over, so a signature made the old way never opens anything newer.
func (r *Ring) LegacyFor(made, now time.Time) []byte {
	if !made.Before(r.since) {
		return nil
	}
	return r.Legacy(now)
}
