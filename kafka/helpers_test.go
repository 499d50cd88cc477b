package kafka

import (
	"io"
	"time"
)

var (
	ioEOF    = io.EOF
	timeZero time.Time
)
