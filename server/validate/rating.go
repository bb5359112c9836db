package validate

// The answer to "How did we do?" on the portal (issue 17).

// MaxRatingComment is the longest comment a rating may carry, in characters.
const MaxRatingComment = 1000

// Rating scores, best first (model.RatingGood and friends; validate imports
// nothing of the project, since it also compiles into the widget).
var ratingScores = []string{"good", "okay", "bad"}

// RatingScore validates the chosen score.
func RatingScore(s string) string {
	for _, ok := range ratingScores {
		if s == ok {
			return ""
		}
	}
	if Trim(s) == "" {
		return "is required: choose good, okay or bad"
	}
	return "must be good, okay or bad"
}

// RatingComment validates the optional comment of a rating: the rules of a
// description, at most 1,000 characters, and a too-long one is told its
// length.
func RatingComment(s string) string {
	msg := text(s, false, MaxRatingComment, func(r rune) bool { return r == '\t' || r == '\n' || r == '\r' }, msgControlText)
	if msg == tooLong(MaxRatingComment) {
		msg += " (it has " + grouped(Runes(s)) + ")"
	}
	return msg
}
