// Package builtin registers wirekit's built-in filters into a
// filter.Registry:
//
//	connection_limit  filter.ConnLimit: caps open connections per chain
//	deny              package deny: refuses requests by a parsed attribute
//	sniff             package sniff: protocol detection and exchanges
//	tcpcopy           package tcpcopy: sampled traffic dumps (Layotto)
//
// Nothing is registered by importing it; call Register with the registry
// of your program (or filter.Default).
package builtin

import (
	"encoding/json"

	"github.com/wirekit/wirekit/filter"
	"github.com/wirekit/wirekit/filter/deny"
	"github.com/wirekit/wirekit/filter/sniff"
	"github.com/wirekit/wirekit/filter/tcpcopy"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/protocols"
)

// Options are what the built-in filters need from the program.
type Options struct {
	// Protocols are the protocols sniff and deny know by name, in sniff's
	// detection order. Default: Protocols().
	Protocols []*parser.Protocol
	// OnExchange receives the sniff filter's exchanges (access log,
	// metrics). Without it sniff is not registered: its output would go
	// nowhere.
	OnExchange sniff.Handler
	// OnTCPCopy receives every tcpcopy Factory the registry creates; each
	// owns a running dump.Dumper the program must Close at exit (nil: the
	// program cannot close them, and records still queued at exit are
	// lost).
	OnTCPCopy func(*tcpcopy.Factory)
	// OnSniff receives every sniff Factory the registry creates, to read
	// its Stats (connections, protocols, what could not be parsed).
	OnSniff func(*sniff.Factory)
}

// Protocols returns every built-in protocol with default options, in
// detection order: protocols.All.
func Protocols() []*parser.Protocol { return protocols.All() }

// Register adds the built-in filter types to r. It fails with
// filter.ErrDuplicate if one of the names is taken.
func Register(r *filter.Registry, opts Options) error {
	protos := opts.Protocols
	if len(protos) == 0 {
		protos = Protocols()
	}
	if err := r.Register(filter.ConnLimitName, filter.ConnLimitCreator); err != nil {
		return err
	}
	if err := r.Register(deny.Name, deny.NewCreator(protos...)); err != nil {
		return err
	}
	if opts.OnExchange != nil {
		create := sniff.NewCreator(opts.OnExchange, protos...)
		if opts.OnSniff != nil {
			inner := create
			create = func(raw json.RawMessage) (filter.Factory, error) {
				f, err := inner(raw)
				if err == nil {
					opts.OnSniff(f.(*sniff.Factory))
				}
				return f, err
			}
		}
		if err := r.Register(sniff.Name, create); err != nil {
			return err
		}
	}
	return r.Register(tcpcopy.Name, tcpcopy.NewCreator(opts.OnTCPCopy))
}
