package sandbox

// maxChangelogPage is the most changelog entries one page answers.
const maxChangelogPage = 100

// HideEmail sets the email visibility of a seeded user's profile: when
// hidden, every user object the API renders for them (changelog and
// comment authors, assignee, reporter, webhook users; not their own
// /myself) leaves emailAddress out, as Jira Cloud does for users whose
// privacy settings hide it. It says whether the user exists.
func (s *Server) HideEmail(email string, hide bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userByEmail(email)
	if u == nil {
		return false
	}
	u.HideEmail = hide
	return true
}
