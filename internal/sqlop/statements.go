package sqlop

// Statements are a connection's prepared statements: their text by key
// (MySQL's statement id, PostgreSQL's statement name). Remember keeps at
// most a number of statements and of bytes of text in all, forgetting
// any one (counted in Evicted) to make room; a text over the byte bound
// alone is not kept (counted too). The zero value is empty.
type Statements[K comparable] struct {
	m       map[K]string
	bytes   int
	Evicted uint64
}

// Lookup returns the text remembered under k.
func (s *Statements[K]) Lookup(k K) (string, bool) {
	t, ok := s.m[k]
	return t, ok
}

// Len is the number of statements remembered; Bytes their text's length.
func (s *Statements[K]) Len() int { return len(s.m) }

// Bytes is the length of the text remembered, in all.
func (s *Statements[K]) Bytes() int { return s.bytes }

// Forget forgets the statement under k, if any.
func (s *Statements[K]) Forget(k K) {
	if old, ok := s.m[k]; ok {
		s.bytes -= len(old)
		delete(s.m, k)
	}
}

// Remember stores text under k (replacing what was there), within max
// statements and maxBytes bytes. own, when not nil, returns copies of a
// k and text that alias a message; it is called only for a text that is
// kept.
func (s *Statements[K]) Remember(k K, text string, max, maxBytes int, own func(K, string) (K, string)) {
	if s.m == nil {
		s.m = make(map[K]string)
	}
	s.Forget(k)
	if len(text) > maxBytes {
		s.Evicted++
		return
	}
	for len(s.m) >= max || s.bytes+len(text) > maxBytes {
		for old, v := range s.m { // forget any one
			s.bytes -= len(v)
			delete(s.m, old)
			s.Evicted++
			break
		}
	}
	if own != nil {
		k, text = own(k, text)
	}
	s.m[k] = text
	s.bytes += len(text)
}
