// Package jira is Tandem's connector to one Jira Cloud project, built on
// go-jira (REST v2, where rich text is wiki markup). It implements
// connectors.Connector, connectors.Webhooks, connectors.Registrar,
// connectors.Orderer, connectors.History, connectors.Commenter,
// connectors.Scoper, connectors.Deleter and connectors.Attacher, and offers Metadata for `tandem config check`.
//
// It owns: the mapping between Jira issues and backlog.Item (mapping.go:
// wiki markup ⇄ Markdown through package wiki, [~accountid:…] mentions of
// known people ⇄ canonical [@Name](mailto:email) links (mentions.go),
// statuses by name then by
// category, the five Jira priorities, labels Jira can hold, the story
// points field, due date, the Cloud parent field), assignees (users.go:
// accountId ⇄ email through Config.Users overrides and the project's
// assignable users, never a guess), sprints by name (sprint.go: the
// Sprint field read, the Agile sprint and backlog calls written), comments
// (comments.go), files (attachments.go: with Config.Files the attachment
// field rides along Get and GetMany; uploads and downloads stream; a file
// above the cap is a remote link upserted by FileLinkGlobalID), the Config.JQL scope (ANDed to the project in Changed and
// Order; not in twin recovery, which must find every twin; InScope asks one
// search `id = X AND project AND (JQL)`, none when there is no JQL and the
// key names the project), deletion (scope.go: Delete takes the sub-tasks
// along with deleteSubtasks=true, as Jira refuses the delete otherwise; an
// issue already gone is not an error), polling with a JQL cursor on
// `updated` (minute precision, one-minute overlap), idempotent creation
// through the `tandem.origin` issue property (read back from a search of the
// bot's own recent creations, since Jira only lets JQL search properties an
// installed app declared for indexing; batch.go: GetMany is one
// issue/bulkfetch of up to 100, CreateMany one twin scan and one
// issue/bulk of up to 50, the property set in the same call), status changes through
// workflow transitions (transition.go: the shortest path, found without
// admin rights by looking at the transitions issues offer, cached per
// Client, at most six steps), the manual order (order.go: Order lists ids by
// `ORDER BY Rank`, Move makes one Agile rank call per backlog.Move and
// re-ranks only the issues a 207 answer reports as failed), field history
// (history.go: the newest changelog entry touching a field, read from the
// end of Jira's oldest-first changelog, with its author's email or display
// name), the error
// contract (404 → ErrNotFound, 429 →
// RateLimitError, other 4xx → permanent), admin-webhook verification
// (X-Hub-Signature; a Rank item in the changelog sets Delivery.Order) and
// registration. It logs through Config.Log (slog.Default when nil).
//
// It does not own retries (connectors' wrapper), the merge (reconcile),
// markup conversion (packages wiki and adf) or the fake Jira (sandbox/).
package jira
