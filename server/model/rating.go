package model

import (
	"strings"
	"time"
)

// Status mails (issue 17): the customer hears that their ticket closed or
// opened again. Outbound mail kinds, next to MailConfirmation and
// MailAgentReply.
const (
	MailStatusClosed   = "status_closed"
	MailStatusReopened = "status_reopened"
)

// Rating scores: the answer to "How did we do?".
const (
	RatingGood = "good"
	RatingOkay = "okay"
	RatingBad  = "bad"
)

// RatingScores lists the scores, best first, as the portal offers them.
var RatingScores = []string{RatingGood, RatingOkay, RatingBad}

// Rating is one customer's answer about one closed ticket; a new answer
// replaces the old one (UpdatedAt).
type Rating struct {
	ID        int64     `db:"id"`
	TicketID  int64     `db:"ticket_id"`
	ContactID int64     `db:"contact_id"`
	Score     string    `db:"score"`
	Comment   string    `db:"comment"`
	CreatedAt time.Time `db:"created_at"`
	UpdatedAt time.Time `db:"updated_at"`
}

// RatingCounts counts answers by score.
type RatingCounts struct {
	Good int64 `db:"good"`
	Okay int64 `db:"okay"`
	Bad  int64 `db:"bad"`
}

// BounceSender reports whether an address is a mail system's own (the
// sender of bounces: mailer-daemon, postmaster). Inbound mail from one is
// ignored, and no automatic mail goes to one.
func BounceSender(email string) bool {
	switch localPart(email) {
	case "mailer-daemon", "mailer_daemon", "postmaster":
		return true
	}
	return false
}

// NoReplyAddress reports whether an address says it reads no mail
// (noreply@, no-reply@, do-not-reply@, …); automatic mail to it would only
// bounce or be thrown away.
func NoReplyAddress(email string) bool {
	switch strings.NewReplacer("-", "", "_", "", ".", "").Replace(localPart(email)) {
	case "noreply", "donotreply", "noresponse":
		return true
	}
	return false
}

// localPart is the lower-cased part before the @, without a +tag.
func localPart(email string) string {
	local, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(email)), "@")
	local, _, _ = strings.Cut(local, "+")
	return local
}
