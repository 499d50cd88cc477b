//go:build !race

package dump

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/wirekit/wirekit/parser"
)

// Allocation budgets of the hot paths (steady state).
func TestAllocationBudgets(t *testing.T) {
	off := newRig(t, DefaultStrategy(), nil)
	c := off.d.Open(ConnInfo{ID: 1})
	data := make([]byte, 1024)
	assert.Zero(t, testing.AllocsPerRun(1000, func() { off.d.Sampling(7) }), "gate check, off")
	assert.Zero(t, testing.AllocsPerRun(1000, func() { c.Flow(parser.Request, 0, data) }), "Flow, off")

	r := newRig(t, always, func(cfg *Config) { cfg.QueueSize = 1 << 20; cfg.MaxQueuedBytes = 2 << 30 })
	c = r.d.Open(ConnInfo{ID: 2, Client: netip.MustParseAddrPort("10.0.0.1:1"), Server: netip.MustParseAddrPort("10.0.0.2:2")})
	// Block the worker so the arena does not change hands while measuring;
	// pre-grow it so the run measures steady state.
	entered, release := r.sink.hold()
	c.Append(parser.Request, data)
	<-entered
	sh := r.d.shards[c.shard]
	sh.mu.Lock()
	sh.arena = make([]byte, 0, 4<<20)
	sh.items = make([]Item, 0, 4096)
	sh.mu.Unlock()
	assert.Zero(t, testing.AllocsPerRun(1000, func() { c.Append(parser.Request, data) }), "Flow 1 KiB, on")
	assert.Zero(t, testing.AllocsPerRun(1000, func() { r.d.Sampling(7) }), "gate check, on")
	release()

	// Sink side: encoding a flow item into a reused buffer.
	e := newPcapngEncoder()
	ci := &ConnInfo{ID: 1, Client: netip.MustParseAddrPort("10.1.2.3:40000"), Server: netip.MustParseAddrPort("[::1]:6379")}
	it := Item{Kind: KindFlow, Conn: ci, Data: data, Time: time.Now()}
	buf := e.encode(e.begin(nil), &it)
	it.Offset = 1024
	require.NotEmpty(t, buf)
	assert.Zero(t, testing.AllocsPerRun(1000, func() { buf = e.encode(buf[:0], &it); it.Offset += 1024 }), "pcapng encode")
	var j jsonlEncoder
	jb := j.encode(nil, &it)
	assert.Zero(t, testing.AllocsPerRun(1000, func() { jb = j.encode(jb[:0], &it) }), "jsonl encode")
}
