package filter

// observer reads every byte and keeps nothing, like a metrics filter.
type observer struct{ n int }

func (o *observer) OnNewConnection() Status { return Continue }
func (o *observer) OnData(b *Buffer) Status { o.n += len(b.Unseen()); return Continue }
func (o *observer) OnWrite(b *Buffer) Status {
	o.n += len(b.Unseen())
	return Continue
}

// repeatReader returns the same chunk forever.
type repeatReader struct{ p []byte }

func (r *repeatReader) Read(b []byte) (int, error) { return copy(b, r.p), nil }
