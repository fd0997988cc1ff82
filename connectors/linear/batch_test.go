package linear

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/connectors/linear/sandbox"
)

func TestGetMany(t *testing.T) {
	s, c := setup(t, sandbox.Options{})
	one, err := c.Get(t.Context(), "ENG-1")
	if err != nil {
		t.Fatal(err)
	}
	if !one.CommentsRead || len(one.Comments) != 0 {
		t.Fatalf("ENG-1 is to have no comments: %+v", one)
	}
	if _, err := s.UserComment(sandbox.AliceEmail, "ENG-2", "a comment"); err != nil {
		t.Fatal(err)
	}
	two, err := c.Get(t.Context(), "ENG-2")
	if err != nil {
		t.Fatal(err)
	}
	// GetMany probes for comments: an issue with some leaves them unread.
	two.Comments, two.CommentsRead = nil, false
	s.ResetCounts()
	missing := "00000000-0000-4000-8000-000000000000"
	got, err := c.GetMany(t.Context(), []string{one.Ref.ID, missing, two.Ref.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[one.Ref.ID].Title != one.Title || got[two.Ref.ID].Status != two.Status {
		t.Fatalf("GetMany: %+v", got)
	}
	if _, ok := got[missing]; ok {
		t.Fatal("a missing id was answered")
	}
	// Same item as Get reads (an issue without comments read as such).
	if !reflect.DeepEqual(got[one.Ref.ID], one) {
		t.Fatalf("GetMany %+v\nGet     %+v", got[one.Ref.ID], one)
	}
	if !reflect.DeepEqual(got[two.Ref.ID], two) {
		t.Fatalf("GetMany %+v\nGet     %+v (comments left unread)", got[two.Ref.ID], two)
	}
	if cnt := s.Requests(sandbox.BotEmail); cnt.Reads != 1 || cnt.ByOperation["issues"] != 1 {
		t.Fatalf("calls: %+v", cnt)
	}
	ids := make([]string, c.MaxGet()+1)
	if _, err := c.GetMany(t.Context(), ids); err == nil || !connectors.IsPermanent(err) {
		t.Fatalf("over MaxGet: %v", err)
	}
}

func TestCreateMany(t *testing.T) {
	s, c := setup(t, sandbox.Options{})
	var items []backlog.Item
	for k := range 3 {
		items = append(items, backlog.Item{Ref: backlog.Ref{Side: backlog.Linear, ID: backlog.TwinID("jira.example.com", fmt.Sprint(20000+k))},
			Title: fmt.Sprint("Batch ", k), Status: backlog.StatusValue{Name: "Todo", Category: backlog.CategoryTodo}, Priority: backlog.PriorityHigh})
	}
	before := s.Count()
	refs, err := c.CreateMany(t.Context(), items)
	if err != nil {
		t.Fatal(err)
	}
	for k, r := range refs {
		if r.ID != items[k].Ref.ID || r.Key == "" {
			t.Fatalf("ref %d: %+v", k, r)
		}
		if v, ok := s.Issue(r.ID); !ok || v.Title != items[k].Title || v.State != "Todo" {
			t.Fatalf("created %d: %+v", k, v)
		}
	}
	if cnt := s.Requests(sandbox.BotEmail); cnt.Writes != 1 || cnt.Reads != 0 || cnt.ByOperation["issueBatchCreate"] != 1 {
		t.Fatalf("first batch calls: %+v", cnt)
	}
	// Again, with one new item: the twins are found, not made twice; the
	// new one is made. One failed batch, one read, one batch.
	s.ResetCounts()
	fresh := backlog.Item{Ref: backlog.Ref{Side: backlog.Linear, ID: backlog.TwinID("jira.example.com", "20999")}, Title: "Fresh"}
	again, err := c.CreateMany(t.Context(), append([]backlog.Item{fresh}, items...))
	if err != nil {
		t.Fatal(err)
	}
	if again[0].ID != fresh.Ref.ID || fmt.Sprint(again[1:]) != fmt.Sprint(refs) {
		t.Fatalf("second batch: %+v, first %+v", again, refs)
	}
	if s.Count() != before+4 {
		t.Fatalf("issues %d, want %d", s.Count(), before+4)
	}
	if cnt := s.Requests(sandbox.BotEmail); cnt.ByOperation["issueBatchCreate"] != 2 || cnt.ByOperation["issues"] != 1 || cnt.ByOperation["issueCreate"] != 0 {
		t.Fatalf("second batch calls: %+v", cnt)
	}
	// All known: one failed batch and one read, nothing created.
	s.ResetCounts()
	if _, err := c.CreateMany(t.Context(), items); err != nil {
		t.Fatal(err)
	}
	if cnt := s.Requests(sandbox.BotEmail); cnt.ByOperation["issueBatchCreate"] != 1 || cnt.ByOperation["issues"] != 1 || s.Count() != before+4 {
		t.Fatalf("third batch calls: %+v", cnt)
	}
	if _, err := c.CreateMany(t.Context(), make([]backlog.Item, c.MaxCreate()+1)); err == nil || !connectors.IsPermanent(err) {
		t.Fatalf("over MaxCreate: %v", err)
	}
}

// A batch Linear refuses for one item (a parent that does not exist)
// names that item and makes the others.
func TestCreateManyPartial(t *testing.T) {
	s, c := setup(t, sandbox.Options{})
	items := []backlog.Item{
		{Title: "Good one"},
		{Title: "Orphan", Parent: "ENG-999"},
		{Title: "Good two"},
	}
	before := s.Count()
	refs, err := c.CreateMany(t.Context(), items)
	var be *connectors.BatchError
	if !errors.As(err, &be) || len(be.Failed) != 1 || be.Failed[1] == nil || !be.Permanent() {
		t.Fatalf("partial: %v", err)
	}
	if errors.Is(be.Failed[1], connectors.ErrNotFound) {
		t.Fatalf("a missing parent reads as a missing issue: %v", be.Failed[1])
	}
	if len(refs) != 3 || refs[0].ID == "" || refs[1] != (backlog.Ref{}) || refs[2].ID == "" || s.Count() != before+2 {
		t.Fatalf("refs %+v, issues %d (was %d)", refs, s.Count(), before)
	}
}

// Create no longer reads before it writes: a new twin costs one call, and
// an existing one a refused create and a read.
func TestCreateTriesFirst(t *testing.T) {
	s, c := setup(t, sandbox.Options{})
	it := backlog.Item{Ref: backlog.Ref{Side: backlog.Linear, ID: backlog.TwinID("jira.example.com", "30001")}, Title: "Once"}
	ref, err := c.Create(t.Context(), it)
	if err != nil {
		t.Fatal(err)
	}
	if cnt := s.Requests(sandbox.BotEmail); cnt.Reads != 0 || cnt.Writes != 1 {
		t.Fatalf("new twin calls: %+v", cnt)
	}
	s.ResetCounts()
	again, err := c.Create(t.Context(), it)
	if err != nil || again != ref {
		t.Fatalf("again: %+v %v", again, err)
	}
	if cnt := s.Requests(sandbox.BotEmail); cnt.Reads != 1 || cnt.Writes != 1 {
		t.Fatalf("existing twin calls: %+v", cnt)
	}
}

// TestCreateManyAtRank: twins carrying a rank are born at that sortOrder
// (with preserveSortOrderOnCreate, so Linear keeps it), the others where
// Linear puts new issues.
func TestCreateManyAtRank(t *testing.T) {
	s, c := setup(t, sandbox.Options{})
	items := []backlog.Item{
		{Ref: backlog.Ref{Side: backlog.Linear, ID: backlog.TwinID("jira.example.com", "31000")}, Title: "Ranked", Rank: "512000000.25"},
		{Ref: backlog.Ref{Side: backlog.Linear, ID: backlog.TwinID("jira.example.com", "31001")}, Title: "Placed by Linear"},
	}
	refs, err := c.CreateMany(t.Context(), items)
	if err != nil {
		t.Fatal(err)
	}
	ranked, _ := s.Issue(refs[0].ID)
	placed, _ := s.Issue(refs[1].ID)
	if ranked.SortOrder != 512000000.25 || placed.SortOrder == 512000000.25 {
		t.Fatalf("sortOrders: ranked %v, placed %v", ranked.SortOrder, placed.SortOrder)
	}
}
