package settings

import (
	"context"
	"strings"
	"time"

	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/validate"
)

const keyPrivacy = "privacy"

// Privacy configures the retention purge.
type Privacy struct {
	// PurgeClosedAfter is how long a closed ticket is kept before the daily
	// purge erases it, in the retention syntax (365d); nil: never (default).
	PurgeClosedAfter *string `json:"purge_closed_after"`
}

// PrivacyInput carries what an admin sent: PurgeClosedAfter nil keeps the
// current value, a pointer to "" switches the purge off.
type PrivacyInput struct {
	PurgeClosedAfter *string
}

// PurgeAfter is the purge period; false when the purge is off.
func (p Privacy) PurgeAfter() (time.Duration, bool) {
	if p.PurgeClosedAfter == nil {
		return 0, false
	}
	d, msg := validate.Retention(*p.PurgeClosedAfter)
	return d, msg == ""
}

// Privacy returns the privacy settings (purge off unless set).
func (s *Service) Privacy(ctx context.Context) (Privacy, error) {
	var p Privacy
	if _, err := s.load(ctx, keyPrivacy, &p); err != nil {
		return Privacy{}, err
	}
	if _, ok := p.PurgeAfter(); !ok {
		p.PurgeClosedAfter = nil
	}
	return p, nil
}

// SetPrivacy validates and stores the privacy settings; an invalid period
// comes back as model.FieldErrors and nothing is stored. The period is
// stored in its shortest form (14d → 2w).
func (s *Service) SetPrivacy(ctx context.Context, in PrivacyInput) (Privacy, error) {
	p, err := s.Privacy(ctx)
	if err != nil {
		return Privacy{}, err
	}
	if in.PurgeClosedAfter != nil {
		v := strings.TrimSpace(*in.PurgeClosedAfter)
		if v == "" {
			p.PurgeClosedAfter = nil
		} else {
			d, msg := validate.Retention(v)
			if msg != "" {
				return Privacy{}, model.FieldErrors{"purge_closed_after": msg}
			}
			f := validate.FormatRetention(d)
			p.PurgeClosedAfter = &f
		}
	}
	if err := s.save(ctx, keyPrivacy, p); err != nil {
		return Privacy{}, err
	}
	return p, nil
}
