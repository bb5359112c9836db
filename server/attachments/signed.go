package attachments

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"strconv"
	"time"
)

// Errors of a signed link.
var (
	// ErrBadSignature: the signature does not match (403).
	ErrBadSignature = errors.New("this attachment link is not valid")
	// ErrLinkExpired: the link was genuine but its time is up (410).
	ErrLinkExpired = errors.New("this attachment link has expired; open the ticket in portico for a new one")
)

// SignedPath is the route of signed links, with the attachment id after it.
const SignedPath = "/support/attachments/"

// SignedURL is a link to attachment id that works for LinkTTL from now,
// without a session: <base>/support/attachments/<id>?exp=<unix>&sig=<hex>.
// GitHub shows these, so agents can open what customers attached.
func (s *Service) SignedURL(id int64) string {
	exp := strconv.FormatInt(s.now().Add(s.ttl).Unix(), 10)
	q := url.Values{"exp": {exp}, "sig": {s.sign(id, exp)}}
	return s.baseURL + SignedPath + strconv.FormatInt(id, 10) + "?" + q.Encode()
}

// sign is hex HMAC-SHA256 over "attachment <id> <exp>" with the link key,
// which nothing else signs with.
func (s *Service) sign(id int64, exp string) string {
	mac := hmac.New(sha256.New, s.key)
	mac.Write([]byte("attachment " + strconv.FormatInt(id, 10) + " " + exp))
	return hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a signed link: the signature first, in constant time (a
// forged link is ErrBadSignature whatever its expiry), then the expiry.
func (s *Service) Verify(id int64, exp, sig string) error {
	got, err := hex.DecodeString(sig)
	if err != nil || len(got) != sha256.Size {
		return ErrBadSignature
	}
	want, _ := hex.DecodeString(s.sign(id, exp))
	if !hmac.Equal(got, want) {
		return ErrBadSignature
	}
	unix, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		return ErrBadSignature
	}
	if !s.now().Before(time.Unix(unix, 0)) {
		return ErrLinkExpired
	}
	return nil
}
