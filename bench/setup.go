package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"time"
)

// mailTimeout bounds how long a setup waits for the confirmation mails of
// the tickets it filed. The job queue delivers them in order after whatever
// earlier scenarios left queued.
const mailTimeout = 90 * time.Second

// portalLinkLine starts the footer line of the text part that carries the
// portal link (server/mail/compose.go).
const portalLinkLine = "View this conversation: "

// link is one ticket filed by a setup and what its confirmation mail said.
type link struct {
	email, subject string
	reference      string // TK-n, from the widget's 201
	token          string // the portal token, from the mail's text part
	messageID      string // the mail's Message-ID, with angle brackets
}

// obtainLinks files n widget tickets, each from its own address, and waits
// for their confirmation mails at the sink to take the portal link out of
// each. It needs the server the benchmark started (its mail comes to us).
func obtainLinks(ctx context.Context, t *target, label string, n int) ([]link, error) {
	if t.sink == nil {
		return nil, errors.New("needs the server's mail, which only a server started by the benchmark sends here")
	}
	start := time.Now()
	links := make([]link, n)
	waits := make([]<-chan []byte, n)
	for i := range links {
		links[i].email = fmt.Sprintf("bench-%s-%s-%d@example.com", t.runID, label, i)
		links[i].subject = fmt.Sprintf("Bench %s ticket %d", label, i)
		waits[i] = t.sink.expect(links[i].email)
	}
	defer func() {
		for _, l := range links {
			t.sink.forget(l.email)
		}
	}()

	// File them a few at a time: this is preparation, not load.
	const parallel = 8
	errs := make([]error, n)
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i := range links {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			links[i].reference, errs[i] = fileTicket(ctx, t, links[i].email, links[i].subject)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("file the setup tickets: %w", err)
	}
	t.state.setupTickets += n
	filed := time.Since(start)

	deadline := time.NewTimer(mailTimeout)
	defer deadline.Stop()
	for i := range links {
		var raw []byte
		select {
		case raw = <-waits[i]:
		case <-deadline.C:
			return nil, fmt.Errorf("%d of %d confirmation mails did not reach the SMTP sink within %s (the job queue is behind)",
				n-i, n, mailTimeout)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		portalURL, mid, err := parseConfirmation(raw)
		if err != nil {
			return nil, fmt.Errorf("confirmation of %s: %w", links[i].reference, err)
		}
		if links[i].token, err = portalToken(portalURL); err != nil {
			return nil, fmt.Errorf("confirmation of %s: %w", links[i].reference, err)
		}
		links[i].messageID = mid
	}
	t.note("setup: %d widget ticket(s) filed in %.1f s; the last confirmation mail reached the sink %.1f s after the first ticket was filed",
		n, filed.Seconds(), time.Since(start).Seconds())
	return links, nil
}

// fileTicket files a widget ticket and returns its reference.
func fileTicket(ctx context.Context, t *target, email, subject string) (string, error) {
	req, err := widgetRequest(ctx, t, email, subject)
	if err != nil {
		return "", err
	}
	status, body, err := sendRead(t.client, req)
	if err != nil {
		return "", err
	}
	if status != http.StatusCreated {
		return "", fmt.Errorf("POST /support/widget/tickets answered %d: %.200s", status, body)
	}
	var created struct {
		Reference string `json:"reference"`
	}
	if err := json.Unmarshal(body, &created); err != nil || created.Reference == "" {
		return "", fmt.Errorf("POST /support/widget/tickets: no reference in %.200s", body)
	}
	return created.Reference, nil
}

// parseConfirmation returns the portal URL from the text part's footer line
// and the Message-ID of a raw confirmation mail. The text part is decoded
// (quoted-printable soft breaks would otherwise split a long URL).
func parseConfirmation(raw []byte) (portalURL, messageID string, err error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return "", "", fmt.Errorf("parse the mail: %w", err)
	}
	messageID = strings.TrimSpace(msg.Header.Get("Message-Id"))
	text, err := textPart(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	if err != nil {
		return "", "", err
	}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimRight(sc.Text(), "\r"), portalLinkLine); ok {
			return strings.TrimSpace(rest), messageID, nil
		}
	}
	return "", "", fmt.Errorf("no %q line in the text part", strings.TrimSpace(portalLinkLine))
}

// textPart finds the first text/plain part, however deeply the multiparts
// nest, and returns it decoded.
func textPart(contentType, encoding string, body io.Reader) (string, error) {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if contentType == "" {
		mediaType, err = "text/plain", nil
	}
	if err != nil {
		return "", fmt.Errorf("content type %q: %w", contentType, err)
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			// NextPart decodes quoted-printable itself and hides the
			// Content-Transfer-Encoding header; base64 is left to us.
			p, err := mr.NextPart()
			if err == io.EOF {
				return "", errors.New("no text/plain part")
			}
			if err != nil {
				return "", fmt.Errorf("read the parts: %w", err)
			}
			text, err := textPart(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p)
			if err == nil {
				return text, nil
			}
		}
	}
	if mediaType != "text/plain" {
		return "", fmt.Errorf("%s is not text/plain", mediaType)
	}
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, &newlineStripper{r: body})
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return "", fmt.Errorf("decode the text part: %w", err)
	}
	return string(b), nil
}

// newlineStripper drops CR and LF, which base64 bodies are wrapped with.
type newlineStripper struct{ r io.Reader }

func (n *newlineStripper) Read(p []byte) (int, error) {
	for {
		k, err := n.r.Read(p)
		j := 0
		for _, c := range p[:k] {
			if c != '\r' && c != '\n' {
				p[j] = c
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}

// portalToken takes the token out of http://host/portal/<64 hex>. The
// requests go to the target's base, whatever host the link names.
func portalToken(portalURL string) (string, error) {
	u, err := url.Parse(portalURL)
	if err != nil {
		return "", fmt.Errorf("portal link %q: %w", portalURL, err)
	}
	token, ok := strings.CutPrefix(u.Path, "/portal/")
	if !ok || len(token) != 64 || strings.Trim(token, "0123456789abcdef") != "" {
		return "", fmt.Errorf("portal link %q is not /portal/<64 hex>", portalURL)
	}
	return token, nil
}

func gzipSize(b []byte) int {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // the level is valid
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Len()
}

func metOrNot(met bool) string {
	if met {
		return "met"
	}
	return "NOT met"
}
