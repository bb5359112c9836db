package settings

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/portico/portico/server/model"
)

const keyDesk = "github_desk"

// Where agents work on GitHub: each new ticket is mirrored to an issue or to
// a discussion in a category.
const (
	DeskIssues      = "issues"
	DeskDiscussions = "discussions"
)

// MaxDiscussionCategory bounds the category name or slug, in characters.
const MaxDiscussionCategory = 100

// Desk says where new tickets are mirrored on GitHub. In JSON (stored and
// in the admin API): {"desk": "issues", "discussion_category": null}.
type Desk struct {
	Mode string
	// DiscussionCategory is the name or slug of the category new
	// discussions go to ("" when none is set); required in discussions
	// mode, kept while the desk is issues.
	DiscussionCategory string
}

type deskJSON struct {
	Mode               string  `json:"desk"`
	DiscussionCategory *string `json:"discussion_category"`
}

// MarshalJSON writes an empty category as null.
func (d Desk) MarshalJSON() ([]byte, error) {
	j := deskJSON{Mode: d.Mode}
	if d.DiscussionCategory != "" {
		j.DiscussionCategory = &d.DiscussionCategory
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the stored setting; an unknown mode reads as issues.
func (d *Desk) UnmarshalJSON(b []byte) error {
	var j deskJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*d = Desk{Mode: j.Mode}
	if j.DiscussionCategory != nil {
		d.DiscussionCategory = *j.DiscussionCategory
	}
	if d.Mode != DeskDiscussions {
		d.Mode = DeskIssues
	}
	return nil
}

// DeskInput carries what an admin sent: nil keeps the current value; a
// DiscussionCategory of "" clears it.
type DeskInput struct {
	Mode               *string
	DiscussionCategory *string
}

// DeskCheck looks at a desk setting that passed the field rules before it
// is stored (the GitHub sync resolves the category there) and returns what
// to store, or why not (model.FieldErrors, or another error: nothing is
// stored either way).
type DeskCheck func(ctx context.Context, d Desk) (Desk, error)

// Desk returns the desk setting (issues unless set).
func (s *Service) Desk(ctx context.Context) (Desk, error) {
	return cached(ctx, s.cache, keyDesk, s.loadDesk)
}

func (s *Service) loadDesk(ctx context.Context) (Desk, error) {
	d := Desk{Mode: DeskIssues}
	if _, err := s.load(ctx, keyDesk, &d); err != nil {
		return Desk{}, err
	}
	return d, nil
}

// SetDesk validates the fields sent, runs check (when not nil) on the
// result and stores what it returns. Invalid fields come back as
// model.FieldErrors and nothing is stored.
func (s *Service) SetDesk(ctx context.Context, in DeskInput, check DeskCheck) (Desk, error) {
	d, err := s.loadDesk(ctx) // from the database, as in SetPortal
	if err != nil {
		return Desk{}, err
	}
	errs := model.FieldErrors{}
	if in.Mode != nil {
		switch m := strings.TrimSpace(*in.Mode); m {
		case DeskIssues, DeskDiscussions:
			d.Mode = m
		default:
			errs["desk"] = `must be "issues" or "discussions"`
		}
	}
	if in.DiscussionCategory != nil {
		c := strings.TrimSpace(*in.DiscussionCategory)
		switch {
		case utf8.RuneCountInString(c) > MaxDiscussionCategory:
			errs["discussion_category"] = "must be at most " + strconv.Itoa(MaxDiscussionCategory) + " characters"
		case strings.ContainsFunc(c, unicode.IsControl):
			errs["discussion_category"] = "must be one line without control characters"
		}
		d.DiscussionCategory = c
	}
	if _, bad := errs["discussion_category"]; !bad && d.Mode == DeskDiscussions && d.DiscussionCategory == "" {
		errs["discussion_category"] = `is required with desk "discussions" (a category's name or slug)`
	}
	if len(errs) > 0 {
		return Desk{}, errs
	}
	if check != nil {
		if d, err = check(ctx, d); err != nil {
			return Desk{}, err
		}
	}
	if err := s.save(ctx, keyDesk, d); err != nil {
		return Desk{}, err
	}
	return d, nil
}
