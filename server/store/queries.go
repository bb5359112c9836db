package store

import "github.com/jmoiron/sqlx"

// columns are the column lists that queries name as {{ticketCols}}: the
// columns a model type is read from, in one place.
var columns = map[string]string{
	"contactCols":       `id, email, name, user_id, locale, created_at, updated_at`,
	"ticketCols":        `id, reference, subject, status, priority, channel, contact_id, requester_id, closed_at, github_issue_number, created_at, updated_at, portal_stopped_at, portal_retention, page_url, page_title, locale`,
	"messageCols":       `id, ticket_id, direction, source, author_name, author_email, body, email_message_id, created_at`,
	"linkCols":          `id, ticket_id, email, revoked_at, created_at`,
	"mailCols":          `id, ticket_id, message_id, kind, to_email, to_name, email_message_id, in_reply_to, refs, payload, status, attempts, last_error, sent_at, created_at`,
	"heldCols":          `id, ticket_id, dedup_key, provider, from_email, from_name, subject, reason, auth, created_at`,
	"githubPostCols":    `key, ticket_id, github_id, created_at, posted_at`,
	"workflowRuleCols":  `id, name, event, conditions, actions, stop_processing, enabled, position, webhook_secret, version, created_at, updated_at`,
	"workflowRunCols":   `id, rule_id, rule_name, ticket_id, event, event_key, depth, actions, next_step, status, error, created_at, updated_at, finished_at`,
	"workflowDelayCols": `id, run_id, rule_id, ticket_id, due_at, after_message_id, state, reason, created_at, updated_at`,
	"auditCols":         `id, action, contact_id, ticket_id, actor, detail, created_at`,
	"ratingCols":        `id, ticket_id, contact_id, score, comment, created_at, updated_at`,
}

// queries holds every query of queries/*.sql, filled at start-up by
// prepareQueries (see registry.go): a new query is its block in the .sql
// file and its field here. Fields are exported only for reflection.
type queries struct {
	// contacts.sql
	UpsertContact   *sqlx.Stmt `query:"upsert-contact"`
	ContactByID     *sqlx.Stmt `query:"contact-by-id"`
	SetContactUser  *sqlx.Stmt `query:"set-contact-user"`
	StampRequesters *sqlx.Stmt `query:"stamp-requesters"`

	// tickets.sql
	InsertTicket        *sqlx.Stmt `query:"insert-ticket"`
	TicketByID          *sqlx.Stmt `query:"ticket-by-id"`
	ListTickets         *sqlx.Stmt `query:"list-tickets"`
	CountTickets        *sqlx.Stmt `query:"count-tickets"`
	InsertMessage       *sqlx.Stmt `query:"insert-message"`
	MessagesOfTicket    *sqlx.Stmt `query:"messages-of-ticket"`
	PortalLinksOfTicket *sqlx.Stmt `query:"portal-links-of-ticket"`

	// portal.sql
	UpsertPortalLink    *sqlx.Stmt `query:"upsert-portal-link"`
	InsertPortalToken   *sqlx.Stmt `query:"insert-portal-token"`
	PortalLinkByToken   *sqlx.Stmt `query:"portal-link-by-token"`
	RevokePortalLinks   *sqlx.Stmt `query:"revoke-portal-links"`
	RevokePortalTokens  *sqlx.Stmt `query:"revoke-portal-tokens"`
	PortalLinkFacts     *sqlx.Stmt `query:"portal-link-facts"`
	StopPortal          *sqlx.Stmt `query:"stop-portal"`
	ResumePortal        *sqlx.Stmt `query:"resume-portal"`
	OnTicket            *sqlx.Stmt `query:"on-ticket"`
	AddressKnown        *sqlx.Stmt `query:"address-known"`
	AddMessageRecipient *sqlx.Stmt `query:"add-message-recipient"`
	PortalMessages      *sqlx.Stmt `query:"portal-messages"`
	ReplyPayloadsTo     *sqlx.Stmt `query:"reply-payloads-to"`
	CloseTicket         *sqlx.Stmt `query:"close-ticket"`
	ReopenTicket        *sqlx.Stmt `query:"reopen-ticket"`
	SetMessageEmailID   *sqlx.Stmt `query:"set-message-email-id"`
	ThreadMessageIDs    *sqlx.Stmt `query:"thread-message-ids"`
	UseSignupToken      *sqlx.Stmt `query:"use-signup-token"`

	// mail.sql
	InsertMail    *sqlx.Stmt `query:"insert-mail"`
	MailByID      *sqlx.Stmt `query:"mail-by-id"`
	MarkMailSent  *sqlx.Stmt `query:"mark-mail-sent"`
	MarkMailTried *sqlx.Stmt `query:"mark-mail-tried"`
	MailsOfTicket *sqlx.Stmt `query:"mails-of-ticket"`

	// participants.sql
	AddParticipant       *sqlx.Stmt `query:"add-participant"`
	ParticipantsOfTicket *sqlx.Stmt `query:"participants-of-ticket"`

	// inbound.sql
	TicketByMailID      *sqlx.Stmt `query:"ticket-by-mail-id"`
	CountOwnMailID      *sqlx.Stmt `query:"count-own-mail-id"`
	MessageByMailID     *sqlx.Stmt `query:"message-by-mail-id"`
	CountParticipant    *sqlx.Stmt `query:"count-participant"`
	InsertAttachment    *sqlx.Stmt `query:"insert-attachment"`
	AttachmentsOfTicket *sqlx.Stmt `query:"attachments-of-ticket"`
	AttachmentByID      *sqlx.Stmt `query:"attachment-by-id"`
	InsertMailgunToken  *sqlx.Stmt `query:"insert-mailgun-token"`
	PruneMailgunTokens  *sqlx.Stmt `query:"prune-mailgun-tokens"`

	// attachments.sql
	InsertUpload              *sqlx.Stmt `query:"insert-upload"`
	InsertAttachmentChunk     *sqlx.Stmt `query:"insert-attachment-chunk"`
	AttachmentChunk           *sqlx.Stmt `query:"attachment-chunk"`
	AttachmentMeta            *sqlx.Stmt `query:"attachment-meta"`
	AttachmentInlineData      *sqlx.Stmt `query:"attachment-inline-data"`
	AttachmentsOfMessage      *sqlx.Stmt `query:"attachments-of-message"`
	CountStorageKey           *sqlx.Stmt `query:"count-storage-key"`
	QueueTicketFileRemovals   *sqlx.Stmt `query:"queue-ticket-file-removals"`
	QueueAuthoredFileRemovals *sqlx.Stmt `query:"queue-authored-file-removals"`
	AttachmentRemovals        *sqlx.Stmt `query:"attachment-removals"`
	DeleteAttachmentRemoval   *sqlx.Stmt `query:"delete-attachment-removal"`

	// settings.sql
	SettingsPair   *sqlx.Stmt `query:"settings-pair"`
	SettingByKey   *sqlx.Stmt `query:"setting-by-key"`
	SettingByKeyTx *sqlx.Stmt `query:"setting-by-key-tx"`
	PutSetting     *sqlx.Stmt `query:"put-setting"`
	AddSettingOnce *sqlx.Stmt `query:"add-setting-once"`
	TakeSetting    *sqlx.Stmt `query:"take-setting"`
	DeleteSetting  *sqlx.Stmt `query:"delete-setting"`
	NotifySetting  *sqlx.Stmt `query:"notify-setting"`

	// admins.sql
	CountAdmins       *sqlx.Stmt `query:"count-admins"`
	InsertAdmin       *sqlx.Stmt `query:"insert-admin"`
	AdminByEmail      *sqlx.Stmt `query:"admin-by-email"`
	AdminBySession    *sqlx.Stmt `query:"admin-by-session"`
	InsertSession     *sqlx.Stmt `query:"insert-session"`
	DeleteSession     *sqlx.Stmt `query:"delete-session"`
	DeleteOldSessions *sqlx.Stmt `query:"delete-old-sessions"`
	CountAdminsTx     *sqlx.Stmt `query:"count-admins-tx"`
	CreateAdmin       *sqlx.Stmt `query:"create-admin"`

	// held.sql: run unprepared
	HoldMail       string `query:"hold-mail"`
	HeldMails      string `query:"held-mails"`
	HeldMail       string `query:"held-mail"`
	DeleteHeldMail string `query:"delete-held-mail"`
	InsertDedupKey string `query:"insert-dedup-key"`
	InboundSeen    string `query:"inbound-seen"`

	// github.sql
	InsertGitHubDelivery    *sqlx.Stmt `query:"insert-github-delivery"`
	PruneGitHubDeliveries   *sqlx.Stmt `query:"prune-github-deliveries"`
	InsertGitHubPost        *sqlx.Stmt `query:"insert-github-post"`
	GitHubPostByKey         *sqlx.Stmt `query:"github-post-by-key"`
	FinishGitHubPost        *sqlx.Stmt `query:"finish-github-post"`
	SetGitHubIssueNumber    *sqlx.Stmt `query:"set-github-issue-number"`
	TicketByGitHubIssue     *sqlx.Stmt `query:"ticket-by-github-issue"`
	MessageByID             *sqlx.Stmt `query:"message-by-id"`
	InsertGitHubComment     *sqlx.Stmt `query:"insert-github-comment"`
	GitHubCommentByID       *sqlx.Stmt `query:"github-comment-by-id"`
	AdvanceGitHubIssueState *sqlx.Stmt `query:"advance-github-issue-state"`
	TicketAndIssueState     *sqlx.Stmt `query:"ticket-and-issue-state"`
	DeleteGitHubPost        *sqlx.Stmt `query:"delete-github-post"`
	TicketsWithoutIssue     *sqlx.Stmt `query:"tickets-without-issue"`
	CountErasedWithoutIssue *sqlx.Stmt `query:"count-erased-without-issue"`
	TicketErased            *sqlx.Stmt `query:"ticket-erased"`

	// workflows.sql
	WorkflowRules                   *sqlx.Stmt `query:"workflow-rules"`
	WorkflowRuleByID                *sqlx.Stmt `query:"workflow-rule-by-id"`
	InsertWorkflowRule              *sqlx.Stmt `query:"insert-workflow-rule"`
	UpdateWorkflowRule              *sqlx.Stmt `query:"update-workflow-rule"`
	SetWorkflowRuleEnabled          *sqlx.Stmt `query:"set-workflow-rule-enabled"`
	SetWorkflowRulePosition         *sqlx.Stmt `query:"set-workflow-rule-position"`
	DeleteWorkflowRule              *sqlx.Stmt `query:"delete-workflow-rule"`
	TicketByIDTx                    *sqlx.Stmt `query:"ticket-by-id-tx"`
	SetTicketPriority               *sqlx.Stmt `query:"set-ticket-priority"`
	AddTicketTag                    *sqlx.Stmt `query:"add-ticket-tag"`
	RemoveTicketTag                 *sqlx.Stmt `query:"remove-ticket-tag"`
	TicketTags                      *sqlx.Stmt `query:"ticket-tags"`
	TicketTagsTx                    *sqlx.Stmt `query:"ticket-tags-tx"`
	FirstInboundBody                *sqlx.Stmt `query:"first-inbound-body"`
	LastInboundMessageID            *sqlx.Stmt `query:"last-inbound-message-id"`
	CountPendingGitHubIssue         *sqlx.Stmt `query:"count-pending-github-issue"`
	InsertWorkflowEvent             *sqlx.Stmt `query:"insert-workflow-event"`
	PruneWorkflowEvents             *sqlx.Stmt `query:"prune-workflow-events"`
	PruneWorkflowRuns               *sqlx.Stmt `query:"prune-workflow-runs"`
	InsertWorkflowRun               *sqlx.Stmt `query:"insert-workflow-run"`
	WorkflowRunByID                 *sqlx.Stmt `query:"workflow-run-by-id"`
	WorkflowRunByIDTx               *sqlx.Stmt `query:"workflow-run-by-id-tx"`
	AdvanceWorkflowRun              *sqlx.Stmt `query:"advance-workflow-run"`
	FinishWorkflowRun               *sqlx.Stmt `query:"finish-workflow-run"`
	MoveWorkflowRun                 *sqlx.Stmt `query:"move-workflow-run"`
	SetWorkflowRunError             *sqlx.Stmt `query:"set-workflow-run-error"`
	FailWorkflowRun                 *sqlx.Stmt `query:"fail-workflow-run"`
	ListWorkflowRuns                *sqlx.Stmt `query:"list-workflow-runs"`
	InsertWorkflowDelay             *sqlx.Stmt `query:"insert-workflow-delay"`
	WorkflowDelayByIDTx             *sqlx.Stmt `query:"workflow-delay-by-id-tx"`
	SetWorkflowDelayState           *sqlx.Stmt `query:"set-workflow-delay-state"`
	CancelWorkflowDelaysOfTicket    *sqlx.Stmt `query:"cancel-workflow-delays-of-ticket"`
	CancelWorkflowDelaysOfRule      *sqlx.Stmt `query:"cancel-workflow-delays-of-rule"`
	CancelWorkflowDelaysOfRuleOnTkt *sqlx.Stmt `query:"cancel-workflow-delays-of-rule-on-ticket"`
	CountWorkflowDelaysOfTicket     *sqlx.Stmt `query:"count-workflow-delays-of-ticket"`
	WorkflowRunsOfEvent             *sqlx.Stmt `query:"workflow-runs-of-event"`

	// privacy.sql
	PrivacyContact          *sqlx.Stmt `query:"privacy-contact"`
	TicketsOfPerson         *sqlx.Stmt `query:"tickets-of-person"`
	PrivacyMessages         *sqlx.Stmt `query:"privacy-messages"`
	PrivacyAuditOfContact   *sqlx.Stmt `query:"privacy-audit-of-contact"`
	InsertPrivacyAudit      *sqlx.Stmt `query:"insert-privacy-audit"`
	MarkContactErased       *sqlx.Stmt `query:"mark-contact-erased"`
	PrivacyContactTx        *sqlx.Stmt `query:"privacy-contact-tx"`
	PseudonymizeContact     *sqlx.Stmt `query:"pseudonymize-contact"`
	ClearRequester          *sqlx.Stmt `query:"clear-requester"`
	LiveTicketIDs           *sqlx.Stmt `query:"live-ticket-ids"`
	CountLiveTickets        *sqlx.Stmt `query:"count-live-tickets"`
	AuthoredMessages        *sqlx.Stmt `query:"authored-messages"`
	EraseAuthoredFiles      *sqlx.Stmt `query:"erase-authored-attachments"`
	EraseAuthoredMessages   *sqlx.Stmt `query:"erase-authored-messages"`
	EraseParticipant        *sqlx.Stmt `query:"erase-participant"`
	EraseRecipientOf        *sqlx.Stmt `query:"erase-recipient-of"`
	EraseTicketRecipients   *sqlx.Stmt `query:"erase-ticket-recipients"`
	ErasePortalTokensOf     *sqlx.Stmt `query:"erase-portal-tokens-of"`
	RevokePortalLinksOf     *sqlx.Stmt `query:"revoke-portal-links-of"`
	RenamePortalLinksOf     *sqlx.Stmt `query:"rename-portal-links-of"`
	EraseMailsTo            *sqlx.Stmt `query:"erase-mails-to"`
	EraseHeldMailsFrom      *sqlx.Stmt `query:"erase-held-mails-from"`
	MarkTicketErased        *sqlx.Stmt `query:"mark-ticket-erased"`
	MarkClosedTicketErased  *sqlx.Stmt `query:"mark-closed-ticket-erased"`
	EraseTimeline           *sqlx.Stmt `query:"erase-timeline"`
	EraseTicketFiles        *sqlx.Stmt `query:"erase-ticket-attachments"`
	EraseTicketParticipants *sqlx.Stmt `query:"erase-ticket-participants"`
	EraseTicketPortalTokens *sqlx.Stmt `query:"erase-ticket-portal-tokens"`
	RenameTicketPortalLinks *sqlx.Stmt `query:"rename-ticket-portal-links"`
	EraseTicketMails        *sqlx.Stmt `query:"erase-ticket-mails"`
	EraseTicketHeldMails    *sqlx.Stmt `query:"erase-ticket-held-mails"`
	PurgeCandidates         *sqlx.Stmt `query:"purge-candidates"`
	GitHubPostsOfTicket     *sqlx.Stmt `query:"github-posts-of-ticket"`
	GitHubCommentsOfTicket  *sqlx.Stmt `query:"github-comments-of-ticket"`
	CountPendingMailsTo     *sqlx.Stmt `query:"count-pending-mails-to"`

	// discussions.sql
	InsertGitHubDiscussion        *sqlx.Stmt `query:"insert-github-discussion"`
	GitHubDiscussionOfTicket      *sqlx.Stmt `query:"github-discussion-of-ticket"`
	TicketByGitHubDiscussion      *sqlx.Stmt `query:"ticket-by-github-discussion"`
	FinishGitHubNodePost          *sqlx.Stmt `query:"finish-github-node-post"`
	GitHubNodePostByKey           *sqlx.Stmt `query:"github-node-post-by-key"`
	InsertGitHubDiscussionComment *sqlx.Stmt `query:"insert-github-discussion-comment"`
	GitHubDiscussionCommentByID   *sqlx.Stmt `query:"github-discussion-comment-by-id"`
	GitHubDiscussionPostsOfTicket *sqlx.Stmt `query:"github-discussion-posts-of-ticket"`
	GitHubDiscussionAgentComments *sqlx.Stmt `query:"github-discussion-agent-comments-of-ticket"`
	GitHubIssueStateOfTicket      *sqlx.Stmt `query:"github-issue-state-of-ticket"`

	// signin.sql
	LiveContactByEmail  *sqlx.Stmt `query:"live-contact-by-email"`
	LatestLiveTicketOf  *sqlx.Stmt `query:"latest-live-ticket-of"`
	CountLiveContact    *sqlx.Stmt `query:"count-live-contact"`
	InsertSigninToken   *sqlx.Stmt `query:"insert-signin-token"`
	PruneSigninTokens   *sqlx.Stmt `query:"prune-signin-tokens"`
	SigninTokenState    *sqlx.Stmt `query:"signin-token-state"`
	UseSigninToken      *sqlx.Stmt `query:"use-signin-token"`
	InsertPortalSession *sqlx.Stmt `query:"insert-portal-session"`
	PrunePortalSessions *sqlx.Stmt `query:"prune-portal-sessions"`
	PortalSession       *sqlx.Stmt `query:"portal-session"`
	DeletePortalSession *sqlx.Stmt `query:"delete-portal-session"`
	ContactTickets      *sqlx.Stmt `query:"contact-tickets"`
	ContactTicket       *sqlx.Stmt `query:"contact-ticket"`

	// ratings.sql
	StatusMailRecipient *sqlx.Stmt `query:"status-mail-recipient"`
	UpsertRating        *sqlx.Stmt `query:"upsert-rating"`
	RatingOfTx          *sqlx.Stmt `query:"rating-of-tx"`
	RatingOf            *sqlx.Stmt `query:"rating-of"`
	RatingByID          *sqlx.Stmt `query:"rating-by-id"`
	RatingsOfTicket     *sqlx.Stmt `query:"ratings-of-ticket"`
	RatingCounts        *sqlx.Stmt `query:"rating-counts"`
	EraseTicketRatings  *sqlx.Stmt `query:"erase-ticket-ratings"`
	EraseContactRatings *sqlx.Stmt `query:"erase-contact-ratings"`
}
