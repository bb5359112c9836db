package views

// RateStrings are the texts of "How did we do?" (issue 17) on the portal
// page of a closed ticket and on the page the close mail's links open.
type RateStrings struct {
	Heading      string `msg:"portal.rate.heading"`
	ConfirmTitle string `msg:"portal.rate.confirm_title"`
	ConfirmLead  string `msg:"portal.rate.confirm_lead"`
	Choice       string `msg:"portal.rate.choice"`
	Good         string `msg:"portal.rate.good"`
	Okay         string `msg:"portal.rate.okay"`
	Bad          string `msg:"portal.rate.bad"`
	CommentLabel string `msg:"portal.rate.comment_label"`
	CommentHint  string `msg:"portal.rate.comment_hint"` // %s: the most characters
	Send         string `msg:"portal.rate.send"`
	Thanks       string `msg:"portal.rate.thanks"`
	YourAnswer   string `msg:"portal.rate.your_answer"` // %s: the score, in bold
	Changeable   string `msg:"portal.rate.changeable"`
	Back         string `msg:"portal.rate.back"`
	FormExpired  string `msg:"portal.rate.form_expired"`
	Open         string `msg:"portal.rate.open"`
	NotYours     string `msg:"portal.rate.not_yours"`
	TooMany      string `msg:"portal.rate.too_many"`
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
