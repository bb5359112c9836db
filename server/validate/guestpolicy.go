package validate

import "strconv"

// Guest policy modes: who a ticket filed without an account belongs to.
const (
	GuestUnassigned   = "unassigned"
	GuestUser         = "guest_user"
	GuestPromptSignup = "prompt_signup"
)

// MaxSignupURLTemplate is the longest signup URL template kept, in characters.
const MaxSignupURLTemplate = 500

// Field names of the guest policy, as the admin API spells them; the keys of
// the problems CheckGuestPolicy reports.
const (
	FieldGuestPolicyMode     = "guest_policy_mode"
	FieldGuestPolicyUserID   = "guest_policy_user_id"
	FieldGuestPolicyTemplate = "guest_policy_signup_url_template"
)

// GuestPolicy is a guest policy after CheckGuestPolicy: Mode is one of the
// three modes, and only that mode's field may be set.
type GuestPolicy struct {
	Mode string
	// UserID is the host-app user guest tickets are filed under (guest_user);
	// 0 means none.
	UserID int64
	// SignupURLTemplate is the invitation link of prompt_signup, {token}
	// standing for the signup token; "" means none.
	SignupURLTemplate string
}

// CheckGuestPolicy is the one rule of the guest policy, for the admin API
// and for the start-up default (PORTICO_GUEST_POLICY_*). It returns the
// policy as it would be stored: the mode trimmed, an unknown mode read as
// unassigned, the user id a positive integer (a number, or a number in JSON
// quotes) or none, the template trimmed and cut to 500 characters, and the
// other modes' fields cleared. Each field the coercion had to change, or that
// the mode needs and lacks, is reported with a message that follows the
// field's label. The admin API stores the result whatever the problems (an
// admin sees what was kept); start-up refuses any problem, since nobody
// watches a configuration file being read.
//
// An empty user id or template, or JSON null, counts as not given.
func CheckGuestPolicy(mode, userID, template string) (GuestPolicy, map[string]string) {
	problems := map[string]string{}
	p := GuestPolicy{Mode: Trim(mode)}
	switch p.Mode {
	case GuestUnassigned, GuestUser, GuestPromptSignup:
	default:
		// The other fields meant something in a mode nobody knows: they are
		// dropped without a word of their own.
		problems[FieldGuestPolicyMode] = "must be " + GuestUnassigned + ", " + GuestUser + " or " + GuestPromptSignup
		return GuestPolicy{Mode: GuestUnassigned}, problems
	}

	userID = Trim(userID)
	if userID == "null" {
		userID = ""
	}
	switch {
	case userID == "" && p.Mode == GuestUser:
		problems[FieldGuestPolicyUserID] = "is required in " + GuestUser + " mode"
	case userID == "":
	case p.Mode != GuestUser:
		problems[FieldGuestPolicyUserID] = "is only used in " + GuestUser + " mode"
	default:
		if id, ok := positiveInt(userID); ok {
			p.UserID = id
		} else {
			problems[FieldGuestPolicyUserID] = "must be a positive whole number"
		}
	}

	template = Trim(template)
	if template == "null" {
		template = ""
	}
	switch {
	case template == "" && p.Mode == GuestPromptSignup:
		problems[FieldGuestPolicyTemplate] = "is required in " + GuestPromptSignup + " mode"
	case template == "":
	case p.Mode != GuestPromptSignup:
		problems[FieldGuestPolicyTemplate] = "is only used in " + GuestPromptSignup + " mode"
	default:
		if Runes(template) > MaxSignupURLTemplate {
			problems[FieldGuestPolicyTemplate] = tooLong(MaxSignupURLTemplate)
			template = cutRunes(template, MaxSignupURLTemplate)
		}
		p.SignupURLTemplate = template
	}
	return p, problems
}

// positiveInt reads a decimal number, bare or in JSON quotes; anything else
// (text, fractions, zero, negatives, overflow) is not a user id.
func positiveInt(s string) (int64, bool) {
	if unq, err := strconv.Unquote(s); err == nil {
		s = Trim(unq)
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, false
	}
	return id, true
}

// cutRunes keeps the first n characters of s.
func cutRunes(s string, n int) string {
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}
