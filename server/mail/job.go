package mail

// DeliverArgs is the durable job that sends one queued outbound mail (a row of
// outbound_mails). It is enqueued in the transaction that queued the mail.
type DeliverArgs struct {
	OutboundID int64 `json:"outbound_id"`
	// Charged: the mail was counted against its recipient's budget already
	// (by the event's job that tried it first).
	Charged bool `json:"charged,omitempty"`
}

// Kind names the job for River.
func (DeliverArgs) Kind() string { return "mail.deliver" }

// ConfirmationPayload is what a confirmation mail needs, stored with the
// queued mail; the portal and signup links are minted when it is sent, so no
// usable token ever rests in the database. It holds nothing the submitter
// typed: the confirmation never repeats it.
type ConfirmationPayload struct {
	ContactID int64 `json:"contact_id"`
	// SignupURLTemplate is set under the prompt_signup guest policy.
	SignupURLTemplate string `json:"signup_url_template,omitempty"`
}

// AgentReplyPayload is what an agent's reply mail says.
type AgentReplyPayload struct {
	CustomerName string `json:"customer_name"`
	AgentName    string `json:"agent_name"`
	BodyText     string `json:"body_text"`
	BodyHTML     string `json:"body_html,omitempty"`
}

// PortalLinkPayload is what a mail with a fresh portal link says (the link
// itself is minted when it is sent).
type PortalLinkPayload struct {
	CustomerName string `json:"customer_name"`
}
