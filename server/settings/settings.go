// Package settings holds the runtime settings that admins change while
// portico runs (guest policy, portal, widget, inbound, privacy). They are
// stored in the database, validated or coerced here, never in a handler, and
// cached as decoded: a write drops the cache of this instance when it
// commits and, through PostgreSQL's NOTIFY, of every other instance a moment
// later (see cache.go).
package settings

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/portico/portico/server/i18n"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
	"github.com/portico/portico/server/validate"
)

// Guest policy modes (the rule is validate.CheckGuestPolicy).
const (
	ModeUnassigned   = validate.GuestUnassigned
	ModeGuestUser    = validate.GuestUser
	ModePromptSignup = validate.GuestPromptSignup
)

// MaxSignupURLTemplate is the longest signup URL template kept, in characters.
const MaxSignupURLTemplate = validate.MaxSignupURLTemplate

// Where the guest policy in force comes from (GuestPolicyState.Source).
const (
	// SourceDefault: no guest policy was saved; the start-up default
	// (PORTICO_GUEST_POLICY_*, else unassigned) is in force.
	SourceDefault = "default"
	// SourceSaved: an admin saved one; it wins over the start-up default.
	SourceSaved = "saved"
)

const (
	keyGuestPolicy = "guest_policy"
	keyPortal      = "portal"
	keyWidget      = "widget"
)

// GuestPolicy decides who a ticket filed without an account belongs to.
type GuestPolicy struct {
	Mode string `json:"guest_policy_mode"`
	// UserID is the host-app user that guest tickets are filed under in
	// guest_user mode.
	UserID *int64 `json:"guest_policy_user_id"`
	// SignupURLTemplate is the invitation link of prompt_signup mode; {token}
	// is replaced by a signup token.
	SignupURLTemplate *string `json:"guest_policy_signup_url_template"`
}

// GuestPolicyState is the guest policy in force, where it comes from, and
// the start-up default that a reset brings back. In JSON the policy's fields
// come first, then "source" and "default".
type GuestPolicyState struct {
	GuestPolicy
	Source  string      `json:"source"`
	Default GuestPolicy `json:"default"`
}

// GuestPolicyInput is what an admin sent, before coercion. UserID is the raw
// text of the JSON value (a number, a string, or empty).
type GuestPolicyInput struct {
	Mode              string
	UserID            string
	SignupURLTemplate string
}

// Portal configures the customer portal. In JSON (stored and in the admin
// API) Retention is written in the retention syntax, "retention_after_close":
// "30d"; it is parsed once, when the settings are read.
type Portal struct {
	Enabled    bool
	AllowReply bool
	// Retention is how long a portal link keeps working after its ticket
	// closed (model.PortalLink.State applies it).
	Retention time.Duration
	// StatusMails: the customer is mailed when their ticket closes (with
	// "How did we do?") and when it opens again.
	StatusMails bool
	// DefaultLanguage is what pages and mails speak to a customer whose
	// language is unknown (no data-locale, no Accept-Language portico
	// speaks, nothing stored on the contact); one of i18n.Languages.
	DefaultLanguage string
}

type portalJSON struct {
	Enabled             bool   `json:"enabled"`
	AllowReply          bool   `json:"allow_reply"`
	RetentionAfterClose string `json:"retention_after_close"`
	StatusMails         bool   `json:"status_mails"`
	DefaultLanguage     string `json:"default_language"`
}

// MarshalJSON writes the retention as "30d".
func (p Portal) MarshalJSON() ([]byte, error) {
	return json.Marshal(portalJSON{Enabled: p.Enabled, AllowReply: p.AllowReply,
		RetentionAfterClose: validate.FormatRetention(p.Retention), StatusMails: p.StatusMails, DefaultLanguage: p.DefaultLanguage})
}

// UnmarshalJSON reads stored settings; fields left out keep p's values, and a
// retention that does not parse is an error rather than a silent zero.
func (p *Portal) UnmarshalJSON(b []byte) error {
	j := portalJSON{Enabled: p.Enabled, AllowReply: p.AllowReply, RetentionAfterClose: validate.FormatRetention(p.Retention),
		StatusMails: p.StatusMails, DefaultLanguage: p.DefaultLanguage}
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	d, msg := validate.Retention(j.RetentionAfterClose)
	if msg != "" {
		return fmt.Errorf("retention_after_close %q: %s", j.RetentionAfterClose, msg)
	}
	if !i18n.Supported(j.DefaultLanguage) {
		j.DefaultLanguage = i18n.Default // a language a later version dropped
	}
	*p = Portal{Enabled: j.Enabled, AllowReply: j.AllowReply, Retention: d, StatusMails: j.StatusMails, DefaultLanguage: j.DefaultLanguage}
	return nil
}

// PortalInput carries the fields an admin sent; nil keeps the current value.
type PortalInput struct {
	Enabled             *bool
	AllowReply          *bool
	RetentionAfterClose *string
	StatusMails         *bool
	DefaultLanguage     *string
}

// Widget configures the support widget.
type Widget struct {
	Color          string   `json:"color"`
	Position       string   `json:"position"`
	Title          string   `json:"title"`
	Greeting       string   `json:"greeting"`
	AllowedOrigins []string `json:"allowed_origins"`
	Priorities     []string `json:"priorities"`
}

// WidgetInput carries the fields an admin sent; nil keeps the current value.
type WidgetInput struct {
	Color          *string
	Position       *string
	Title          *string
	Greeting       *string
	AllowedOrigins []string
	Priorities     []string
}

// Limits of the widget's free texts, in characters.
const (
	MaxWidgetTitle    = 80
	MaxWidgetGreeting = 500
)

// PorticoTitle and PorticoGreeting report whether the widget's title and
// greeting are still the ones portico came with, which each language
// translates; an admin's own words are shown as written in every language.
func (w Widget) PorticoTitle() bool { return w.Title == DefaultWidget().Title }

// PorticoGreeting: see PorticoTitle.
func (w Widget) PorticoGreeting() bool { return w.Greeting == DefaultWidget().Greeting }

// DefaultPortal is the portal before an admin changes anything.
func DefaultPortal() Portal {
	return Portal{Enabled: true, AllowReply: true, Retention: 30 * 24 * time.Hour, StatusMails: true, DefaultLanguage: i18n.Default}
}

// DefaultWidget is the widget before an admin changes anything. It is a
// function because json.Unmarshal reuses a slice's backing array: a shared
// default would be overwritten by the first stored value.
func DefaultWidget() Widget {
	return Widget{
		Color:          "#4F46E5",
		Position:       "bottom-right",
		Title:          "Contact support",
		Greeting:       "Hi! How can we help? We usually answer within a day.",
		AllowedOrigins: []string{"*"},
		Priorities:     []string{"low", "medium", "high", "urgent"},
	}
}

// Service reads and writes runtime settings.
type Service struct {
	store *store.Store
	cache *cache
	log   *slog.Logger
	// guestDefault is in force while no guest policy is saved.
	guestDefault GuestPolicy
}

// New returns the settings service. Its cache is in use at once on SQLite;
// on PostgreSQL once Run listens.
func New(s *store.Store, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = DefaultMaxAge
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	// Checked at start-up already (server/config); coerced again so that a
	// caller passing a zero value gets unassigned.
	def, _ := validate.CheckGuestPolicy(opts.GuestPolicy.Mode, userIDText(opts.GuestPolicy.UserID), opts.GuestPolicy.SignupURLTemplate)
	svc := &Service{store: s, cache: newCache(opts.Now, opts.MaxAge, !s.SettingsShared()), log: opts.Log,
		guestDefault: guestPolicyOf(def)}
	s.OnSettingsCommit(svc.cache.invalidate)
	return svc
}

// entryIntake is the cache entry of Intake; the other getters' entries are
// named by their setting's key. Cached values are never handed out, only
// copies (clone).
const entryIntake = "intake"

func (s *Service) load(ctx context.Context, key string, into any) (bool, error) {
	raw, err := s.store.Setting(ctx, key)
	if errors.Is(err, model.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal([]byte(raw), into); err != nil {
		return false, fmt.Errorf("settings: stored %s is not valid JSON: %w", key, err)
	}
	return true, nil
}

func (s *Service) save(ctx context.Context, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("settings: encode %s: %w", key, err)
	}
	return s.store.InTx(ctx, func(tx *store.Tx) error { return tx.PutSetting(ctx, key, string(raw)) })
}

type intake struct {
	widget Widget
	policy GuestPolicy
}

// Intake returns the widget settings and the guest policy together (one
// query when not cached): what filing a ticket needs.
func (s *Service) Intake(ctx context.Context) (Widget, GuestPolicy, error) {
	in, err := cached(ctx, s.cache, entryIntake, s.loadIntake)
	if err != nil {
		return Widget{}, GuestPolicy{}, err
	}
	return in.widget.clone(), in.policy.clone(), nil
}

func (s *Service) loadIntake(ctx context.Context) (intake, error) {
	raw, err := s.store.SettingsPair(ctx, keyWidget, keyGuestPolicy)
	if err != nil {
		return intake{}, err
	}
	w := DefaultWidget()
	if v, ok := raw[keyWidget]; ok {
		if err := json.Unmarshal([]byte(v), &w); err != nil {
			return intake{}, fmt.Errorf("settings: stored %s is not valid JSON: %w", keyWidget, err)
		}
	}
	p := s.guestDefault
	if v, ok := raw[keyGuestPolicy]; ok {
		p = GuestPolicy{}
		if err := json.Unmarshal([]byte(v), &p); err != nil {
			return intake{}, fmt.Errorf("settings: stored %s is not valid JSON: %w", keyGuestPolicy, err)
		}
		p = p.coerce()
	}
	return intake{widget: w, policy: p.clone()}, nil
}

// GuestPolicy returns the guest policy in force: the saved one, else the
// start-up default.
func (s *Service) GuestPolicy(ctx context.Context) (GuestPolicy, error) {
	st, err := s.GuestPolicyState(ctx)
	return st.GuestPolicy, err
}

// GuestPolicyState returns the guest policy in force with its source and the
// start-up default.
func (s *Service) GuestPolicyState(ctx context.Context) (GuestPolicyState, error) {
	st, err := cached(ctx, s.cache, keyGuestPolicy, s.loadGuestPolicy)
	return st.clone(), err
}

func (s *Service) loadGuestPolicy(ctx context.Context) (GuestPolicyState, error) {
	var p GuestPolicy
	saved, err := s.load(ctx, keyGuestPolicy, &p)
	if err != nil {
		return GuestPolicyState{}, err
	}
	if !saved {
		return s.state(s.guestDefault, SourceDefault), nil
	}
	return s.state(p.coerce(), SourceSaved), nil
}

func (s *Service) state(p GuestPolicy, source string) GuestPolicyState {
	return GuestPolicyState{GuestPolicy: p.clone(), Source: source, Default: s.guestDefault.clone()}
}

// SetGuestPolicy coerces and stores a guest policy, which from then on wins
// over the start-up default. It never fails on the admin's values
// (validate.CheckGuestPolicy says how they are read; the admin sees what was
// kept).
func (s *Service) SetGuestPolicy(ctx context.Context, in GuestPolicyInput) (GuestPolicyState, error) {
	v, _ := validate.CheckGuestPolicy(in.Mode, in.UserID, in.SignupURLTemplate)
	p := guestPolicyOf(v)
	if err := s.save(ctx, keyGuestPolicy, p); err != nil {
		return GuestPolicyState{}, err
	}
	return s.state(p, SourceSaved), nil
}

// ResetGuestPolicy forgets the saved guest policy, so that the start-up
// default is in force again (on every instance: deleting the row drops the
// caches as a save does). Without a saved policy it changes nothing.
func (s *Service) ResetGuestPolicy(ctx context.Context) (GuestPolicyState, error) {
	if err := s.store.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteSetting(ctx, keyGuestPolicy) }); err != nil {
		return GuestPolicyState{}, err
	}
	return s.state(s.guestDefault, SourceDefault), nil
}

// clone copies what the pointers point at, so that a caller changing its
// copy does not change the cache.
func (p GuestPolicy) clone() GuestPolicy {
	if p.UserID != nil {
		id := *p.UserID
		p.UserID = &id
	}
	if p.SignupURLTemplate != nil {
		tpl := *p.SignupURLTemplate
		p.SignupURLTemplate = &tpl
	}
	return p
}

func (st GuestPolicyState) clone() GuestPolicyState {
	st.GuestPolicy = st.GuestPolicy.clone()
	st.Default = st.Default.clone()
	return st
}

// coerce applies the rule to a stored policy, which was coerced when saved
// but may come from an older version or an edit by hand.
func (p GuestPolicy) coerce() GuestPolicy {
	tpl := ""
	if p.SignupURLTemplate != nil {
		tpl = *p.SignupURLTemplate
	}
	id := int64(0)
	if p.UserID != nil {
		id = *p.UserID
	}
	v, _ := validate.CheckGuestPolicy(p.Mode, userIDText(id), tpl)
	return guestPolicyOf(v)
}

// guestPolicyOf is the checked policy as stored and answered: fields not
// set are null.
func guestPolicyOf(v validate.GuestPolicy) GuestPolicy {
	p := GuestPolicy{Mode: v.Mode}
	if v.UserID > 0 {
		id := v.UserID
		p.UserID = &id
	}
	if v.SignupURLTemplate != "" {
		tpl := v.SignupURLTemplate
		p.SignupURLTemplate = &tpl
	}
	return p
}

// userIDText is a user id as CheckGuestPolicy reads it; 0 is none.
func userIDText(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// Portal returns the portal settings.
func (s *Service) Portal(ctx context.Context) (Portal, error) {
	return cached(ctx, s.cache, keyPortal, s.loadPortal)
}

func (s *Service) loadPortal(ctx context.Context) (Portal, error) {
	p := DefaultPortal()
	if _, err := s.load(ctx, keyPortal, &p); err != nil {
		return Portal{}, err
	}
	return p, nil
}

// SetPortal validates and stores the portal settings; invalid fields come
// back as model.FieldErrors and nothing is stored.
func (s *Service) SetPortal(ctx context.Context, in PortalInput) (Portal, error) {
	// Changes start from the database, not from the cache, which may not
	// have heard of another instance's change yet.
	p, err := s.loadPortal(ctx)
	if err != nil {
		return Portal{}, err
	}
	if in.Enabled != nil {
		p.Enabled = *in.Enabled
	}
	if in.AllowReply != nil {
		p.AllowReply = *in.AllowReply
	}
	if in.StatusMails != nil {
		p.StatusMails = *in.StatusMails
	}
	if in.DefaultLanguage != nil {
		if !i18n.Supported(*in.DefaultLanguage) {
			return Portal{}, model.FieldErrors{"default_language": "must be one of: " + strings.Join(i18n.Languages, ", ")}
		}
		p.DefaultLanguage = *in.DefaultLanguage
	}
	if in.RetentionAfterClose != nil {
		d, msg := validate.Retention(strings.TrimSpace(*in.RetentionAfterClose))
		if msg != "" {
			return Portal{}, model.FieldErrors{"retention_after_close": msg}
		}
		p.Retention = d
	}
	if err := s.save(ctx, keyPortal, p); err != nil {
		return Portal{}, err
	}
	return p, nil
}

// Widget returns the widget settings.
func (s *Service) Widget(ctx context.Context) (Widget, error) {
	w, err := cached(ctx, s.cache, keyWidget, s.loadWidget)
	return w.clone(), err
}

func (s *Service) loadWidget(ctx context.Context) (Widget, error) {
	w := DefaultWidget()
	if _, err := s.load(ctx, keyWidget, &w); err != nil {
		return Widget{}, err
	}
	return w, nil
}

// SetWidget validates and stores the widget settings.
func (s *Service) SetWidget(ctx context.Context, in WidgetInput) (Widget, error) {
	w, err := s.loadWidget(ctx) // from the database, as in SetPortal
	if err != nil {
		return Widget{}, err
	}
	errs := model.FieldErrors{}
	if in.Color != nil {
		c := strings.TrimSpace(*in.Color)
		if msg := validate.Color(c); msg != "" {
			errs["color"] = msg
		}
		w.Color = strings.ToUpper(c)
	}
	if in.Position != nil {
		p := strings.TrimSpace(*in.Position)
		if msg := validate.Position(p); msg != "" {
			errs["position"] = msg
		}
		w.Position = p
	}
	if in.Title != nil {
		w.Title = strings.TrimSpace(*in.Title)
		if n := utf8.RuneCountInString(w.Title); n == 0 || n > MaxWidgetTitle {
			errs["title"] = "must be 1 to " + strconv.Itoa(MaxWidgetTitle) + " characters"
		}
	}
	if in.Greeting != nil {
		w.Greeting = strings.TrimSpace(*in.Greeting)
		if utf8.RuneCountInString(w.Greeting) > MaxWidgetGreeting {
			errs["greeting"] = "must be at most " + strconv.Itoa(MaxWidgetGreeting) + " characters"
		}
	}
	if in.AllowedOrigins != nil {
		w.AllowedOrigins = trimAll(in.AllowedOrigins)
		if len(w.AllowedOrigins) == 0 {
			errs["allowed_origins"] = `must list at least one origin, or "*" for any`
		}
		for _, o := range w.AllowedOrigins {
			if msg := validate.Origin(o); msg != "" {
				errs["allowed_origins"] = strconv.Quote(o) + " " + msg
				break
			}
		}
	}
	if in.Priorities != nil {
		w.Priorities = trimAll(in.Priorities)
		if msg := validate.Priorities(w.Priorities); msg != "" {
			errs["priorities"] = msg
		}
	}
	if len(errs) > 0 {
		return Widget{}, errs
	}
	if err := s.save(ctx, keyWidget, w); err != nil {
		return Widget{}, err
	}
	return w, nil
}

// clone copies the slices, so that a caller changing its copy does not
// change the cache.
func (w Widget) clone() Widget {
	w.AllowedOrigins = slices.Clone(w.AllowedOrigins)
	w.Priorities = slices.Clone(w.Priorities)
	return w
}

func trimAll(list []string) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// OriginAllowed reports whether a browser origin may use the widget API.
func (w Widget) OriginAllowed(origin string) bool {
	for _, o := range w.AllowedOrigins {
		if o == "*" || strings.EqualFold(o, origin) {
			return true
		}
	}
	return false
}

// DefaultPriority is the priority of a ticket filed without one: medium if
// offered, else the first offered.
func (w Widget) DefaultPriority() string {
	for _, p := range w.Priorities {
		if p == "medium" {
			return p
		}
	}
	if len(w.Priorities) > 0 {
		return w.Priorities[0]
	}
	return "medium"
}
