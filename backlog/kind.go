package backlog

// Kind says what an item is when the tools hold it differently: an issue
// (the zero value) or an epic, which Linear holds as a project when the
// mapping says parent.jira_epics: linear_projects. An epic pair syncs the
// fields a project carries (EpicFields); its children's Parent is the
// epic pair's link id, as any parent's.
type Kind string

const (
	KindIssue Kind = ""
	KindEpic  Kind = "epic"
)

// EpicFields are the fields an epic ⇄ project pair syncs: a Linear project
// has a name, a body (content), a status of its own kind and a target
// date, and nothing else an issue has.
var EpicFields = []Field{Title, Description, Status, DueDate}
