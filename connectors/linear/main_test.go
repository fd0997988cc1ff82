package linear

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"testing"

	linearapi "github.com/tandem-sync/tandem/apis/linear"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tandem-sync/tandem/connectors/linear/sandbox"
)

// Every document the connector sends during the tests is recorded and, once
// all tests ran, validated against Linear's schema (TestMain).
var recorded struct {
	sync.Mutex
	docs map[string]bool
}

type recorder struct{ base http.RoundTripper }

func (r recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(b))
		var body struct {
			Query string `json:"query"`
		}
		if json.Unmarshal(b, &body) == nil && body.Query != "" {
			recorded.Lock()
			if recorded.docs == nil {
				recorded.docs = map[string]bool{}
			}
			recorded.docs[body.Query] = true
			recorded.Unlock()
		}
	}
	return r.base.RoundTrip(req)
}

// loadSchema parses Linear's published schema (apis/linear/schema.graphql).
func loadSchema() (*ast.Schema, string, error) {
	s, err := sandbox.Schema()
	return s, linearapi.SchemaName, err
}

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		code = validateRecorded()
	}
	os.Exit(code)
}

func validateRecorded() int {
	s, from, err := loadSchema()
	if err != nil {
		fmt.Println("schema fidelity: loading schema:", err)
		return 1
	}
	recorded.Lock()
	defer recorded.Unlock()
	bad := 0
	for doc := range recorded.docs {
		if _, errs := gqlparser.LoadQuery(s, doc); len(errs) > 0 {
			fmt.Printf("schema fidelity: document does not validate against %s: %v\n%s\n", from, errs, doc)
			bad++
		}
	}
	if f := flag.Lookup("test.run"); (f == nil || f.Value.String() == "") && len(recorded.docs) < 8 {
		fmt.Printf("schema fidelity: only %d distinct documents recorded\n", len(recorded.docs))
		return 1
	}
	if bad > 0 {
		return 1
	}
	return 0
}
