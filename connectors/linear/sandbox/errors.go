package sandbox

import (
	"fmt"

	"github.com/tandem-sync/tandem/connectors/linear/sandbox/gql"
)

// Linear's error shape: extensions carry code (upper case), type (the
// lower-case names @linear/sdk maps in its errorMap: "invalid input",
// "authentication error", "ratelimited", "graphql error", ...), userError
// and userPresentableMessage.

func linearError(code, typ, msg, userMsg string, status int) *gql.Error {
	ext := map[string]any{"code": code, "type": typ, "userError": true, "statusCode": status}
	if userMsg != "" {
		ext["userPresentableMessage"] = userMsg
	}
	return &gql.Error{Message: msg, Extensions: ext}
}

func invalidInput(msg, userMsg string) *gql.Error {
	return linearError("INVALID_INPUT", "invalid input", msg, userMsg, 400)
}

// notFound is Linear's answer for an id that names nothing:
// "Entity not found: Issue" / "Could not find referenced Issue.".
func notFound(entity string) *gql.Error {
	return invalidInput("Entity not found: "+entity, fmt.Sprintf("Could not find referenced %s.", entity))
}

func authError() *gql.Error {
	return linearError("AUTHENTICATION_ERROR", "authentication error",
		"Authentication required, not authenticated", "You need to authenticate to access this operation.", 401)
}

func rateLimitedError() *gql.Error {
	return linearError("RATELIMITED", "ratelimited",
		"Rate limit exceeded", "Rate limit exceeded. Please try again later.", 429)
}

func validationError(e *gql.Error) *gql.Error {
	ext := map[string]any{"code": "GRAPHQL_VALIDATION_FAILED", "type": "graphql error", "userError": true,
		"statusCode": 400, "userPresentableMessage": e.Message}
	return &gql.Error{Message: e.Message, Locations: e.Locations, Extensions: ext}
}

func unsupported(what string) *gql.Error {
	return invalidInput("Unsupported by the Linear sandbox: "+what, "")
}
