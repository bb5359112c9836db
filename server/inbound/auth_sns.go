package inbound

import (
	"context"
	"crypto"
	"crypto/rsa"
	_ "crypto/sha1" // SignatureVersion 1 is SHA1withRSA: register the hash.
	_ "crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

// snsHostRe is the only host shape AWS serves signing certificates and
// subscription URLs from: sns.<region>.amazonaws.com, or .com.cn in China.
var snsHostRe = regexp.MustCompile(`^sns\.[a-z]{2}(-[a-z]+)+-[0-9]+\.amazonaws\.com(\.cn)?$`)

const (
	maxCertBytes  = 64 << 10
	maxCachedCert = 64
)

// SNSVerifier authenticates SNS deliveries (SES inbound mail) and confirms
// subscriptions. It is safe for concurrent use.
type SNSVerifier struct {
	// AllowHost decides which hosts may serve certificates and
	// subscription URLs. Nil (production) means sns.<region>.amazonaws.com
	// or .amazonaws.com.cn exactly; tests point it at an httptest server.
	// HTTPS is required either way.
	AllowHost func(host string) bool
	// Now is the clock for certificate validity; nil means time.Now.
	Now func() time.Time

	client *http.Client
	topics map[string]bool

	mu    sync.Mutex
	certs map[string]*x509.Certificate
}

// NewSNSVerifier returns a verifier that fetches certificates with client
// (nil: http.DefaultClient) and accepts only the given topic ARNs; with no
// topics nothing is accepted.
func NewSNSVerifier(client *http.Client, topics []string) *SNSVerifier {
	if client == nil {
		client = http.DefaultClient
	}
	// A copy that never follows redirects: the URL check must hold for
	// the server that actually answers.
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	v := &SNSVerifier{client: &c, topics: map[string]bool{}, certs: map[string]*x509.Certificate{}}
	for _, t := range topics {
		if t = strings.TrimSpace(t); t != "" {
			v.topics[t] = true
		}
	}
	return v
}

// Verify checks that m was signed by Amazon SNS for an accepted topic.
// Authentication failures wrap ErrUnauthorized; other errors (AWS
// unreachable) are temporary and deserve a 5xx so SNS retries.
func (v *SNSVerifier) Verify(ctx context.Context, m SNSMessage) error {
	if !v.topics[m.TopicArn] {
		return unauthorized("sns: topic %q not accepted", m.TopicArn)
	}
	hash, err := snsHash(m.SignatureVersion)
	if err != nil {
		return err
	}
	signed, err := snsStringToSign(m)
	if err != nil {
		return err
	}
	sig, err := base64.StdEncoding.DecodeString(m.Signature)
	if err != nil || len(sig) == 0 {
		return unauthorized("sns: signature is not base64")
	}
	cert, err := v.certificate(ctx, m.SigningCertURL)
	if err != nil {
		return err
	}
	if now := v.now(); now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return unauthorized("sns: signing certificate not valid at %s", now.UTC().Format(time.RFC3339))
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return unauthorized("sns: signing certificate has no RSA key")
	}
	h := hash.New()
	h.Write([]byte(signed))
	if err := rsa.VerifyPKCS1v15(pub, hash, h.Sum(nil), sig); err != nil {
		return unauthorized("sns: bad signature: %v", err)
	}
	return nil
}

// Confirm confirms a subscription by fetching its SubscribeURL. Call it only
// for a message that passed Verify.
func (v *SNSVerifier) Confirm(ctx context.Context, m SNSMessage) error {
	if m.Type != SNSSubscriptionConfirmation {
		return fmt.Errorf("inbound: sns: cannot confirm a %q message", m.Type)
	}
	if !v.topics[m.TopicArn] {
		return unauthorized("sns: topic %q not accepted", m.TopicArn)
	}
	u, err := v.checkURL(m.SubscribeURL, false)
	if err != nil {
		return err
	}
	resp, err := v.get(ctx, u)
	if err != nil {
		return fmt.Errorf("inbound: sns: confirm subscription: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxCertBytes))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("inbound: sns: confirm subscription: HTTP %d", resp.StatusCode)
	}
	return nil
}

// snsHash maps SignatureVersion to its hash: 1 is SHA1withRSA, 2 is
// SHA256withRSA.
func snsHash(version string) (crypto.Hash, error) {
	switch version {
	case "1":
		return crypto.SHA1, nil
	case "2":
		return crypto.SHA256, nil
	}
	return 0, unauthorized("sns: unsupported SignatureVersion %q", version)
}

// snsStringToSign builds the canonical string AWS signs: "Name\nvalue\n" for
// a fixed, byte-sorted list of fields that depends on the message type
// (docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html).
func snsStringToSign(m SNSMessage) (string, error) {
	var fields [][2]string
	switch m.Type {
	case SNSNotification:
		fields = [][2]string{{"Message", m.Message}, {"MessageId", m.MessageId}}
		if m.Subject != "" {
			fields = append(fields, [2]string{"Subject", m.Subject})
		}
		fields = append(fields, [2]string{"Timestamp", m.Timestamp}, [2]string{"TopicArn", m.TopicArn}, [2]string{"Type", m.Type})
	case SNSSubscriptionConfirmation, SNSUnsubscribeConfirmation:
		fields = [][2]string{
			{"Message", m.Message}, {"MessageId", m.MessageId}, {"SubscribeURL", m.SubscribeURL},
			{"Timestamp", m.Timestamp}, {"Token", m.Token}, {"TopicArn", m.TopicArn}, {"Type", m.Type},
		}
	default:
		return "", unauthorized("sns: unknown message type %q", m.Type)
	}
	var b strings.Builder
	for _, f := range fields {
		b.WriteString(f[0] + "\n" + f[1] + "\n")
	}
	return b.String(), nil
}

// checkURL enforces https and an SNS host (or AllowHost), and for
// certificates a .pem path.
func (v *SNSVerifier) checkURL(raw string, pemPath bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || raw == "" {
		return nil, unauthorized("sns: bad URL %q", raw)
	}
	if u.Scheme != "https" || u.User != nil || u.Opaque != "" || u.Host == "" {
		return nil, unauthorized("sns: URL %q is not a plain https URL", raw)
	}
	allow := v.AllowHost
	if allow == nil {
		allow = IsSNSHost
	}
	if !allow(u.Host) {
		return nil, unauthorized("sns: host %q is not an SNS host", u.Host)
	}
	if pemPath && !strings.HasSuffix(u.Path, ".pem") {
		return nil, unauthorized("sns: certificate URL %q does not end in .pem", raw)
	}
	return u, nil
}

// IsSNSHost reports whether host (as in a URL, without port) is exactly
// sns.<region>.amazonaws.com or sns.<region>.amazonaws.com.cn.
func IsSNSHost(host string) bool {
	return snsHostRe.MatchString(host)
}

// certificate returns the signing certificate, from the cache when this URL
// was fetched before.
func (v *SNSVerifier) certificate(ctx context.Context, raw string) (*x509.Certificate, error) {
	u, err := v.checkURL(raw, true)
	if err != nil {
		return nil, err
	}
	key := u.String()
	v.mu.Lock()
	cert := v.certs[key]
	v.mu.Unlock()
	if cert != nil {
		return cert, nil
	}
	if cert, err = v.fetchCert(ctx, u); err != nil {
		return nil, err
	}
	v.mu.Lock()
	if len(v.certs) >= maxCachedCert {
		// AWS rotates rarely; a full cache means churn, so start over
		// rather than track ages.
		clear(v.certs)
	}
	v.certs[key] = cert
	v.mu.Unlock()
	return cert, nil
}

func (v *SNSVerifier) fetchCert(ctx context.Context, u *url.URL) (*x509.Certificate, error) {
	resp, err := v.get(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("inbound: sns: fetch certificate: %w", err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 500:
		return nil, fmt.Errorf("inbound: sns: fetch certificate: HTTP %d", resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return nil, unauthorized("sns: certificate URL answered HTTP %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxCertBytes))
	if err != nil {
		return nil, fmt.Errorf("inbound: sns: read certificate: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, unauthorized("sns: certificate URL did not serve a PEM certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, unauthorized("sns: parse certificate: %v", err)
	}
	return cert, nil
}

func (v *SNSVerifier) get(ctx context.Context, u *url.URL) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	return v.client.Do(req)
}

func (v *SNSVerifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}
