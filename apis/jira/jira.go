// Package jira holds Jira Cloud's published OpenAPI definitions: the platform
// REST API v3 and the Software (Agile) API (provenance in ../NOTES.md),
// embedded so the spec checks read the same files wherever the repository
// is cloned. Only tests import it.
package jira

import _ "embed"

// Platform is platform.openapi.json (/rest/api/3/...).
//
//go:embed platform.openapi.json
var Platform []byte

// Software is software.openapi.json (/rest/agile/1.0/...).
//
//go:embed software.openapi.json
var Software []byte
