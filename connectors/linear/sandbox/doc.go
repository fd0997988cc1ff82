// Package sandbox is a faithful in-memory Linear GraphQL API for tests, the
// demo and benchmarks, runnable in-process (New, an http.Handler) or on a
// port (Start).
//
// It serves POST /graphql: every document is parsed and validated against
// Linear's published schema (apis/linear/schema.graphql, a byte copy of
// linear/linear@8335e09a packages/sdk/src/schema.graphql, see
// apis/NOTES.md; embedded and loaded once per process with
// gqlparser, which reads it unmodified) and executed by the small executor
// in sandbox/gql. A field the sandbox does not model answers from its schema
// type (null, a zero-ish scalar, an empty list or connection), so ordinary
// clients with large fragments work.
//
// Modelled: organization, viewer, users, one team (key Options.TeamKey) with
// six workflow states, workspace labels (Bug, Feature, Docs, and api, auth,
// database, growth, infra, tests, ui: the ones the Jira sandbox's backlog
// uses) and one team label ("Backend"),
// comment threads (parentId on commentCreate, one level deep as in Linear;
// parent, parentId, children; replies carry data.parentId in webhooks),
// three cycles with numbers and dates (1 and 2 unnamed, as automatic
// cycles are; 3 named "Hardening"; cycleCreate numbers a new one after
// the team's last, refuses one that overlaps another as Linear does, and
// raises a Cycle webhook; UserCreateCycle, Cycles), one project ("Q4 Launch", every third
// seeded issue; IssueFilter.project, projectId on create and update;
// projectCreate and projectUpdate with name, description (255 characters
// at most), content, targetDate, statusId, teamIds, trashed; the
// workspace's six project statuses, one per ProjectStatusType
// (projectStatuses); ProjectFilter by id, name, slugId, createdAt,
// updatedAt, accessibleTeams; Project webhooks create/update (with
// updatedFrom)/remove once per hook of the project's teams;
// UserCreateProject, UserUpdateProject, Projects; project.go), the
// team's estimate settings (Options.Estimation*, SetEstimation; an
// estimate off the scale is refused with INVALID_INPUT — Linear does not
// document what it does, refusing keeps clients honest), issues (filters,
// Relay pagination, orderBy createdAt/updatedAt newest first, includeArchived,
// history), comments and webhooks, and the mutations issueCreate (with a
// client-chosen id), issueBatchCreate (one transaction: an issue that
// fails rolls back the others and their webhooks; at most 50, the cap
// Linear documents for issueBatchUpdate, as issueBatchCreate's is not
// documented), issueUpdate, issueArchive/Unarchive, issueDelete
// (trash; issueArchive(trash: true) too; permanentlyDelete is not
// modelled: the issue is trashed), commentCreate/Update/Delete, issueLabelCreate,
// webhookCreate/Update/Delete, issue relations (issueRelationCreate/
// Update/Delete, Issue.relations/inverseRelations; relations.go), and URL
// attachments (attachments.go: attachmentCreate/attachmentLinkURL
// upserting by URL per issue, attachmentUpdate/Delete, attachment,
// attachments, attachmentsForURL, Issue.attachments,
// IssueFilter.attachments, Attachment webhooks).
//
// Wire facts and their sources:
//   - Auth: "Authorization: <API key>" or "Bearer <token>". A missing or
//     unknown key answers HTTP 400 with extensions.code
//     AUTHENTICATION_ERROR, type "authentication error" (the type strings
//     are @linear/sdk's errorMap in packages/sdk/src/error.ts).
//   - Rate limit: HTTP 400 with extensions.code RATELIMITED, statusCode
//     429 (DESIGN.md, Linear's rate-limiting docs, a live capture in
//     vanillagreencom/kendex#1018), X-RateLimit-Requests-Limit/-Remaining/
//     -Reset (reset in epoch milliseconds), X-RateLimit-Complexity-* and
//     X-Complexity on every answer, plus Retry-After (seconds, read by the
//     SDK's RatelimitedLinearError) on a refusal. With Options.Budget each
//     user's requests and complexity points drain leaky buckets refilled
//     continuously at limit/period (budget.go has the figures and their
//     sources); a bucket's Reset is when it is full again, Retry-After when
//     the refused request would fit.
//   - Complexity (gql.Complexity) is counted from the parsed document as
//     Linear documents it: a property 0.1, an object 1, a connection's
//     children times first/last (else 50), charged rounded up. A query
//     above 10,000 points answers HTTP 400 "Query too complex", code
//     INPUT_ERROR, "The query is too complex. Complexity: N. Maximum
//     allowed complexity: 10000." (as captured in
//     contentful-labs/gqli.rb#23, mvanhorn/printing-press-library#946).
//   - Issues are indexed by updatedAt: an issues query with a top-level
//     updatedAt gte/gt reads only the issues from that bound, so the
//     poller's query costs the same at 50,000 issues as at 50.
//   - A document that fails validation: HTTP 400, code
//     GRAPHQL_VALIDATION_FAILED, with locations.
//   - An id that names nothing: "Entity not found: Issue",
//     userPresentableMessage "Could not find referenced Issue.", code
//     INVALID_INPUT. When the error nulls the whole response (data null)
//     the status is 400, else 200 with partial data. The exact HTTP status
//     Linear uses here is not documented; clients should read the body in
//     both cases.
//   - A duplicate client id on issueCreate: INVALID_INPUT, message
//     "Entity already exists: Issue <id>" (Linear's exact wording is not
//     documented).
//   - Webhooks: EntityWebhookPayload bodies (action, type, data, updatedFrom,
//     actor, createdAt, organizationId, url, webhookId, webhookTimestamp in
//     ms) with Linear-Signature (hex HMAC-SHA256 of the raw body),
//     Linear-Delivery (UUID v4, kept across retries), Linear-Event,
//     Linear-Timestamp, User-Agent Linear-Webhook; a non-200 or >5 s answer
//     is retried at most 3 times after Options.RetryDelay (Linear: 1 min,
//     1 h, 6 h), then dropped.
//
// History: every issueUpdate (API or User* helper) that changes something
// records one IssueHistory entry: createdAt = updatedAt = the update's
// time, actor/actorId = the key's user (the bot for API writes), and the
// from/to pair of each changed property (title, stateId, priority,
// assigneeId, estimate, dueDate, parentId, cycleId; addedLabelIds/
// removedLabelIds; updatedDescription with descriptionUpdatedBy), the rest
// null. For a relation the schema says the from (to) id is null when the
// issue had none before (has none after), so unassigning leaves only
// fromAssigneeId. Archive/unarchive record archived true/false. A create
// records none; a no-op update records none. Order: newest first by
// createdAt (orderBy updatedAt gives the same, entries are not edited);
// Linear's pagination docs say only "ordered by createdAt" by default, the
// direction follows clients that read history(first: 1) as the latest
// change. Entries of the same millisecond tie-break by id (arbitrary), and
// Linear's folding of quick successive edits into one entry is not
// modelled.
//
// Manual order: every issue has a Float sortOrder; lower values come first
// (the schema says so of every sortOrder it documents, and tools that
// renumber a Linear backlog write 1, 2, 3 from the top), so Issues and the
// connector list ascending. Seeded issues get 1000, 2000, …; a new issue
// without a sortOrder goes above the team's smallest (real issues carry
// negative, decreasing values). issueUpdate(input: {sortOrder}) records a
// history entry (IssueHistory has no sortOrder field: the sandbox puts
// {"sortOrder":{"from","to"}} in the [Internal] changes object) and fires a
// webhook whose updatedFrom holds the old sortOrder and updatedAt, as for
// any field (Linear's webhook docs: updatedFrom carries the previous values
// of the changed properties). UserMove is the human drag. Requests counts
// ByOperation once per root field response key, so aliased mutations count
// each.
//
// Checked by hand with the official @linear/sdk 82.1.0 (July 2026, the
// schema's vintage): viewer, organization, teams, states, issues with
// fetchNext, issue relations, labels, comments, history, users, create,
// update, comment, webhook create/list, archive all work, and its error
// classes come out right (InvalidInputLinearError for a missing issue,
// AuthenticationLinearError for a bad key). Newer SDKs select fields added
// to the schema since, which this pinned schema rightly rejects.
//
// Not modelled: other teams, triage, project milestones and project
// history (fromProjectId/toProjectId stay null), SLAs, the relationChanges
// of issue history (issue relations are modelled: relations.go),
// sort: arguments, OAuth scopes and OAuth apps' own budgets, the
// unauthenticated (per IP) budget.
package sandbox
