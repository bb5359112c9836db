package settings

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/validate"
)

const keyPrivacy = "privacy"

// Privacy configures the retention purge. In JSON PurgeAfter is
// "purge_closed_after": "365d", or null when the purge is off.
type Privacy struct {
	// PurgeAfter is how long a closed ticket is kept before the daily purge
	// erases it; 0: never (the default).
	PurgeAfter time.Duration
}

type privacyJSON struct {
	PurgeClosedAfter *string `json:"purge_closed_after"`
}

// MarshalJSON writes the period as "365d", or null when the purge is off.
func (p Privacy) MarshalJSON() ([]byte, error) {
	var j privacyJSON
	if p.PurgeAfter > 0 {
		f := validate.FormatRetention(p.PurgeAfter)
		j.PurgeClosedAfter = &f
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads stored settings; a period that does not parse is an
// error rather than a silently disabled purge.
func (p *Privacy) UnmarshalJSON(b []byte) error {
	var j privacyJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*p = Privacy{}
	if j.PurgeClosedAfter == nil {
		return nil
	}
	d, msg := validate.Retention(*j.PurgeClosedAfter)
	if msg != "" {
		return fmt.Errorf("purge_closed_after %q: %s", *j.PurgeClosedAfter, msg)
	}
	p.PurgeAfter = d
	return nil
}

// PrivacyInput carries what an admin sent: PurgeClosedAfter nil keeps the
// current value, a pointer to "" switches the purge off.
type PrivacyInput struct {
	PurgeClosedAfter *string
}

// Privacy returns the privacy settings (purge off unless set).
func (s *Service) Privacy(ctx context.Context) (Privacy, error) {
	return cached(ctx, s.cache, keyPrivacy, s.loadPrivacy)
}

func (s *Service) loadPrivacy(ctx context.Context) (Privacy, error) {
	var p Privacy
	if _, err := s.load(ctx, keyPrivacy, &p); err != nil {
		return Privacy{}, err
	}
	return p, nil
}

// SetPrivacy validates and stores the privacy settings; an invalid period
// comes back as model.FieldErrors and nothing is stored. The period is
// stored in its shortest form (14d → 2w).
func (s *Service) SetPrivacy(ctx context.Context, in PrivacyInput) (Privacy, error) {
	p, err := s.loadPrivacy(ctx) // from the database, as in SetPortal
	if err != nil {
		return Privacy{}, err
	}
	if in.PurgeClosedAfter != nil {
		v := strings.TrimSpace(*in.PurgeClosedAfter)
		if v == "" {
			p.PurgeAfter = 0
		} else {
			d, msg := validate.Retention(v)
			if msg != "" {
				return Privacy{}, model.FieldErrors{"purge_closed_after": msg}
			}
			p.PurgeAfter = d
		}
	}
	if err := s.save(ctx, keyPrivacy, p); err != nil {
		return Privacy{}, err
	}
	return p, nil
}
