// Package linear holds Linear's published GraphQL schema (schema.graphql, a
// byte copy of linear/linear packages/sdk/src/schema.graphql; provenance in
// ../NOTES.md), embedded so the sandbox and the tests read the same file
// wherever the repository is cloned.
package linear

import _ "embed"

// Schema is the SDL of Linear's public GraphQL API.
//
//go:embed schema.graphql
var Schema string

// SchemaName names the file in error messages.
const SchemaName = "apis/linear/schema.graphql"
