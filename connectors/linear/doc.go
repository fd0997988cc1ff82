// Package linear is the Linear connector: one team of a Linear workspace
// seen as a connectors.Connector, with webhooks (connectors.Webhooks) and
// webhook registration (connectors.Registrar), manual order
// (connectors.Orderer), field history (connectors.History), comments
// (connectors.Commenter), scope (connectors.Scoper) and deletion by
// archiving (connectors.Deleter). It talks GraphQL through
// github.com/hasura/go-graphql-client with raw documents, each of which
// validates against Linear's published schema (the tests check this).
//
// It owns the Linear ⇄ canonical mapping (mapping.go: states by name then
// by type, priorities 0–4, sortOrder as Rank, and):
//   - assignee: user id ⇄ email (users loaded at New; Config.Users maps a
//     canonical email to a Linear user id or email, and that user then
//     reads back as the override's email). An email with no Linear user
//     writes unassigned, never someone else, and is logged once.
//   - labels: a patch's delta (backlog.ParseLabelPatch) becomes
//     addedLabelIds/removedLabelIds (never a replace-all); names match
//     case-insensitively, team labels before workspace ones; a name
//     missing in both is created as a team label (issueLabelCreate) with
//     Config.CreateLabels, else logged once and skipped. Create writes the
//     whole set as labelIds.
//   - estimate: an Int on the team's scale (Team.issueEstimationType,
//     …AllowZero, …Extended, read at New): rounded to the nearest allowed
//     value (ties up), each value that needed rounding logged once;
//     estimates off (notUsed) write null.
//   - dueDate (TimelessDate), parent (parentId; a missing parent is a
//     permanent error, not ErrNotFound), sprint = cycle by display name
//     (its name, else "Cycle <number>"; unknown → no cycle, logged once).
//     The syncer pairs Jira sprints with cycles by their dates
//     (package iteration) and hands this connector cycle names; Cycles
//     and CreateCycle (cycleCreate) serve that pairing.
//
// Project predicts Get for every field from the catalog alone (the
// property test asks it before writing, then reads back).
//
// Scope (scope.go): Config.Labels (any of them) and Config.Project (name
// or id, resolved at New) narrow the team in Changed and Order; Create
// adds the first scope label and the project so a twin is in scope; Get
// reads any issue, an archived or trashed one with Item.Archived set
// (Linear keeps trashed issues 30 days; ErrNotFound only once it no longer
// has them). InScope judges an item Get just returned from what Get read
// (labels; team and project remembered by id and updatedAt), else reads
// the issue once. Delete archives with issueArchive after reading the
// issue (archived, trashed or unknown: nothing to do). Metadata (metadata.go) describes states, priorities,
// labels, users, cycles and the estimate scale for config check.
//
// Epics as projects (projects.go, Config.EpicsAsProjects): the team's
// projects are items of backlog.KindEpic (name, content, status type by
// category, targetDate); an issue's project is its Parent when it has no
// parent issue, and a Parent that names a project is written as projectId.
// The poll's first page lists the team's projects updated since the mark
// (no extra call); Project webhooks name them; New lists the team's
// project ids once so Get, Apply and Create know them.
//
// Comments (comments.go): Markdown both ways; listed oldest first with
// the author's email (name when hidden, external user, bot).
//
// Mentions (mentions.go), in descriptions and comments: Linear's mention,
// the user's plain profile URL, reads as the canonical
// [@Name](mailto:email) of a known user; a canonical mention is written as
// the profile URL, or as plain "@Name" when the email names nobody here.
//
// Also: paging changed issues with an opaque cursor, idempotent creation
// with a client-chosen issue id (the create is tried; only Linear's
// "already exists" answer makes it read the twin back), batches (batch.go:
// GetMany reads up to 50 issues with one issues(filter: {id: {in}}) query,
// CreateMany sends up to 50 as one issueBatchCreate, which Linear runs as
// one transaction), one issueUpdate per patch, error mapping
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
// It does not own retries, the reconcile logic, deciding which comments
// to copy, or planning the moves (reconcile.PlanOrder does). The sandbox sub-package is an
// in-memory Linear for tests and the demo.
package linear
