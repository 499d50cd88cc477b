//go:build !unix

package kafka

import "testing"

func procCPU() int64                      { return 0 }
func reportCPU(b *testing.B, start int64) {}
