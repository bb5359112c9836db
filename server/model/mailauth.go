package model

import (
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"
)

// Verdict is one authentication result (SPF, DKIM or DMARC) as the provider
// reported it, normalized to RFC 8601's lower-case words: pass, fail,
// softfail, neutral, none, temperror, permerror, policy. "" means the
// provider reported nothing.
type Verdict string

// Verdicts that mean something to the sender check; everything else counts
// as not passed.
const (
	VerdictPass Verdict = "pass"
	VerdictFail Verdict = "fail"
	VerdictNone Verdict = "none"
)

// MailAuth holds what the receiving provider verified about an inbound
// mail's sender. Only verdicts the provider itself produced belong here,
// never headers the sender could have written.
type MailAuth struct {
	SPF   Verdict `json:"spf"`
	DKIM  Verdict `json:"dkim"`
	DMARC Verdict `json:"dmarc"`
	// SPFDomain is the envelope sender (MAIL FROM) domain that SPF checked.
	SPFDomain string `json:"spf_domain,omitempty"`
	// DKIMDomains are the d= domains of the signatures that passed.
	DKIMDomains []string `json:"dkim_domains,omitempty"`
	// DMARCDomain is the From domain DMARC was evaluated for (header.from),
	// when the provider names it.
	DMARCDomain string `json:"dmarc_domain,omitempty"`
	// Source says where the verdicts came from (for logs and the admin
	// page), e.g. "authentication-results", "mailgun", "ses".
	Source string `json:"source,omitempty"`
}

// Authenticated reports whether the sender of m is proven: DMARC passed for
// the From domain, or SPF passed for an envelope domain aligned with the
// From domain, or a DKIM signature passed whose d= is aligned with it.
// Alignment is relaxed (RFC 7489): the same organizational domain. Missing
// verdicts are not a pass. This is the one place that decides.
func (m InboundMail) Authenticated() bool {
	from := domainOf(m.From.Email)
	if from == "" {
		return false
	}
	a := m.Auth
	if a.DMARC == VerdictPass && (a.DMARCDomain == "" || strings.EqualFold(a.DMARCDomain, from)) {
		return true
	}
	if a.SPF == VerdictPass && Aligned(a.SPFDomain, from) {
		return true
	}
	if a.DKIM == VerdictPass {
		for _, d := range a.DKIMDomains {
			if Aligned(d, from) {
				return true
			}
		}
	}
	return false
}

// Aligned reports whether two domains share an organizational domain (the
// registrable domain under the public suffix list): mail.example.co.uk and
// example.co.uk are aligned, example.com and example.org are not. A domain
// that is itself a public suffix aligns only with itself.
func Aligned(a, b string) bool {
	a, b = cleanDomain(a), cleanDomain(b)
	if a == "" || b == "" {
		return false
	}
	if a == b {
		return true
	}
	oa, errA := publicsuffix.EffectiveTLDPlusOne(a)
	ob, errB := publicsuffix.EffectiveTLDPlusOne(b)
	return errA == nil && errB == nil && oa == ob
}

// domainOf returns the lower-cased domain of an address, or "".
func domainOf(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return ""
	}
	return cleanDomain(email[at+1:])
}

// DomainOf returns the lower-cased domain of an address, or of a bare
// domain, with any trailing dot removed; "" when there is none.
func DomainOf(s string) string {
	if strings.Contains(s, "@") {
		return domainOf(s)
	}
	return cleanDomain(s)
}

func cleanDomain(d string) string {
	d = strings.ToLower(strings.TrimSpace(d))
	d = strings.TrimSuffix(strings.TrimPrefix(d, "@"), ".")
	d = strings.Trim(d, "<>")
	if d == "" || strings.ContainsAny(d, " \t@;,()") || strings.HasPrefix(d, ".") || strings.Contains(d, "..") {
		return ""
	}
	return d
}

// HeldMail is an inbound mail kept for an agent: its sender was not
// authenticated, yet it named an existing ticket (TicketID) by its headers
// or subject. Payload (the parsed mail as JSON) is loaded only to release it.
type HeldMail struct {
	ID        int64     `db:"id"`
	TicketID  *int64    `db:"ticket_id"`
	DedupKey  string    `db:"dedup_key"`
	Provider  string    `db:"provider"`
	FromEmail string    `db:"from_email"`
	FromName  string    `db:"from_name"`
	Subject   string    `db:"subject"`
	Reason    string    `db:"reason"`
	Auth      string    `db:"auth"`
	Payload   string    `db:"payload"`
	CreatedAt time.Time `db:"created_at"`
}
