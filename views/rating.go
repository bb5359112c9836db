package views

// RateStrings are the texts of "How did we do?" (issue 17) on the portal
// page of a closed ticket and on the page the close mail's links open.
type RateStrings struct {
	Heading      string
	ConfirmTitle string
	ConfirmLead  string
	Choice       string
	Good         string
	Okay         string
	Bad          string
	CommentLabel string
	CommentHint  string
	Send         string
	Thanks       string
	YourAnswer   string // followed by the score
	Changeable   string
	Back         string
	FormExpired  string
	Open         string
	NotYours     string
	TooMany      string
}

var englishRate = RateStrings{
	Heading:      "How did we do?",
	ConfirmTitle: "Rate your request",
	ConfirmLead:  "Check your answer, add a comment if you like, and send it.",
	Choice:       "Your answer",
	Good:         "Good",
	Okay:         "Okay",
	Bad:          "Bad",
	CommentLabel: "Comment (optional)",
	CommentHint:  "Plain text, up to 1,000 characters. Our team reads every one.",
	Send:         "Send rating",
	Thanks:       "Thank you for your rating.",
	YourAnswer:   "Your answer:",
	Changeable:   "You can change it as long as this link works.",
	Back:         "Back to the conversation",
	FormExpired:  "This form has expired. Please check your answer and send it again.",
	Open:         "This request is open, so it cannot be rated now. You can rate it once it is closed.",
	NotYours:     "Only the person who made this request can rate it.",
	TooMany:      "You have changed your rating many times in a short while. Please wait a little and try again.",
}

// Label is the text of a score ("good" → "Good"); an unknown score is
// shown as it is.
func (r RateStrings) Label(score string) string {
	switch score {
	case "good":
		return r.Good
	case "okay":
		return r.Okay
	case "bad":
		return r.Bad
	}
	return score
}

// RatingChoice is one answer of the form.
type RatingChoice struct {
	Value, Label, Icon string
	Checked            bool
}

// RatingForm is the "How did we do?" form.
type RatingForm struct {
	Action    string // /portal/<token>/rate
	FormToken string
	Choices   []RatingChoice
	Comment   string
	// Current is the label of the answer given already ("": none).
	Current string
	// Saved: the answer was just stored.
	Saved bool
	// Error explains a refusal that is not about one field; ScoreError and
	// CommentError are the fields' messages (validate's, after the label).
	Error        string
	ScoreError   string
	CommentError string
	// TurnstileSiteKey shows the human check; LoadTurnstile also loads its
	// script (once a page: the reply form may load it already).
	TurnstileSiteKey string
	LoadTurnstile    bool
}

// RatingChoices are the three answers, value's checked, best first.
func RatingChoices(s RateStrings, checked string) []RatingChoice {
	out := make([]RatingChoice, 0, 3)
	for _, c := range []struct{ v, icon string }{{"good", "👍"}, {"okay", "😐"}, {"bad", "👎"}} {
		out = append(out, RatingChoice{Value: c.v, Label: s.Label(c.v), Icon: c.icon, Checked: c.v == checked})
	}
	return out
}

// RatePageData is the page the close mail's rating links open: the form to
// confirm (a GET never stores anything, since mail scanners open links), or
// why this link cannot rate (Refused).
type RatePageData struct {
	S         Strings
	Nonce     string
	Reference string
	BackURL   string
	Refused   string
	Form      RatingForm
}

func scoreDescribedBy(f RatingForm) string {
	if f.ScoreError != "" {
		return "score-error"
	}
	return ""
}

func commentDescribedBy(f RatingForm) string {
	if f.CommentError != "" {
		return "comment-hint comment-error"
	}
	return "comment-hint"
}
