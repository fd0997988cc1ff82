// Package connectors defines what Tandem needs from a tool (Jira, Linear):
// the Connector interface, the optional capabilities a connector may add
// (webhooks, webhook registration), the errors that steer retries, and the
// retry/rate-limit wrapper shared by all connectors.
//
// It owns no tool-specific code: each tool lives in its own sub-package with
// the same set of files (client.go, mapping.go, webhook.go, sandbox/).
package connectors
