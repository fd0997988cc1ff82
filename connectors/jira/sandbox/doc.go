// Package sandbox is an in-memory Jira Cloud site with one project, served
// over HTTP with Jira's own paths, payload shapes, status codes and error
// bodies: the platform REST API under /rest/api/2 (wiki-markup rich text) and
// /rest/api/3 (ADF), the Agile rank and board endpoints under
// /rest/agile/1.0, and admin webhooks under /rest/webhooks/1.0 with signed,
// retried deliveries.
//
// It owns the fake: the data model (issues, workflow with transitions,
// comments, entity properties, remote issue links (remotelink.go),
// changelog, LexoRank, parents with Cloud's
// hierarchy rules — sub-task → standard → epic —, sprints on one Scrum
// board with the Sprint field's Cloud value shape, assignable users), a
// JQL subset, request
// counters per account, and injectable latency, rate limits and faults
// (FailRank: chosen issues fail in a 207 rank answer). Options.RateLimit
// turns on Jira Cloud's burst limit (a token bucket per endpoint and
// method, 429 with Retry-After, X-RateLimit-* and RateLimit-Reason; see
// ratelimit.go). Issues are indexed by updated time and by parent, so the
// poller's `updated >= t` search costs the same at 50,000 issues as at 50. Tests,
// the demo and benchmarks start it in-process (New, Start); human edits
// (UserCreate, UserEdit, UserTransition, ...) take the same code path as the
// REST API without counting as API requests; RemoveTransition edits the
// workflow as an admin would; HideEmail applies a user's privacy setting
// (emailAddress left out of their user objects). The changelog pages
// oldest first, at most 100 entries a page, as Jira Cloud's.
//
// The bulk routes: POST issue/bulk creates each element as POST issue
// would (webhooks included), reports a failed one by failedElementNumber
// with its status and error collection, and answers 201 when any was
// created, 400 when none was; POST issue/bulkfetch returns the issues
// found in ascending id order and leaves out the ids it does not find.
// Both refuse more than their caps (50, 100) with a 400; the messages'
// wording is ours (Jira's is not documented).
//
// Issue attachments (POST issue/{key}/attachments, GET/DELETE
// attachment/{id}, GET attachment/content/{id} with its 303, GET
// attachment/meta, the attachment field, the Attachment changelog item,
// attachment_created/_deleted deliveries): see attachments.go.
//
// Issue links (POST issueLink, GET/DELETE issueLink/{linkId}, GET
// issueLinkType, the issuelinks field, issuelink_created/_deleted
// deliveries): see links.go.
//
// What ordinary clients send (clientroutes.go): PUT issue/{key}/assignee
// (jira.js, the UI) takes {"accountId": ...}, null unassigns, "-1" gives
// the project's default (none here), and raises jira:issue_updated
// (issue_assigned) with the changelog; GET issue/{key}/editmeta lists the
// edit screen's fields (no Sprint for a sub-task); the Agile
// GET issue/{key} and board/{id}/issue answer v2 issues with the sprint,
// closedSprints and flagged fields. AddScheduledSprint adds a sprint with
// planned dates.
//
// Deleting an issue that has sub-tasks needs deleteSubtasks=true (Jira's
// 400 otherwise) and deletes them too, each with a jira:issue_deleted
// delivery; a human delete (UserDelete) always takes them along.
//
// Choices where Jira's behaviour is not documented: nextPageToken is an
// offset into the result (so edits during paging can shift results, as with
// any offset pager); JQL on issue.property[...] only sees the properties
// listed in Options.IndexedProperties, as Jira only indexes properties an
// installed app declared; webhook deliveries run concurrently and may arrive
// out of order, and are retried up to four times on 408/409/425/429/5xx.
//
// It does not own the Jira connector (package jira) nor wiki/ADF conversion
// (packages wiki and adf); it is never tuned to agree with our connector where
// real Jira would not.
package sandbox
