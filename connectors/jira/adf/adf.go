package adf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

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

// MarshalJSON writes the node as ADF. A doc always carries its version and
// a content array, which Atlassian's schema requires even when empty.
func (n Node) MarshalJSON() ([]byte, error) {
	type plain Node
	if n.Type != "doc" {
		return json.Marshal(plain(n))
	}
	c := n.Content
	if c == nil {
		c = []*Node{}
	}
	return json.Marshal(struct {
		Type    string         `json:"type"`
		Version int            `json:"version"`
		Attrs   map[string]any `json:"attrs,omitempty"`
		Content []*Node        `json:"content"`
	}{n.Type, n.Version, n.Attrs, c})
}

// ErrInvalid is wrapped by every error Parse returns: malformed JSON, or
// JSON that is not an ADF document we accept.
var ErrInvalid = errors.New("invalid ADF")

// maxDepth bounds nesting; real documents are a few levels deep.
const maxDepth = 64

// Parse decodes and checks an ADF document: the root must be a "doc" of
// version 1, every node and mark type must be known, text nodes must carry
// text, and children must be of a kind their parent can hold.
func Parse(b []byte) (*Node, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var n Node
	if err := dec.Decode(&n); err != nil {
		return nil, fmt.Errorf("%w: decoding: %w", ErrInvalid, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing data after the document", ErrInvalid)
	}
	if n.Type != "doc" {
		return nil, fmt.Errorf("%w: root node is %q, want \"doc\"", ErrInvalid, n.Type)
	}
	if n.Version != 1 {
		return nil, fmt.Errorf("%w: doc version %d, want 1", ErrInvalid, n.Version)
	}
	if err := check(&n, "doc", 0); err != nil {
		return nil, err
	}
	return &n, nil
}

// Node groups used by the content rules.
const (
	gBlock = 1 << iota
	gInline
	gListItem
	gTaskItem
	gRow
	gCell
	gMedia
	gColumn
	gDecision
	gCaption
)

type rule struct {
	group   int // the groups this node belongs to
	content int // the groups its children may come from; 0 = no children
}

var rules = map[string]rule{
	"doc":             {0, gBlock},
	"paragraph":       {gBlock, gInline},
	"heading":         {gBlock, gInline},
	"bulletList":      {gBlock, gListItem},
	"orderedList":     {gBlock, gListItem},
	"listItem":        {gListItem, gBlock},
	"taskList":        {gBlock | gTaskItem, gTaskItem},
	"taskItem":        {gTaskItem, gInline},
	"blockTaskItem":   {gTaskItem, gBlock},
	"decisionList":    {gBlock, gDecision},
	"decisionItem":    {gDecision, gInline},
	"codeBlock":       {gBlock, gInline},
	"blockquote":      {gBlock, gBlock},
	"panel":           {gBlock, gBlock},
	"expand":          {gBlock, gBlock},
	"nestedExpand":    {gBlock, gBlock},
	"rule":            {gBlock, 0},
	"table":           {gBlock, gRow},
	"tableRow":        {gRow, gCell},
	"tableHeader":     {gCell, gBlock},
	"tableCell":       {gCell, gBlock},
	"mediaSingle":     {gBlock, gMedia | gCaption},
	"mediaGroup":      {gBlock, gMedia},
	"media":           {gMedia, 0},
	"caption":         {gCaption, gInline},
	"blockCard":       {gBlock, 0},
	"embedCard":       {gBlock, 0},
	"extension":       {gBlock, 0},
	"bodiedExtension": {gBlock, gBlock},
	"layoutSection":   {gBlock, gColumn},
	"layoutColumn":    {gColumn, gBlock},
	"text":            {gInline, 0},
	"hardBreak":       {gInline, 0},
	"mention":         {gInline, 0},
	"emoji":           {gInline, 0},
	"inlineCard":      {gInline, 0},
	"date":            {gInline, 0},
	"status":          {gInline, 0},
	"mediaInline":     {gInline, 0},
	"placeholder":     {gInline, 0},
	"inlineExtension": {gInline, 0},
}

// only narrows the children of some nodes beyond their group rule, as
// Atlassian's schema does.
var only = map[string]map[string]bool{
	"listItem": {"paragraph": true, "bulletList": true, "orderedList": true, "taskList": true,
		"mediaSingle": true, "codeBlock": true, "extension": true, "decisionList": true},
	"blockquote": {"paragraph": true, "bulletList": true, "orderedList": true, "codeBlock": true,
		"mediaSingle": true, "mediaGroup": true, "extension": true},
}

var knownMarks = map[string]bool{
	"strong": true, "em": true, "code": true, "strike": true, "underline": true,
	"link": true, "subsup": true, "textColor": true, "backgroundColor": true,
	"alignment": true, "indentation": true, "annotation": true, "border": true,
	"breakout": true, "dataConsumer": true, "fragment": true,
}

func check(n *Node, path string, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("%w: %s: nested deeper than %d", ErrInvalid, path, maxDepth)
	}
	r, ok := rules[n.Type]
	if !ok {
		return fmt.Errorf("%w: %s: unknown node type %q", ErrInvalid, path, n.Type)
	}
	if n.Version != 0 && n.Type != "doc" {
		return fmt.Errorf("%w: %s: version is only allowed on doc", ErrInvalid, path)
	}
	switch n.Type {
	case "text":
		if n.Text == "" {
			return fmt.Errorf("%w: %s: text node without text", ErrInvalid, path)
		}
	case "heading":
		if l, ok := intAttr(n.Attrs, "level"); !ok || l < 1 || l > 6 {
			return fmt.Errorf("%w: %s: heading level must be 1..6", ErrInvalid, path)
		}
	case "mention":
		if s, _ := n.Attrs["id"].(string); s == "" {
			return fmt.Errorf("%w: %s: mention without id", ErrInvalid, path)
		}
	}
	if n.Text != "" && n.Type != "text" {
		return fmt.Errorf("%w: %s: %s node cannot carry text", ErrInvalid, path, n.Type)
	}
	if len(n.Marks) > 0 && n.Type != "text" && n.Type != "paragraph" && n.Type != "heading" &&
		n.Type != "mention" && n.Type != "inlineCard" && n.Type != "media" && n.Type != "codeBlock" {
		return fmt.Errorf("%w: %s: %s node cannot carry marks", ErrInvalid, path, n.Type)
	}
	for i, m := range n.Marks {
		if !knownMarks[m.Type] {
			return fmt.Errorf("%w: %s.marks[%d]: unknown mark type %q", ErrInvalid, path, i, m.Type)
		}
		if m.Type == "link" {
			if h, _ := m.Attrs["href"].(string); h == "" {
				return fmt.Errorf("%w: %s.marks[%d]: link mark without href", ErrInvalid, path, i)
			}
		}
	}
	if len(n.Content) > 0 && r.content == 0 {
		return fmt.Errorf("%w: %s: %s node cannot have content", ErrInvalid, path, n.Type)
	}
	for i, c := range n.Content {
		p := path + ".content[" + strconv.Itoa(i) + "]"
		if c == nil {
			return fmt.Errorf("%w: %s: null node", ErrInvalid, p)
		}
		cr, ok := rules[c.Type]
		if !ok {
			return fmt.Errorf("%w: %s: unknown node type %q", ErrInvalid, p, c.Type)
		}
		if cr.group&r.content == 0 {
			return fmt.Errorf("%w: %s: %s cannot hold %s", ErrInvalid, p, n.Type, c.Type)
		}
		if n.Type == "codeBlock" && c.Type != "text" {
			return fmt.Errorf("%w: %s: codeBlock can only hold text", ErrInvalid, p)
		}
		if set := only[n.Type]; set != nil && !set[c.Type] {
			return fmt.Errorf("%w: %s: %s cannot hold %s", ErrInvalid, p, n.Type, c.Type)
		}
		if n.Type == "listItem" && i == 0 && (c.Type == "bulletList" || c.Type == "orderedList" || c.Type == "taskList") {
			return fmt.Errorf("%w: %s: a list item cannot start with a nested list", ErrInvalid, p)
		}
		if err := check(c, p, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// intAttr reads a numeric attribute, whether decoded from JSON (float64) or
// set in Go (int).
func intAttr(attrs map[string]any, key string) (int, bool) {
	switch v := attrs[key].(type) {
	case float64:
		if v != float64(int(v)) {
			return 0, false
		}
		return int(v), true
	case int:
		return v, true
	case json.Number:
		i, err := v.Int64()
		return int(i), err == nil
	}
	return 0, false
}

func strAttr(attrs map[string]any, key string) string {
	s, _ := attrs[key].(string)
	return s
}
