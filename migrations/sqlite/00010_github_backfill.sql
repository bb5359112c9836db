-- +goose Up
-- The GitHub backfill (issue 16) looks for tickets without an issue: those
-- filed while the sync was off, or whose issue job gave up. With the sync on
-- nearly every ticket has one, so this index stays small and the admin
-- page's count of what is missing reads only those.
CREATE INDEX tickets_without_issue_idx ON tickets (id) WHERE github_issue_number IS NULL;

-- +goose Down
DROP INDEX tickets_without_issue_idx;
