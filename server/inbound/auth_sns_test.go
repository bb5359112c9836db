package inbound

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const testTopic = "arn:aws:sns:us-east-1:123456789012:portico-inbound"

// snsFake is an httptest TLS server standing in for sns.<region>.amazonaws.com.
type snsFake struct {
	srv       *httptest.Server
	key       *rsa.PrivateKey
	certHits  atomic.Int32
	confirmed atomic.Int32
}

func newSNSFake(t *testing.T) *snsFake {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "sns.amazonaws.com"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	f := &snsFake{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("/SimpleNotificationService-test.pem", func(w http.ResponseWriter, r *http.Request) {
		f.certHits.Add(1)
		_, _ = w.Write(certPEM)
	})
	mux.HandleFunc("/redirect.pem", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/SimpleNotificationService-test.pem", http.StatusFound)
	})
	mux.HandleFunc("/broken.pem", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/garbage.pem", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("not a certificate"))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("Action") == "ConfirmSubscription" && r.URL.Query().Get("Token") == "tok-123" {
			f.confirmed.Add(1)
			_, _ = w.Write([]byte("<ConfirmSubscriptionResponse/>"))
			return
		}
		http.NotFound(w, r)
	})
	f.srv = httptest.NewTLSServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *snsFake) host() string { return strings.TrimPrefix(f.srv.URL, "https://") }

func (f *snsFake) certURL() string { return f.srv.URL + "/SimpleNotificationService-test.pem" }

// verifier trusts the fake's host in addition to the production rule.
func (f *snsFake) verifier(topics ...string) *SNSVerifier {
	v := NewSNSVerifier(f.srv.Client(), topics)
	v.AllowHost = func(h string) bool { return h == f.host() || IsSNSHost(h) }
	return v
}

// canonical builds the string to sign exactly as the AWS documentation
// lists it, independently of the code under test.
func canonicalForTest(m SNSMessage) string {
	if m.Type == "Notification" {
		s := "Message\n" + m.Message + "\nMessageId\n" + m.MessageId + "\n"
		if m.Subject != "" {
			s += "Subject\n" + m.Subject + "\n"
		}
		return s + "Timestamp\n" + m.Timestamp + "\nTopicArn\n" + m.TopicArn + "\nType\n" + m.Type + "\n"
	}
	return "Message\n" + m.Message + "\nMessageId\n" + m.MessageId + "\nSubscribeURL\n" + m.SubscribeURL +
		"\nTimestamp\n" + m.Timestamp + "\nToken\n" + m.Token + "\nTopicArn\n" + m.TopicArn + "\nType\n" + m.Type + "\n"
}

func signSNS(t *testing.T, key *rsa.PrivateKey, m SNSMessage) SNSMessage {
	t.Helper()
	data := []byte(canonicalForTest(m))
	var (
		sig []byte
		err error
	)
	switch m.SignatureVersion {
	case "1":
		d := sha1.Sum(data)
		sig, err = rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA1, d[:])
	default:
		d := sha256.Sum256(data)
		sig, err = rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, d[:])
	}
	if err != nil {
		t.Fatal(err)
	}
	m.Signature = base64.StdEncoding.EncodeToString(sig)
	return m
}

func (f *snsFake) notification(t *testing.T, version, subject, message string) SNSMessage {
	return signSNS(t, f.key, SNSMessage{
		Type:             "Notification",
		MessageId:        "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
		TopicArn:         testTopic,
		Subject:          subject,
		Message:          message,
		Timestamp:        "2024-05-14T09:12:04.011Z",
		SignatureVersion: version,
		SigningCertURL:   f.certURL(),
		UnsubscribeURL:   f.srv.URL + "/?Action=Unsubscribe&SubscriptionArn=x",
	})
}

func (f *snsFake) confirmation(t *testing.T, version, typ string) SNSMessage {
	return signSNS(t, f.key, SNSMessage{
		Type:             typ,
		MessageId:        "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
		Token:            "tok-123",
		TopicArn:         testTopic,
		Message:          "You have chosen to subscribe to the topic " + testTopic + ".\nTo confirm the subscription, visit the SubscribeURL included in this message.",
		SubscribeURL:     f.srv.URL + "/?Action=ConfirmSubscription&TopicArn=" + url.QueryEscape(testTopic) + "&Token=tok-123",
		Timestamp:        "2024-05-14T09:00:00.000Z",
		SignatureVersion: version,
		SigningCertURL:   f.certURL(),
	})
}

func TestSNSVerifyAccepts(t *testing.T) {
	f := newSNSFake(t)
	v := f.verifier(testTopic)
	msgs := map[string]SNSMessage{
		"notification v1 with subject":    f.notification(t, "1", "Amazon SES Email Receipt Notification", `{"notificationType":"Received"}`),
		"notification v2 without subject": f.notification(t, "2", "", "line one\nline \"two\"\twith ünïcode"),
		"subscription v1":                 f.confirmation(t, "1", "SubscriptionConfirmation"),
		"subscription v2":                 f.confirmation(t, "2", "SubscriptionConfirmation"),
		"unsubscribe v2":                  f.confirmation(t, "2", "UnsubscribeConfirmation"),
	}
	for name, m := range msgs {
		// Round-trip through JSON and ParseSNS, as the handler does.
		body, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := ParseSNS(body)
		if err != nil {
			t.Fatalf("%s: ParseSNS: %v", name, err)
		}
		if err := v.Verify(context.Background(), parsed); err != nil {
			t.Errorf("%s: Verify: %v", name, err)
		}
	}
	if n := f.certHits.Load(); n != 1 {
		t.Errorf("certificate fetched %d times, want once (cached)", n)
	}
}

func TestSNSVerifyRejects(t *testing.T) {
	f := newSNSFake(t)
	good := f.notification(t, "2", "subject", "message")
	tests := map[string]struct {
		v    *SNSVerifier
		edit func(*SNSMessage)
	}{
		"tampered message":     {f.verifier(testTopic), func(m *SNSMessage) { m.Message += " " }},
		"tampered subject":     {f.verifier(testTopic), func(m *SNSMessage) { m.Subject = "" }},
		"tampered timestamp":   {f.verifier(testTopic), func(m *SNSMessage) { m.Timestamp = "2024-05-14T09:12:05.011Z" }},
		"type changed":         {f.verifier(testTopic), func(m *SNSMessage) { m.Type = "SubscriptionConfirmation" }},
		"wrong version":        {f.verifier(testTopic), func(m *SNSMessage) { m.SignatureVersion = "1" }},
		"unknown version":      {f.verifier(testTopic), func(m *SNSMessage) { m.SignatureVersion = "3" }},
		"signature not base64": {f.verifier(testTopic), func(m *SNSMessage) { m.Signature = "!!" }},
		"no signature":         {f.verifier(testTopic), func(m *SNSMessage) { m.Signature = "" }},
		"wrong topic":          {f.verifier("arn:aws:sns:us-east-1:123456789012:other"), func(*SNSMessage) {}},
		"no topics configured": {f.verifier(), func(*SNSMessage) {}},
		"cert 404":             {f.verifier(testTopic), func(m *SNSMessage) { m.SigningCertURL = f.srv.URL + "/missing.pem" }},
		"cert redirect":        {f.verifier(testTopic), func(m *SNSMessage) { m.SigningCertURL = f.srv.URL + "/redirect.pem" }},
		"cert garbage":         {f.verifier(testTopic), func(m *SNSMessage) { m.SigningCertURL = f.srv.URL + "/garbage.pem" }},
		"cert not .pem":        {f.verifier(testTopic), func(m *SNSMessage) { m.SigningCertURL = f.srv.URL + "/cert.txt" }},
	}
	for name, tt := range tests {
		m := good
		tt.edit(&m)
		if err := tt.v.Verify(context.Background(), m); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("%s: err = %v, want ErrUnauthorized", name, err)
		}
	}

	// Signed by another key.
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	forged := good
	forged = signSNS(t, other, forged)
	if err := f.verifier(testTopic).Verify(context.Background(), forged); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("forged: err = %v", err)
	}

	// Expired certificate.
	v := f.verifier(testTopic)
	v.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	if err := v.Verify(context.Background(), good); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("expired certificate: err = %v", err)
	}

	// AWS failing is temporary, not an authentication failure.
	m := good
	m.SigningCertURL = f.srv.URL + "/broken.pem"
	if err := f.verifier(testTopic).Verify(context.Background(), m); err == nil || errors.Is(err, ErrUnauthorized) {
		t.Errorf("cert server 503: err = %v, want a temporary error", err)
	}
}

// failingTransport records requests and fails them: production URL rules
// must refuse before any request is made.
type failingTransport struct{ calls atomic.Int32 }

func (f *failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	f.calls.Add(1)
	return nil, errors.New("no network in tests")
}

func TestSNSCertificateURLRule(t *testing.T) {
	f := newSNSFake(t)
	tr := &failingTransport{}
	v := NewSNSVerifier(&http.Client{Transport: tr}, []string{testTopic})
	for _, certURL := range []string{
		"http://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem",
		"https://sns.evil.com/SimpleNotificationService-x.pem",
		"https://sns.us-east-1.amazonaws.com.evil.com/SimpleNotificationService-x.pem",
		"https://evil.com/sns.us-east-1.amazonaws.com/x.pem",
		"https://sns-us-east-1.amazonaws.com/x.pem",
		"https://s3.us-east-1.amazonaws.com/x.pem",
		"https://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.txt",
		"https://user@sns.us-east-1.amazonaws.com/x.pem",
		"https://sns.us-east-1.amazonaws.com:8443/x.pem",
		"https://xsns.us-east-1.amazonaws.com/x.pem",
		"//sns.us-east-1.amazonaws.com/x.pem",
		"",
		f.certURL(), // the test server: not an SNS host without AllowHost
	} {
		m := f.notification(t, "2", "", "m")
		m.SigningCertURL = certURL
		if err := v.Verify(context.Background(), m); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("%q: err = %v, want ErrUnauthorized", certURL, err)
		}
	}
	if n := tr.calls.Load(); n != 0 {
		t.Errorf("%d requests made for rejected URLs", n)
	}
	// Valid production URLs pass the rule and reach the (failing) client.
	for _, certURL := range []string{
		"https://sns.us-east-1.amazonaws.com/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem",
		"https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-x.pem",
		"https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-x.pem",
	} {
		m := f.notification(t, "2", "", "m")
		m.SigningCertURL = certURL
		if err := v.Verify(context.Background(), m); err == nil || errors.Is(err, ErrUnauthorized) {
			t.Errorf("%q: err = %v, want a fetch error", certURL, err)
		}
	}
}

func TestIsSNSHost(t *testing.T) {
	for host, want := range map[string]bool{
		"sns.us-east-1.amazonaws.com":          true,
		"sns.eu-central-1.amazonaws.com":       true,
		"sns.ap-southeast-2.amazonaws.com":     true,
		"sns.cn-northwest-1.amazonaws.com.cn":  true,
		"sns.amazonaws.com":                    false,
		"sns.evil.com":                         false,
		"sns.us-east-1.amazonaws.com.evil.com": false,
		"sns.us-east-1.amazonaws.co":           false,
		"sns.us_east-1.amazonaws.com":          false,
		"sns.us-east-1.amazonaws.com:443":      false,
		"SNS.US-EAST-1.AMAZONAWS.COM":          false,
		"":                                     false,
	} {
		if got := IsSNSHost(host); got != want {
			t.Errorf("IsSNSHost(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestSNSConfirm(t *testing.T) {
	f := newSNSFake(t)
	v := f.verifier(testTopic)
	m := f.confirmation(t, "2", "SubscriptionConfirmation")
	if err := v.Verify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if err := v.Confirm(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if n := f.confirmed.Load(); n != 1 {
		t.Errorf("SubscribeURL fetched %d times", n)
	}

	bad := map[string]func(*SNSMessage){
		"http":       func(m *SNSMessage) { m.SubscribeURL = strings.Replace(m.SubscribeURL, "https:", "http:", 1) },
		"other host": func(m *SNSMessage) { m.SubscribeURL = "https://sns.evil.com/?Action=ConfirmSubscription" },
		"lookalike": func(m *SNSMessage) {
			m.SubscribeURL = "https://sns.us-east-1.amazonaws.com.evil.com/?Action=ConfirmSubscription"
		},
		"other topic":   func(m *SNSMessage) { m.TopicArn = "arn:aws:sns:us-east-1:123456789012:other" },
		"empty address": func(m *SNSMessage) { m.SubscribeURL = "" },
	}
	for name, edit := range bad {
		mm := m
		edit(&mm)
		if err := v.Confirm(context.Background(), mm); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("%s: err = %v, want ErrUnauthorized", name, err)
		}
	}
	n := f.notification(t, "2", "", "x")
	if err := v.Confirm(context.Background(), n); err == nil {
		t.Error("confirmed a Notification")
	}
	wrongToken := m
	wrongToken.SubscribeURL = strings.Replace(m.SubscribeURL, "tok-123", "nope", 1)
	if err := v.Confirm(context.Background(), wrongToken); err == nil {
		t.Error("404 from SubscribeURL not reported")
	}
	if n := f.confirmed.Load(); n != 1 {
		t.Errorf("SubscribeURL fetched %d times after rejections", n)
	}
}

// TestSESThroughSNS runs the whole SES path: a signed SNS notification
// carrying SES's JSON with the base64 mail.
func TestSESThroughSNS(t *testing.T) {
	f := newSNSFake(t)
	note := f.notification(t, "1", "Amazon SES Email Receipt Notification", string(fixture(t, "ses/received.json")))
	body, _ := json.Marshal(note)
	msg, err := ParseSNS(body)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.verifier(testTopic).Verify(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	m, err := ParseSESNotification(msg.Message)
	if err != nil {
		t.Fatal(err)
	}
	if m.Provider != "ses" || m.MessageID != "<CAF=1q2w3e4r5t6y7u8i9o0p@mail.gmail.com>" {
		t.Errorf("Provider %q MessageID %q", m.Provider, m.MessageID)
	}
}

func TestParseSNS(t *testing.T) {
	// Shape of the AWS documentation's example notification.
	doc := `{
  "Type" : "Notification",
  "MessageId" : "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
  "TopicArn" : "arn:aws:sns:us-west-2:123456789012:MyTopic",
  "Subject" : "My First Message",
  "Message" : "Hello world!",
  "Timestamp" : "2012-05-02T00:54:06.655Z",
  "SignatureVersion" : "1",
  "Signature" : "EXAMPLEw6JRN...",
  "SigningCertURL" : "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
  "UnsubscribeURL" : "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-west-2:123456789012:MyTopic:c9135db0-26c4-47ec-8998-413945fb5a96"
}`
	m, err := ParseSNS([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != SNSNotification || m.Subject != "My First Message" || m.SignatureVersion != "1" || !strings.HasSuffix(m.SigningCertURL, ".pem") {
		t.Errorf("parsed %+v", m)
	}
	for _, body := range []string{
		"", "[]", "{}", `{"Type":"Notification"}`, `{"Type":"Other","TopicArn":"a","MessageId":"b"}`,
		`{"Type":"Notification","TopicArn":"a"}`, `{"Type":1}`,
	} {
		if _, err := ParseSNS([]byte(body)); !errors.Is(err, ErrUnparsable) {
			t.Errorf("ParseSNS(%q) err = %v, want ErrUnparsable", body, err)
		}
	}
}

func FuzzParseSNS(f *testing.F) {
	f.Add([]byte(`{"Type":"Notification","MessageId":"a","TopicArn":"` + testTopic + `","Message":"{}","SignatureVersion":"2","Signature":"AAAA","SigningCertURL":"https://sns.us-east-1.amazonaws.com/x.pem"}`))
	f.Add([]byte(`{"Type":"SubscriptionConfirmation","MessageId":"a","TopicArn":"` + testTopic + `","SubscribeURL":"https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription"}`))
	v := NewSNSVerifier(&http.Client{Transport: &failingTransport{}}, []string{testTopic})
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := ParseSNS(body)
		if err != nil {
			if !errors.Is(err, ErrUnparsable) {
				t.Fatalf("error %v does not wrap ErrUnparsable", err)
			}
			return
		}
		// Nothing can verify without the network: every message fails,
		// none panics.
		if err := v.Verify(context.Background(), m); err == nil {
			t.Fatal("verified without a certificate")
		}
		_ = v.Confirm(context.Background(), m)
		if _, err := ParseSESNotification(m.Message); err != nil && !errors.Is(err, ErrUnparsable) {
			t.Fatalf("ParseSESNotification error %v does not wrap ErrUnparsable", err)
		}
	})
}

func TestSNSVerifyConcurrent(t *testing.T) {
	f := newSNSFake(t)
	v := f.verifier(testTopic)
	m := f.notification(t, "2", "", "concurrent")
	errs := make(chan error, 8)
	for range 8 {
		go func() { errs <- v.Verify(context.Background(), m) }()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	// Concurrent first uses may each fetch; after that the cache answers.
	before := f.certHits.Load()
	if err := v.Verify(context.Background(), m); err != nil || f.certHits.Load() != before {
		t.Errorf("err %v, fetches %d -> %d", err, before, f.certHits.Load())
	}
}
