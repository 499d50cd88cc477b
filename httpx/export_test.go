package httpx

import "github.com/wirekit/wirekit/parser"

// FramedHeld reports whether the Split call of direction dir that just
// returned a token decoded its head in that call (for tests of the
// decoder's reuse of it).
func FramedHeld(s *State, dir parser.Direction) bool { return s.fresh[dir&1] }
