package github

import (
	"context"
	"fmt"
	"strings"

	"github.com/portico/portico/server/model"
)

// Redaction after an erasure, on the discussion desk: what redact does to
// an issue, through GraphQL. The posts keep their marker.

// redactedDiscussion replaces the body of an erased ticket's discussion.
const redactedDiscussion = "🔒 **Erased.** The personal data of this ticket was erased in portico; this discussion keeps only its number and dates."

// redactDiscussion edits what the erasure asks for on the ticket's
// discussion, if it has one, and says how many edits it made. A post still
// on its way makes the job retry (errPostPending); discussions and
// comments deleted on GitHub are skipped, and so are agents' comments
// portico may not edit.
func (s *Service) redactDiscussion(ctx context.Context, t model.Ticket, a RedactArgs) (int, error) {
	posts, agentComments, err := s.store.DiscussionRedactionTargets(ctx, t.ID)
	if err != nil {
		return 0, err
	}
	wanted := map[string]bool{}
	for _, id := range a.MessageIDs {
		wanted[discussionMessageKey(id)] = true
	}
	edits := 0
	for _, p := range posts {
		isDiscussion := p.Key == discussionKey(t.ID)
		// A whole ticket: its discussion, the mirrored replies and the ratings.
		mirrored := strings.HasPrefix(p.Key, "discussion-message:") || strings.HasPrefix(p.Key, "discussion-rating:")
		if !(a.Whole && (isDiscussion || mirrored)) && !wanted[p.Key] {
			continue
		}
		if p.NodeID == nil {
			return edits, fmt.Errorf("github: redact %s: %w", t.Reference, errPostPending)
		}
		if isDiscussion {
			err = s.client.EditDiscussion(ctx, *p.NodeID, issueTitle(t), discussionMarker(p.Key)+"\n"+redactedDiscussion)
		} else {
			err = s.client.EditDiscussionComment(ctx, *p.NodeID, discussionMarker(p.Key)+"\n"+redactedComment)
		}
		if err = s.skipGoneNode(ctx, err, false); err != nil {
			return edits, err
		}
		edits++
	}
	if a.Whole {
		for _, id := range agentComments {
			err := s.client.EditDiscussionComment(ctx, id, redactedComment)
			if err = s.skipGoneNode(ctx, err, true); err != nil {
				return edits, err
			}
			edits++
		}
	}
	return edits, nil
}

// skipGoneNode is skipGone for GraphQL: a deleted discussion or comment is
// skipped, and for agents' comments one portico may not edit; a rate limit
// snoozes, anything else retries.
func (s *Service) skipGoneNode(ctx context.Context, err error, agents bool) error {
	if err == nil {
		return nil
	}
	if graphQLNotFound(err) || (agents && graphQLForbidden(err)) {
		s.log.InfoContext(ctx, "github redaction skipped", "err", err)
		return nil
	}
	return s.retryGraphQL(ctx, err)
}
