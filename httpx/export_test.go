package httpx

import "github.com/wirekit/wirekit/parser"

// FramedHeld reports whether s holds the decoded head of the token its
// Split returned last in direction dir (for tests of the trees' reuse).
func FramedHeld(s *State, dir parser.Direction) bool { return s.framed[dir&1].at != nil }
