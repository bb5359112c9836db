package validate

import (
	"maps"
	"testing"
)

// TestCheckGuestPolicy: what is kept, and which changes are reported (the
// admin API stores the result anyway; start-up refuses any report).
func TestCheckGuestPolicy(t *testing.T) {
	const tpl = "https://app.example/signup?t={token}"
	cases := []struct {
		name               string
		mode, userID, tmpl string
		want               GuestPolicy
		problems           map[string]string
	}{
		{"unassigned", "unassigned", "", "", GuestPolicy{Mode: GuestUnassigned}, nil},
		{"unassigned, JSON nulls", " unassigned ", "null", "null", GuestPolicy{Mode: GuestUnassigned}, nil},
		{"guest user", "guest_user", "42", "", GuestPolicy{Mode: GuestUser, UserID: 42}, nil},
		{"guest user, id in JSON quotes", "guest_user", ` "17" `, "", GuestPolicy{Mode: GuestUser, UserID: 17}, nil},
		{"prompt signup", "prompt_signup", "", "  " + tpl + "  ", GuestPolicy{Mode: GuestPromptSignup, SignupURLTemplate: tpl}, nil},
		{"unknown mode drops everything", "everyone", "5", "t", GuestPolicy{Mode: GuestUnassigned},
			map[string]string{FieldGuestPolicyMode: "must be unassigned, guest_user or prompt_signup"}},
		{"no mode", "", "", "", GuestPolicy{Mode: GuestUnassigned},
			map[string]string{FieldGuestPolicyMode: "must be unassigned, guest_user or prompt_signup"}},
		{"mode is case-sensitive", "Guest_User", "5", "", GuestPolicy{Mode: GuestUnassigned},
			map[string]string{FieldGuestPolicyMode: "must be unassigned, guest_user or prompt_signup"}},
		{"guest user without id", "guest_user", "", "", GuestPolicy{Mode: GuestUser},
			map[string]string{FieldGuestPolicyUserID: "is required in guest_user mode"}},
		{"id zero", "guest_user", "0", "", GuestPolicy{Mode: GuestUser},
			map[string]string{FieldGuestPolicyUserID: "must be a positive whole number"}},
		{"id negative", "guest_user", "-3", "", GuestPolicy{Mode: GuestUser},
			map[string]string{FieldGuestPolicyUserID: "must be a positive whole number"}},
		{"id fraction", "guest_user", "1.5", "", GuestPolicy{Mode: GuestUser},
			map[string]string{FieldGuestPolicyUserID: "must be a positive whole number"}},
		{"id text", "guest_user", "abc", "", GuestPolicy{Mode: GuestUser},
			map[string]string{FieldGuestPolicyUserID: "must be a positive whole number"}},
		{"id overflow", "guest_user", "9223372036854775808", "", GuestPolicy{Mode: GuestUser},
			map[string]string{FieldGuestPolicyUserID: "must be a positive whole number"}},
		{"template in guest user mode", "guest_user", "42", tpl, GuestPolicy{Mode: GuestUser, UserID: 42},
			map[string]string{FieldGuestPolicyTemplate: "is only used in prompt_signup mode"}},
		{"id in prompt signup mode", "prompt_signup", "42", tpl, GuestPolicy{Mode: GuestPromptSignup, SignupURLTemplate: tpl},
			map[string]string{FieldGuestPolicyUserID: "is only used in guest_user mode"}},
		{"id in unassigned mode", "unassigned", "42", "", GuestPolicy{Mode: GuestUnassigned},
			map[string]string{FieldGuestPolicyUserID: "is only used in guest_user mode"}},
		{"prompt signup without template", "prompt_signup", "", "   ", GuestPolicy{Mode: GuestPromptSignup},
			map[string]string{FieldGuestPolicyTemplate: "is required in prompt_signup mode"}},
		{"template of 500 characters", "prompt_signup", "", r("ü", 500), GuestPolicy{Mode: GuestPromptSignup, SignupURLTemplate: r("ü", 500)}, nil},
		{"template cut at 500 characters", "prompt_signup", "", r("ü", 501), GuestPolicy{Mode: GuestPromptSignup, SignupURLTemplate: r("ü", 500)},
			map[string]string{FieldGuestPolicyTemplate: msgTooLong500}},
	}
	for _, c := range cases {
		got, problems := CheckGuestPolicy(c.mode, c.userID, c.tmpl)
		if got != c.want {
			t.Errorf("%s: got %q/%d/%q, want %q/%d/%q", c.name, got.Mode, got.UserID, short(got.SignupURLTemplate),
				c.want.Mode, c.want.UserID, short(c.want.SignupURLTemplate))
		}
		if c.problems == nil {
			c.problems = map[string]string{}
		}
		if !maps.Equal(problems, c.problems) {
			t.Errorf("%s: problems %v, want %v", c.name, problems, c.problems)
		}
	}
}
