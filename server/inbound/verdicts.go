package inbound

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/portico/portico/server/model"
)

// Each provider reports what it verified about the sender (SPF, DKIM,
// DMARC); the parsers read those verdicts into model.MailAuth here. A sender
// can write any header into the mail itself, so only what the provider adds
// counts:
//
//   - Postmark: the topmost Authentication-Results header, and only when its
//     authserv-id is Postmark's (RFC 8601 §5: a receiver trusts its own
//     results only); the topmost Received-SPF header (the one the receiving
//     server prepended) fills in SPF when that header has none.
//   - Mailgun: its own X-Mailgun-Spf and X-Mailgun-Dkim-Check-Result fields;
//     conflicting values (a sender's copy of the header) count as missing.
//     The domains come from the envelope sender and from the DKIM-Signature
//     header, and only when the mail carries exactly one signature.
//   - SES: receipt.spfVerdict, dkimVerdict and dmarcVerdict of the signed SNS
//     notification.

// postmarkAuthServ reports whether an Authentication-Results authserv-id is
// Postmark's own (mx.postmarkapp.com and its siblings).
func postmarkAuthServ(id string) bool {
	id = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(id), "."))
	return id == "postmarkapp.com" || strings.HasSuffix(id, ".postmarkapp.com")
}

// authResult is one "method=result prop=value ..." of RFC 8601.
type authResult struct {
	method string
	result model.Verdict
	props  map[string]string
}

// parseAuthResults parses an Authentication-Results value into its
// authserv-id and results. Comments are dropped; malformed parts are
// skipped, never fatal.
func parseAuthResults(v string) (string, []authResult) {
	parts := strings.Split(stripComments(v), ";")
	servID := ""
	if f := strings.Fields(parts[0]); len(f) > 0 {
		servID = f[0]
	}
	var out []authResult
	for _, p := range parts[1:] {
		toks := splitTokens(p)
		if len(toks) == 0 {
			continue
		}
		method, result, ok := strings.Cut(toks[0], "=")
		if !ok || method == "" {
			continue
		}
		method, _, _ = strings.Cut(method, "/") // method version, e.g. dkim/1
		r := authResult{method: strings.ToLower(method), result: verdict(result), props: map[string]string{}}
		for _, t := range toks[1:] {
			if k, val, ok := strings.Cut(t, "="); ok {
				r.props[strings.ToLower(k)] = unquote(val)
			}
		}
		out = append(out, r)
	}
	return servID, out
}

// applyAuthResults fills a from results of one trusted header.
func applyAuthResults(a *model.MailAuth, results []authResult) {
	var dkimFirst model.Verdict
	for _, r := range results {
		switch r.method {
		case "spf":
			if a.SPF == "" || r.result == model.VerdictPass {
				a.SPF = r.result
				a.SPFDomain = model.DomainOf(firstNonEmpty(r.props["smtp.mailfrom"], r.props["smtp.mail"], r.props["smtp.helo"]))
			}
		case "dkim":
			if dkimFirst == "" {
				dkimFirst = r.result
			}
			if r.result == model.VerdictPass {
				a.DKIM = model.VerdictPass
				if d := model.DomainOf(firstNonEmpty(r.props["header.d"], r.props["header.i"])); d != "" {
					a.DKIMDomains = append(a.DKIMDomains, d)
				}
			}
		case "dmarc":
			if a.DMARC == "" || r.result == model.VerdictPass {
				a.DMARC = r.result
				a.DMARCDomain = model.DomainOf(r.props["header.from"])
			}
		}
	}
	if a.DKIM == "" {
		a.DKIM = dkimFirst
	}
}

// parseReceivedSPF reads RFC 7208 §9.1 "Pass (comment) key=value; ...":
// the result and the domain checked (envelope-from, or helo when the
// identity checked was the HELO name).
func parseReceivedSPF(v string) (model.Verdict, string) {
	toks := splitTokens(strings.ReplaceAll(stripComments(v), ";", " "))
	if len(toks) == 0 {
		return "", ""
	}
	kv := map[string]string{}
	for _, t := range toks[1:] {
		if k, val, ok := strings.Cut(t, "="); ok {
			kv[strings.ToLower(k)] = unquote(val)
		}
	}
	domain := kv["envelope-from"]
	if strings.EqualFold(kv["identity"], "helo") {
		domain = kv["helo"]
	}
	return verdict(toks[0]), model.DomainOf(domain)
}

// postmarkAuth reads Postmark's verdicts from the mail's headers (in the
// order Postmark lists them: topmost first).
func postmarkAuth(h headerMap) model.MailAuth {
	var a model.MailAuth
	if ars := h[canonical("Authentication-Results")]; len(ars) > 0 {
		if id, results := parseAuthResults(ars[0]); postmarkAuthServ(id) {
			applyAuthResults(&a, results)
			a.Source = "authentication-results"
		}
	}
	if a.SPF == "" {
		if spf := h.get("Received-Spf"); spf != "" {
			a.SPF, a.SPFDomain = parseReceivedSPF(spf)
			if a.Source == "" {
				a.Source = "received-spf"
			}
		}
	}
	return a
}

// mailgunAuth reads Mailgun's check fields. values are every value the
// post carries for the field (form and message-headers): they must agree.
func mailgunAuth(spf, dkim []string, envelope string, h headerMap) model.MailAuth {
	a := model.MailAuth{SPF: agreed(spf), DKIM: agreed(dkim)}
	if a.SPF != "" || a.DKIM != "" {
		a.Source = "mailgun"
	}
	a.SPFDomain = model.DomainOf(envelope)
	if a.DKIM == model.VerdictPass {
		a.DKIMDomains = singleSignatureDomain(h)
	}
	return a
}

// sesAuth maps SES receipt verdicts (PASS, FAIL, GRAY, PROCESSING_FAILED).
func sesAuth(spf, dkim, dmarc, source string, h headerMap) model.MailAuth {
	a := model.MailAuth{SPF: verdict(spf), DKIM: verdict(dkim), DMARC: verdict(dmarc)}
	if a.SPF != "" || a.DKIM != "" || a.DMARC != "" {
		a.Source = "ses"
	}
	a.SPFDomain = model.DomainOf(source)
	if a.DKIM == model.VerdictPass {
		a.DKIMDomains = singleSignatureDomain(h)
	}
	return a
}

// singleSignatureDomain is the d= of the mail's DKIM signature when there is
// exactly one: with several, a verdict that does not name its domain could
// belong to any of them.
func singleSignatureDomain(h headerMap) []string {
	sigs := h[canonical("DKIM-Signature")]
	if len(sigs) != 1 {
		return nil
	}
	for _, tag := range strings.Split(sigs[0], ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(tag), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "d") {
			if d := model.DomainOf(strings.Join(strings.Fields(v), "")); d != "" {
				return []string{d}
			}
		}
	}
	return nil
}

// agreed is the verdict all values share; none, or values that differ,
// give "" (missing).
func agreed(values []string) model.Verdict {
	var v model.Verdict
	for _, s := range values {
		w := verdict(s)
		if w == "" {
			continue
		}
		if v != "" && w != v {
			return ""
		}
		v = w
	}
	return v
}

// verdict normalizes a provider's word to RFC 8601's vocabulary.
func verdict(s string) model.Verdict {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "":
		return ""
	case "gray":
		return model.VerdictNone // SES: not enough to decide
	case "processing_failed":
		return "temperror"
	}
	if i := strings.IndexFunc(s, func(r rune) bool { return r < 'a' || r > 'z' }); i >= 0 {
		s = s[:i]
	}
	return model.Verdict(s)
}

// stripComments removes RFC 5322 comments (nested parentheses, with
// quoted-pairs) outside quoted strings.
func stripComments(v string) string {
	var b strings.Builder
	depth, quoted, escaped := 0, false, false
	for _, r := range v {
		switch {
		case escaped:
			escaped = false
			if depth == 0 {
				b.WriteRune(r)
			}
			continue
		case r == '\\':
			escaped = true
			if depth == 0 {
				b.WriteRune(r)
			}
			continue
		case quoted:
			if r == '"' {
				quoted = false
			}
		case r == '"' && depth == 0:
			quoted = true
		case r == '(':
			depth++
			continue
		case r == ')' && depth > 0:
			depth--
			if depth == 0 {
				b.WriteRune(' ')
			}
			continue
		}
		if depth == 0 {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// splitTokens splits on white space, keeping "quoted strings" whole.
func splitTokens(s string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
			cur.WriteRune(r)
		case !quoted && (r == ' ' || r == '\t' || r == '\r' || r == '\n'):
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

func unquote(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	return v
}

// dedupKey is the synthetic key of a mail without a Message-ID: the
// provider's own id for the mail when it has one, else the content.
func dedupKey(provider, providerID string, content []byte) string {
	h := sha256.New()
	if providerID != "" {
		h.Write([]byte("id\x00" + providerID))
	} else {
		h.Write([]byte("content\x00"))
		h.Write(content)
	}
	return provider + ":" + hex.EncodeToString(h.Sum(nil))
}
