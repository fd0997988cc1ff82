// Package adf models the Atlassian Document Format (REST v3 rich text) and
// converts it to and from Jira wiki markup.
package adf

import "encoding/json"

// Node is one ADF node; a document is a Node of type "doc" with version 1.
type Node struct {
	Type    string         `json:"type"`
	Version int            `json:"version,omitempty"`
	Attrs   map[string]any `json:"attrs,omitempty"`
	Content []*Node        `json:"content,omitempty"`
	Text    string         `json:"text,omitempty"`
	Marks   []Mark         `json:"marks,omitempty"`
}

// Mark is an inline mark (strong, em, code, link, strike, ...).
type Mark struct {
	Type  string         `json:"type"`
	Attrs map[string]any `json:"attrs,omitempty"`
}

// Parse decodes and checks an ADF document.
// STUB: replaced by the markup helper.
func Parse(b []byte) (*Node, error) {
	var n Node
	err := json.Unmarshal(b, &n)
	return &n, err
}

// FromWiki converts wiki markup into an ADF document.
// STUB: replaced by the markup helper.
func FromWiki(w string) *Node {
	return &Node{Type: "doc", Version: 1, Content: []*Node{{Type: "paragraph", Content: []*Node{{Type: "text", Text: w}}}}}
}

// ToWiki renders an ADF document as wiki markup.
// STUB: replaced by the markup helper.
func ToWiki(n *Node) string {
	var out string
	var walk func(*Node)
	walk = func(n *Node) {
		if n == nil {
			return
		}
		out += n.Text
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(n)
	return out
}
