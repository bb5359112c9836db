package main

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/portico/portico/server/github/githubtest"
)

// snapshot is what the server stored, read after the queues drained.
type snapshot struct {
	tickets  map[int64]string // id → the requester's email
	messages []message
	mails    []mailRow
	posts    []postRow
	// GitHub, as the fake holds it: how many issues carry each ticket's
	// marker and how many comments each message's.
	issues, comments map[int64]int
	unmarked         int // issues and comments without a portico marker
}

type message struct {
	id, ticket        int64
	direction, source string
	emailMessageID    string
	body              string
}

type mailRow struct {
	ticket    int64
	kind      string
	messageID string
	status    string
	created   time.Time
	sent      sql.NullTime
}

type postRow struct {
	key     string
	created time.Time
	posted  sql.NullTime
}

// snapshot reads the server's database and the fake GitHub.
func (r *rig) snapshot(ctx context.Context) (*snapshot, error) {
	s := &snapshot{tickets: map[int64]string{}}
	err := retry(ctx, func() error {
		s.messages, s.mails, s.posts = nil, nil, nil
		rows, err := r.db.QueryContext(ctx, `SELECT t.id, coalesce(c.email, '') FROM tickets t LEFT JOIN contacts c ON c.id = t.contact_id`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			var email string
			if err := rows.Scan(&id, &email); err != nil {
				rows.Close()
				return err
			}
			s.tickets[id] = email
		}
		if err := closeRows(rows); err != nil {
			return err
		}
		rows, err = r.db.QueryContext(ctx, `SELECT id, ticket_id, direction, source, coalesce(email_message_id, ''), body FROM messages ORDER BY id`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var m message
			if err := rows.Scan(&m.id, &m.ticket, &m.direction, &m.source, &m.emailMessageID, &m.body); err != nil {
				rows.Close()
				return err
			}
			s.messages = append(s.messages, m)
		}
		if err := closeRows(rows); err != nil {
			return err
		}
		rows, err = r.db.QueryContext(ctx, `SELECT ticket_id, kind, email_message_id, status, created_at, sent_at FROM outbound_mails ORDER BY id`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var m mailRow
			if err := rows.Scan(&m.ticket, &m.kind, &m.messageID, &m.status, &m.created, &m.sent); err != nil {
				rows.Close()
				return err
			}
			s.mails = append(s.mails, m)
		}
		if err := closeRows(rows); err != nil {
			return err
		}
		rows, err = r.db.QueryContext(ctx, `SELECT key, created_at, posted_at FROM github_posts ORDER BY created_at`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var p postRow
			if err := rows.Scan(&p.key, &p.created, &p.posted); err != nil {
				rows.Close()
				return err
			}
			s.posts = append(s.posts, p)
		}
		return closeRows(rows)
	})
	if err != nil {
		return nil, fmt.Errorf("read what the server stored: %w", err)
	}
	s.issues, s.comments, s.unmarked = githubPosts(r.github)
	return s, nil
}

func closeRows(rows *sql.Rows) error {
	err := rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	return err
}

// marker is the hidden first line of every post portico makes
// (server/github/format.go).
var marker = regexp.MustCompile(`^<!-- portico:(ticket|message)=(\d+) -->`)

// githubPosts counts the issues by ticket and the comments by message.
func githubPosts(gh *githubtest.Server) (issues, comments map[int64]int, unmarked int) {
	issues, comments = map[int64]int{}, map[int64]int{}
	tally := func(body, want string, into map[int64]int) {
		m := marker.FindStringSubmatch(body)
		if m == nil || m[1] != want {
			unmarked++
			return
		}
		id, _ := strconv.ParseInt(m[2], 10, 64)
		into[id]++
	}
	for _, is := range gh.Issues() {
		tally(is.Body, "ticket", issues)
		for _, c := range gh.Comments(is.Number) {
			tally(c.Body, "message", comments)
		}
	}
	return issues, comments, unmarked
}

// streamFigures count one kind of request.
type streamFigures struct {
	sent, accepted, c4xx, c5xx, transport, other, skipped int
	// lost: accepted, and its effect is not in the database. stored:
	// not accepted (an error, no answer), and its effect is there anyway.
	lost, stored int
}

// effect is what should exist once, and how often it does.
type effect struct {
	expected, done, duplicates, missing int
	window                              int // mails: second copies in the at-least-once window of a kill
	unexpected                          int // there, and not expected
}

// figures are the run's counts.
type figures struct {
	streams                                    [streamCount]streamFigures
	tickets, messages, mails, issues, comments effect
	unqueued                                   int // tickets without a confirmation mail queued
	unsent                                     int // mails not marked sent
	unmarked                                   int // GitHub posts without a portico marker
}

func (f streamFigures) add(g streamFigures) streamFigures {
	return streamFigures{f.sent + g.sent, f.accepted + g.accepted, f.c4xx + g.c4xx, f.c5xx + g.c5xx, f.transport + g.transport,
		f.other + g.other, f.skipped + g.skipped, f.lost + g.lost, f.stored + g.stored}
}

// total is every kind's figures added up.
func (f figures) total() streamFigures {
	var t streamFigures
	for _, s := range f.streams {
		t = t.add(s)
	}
	return t
}

// replyKey finds the key the load put in a portal reply's text.
var replyKey = regexp.MustCompile(`chaos-[0-9a-f]+-reply-\d+`)

// count checks every request against what was stored, and every stored
// ticket, message and mail against what arrived at the SMTP sink and the
// fake GitHub. window lists the Message-IDs allowed a second copy.
func count(outcomes []outcome, skipped [streamCount]int, s *snapshot, arrivals map[string][]time.Time, window map[string]bool) figures {
	var f figures
	// What is stored, by the key the load gave each request.
	ticketsByEmail := map[string][]int64{}
	for id, email := range s.tickets {
		ticketsByEmail[email] = append(ticketsByEmail[email], id)
	}
	byMessageID, byReplyKey := map[string]int{}, map[string]int{}
	first := map[int64]int64{} // ticket → its first message
	for _, m := range s.messages {
		if _, ok := first[m.ticket]; !ok {
			first[m.ticket] = m.id
		}
		if m.emailMessageID != "" {
			byMessageID[normalizeID(m.emailMessageID)]++
		}
		if k := replyKey.FindString(m.body); k != "" && m.source == "portal" {
			byReplyKey[k]++
		}
	}

	for i := range f.streams {
		f.streams[i].skipped = skipped[i]
	}
	for _, o := range outcomes {
		sf := &f.streams[o.stream]
		sf.sent++
		switch {
		case o.accepted:
			sf.accepted++
		case o.status == 0:
			sf.transport++
		case o.status >= 500:
			sf.c5xx++
		case o.status >= 400:
			sf.c4xx++
		default:
			sf.other++
		}
		var stored int
		var e *effect
		switch o.stream {
		case streamWidget:
			e = &f.tickets
			ids := ticketsByEmail[o.key]
			stored = len(ids)
			if o.accepted && (len(ids) == 0 || "TK-"+strconv.FormatInt(ids[0], 10) != o.reference) {
				stored = 0 // not the ticket the answer named
			}
		case streamInbound:
			e, stored = &f.messages, byMessageID[normalizeID(o.key)]
		case streamReply:
			e, stored = &f.messages, byReplyKey[o.key]
		default:
			continue // a page load stores nothing
		}
		if o.accepted {
			e.expected++
			if stored == 0 {
				sf.lost++
				e.missing++
			} else {
				e.done++
			}
		} else if stored > 0 {
			sf.stored++
		}
		e.duplicates += max(stored-1, 0)
	}

	// Mails: one arrival per queued mail, a second only in the window.
	queued := map[string]bool{}
	confirmed := map[int64]bool{}
	for _, m := range s.mails {
		queued[m.messageID] = true
		if m.kind == "confirmation" {
			confirmed[m.ticket] = true
		}
		if m.status != "sent" {
			f.unsent++
		}
		f.mails.expected++
		switch n := len(arrivals[m.messageID]); {
		case n == 0:
			f.mails.missing++
		case n == 2 && window[m.messageID]:
			f.mails.done++
			f.mails.window++
		default:
			f.mails.done++
			f.mails.duplicates += n - 1
		}
	}
	for id, at := range arrivals {
		if !queued[id] {
			f.mails.unexpected += len(at)
		}
	}
	for id := range s.tickets {
		if !confirmed[id] {
			f.unqueued++
		}
	}

	// GitHub: an issue per ticket, a comment per customer reply (a
	// ticket's first message is its issue's body).
	tickets := make([]int64, 0, len(s.tickets))
	for id := range s.tickets {
		tickets = append(tickets, id)
	}
	f.issues = posted(tickets, s.issues)
	var replies []int64
	for _, m := range s.messages {
		if m.direction == "inbound" && (m.source == "email" || m.source == "portal") && first[m.ticket] != m.id {
			replies = append(replies, m.id)
		}
	}
	f.comments = posted(replies, s.comments)
	f.unmarked = s.unmarked
	return f
}

// posted compares the expected ids with how often GitHub holds each.
func posted(want []int64, got map[int64]int) effect {
	e := effect{expected: len(want)}
	wanted := map[int64]bool{}
	for _, id := range want {
		wanted[id] = true
		if c := got[id]; c == 0 {
			e.missing++
		} else {
			e.done++
			e.duplicates += c - 1
		}
	}
	for id, c := range got {
		if !wanted[id] {
			e.unexpected += c
		}
	}
	return e
}

// normalizeID is a Message-ID without its angle brackets.
func normalizeID(id string) string { return strings.Trim(strings.TrimSpace(id), "<>") }

// problems are the reasons the run fails: anything accepted and lost,
// anything missing or there twice.
func (f figures) problems() []string {
	var out []string
	add := func(n int, format string) {
		if n > 0 {
			out = append(out, fmt.Sprintf(format, n))
		}
	}
	t := f.total()
	add(t.lost, "%d accepted requests are not in the database")
	add(f.tickets.duplicates, "%d tickets were stored twice")
	add(f.messages.duplicates, "%d messages were stored twice")
	add(f.unqueued, "%d tickets have no confirmation mail queued")
	add(f.mails.missing, "%d queued mails never reached the SMTP server")
	add(f.unsent, "%d mails are not marked sent")
	add(f.mails.duplicates, "%d mails arrived more than once (outside the at-least-once window of a kill)")
	add(f.mails.unexpected, "%d mails arrived that no row queued")
	add(f.issues.missing, "%d tickets have no GitHub issue")
	add(f.issues.duplicates, "%d GitHub issues are duplicates")
	add(f.issues.unexpected, "%d GitHub issues name no stored ticket")
	add(f.comments.missing, "%d customer replies have no GitHub comment")
	add(f.comments.duplicates, "%d GitHub comments are duplicates")
	add(f.comments.unexpected, "%d GitHub comments name no stored reply")
	add(f.unmarked, "%d GitHub posts carry no portico marker")
	return out
}
