package harness

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/url"
	"strings"
)

// portalLinkLine starts the footer line of the text part that carries the
// portal link (server/mail/compose.go).
const portalLinkLine = "View this conversation: "

// ParseConfirmation returns the portal URL from the text part's footer line
// and the Message-ID of a raw confirmation mail. The text part is decoded
// (quoted-printable soft breaks would otherwise split a long URL).
func ParseConfirmation(raw []byte) (portalURL, messageID string, err error) {
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

// PortalToken takes the token out of http://host/portal/<64 hex>. The
// requests go to the tool's server, whatever host the link names.
func PortalToken(portalURL string) (string, error) {
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
