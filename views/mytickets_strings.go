package views

// MyTicketsPath is the "My tickets" page: a customer asks there for a
// sign-in link to the list of their requests (issue 17).
const MyTicketsPath = "/portal"

// MyTicketsStrings are the texts of the "My tickets" pages.
type MyTicketsStrings struct {
	Link         string // the link to MyTicketsPath on other pages
	Title        string
	Intro        string
	EmailLabel   string
	EmailHint    string
	Send         string
	SentHeading  string
	SentText     string
	OtherAddress string
	FixEmail     string
	FormExpired  string
	TooMany      string
	Unavailable  string
	Ended        string
	SignedOut    string
	SigninTitle  string
	SigninText   string
	Continue     string
	GoneTitle    string
	GoneText     string
	NotFoundText string
	NewLink      string
	ListTitle    string
	ListIntro    string
	None         string
	ColActivity  string
	LinkRevoked  string
	LinkExpired  string
	More         string
	SessionEnds  string
	SignOut      string
}

var englishMyTickets = MyTicketsStrings{
	Link:         "My tickets",
	Title:        "Your support requests",
	Intro:        "Enter the email address you wrote to us from. We will email you a link to a list of all your requests.",
	EmailLabel:   "Email",
	EmailHint:    "The link works once, for 30 minutes.",
	Send:         "Email me a link",
	SentHeading:  "Check your email",
	SentText:     "If we have requests from that address, we sent a link to it. It can take a few minutes to arrive; look in your spam folder too. The link works once, for 30 minutes.",
	OtherAddress: "Use another address",
	FixEmail:     "Please check the address",
	FormExpired:  "This form has expired. Please send it again.",
	TooMany:      "You asked for several links in a short time. Please wait a while and try again.",
	Unavailable:  "We could not take your request just now. Please try again in a moment.",
	Ended:        "Your session has ended. Ask for a new link to see your requests again.",
	SignedOut:    "You are signed out.",
	SigninTitle:  "See your support requests",
	SigninText:   "Continue to the list of your support requests. This link works once.",
	Continue:     "Continue",
	GoneTitle:    "This sign-in link no longer works",
	GoneText:     "Sign-in links work once, for 30 minutes. Ask for a new one.",
	NotFoundText: "The link may be mistyped. Ask for a new one.",
	NewLink:      "Get a new link",
	ListTitle:    "Your support requests",
	ListIntro:    "The requests you sent us from",
	None:         "We have no requests from this address.",
	ColActivity:  "Last activity",
	LinkRevoked:  "Its link was turned off. Reply to our last email instead.",
	LinkExpired:  "Closed a while ago; it can no longer be opened.",
	More:         "Only your most recent requests are shown; older ones open from the link in their emails.",
	SessionEnds:  "For your security you are signed out at",
	SignOut:      "Sign out",
}
