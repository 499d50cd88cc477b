package sniff

// repeat is a reader that returns the same bytes forever.
type repeat struct{ p []byte }

func (r *repeat) Read(b []byte) (int, error) { return copy(b, r.p), nil }
