package mail

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"unicode"
)

// replyPrefix starts the local part of every signed Reply-To address.
const replyPrefix = "reply+"

// FirstMessageID is the Message-ID of the first mail of a ticket:
// <ticket-42@domain>.
func FirstMessageID(ticketID int64, domain string) string {
	return "<ticket-" + strconv.FormatInt(ticketID, 10) + "@" + domain + ">"
}

// ReplyMessageID is the Message-ID of a later mail of a ticket, one per stored
// message: <ticket-42-reply-7@domain>.
func ReplyMessageID(ticketID, messageID int64, domain string) string {
	return "<ticket-" + strconv.FormatInt(ticketID, 10) + "-reply-" +
		strconv.FormatInt(messageID, 10) + "@" + domain + ">"
}

// LinkMessageID is the Message-ID of a mail that carries a fresh portal link
// (no timeline message of its own): <ticket-42-link-<16 hex>@domain>.
func LinkMessageID(ticketID int64, domain string) (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("mail: message id: %w", err)
	}
	return "<ticket-" + strconv.FormatInt(ticketID, 10) + "-link-" + hex.EncodeToString(b[:]) + "@" + domain + ">", nil
}

// ReplyTo is the signed address customers answer to:
// reply+42.<hmac8>@domain. The signature stops anyone from posting into a
// ticket by guessing its number.
func ReplyTo(ticketID int64, secret []byte, domain string) string {
	id := strconv.FormatInt(ticketID, 10)
	return replyPrefix + id + "." + hex.EncodeToString(replyMAC(secret, id)) + "@" + domain
}

// replyMAC is the 4-byte truncated HMAC-SHA256 of the decimal ticket id;
// 8 hex characters keep the address short while a forger still has to guess
// 32 bits per attempt.
func replyMAC(secret []byte, id string) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(id))
	return h.Sum(nil)[:4]
}

// ParseReplyTo returns the ticket id of a Reply-To address made by ReplyTo
// with the same secret and domain. It accepts a bare address or one with a
// display name ("Name <reply+42.abcd1234@domain>"). The domain, the
// "reply+" prefix and the hex signature are compared case-insensitively,
// since some relays change the case of addresses; the signature bytes are
// compared in constant time. Anything forged or malformed gives false.
func ParseReplyTo(addr string, secret []byte, domain string) (ticketID int64, ok bool) {
	id, _, ok := ParseSignedReplyTo(addr, domain, secret, nil)
	return id, ok
}

// ParseSignedReplyTo is ParseReplyTo with two keys: the current one
// (the reply-address key) and, while non-nil, the legacy one that signed
// addresses before per-purpose keys. legacy reports that only the legacy
// key matched, so the caller can limit what such an address may open.
// Both signatures are always computed and compared in constant time.
func ParseSignedReplyTo(addr, domain string, current, legacyKey []byte) (ticketID int64, legacy, ok bool) {
	if domain == "" || len(addr) > 998 { // 998: the longest line RFC 5322 allows
		return 0, false, false
	}
	parsed, err := mail.ParseAddress(strings.TrimSpace(addr))
	if err != nil {
		return 0, false, false
	}
	at := strings.LastIndexByte(parsed.Address, '@')
	if at < 0 || !strings.EqualFold(parsed.Address[at+1:], domain) {
		return 0, false, false
	}
	local := parsed.Address[:at]
	if len(local) < len(replyPrefix) || !strings.EqualFold(local[:len(replyPrefix)], replyPrefix) {
		return 0, false, false
	}
	idStr, sig, found := strings.Cut(local[len(replyPrefix):], ".")
	if !found || len(sig) != 8 {
		return 0, false, false
	}
	id, err := strconv.ParseInt(idStr, 10, 64)
	// Only the canonical decimal form is signed: no sign, no leading zeros.
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != idStr {
		return 0, false, false
	}
	got, err := hex.DecodeString(sig)
	if err != nil || len(current) == 0 {
		return 0, false, false
	}
	cur := hmac.Equal(got, replyMAC(current, idStr))
	old := len(legacyKey) > 0 && hmac.Equal(got, replyMAC(legacyKey, idStr))
	switch {
	case cur:
		return id, false, true
	case old:
		return id, true, true
	}
	return 0, false, false
}

// Subject prefixes subject with "[reference]" unless it already carries it
// (any case, e.g. "Re: [TK-42] ..."), so replies to replies don't pile up
// prefixes. Line breaks and other control characters become spaces: a
// subject is one header line.
func Subject(reference, subject string) string {
	subject = strings.Join(strings.FieldsFunc(subject, isBreak), " ")
	subject = strings.TrimSpace(subject)
	tag := "[" + reference + "]"
	if reference == "" || strings.Contains(strings.ToUpper(subject), strings.ToUpper(tag)) {
		return subject
	}
	if subject == "" {
		return tag
	}
	return tag + " " + subject
}

// isBreak reports the runes that Subject folds into a single space. Runs of
// ordinary spaces are kept as the customer typed them.
func isBreak(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
}
