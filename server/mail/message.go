// Package mail formats, composes and delivers portico's outbound email:
// Message-IDs and signed Reply-To addresses, the confirmation and agent-reply
// bodies, and the senders behind PORTICO_MAIL_URL (log://, smtp://, smtps://).
package mail

import (
	"bytes"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// ErrInvalidMessage is wrapped by every error about a Message that can never
// be sent as it is (a line break in a header, a malformed address or
// Message-ID). IsPermanent reports true for it: retrying cannot help.
var ErrInvalidMessage = errors.New("mail: invalid message")

// Address is a mailbox.
type Address struct{ Name, Email string }

// Message is one outbound mail, already composed.
type Message struct {
	From          Address
	To            Address
	ReplyTo       string   // bare address, e.g. reply+42.1a2b3c4d@support.example.com
	Subject       string   // already "[TK-42] ..."
	MessageID     string   // with angle brackets, e.g. <ticket-42@support.example.com>
	InReplyTo     string   // with angle brackets, may be empty
	References    []string // with angle brackets, oldest first
	Text          string   // text/plain body, complete (footer included)
	HTML          string   // text/html body, complete and already safe HTML (footer included)
	AutoSubmitted bool     // true for automatic mail (confirmations): Auto-Submitted: auto-replied
}

// Headers that go-mail has no constant for.
const headerAutoSubmitted gomail.Header = "Auto-Submitted"

// Bytes renders the RFC 5322 message: multipart/alternative with text and
// HTML in UTF-8 and quoted-printable, the Message-ID exactly as given, and
// the threading and auto-reply headers. A field that contains a line break or
// is malformed is rejected with an error wrapping ErrInvalidMessage, so no
// input can inject a header.
func (m Message) Bytes(now time.Time) ([]byte, error) {
	msg, err := m.build(now)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("mail: render message: %w", err)
	}
	return buf.Bytes(), nil
}

// build validates m and turns it into a go-mail message.
func (m Message) build(now time.Time) (*gomail.Msg, error) {
	if err := m.validate(); err != nil {
		return nil, err
	}
	// No default User-Agent: it would only advertise the library version.
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(&mail.Address{Name: m.From.Name, Address: m.From.Email})
	msg.ToMailAddress(&mail.Address{Name: m.To.Name, Address: m.To.Email})
	if m.ReplyTo != "" {
		msg.ReplyToMailAddress(&mail.Address{Address: m.ReplyTo})
	}
	msg.Subject(m.Subject)
	msg.SetDateWithValue(now)
	// go-mail adds the angle brackets itself.
	msg.SetMessageIDWithValue(strings.TrimSuffix(strings.TrimPrefix(m.MessageID, "<"), ">"))
	if m.InReplyTo != "" {
		msg.SetGenHeader(gomail.HeaderInReplyTo, m.InReplyTo)
	}
	if len(m.References) > 0 {
		// One value: go-mail joins several values with commas, References
		// wants spaces (RFC 5322 3.6.4).
		msg.SetGenHeader(gomail.HeaderReferences, strings.Join(m.References, " "))
	}
	// Always: tells Exchange/Outlook not to answer with out-of-office
	// replies, which would otherwise land in the ticket.
	msg.SetGenHeader(gomail.HeaderXAutoResponseSuppress, "All")
	if m.AutoSubmitted {
		msg.SetGenHeader(headerAutoSubmitted, "auto-replied") // RFC 3834
	}
	switch {
	case m.Text != "" && m.HTML != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	case m.Text != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	default:
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// validate rejects anything that could break out of its header line or that
// a server would refuse anyway.
func (m Message) validate() error {
	fields := []struct{ name, value string }{
		{"From name", m.From.Name},
		{"To name", m.To.Name},
		{"Subject", m.Subject},
	}
	for _, f := range fields {
		if err := checkLine(f.name, f.value); err != nil {
			return err
		}
	}
	if err := checkAddr("From", m.From.Email); err != nil {
		return err
	}
	if err := checkAddr("To", m.To.Email); err != nil {
		return err
	}
	if m.ReplyTo != "" {
		if err := checkAddr("Reply-To", m.ReplyTo); err != nil {
			return err
		}
	}
	if err := checkMsgID("Message-ID", m.MessageID); err != nil {
		return err
	}
	if m.InReplyTo != "" {
		if err := checkMsgID("In-Reply-To", m.InReplyTo); err != nil {
			return err
		}
	}
	for _, r := range m.References {
		if err := checkMsgID("References", r); err != nil {
			return err
		}
	}
	if m.Text == "" && m.HTML == "" {
		return fmt.Errorf("%w: empty body", ErrInvalidMessage)
	}
	return nil
}

// checkLine rejects control characters (CR and LF above all) in a header
// value; a tab is harmless.
func checkLine(field, v string) error {
	for _, r := range v {
		if (r < 0x20 && r != '\t') || r == 0x7f {
			return fmt.Errorf("%w: %s contains a control character (line break?)", ErrInvalidMessage, field)
		}
	}
	return nil
}

// checkAddr accepts a bare addr-spec only: no display name, no comments.
func checkAddr(field, addr string) error {
	if err := checkLine(field, addr); err != nil {
		return err
	}
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Address != addr || a.Name != "" {
		return fmt.Errorf("%w: %s address %q is not a plain email address", ErrInvalidMessage, field, addr)
	}
	return nil
}

// checkMsgID accepts "<left@right>" made of printable ASCII without spaces
// or brackets inside, which covers every id portico makes and every sane
// id it receives.
func checkMsgID(field, id string) error {
	inner, ok := strings.CutPrefix(id, "<")
	if ok {
		inner, ok = strings.CutSuffix(inner, ">")
	}
	left, right, found := strings.Cut(inner, "@")
	if !ok || !found || left == "" || right == "" {
		return fmt.Errorf("%w: %s %q is not <id@domain>", ErrInvalidMessage, field, id)
	}
	for i := 0; i < len(inner); i++ {
		if c := inner[i]; c <= ' ' || c > '~' || c == '<' || c == '>' {
			return fmt.Errorf("%w: %s %q contains a space, a bracket or a control character", ErrInvalidMessage, field, id)
		}
	}
	return nil
}
