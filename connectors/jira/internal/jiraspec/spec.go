// Package jiraspec loads Jira Cloud's OpenAPI specs (platform v3 and
// Software/Agile) from the repository's apis/jira (embedded), once per process, and checks
// requests against them. It exists for fidelity tests of the sandbox and the
// connector; production code never imports it.
//
// REST v2 requests are checked against the v3 spec with the version swapped
// (Atlassian publishes the same operations for both). The admin webhook API
// (/rest/webhooks/1.0/webhook) is in neither spec and is reported as an
// exception.
package jiraspec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	jiraapi "github.com/tandem-sync/tandem/apis/jira"
)

// ErrException marks a path that neither spec documents on purpose.
var ErrException = errors.New("documented exception: not in the OpenAPI specs")

// Spec is the pair of loaded specs.
type Spec struct {
	platform, software *openapi3.T
}

var (
	once    sync.Once
	loaded  *Spec
	loadErr error
)

// Load reads both specs once per process.
func Load() (*Spec, error) {
	once.Do(func() { loaded, loadErr = load() })
	return loaded, loadErr
}

func load() (*Spec, error) {
	s := &Spec{}
	for _, f := range []struct {
		name string
		data []byte
		dst  **openapi3.T
	}{
		{"apis/jira/platform.openapi.json", jiraapi.Platform, &s.platform},
		{"apis/jira/software.openapi.json", jiraapi.Software, &s.software},
	} {
		if len(f.data) == 0 {
			return nil, fmt.Errorf("%s is empty", f.name)
		}
		doc, err := openapi3.NewLoader().LoadFromData(f.data)
		if err != nil {
			return nil, fmt.Errorf("loading %s: %w", f.name, err)
		}
		*f.dst = doc
	}
	return s, nil
}

// specPath maps a request path to the spec's: v2 becomes v3.
func specPath(p string) (string, error) {
	switch {
	case strings.HasPrefix(p, "/rest/webhooks/1.0/webhook"):
		return "", ErrException
	case strings.HasPrefix(p, "/rest/api/2/"):
		return "/rest/api/3/" + strings.TrimPrefix(p, "/rest/api/2/"), nil
	case strings.HasPrefix(p, "/rest/api/3/"), strings.HasPrefix(p, "/rest/agile/1.0/"):
		return p, nil
	}
	return "", fmt.Errorf("path %s is outside the Jira REST APIs", p)
}

func (s *Spec) route(req *http.Request) (*routers.Route, map[string]string, error) {
	p, err := specPath(req.URL.Path)
	if err != nil {
		return nil, nil, err
	}
	doc := s.platform
	if strings.HasPrefix(p, "/rest/agile/") {
		doc = s.software
	}
	// The published spec has templates that overlap (field/{id} and
	// field/{fieldId}), which kin-openapi's routers refuse, so match by hand:
	// the template with the most literal segments that has the method wins.
	segs := strings.Split(strings.Trim(p, "/"), "/")
	var best *routers.Route
	var bestParams map[string]string
	bestLit := -1
	pathFound := false
	for tmpl, item := range doc.Paths.Map() {
		ts := strings.Split(strings.Trim(tmpl, "/"), "/")
		if len(ts) != len(segs) {
			continue
		}
		params := map[string]string{}
		lit := 0
		ok := true
		for i, t := range ts {
			if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
				params[t[1:len(t)-1]] = segs[i]
				continue
			}
			if t != segs[i] {
				ok = false
				break
			}
			lit++
		}
		if !ok {
			continue
		}
		pathFound = true
		op := item.GetOperation(req.Method)
		if op == nil || lit <= bestLit {
			continue
		}
		best = &routers.Route{Spec: doc, Path: tmpl, PathItem: item, Method: req.Method, Operation: op}
		bestParams, bestLit = params, lit
	}
	if best == nil {
		if pathFound {
			return nil, nil, fmt.Errorf("%s %s (as %s): method not in the spec", req.Method, req.URL.Path, p)
		}
		return nil, nil, fmt.Errorf("%s %s (as %s): path not in the spec", req.Method, req.URL.Path, p)
	}
	return best, bestParams, nil
}

// Match checks that method and path (concrete, or a template with {params})
// name an operation of the specs.
func (s *Spec) Match(method, path string) error {
	concrete := path
	for strings.Contains(concrete, "{") {
		i := strings.Index(concrete, "{")
		j := strings.Index(concrete[i:], "}")
		if j < 0 {
			break
		}
		concrete = concrete[:i] + "X1" + concrete[i+j+1:]
	}
	req, err := http.NewRequest(method, "http://sandbox"+concrete, nil)
	if err != nil {
		return err
	}
	_, _, err = s.route(req)
	return err
}

// Validate checks a full request (path, method, parameters and body) with
// openapi3filter. The body must be readable from req.Body. Set skipBody for
// requests whose body carries REST v2 rich text (wiki strings where the v3
// spec wants ADF).
func (s *Spec) Validate(req *http.Request, skipBody bool) error {
	route, params, err := s.route(req)
	if err != nil {
		return err
	}
	u := *req.URL
	in := &openapi3filter.RequestValidationInput{
		Request:     req,
		PathParams:  params,
		QueryParams: url.Values(u.Query()),
		Route:       route,
		Options: &openapi3filter.Options{
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
			ExcludeRequestBody: skipBody,
			MultiError:         true,
		},
	}
	return openapi3filter.ValidateRequest(context.Background(), in)
}

// ValidateResponse checks a response (status, content type, JSON body)
// against the operation req names. Use it for REST v3 and Agile answers;
// v2 answers carry wiki strings where the v3 schemas want ADF. Object
// members that are null are dropped before validation: Jira sends null for
// absent values (see the webhook fixtures) where the spec marks few schemas
// nullable.
func (s *Spec) ValidateResponse(req *http.Request, status int, header http.Header, body []byte) error {
	route, params, err := s.route(req)
	if err != nil {
		return err
	}
	var v any
	if json.Unmarshal(body, &v) == nil {
		body, _ = json.Marshal(dropNulls(v))
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		},
		Status: status,
		Header: header,
		Options: &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true,
			SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.WithStringFormatValidator("date-time", jiraDateTime)}},
	}
	in.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(context.Background(), in)
}

// jiraDateTime accepts the spec's RFC 3339 and the form Jira really sends,
// "2026-04-25T18:35:13.605+0530" (no colon in the offset).
var jiraDateTime = openapi3.NewCallbackValidator(func(v string) error {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000-0700"} {
		if _, err := time.Parse(layout, v); err == nil {
			return nil
		}
	}
	return fmt.Errorf("%q is not a date-time", v)
})

func dropNulls(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
				continue
			}
			x[k] = dropNulls(e)
		}
	case []any:
		for i, e := range x {
			x[i] = dropNulls(e)
		}
	}
	return v
}
