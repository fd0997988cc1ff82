package sandbox

import (
	"errors"
	"slices"
	"time"

	"github.com/tandem-sync/tandem/connectors/linear/sandbox/gql"
)

// Issue relations (issueRelationCreate/Update/Delete, issueRelation,
// issueRelations, Issue.relations and Issue.inverseRelations):
//
//   - A relation reads "issue <type> relatedIssue": blocks (issue blocks
//     relatedIssue), duplicate (issue is a duplicate of relatedIssue),
//     related, similar (the schema's IssueRelationType). Issue.relations
//     lists the relations whose issue it is, inverseRelations those whose
//     relatedIssue it is.
//   - issueId and relatedIssueId take a UUID or an identifier ("ENG-12"),
//     as the schema says; an unknown one answers "Entity not found:
//     Issue". An issue cannot relate to itself (INVALID_INPUT).
//   - Webhooks: Linear's webhook docs list no IssueRelation model among
//     the data change webhooks, and whether a relation moves the issues'
//     updatedAt is not documented: the sandbox sends no webhook for a
//     relation and leaves the issues' updatedAt alone. A relation has its
//     own createdAt/updatedAt, so a client sees changes by listing
//     issueRelations(orderBy: updatedAt).
//   - issueRelationDelete archives the relation (archivedAt, updatedAt set;
//     Linear's entities are archived on delete and the connection takes
//     includeArchived): it then shows only with includeArchived: true.
//
// Not modelled: the relationChanges of IssueHistory.

type relation struct {
	id                   string
	typ                  string
	issue, related       *issue
	createdAt, updatedAt time.Time
	archivedAt           *time.Time
}

func (x *relation) entityID() string { return x.id }

var relationTypes = []string{"blocks", "duplicate", "related", "similar"}

func (s *Server) relationIssue(in map[string]any, k string) (*issue, error) {
	ref, _ := argStr(in, k)
	i := s.w.issue(ref)
	if i == nil || i.trashed {
		return nil, notFound("Issue")
	}
	return i, nil
}

// createRelation is issueRelationCreate; the caller holds s.mu.
func (s *Server) createRelation(in map[string]any) (*relation, error) {
	a, err := s.relationIssue(in, "issueId")
	if err != nil {
		return nil, err
	}
	b, err := s.relationIssue(in, "relatedIssueId")
	if err != nil {
		return nil, err
	}
	if a == b {
		return nil, invalidInput("Argument Validation Error", "An issue cannot be related to itself.")
	}
	typ, _ := argStr(in, "type")
	if !slices.Contains(relationTypes, typ) {
		return nil, invalidInput("Argument Validation Error", "Invalid relation type.")
	}
	id, _ := argStr(in, "id")
	if id == "" {
		id = newID()
	} else if !uuidRE.MatchString(id) || byID(s.w.relations, id) != nil {
		return nil, invalidInput("Argument Validation Error", "Invalid relation id.")
	}
	now := s.now()
	r := &relation{id: id, typ: typ, issue: a, related: b, createdAt: now, updatedAt: now}
	s.w.relations = append(s.w.relations, r)
	s.w.syncID()
	return r, nil
}

// updateRelation is issueRelationUpdate; the caller holds s.mu.
func (s *Server) updateRelation(r *relation, in map[string]any) error {
	if _, ok := in["issueId"]; ok {
		i, err := s.relationIssue(in, "issueId")
		if err != nil {
			return err
		}
		r.issue = i
	}
	if _, ok := in["relatedIssueId"]; ok {
		i, err := s.relationIssue(in, "relatedIssueId")
		if err != nil {
			return err
		}
		r.related = i
	}
	if typ, ok := argStr(in, "type"); ok {
		if !slices.Contains(relationTypes, typ) {
			return invalidInput("Argument Validation Error", "Invalid relation type.")
		}
		r.typ = typ
	}
	r.updatedAt = s.now()
	s.w.syncID()
	return nil
}

// deleteRelation archives r; the caller holds s.mu.
func (s *Server) deleteRelation(r *relation) {
	now := s.now()
	r.archivedAt, r.updatedAt = &now, now
	s.w.syncID()
}

func (s *Server) liveRelation(id string) *relation {
	r := byID(s.w.relations, id)
	if r == nil || r.archivedAt != nil {
		return nil
	}
	return r
}

func (m *mutationObj) relationField(name string, args map[string]any) (any, error) {
	s := m.s
	in := argMap(args, "input")
	id, _ := argStr(args, "id")
	switch name {
	case "issueRelationCreate":
		r, err := s.createRelation(in)
		if err != nil {
			return nil, err
		}
		return m.payload("IssueRelationPayload", map[string]any{"issueRelation": &relationObj{m.view, r}}), nil
	case "issueRelationUpdate":
		r := s.liveRelation(id)
		if r == nil {
			return nil, notFound("IssueRelation")
		}
		if err := s.updateRelation(r, in); err != nil {
			return nil, err
		}
		return m.payload("IssueRelationPayload", map[string]any{"issueRelation": &relationObj{m.view, r}}), nil
	case "issueRelationDelete":
		r := s.liveRelation(id)
		if r == nil {
			return nil, notFound("IssueRelation")
		}
		s.deleteRelation(r)
		return m.payload("DeletePayload", map[string]any{"entityId": r.id}), nil
	}
	return nil, errNotRelation
}

var errNotRelation = errors.New("not a relation mutation")

// relationsConn answers a relations connection over the relations keep
// holds for.
func (v view) relationsConn(args map[string]any, keep func(*relation) bool) (any, error) {
	return connection("IssueRelationConnection", v.s.w.relations, args,
		func(r *relation) (bool, error) {
			if r.archivedAt != nil && !argBool(args, "includeArchived") {
				return false, nil
			}
			return keep == nil || keep(r), nil
		},
		func(id string) *relation { return byID(v.s.w.relations, id) },
		func(r *relation) entity { return &relationObj{v, r} })
}

type relationObj struct {
	view
	r *relation
}

func (o *relationObj) TypeName() string { return "IssueRelation" }
func (o *relationObj) sortKey() (string, time.Time, time.Time) {
	return o.r.id, o.r.createdAt, o.r.updatedAt
}
func (o *relationObj) Field(name string, _ map[string]any) (any, error) {
	r := o.r
	switch name {
	case "id":
		return r.id, nil
	case "type":
		return r.typ, nil
	case "issue":
		return o.issueObj(r.issue), nil
	case "relatedIssue":
		return o.issueObj(r.related), nil
	case "createdAt":
		return r.createdAt, nil
	case "updatedAt":
		return r.updatedAt, nil
	case "archivedAt":
		return r.archivedAt, nil
	}
	return nil, gql.ErrUnmodelled
}

// RelationView is one issue relation as a test sees it.
type RelationView struct {
	ID, Type            string
	Issue, RelatedIssue string // identifiers
	Archived            bool
}

// Relations lists the live relations the issue is part of (either end).
func (s *Server) Relations(idOrIdentifier string) []RelationView {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.w.issue(idOrIdentifier)
	var out []RelationView
	for _, r := range s.w.relations {
		if r.archivedAt == nil && (r.issue == i || r.related == i) {
			out = append(out, RelationView{ID: r.id, Type: r.typ, Issue: r.issue.identifier, RelatedIssue: r.related.identifier})
		}
	}
	return out
}

// UserRelate relates two issues as a person would ("issue <typ>
// related": UserRelate(a, "ENG-1", "blocks", "ENG-2") makes ENG-1 block
// ENG-2), through the same code path as issueRelationCreate.
func (s *Server) UserRelate(actorEmail, issue, typ, related string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w.userByEmail(actorEmail) == nil {
		return "", errors.New("no user " + actorEmail)
	}
	r, err := s.createRelation(map[string]any{"issueId": issue, "relatedIssueId": related, "type": typ})
	if err != nil {
		return "", err
	}
	return r.id, nil
}

// UserUnrelate deletes a relation as a person would.
func (s *Server) UserUnrelate(actorEmail, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w.userByEmail(actorEmail) == nil {
		return errors.New("no user " + actorEmail)
	}
	r := s.liveRelation(id)
	if r == nil {
		return notFound("IssueRelation")
	}
	s.deleteRelation(r)
	return nil
}
