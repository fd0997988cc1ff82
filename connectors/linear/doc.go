// Package linear is the Linear connector: one team of a Linear workspace
// seen as a connectors.Connector, with webhooks (connectors.Webhooks) and
// webhook registration (connectors.Registrar), manual order
// (connectors.Orderer) and field history (connectors.History). It talks GraphQL through
// github.com/hasura/go-graphql-client with raw documents, each of which
// validates against Linear's published schema (the tests check this).
//
// It owns the Linear ⇄ canonical mapping (mapping.go: states by name then
// by type, priorities 0–4, labels, assignee by email, cycles, sortOrder as
// Rank), paging changed issues with an opaque cursor, idempotent creation
// with a client-chosen issue id, one issueUpdate per patch, error mapping
// (RATELIMITED → *connectors.RateLimitError with the wait read from
// X-RateLimit-*-Reset, authentication → ErrUnauthorized, "Entity not found"
// → ErrNotFound, invalid input → permanent), and webhook verification
// (webhook.go: Linear-Signature HMAC, webhookTimestamp within ±60 s).
//
// Auth and error capture live in an http.RoundTripper rather than in the
// client's request modifier (which drops retry settings); the client's own
// retry is off: connectors.WithRetry retries, watching ctx.
//
// Manual order (order.go, connectors.Orderer): Order lists the team's
// non-archived issues by ascending sortOrder (ties by id); Move writes one
// sortOrder per moved issue with issueUpdate, strictly between its new
// neighbours, and re-spreads the fewest neighbours evenly when a gap is too
// small to split. A webhook whose updatedFrom has sortOrder sets
// Delivery.Order.
//
// Field history (history.go, connectors.History): FieldChange pages
// through issue(id).history newest first (Linear orders connections by
// createdAt, most recent first) selecting only the IssueHistory fields of
// the field asked for, and credits the first entry that changed it: its
// createdAt, its actor's email (name when hidden, the bot's name for an
// integration). Comments and rank have no IssueHistory field: zero Change,
// no request.
//
// It does not own retries, the reconcile logic, comments sync or planning
// the moves (reconcile.PlanOrder does). The sandbox sub-package is an
// in-memory Linear for tests and the demo.
package linear
