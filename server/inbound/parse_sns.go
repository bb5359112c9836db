package inbound

import (
	"encoding/json"
)

// SNS message types (docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html).
const (
	SNSNotification             = "Notification"
	SNSSubscriptionConfirmation = "SubscriptionConfirmation"
	SNSUnsubscribeConfirmation  = "UnsubscribeConfirmation"
)

// SNSMessage is the JSON document Amazon SNS posts to an HTTPS endpoint.
// Check it with SNSVerifier.Verify before trusting any field.
type SNSMessage struct {
	Type             string
	MessageId        string // spelled as in the AWS JSON
	Token            string
	TopicArn         string
	Subject          string
	Message          string
	Timestamp        string
	SignatureVersion string
	Signature        string
	SigningCertURL   string
	SubscribeURL     string
	UnsubscribeURL   string
}

// ParseSNS parses an SNS HTTP(S) delivery. It checks the shape only; the
// signature is SNSVerifier's job.
func ParseSNS(body []byte) (SNSMessage, error) {
	var m SNSMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return SNSMessage{}, unparsable("sns JSON: %v", err)
	}
	switch m.Type {
	case SNSNotification, SNSSubscriptionConfirmation, SNSUnsubscribeConfirmation:
	default:
		return SNSMessage{}, unparsable("sns: unknown message type %q", m.Type)
	}
	if m.TopicArn == "" || m.MessageId == "" {
		return SNSMessage{}, unparsable("sns: TopicArn or MessageId missing")
	}
	return m, nil
}
