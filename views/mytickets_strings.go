package views

import (
	"fmt"
	"time"
)

// MyTicketsPath is the "My tickets" page: a customer asks there for a
// sign-in link to the list of their requests (issue 17).
const MyTicketsPath = "/portal"

// MyTicketsStrings are the texts of the "My tickets" pages.
type MyTicketsStrings struct {
	Link         string `msg:"portal.mytickets.link"` // the link to MyTicketsPath on other pages
	Title        string `msg:"portal.mytickets.title"`
	Intro        string `msg:"portal.mytickets.intro"`
	EmailLabel   string `msg:"portal.mytickets.email_label"`
	EmailHint    string `msg:"portal.mytickets.email_hint"`
	Send         string `msg:"portal.mytickets.send"`
	SentHeading  string `msg:"portal.mytickets.sent_heading"`
	SentText     string `msg:"portal.mytickets.sent_text"`
	OtherAddress string `msg:"portal.mytickets.other_address"`
	FixEmail     string `msg:"portal.mytickets.fix_email"`
	FormExpired  string `msg:"portal.mytickets.form_expired"`
	TooMany      string `msg:"portal.mytickets.too_many"`
	Unavailable  string `msg:"portal.mytickets.unavailable"`
	Ended        string `msg:"portal.mytickets.ended"`
	SignedOut    string `msg:"portal.mytickets.signed_out"`
	SigninTitle  string `msg:"portal.mytickets.signin_title"`
	SigninText   string `msg:"portal.mytickets.signin_text"`
	Continue     string `msg:"portal.mytickets.continue"`
	GoneTitle    string `msg:"portal.mytickets.gone_title"`
	GoneText     string `msg:"portal.mytickets.gone_text"`
	NotFoundText string `msg:"portal.mytickets.not_found_text"`
	NewLink      string `msg:"portal.mytickets.new_link"`
	ListTitle    string `msg:"portal.mytickets.list_title"`
	ListIntro    string `msg:"portal.mytickets.list_intro"` // %s: the address, in bold
	None         string `msg:"portal.mytickets.none"`
	ColActivity  string `msg:"portal.mytickets.last_activity"`
	LinkRevoked  string `msg:"portal.mytickets.link_revoked"`
	LinkExpired  string `msg:"portal.mytickets.link_expired"`
	More         string `msg:"portal.mytickets.more"`
	SessionEnds  string `msg:"portal.mytickets.session_ends"` // %s: date and time
	SignOut      string `msg:"portal.mytickets.sign_out"`
}

// SignedOutAt is the sentence saying when the session ends.
func (s Strings) SignedOutAt(t time.Time) string {
	return fmt.Sprintf(s.MyTickets.SessionEnds, s.When(t))
}
