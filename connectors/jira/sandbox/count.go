package sandbox

// Count is len(Issues()) without rendering every issue: cheap enough for a
// test to poll while the sandbox is under load.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byID)
}
