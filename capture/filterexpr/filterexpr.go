package filterexpr

import (
	"errors"
	"fmt"
	"strconv"

	"golang.org/x/net/bpf"
)

// Link is the framing of the packets a program will be run on: where the
// network header starts and how the L3 protocol is found.
type Link int

const (
	// LinkEthernet: frames start with a 14-byte Ethernet header (lo and
	// Ethernet devices opened with SOCK_RAW, pcap files with DLT_EN10MB).
	// The ethertype is read at offset 12; in-band 802.1Q/802.1ad tags are
	// matched by "vlan" and move every later offset by 4, as in libpcap.
	LinkEthernet Link = iota
	// LinkCooked: AF_PACKET SOCK_DGRAM (the interface "any"): data starts
	// at the network header; the L3 protocol (ethertype) is read with
	// bpf.LoadExtension{Num: bpf.ExtProto}. Link-layer addresses are not
	// in the data, so "ether host" and "ether[...]" are rejected; "vlan"
	// tests the kernel's VLAN metadata (bpf.ExtVLANTagPresent, ExtVLANTag).
	LinkCooked
	// LinkRaw: DLT_RAW, data starts at the IP header and the IP version
	// is the first nibble. ARP cannot occur, so "arp" matches nothing;
	// "vlan" and link-layer primitives are rejected.
	LinkRaw
)

// String returns the link's name ("ethernet", "cooked", "raw").
func (l Link) String() string {
	switch l {
	case LinkEthernet:
		return "ethernet"
	case LinkCooked:
		return "cooked"
	case LinkRaw:
		return "raw"
	}
	return "Link(" + strconv.Itoa(int(l)) + ")"
}

// Limits of what Compile accepts and produces.
const (
	// MaxInstructions is the kernel's limit on a classic BPF program
	// (BPF_MAXINSNS). A longer program fails with ErrTooLarge.
	MaxInstructions = 4096
	// MaxExprLen bounds the expression text; a longer one fails with
	// ErrTooLarge before it is parsed.
	MaxExprLen = 64 << 10
	// maxDepth bounds nesting (parentheses, not, arithmetic) so hostile
	// input cannot make the compiler recurse without bound.
	maxDepth = 200
	// scratchSlots is the number of BPF scratch memory words.
	scratchSlots = 16
)

// The error kinds. Every error Compile returns is an *Error wrapping one of
// them, so errors.Is(err, ErrUnsupported) tells "valid pcap-filter syntax
// this package does not compile" from a mistake in the expression.
var (
	// ErrSyntax: the expression is not valid pcap-filter syntax, or is
	// invalid the way libpcap rejects it (a qualifier applied where it has
	// no meaning, a port over 65535, division by a constant zero, ...).
	ErrSyntax = errors.New("filterexpr: syntax error")
	// ErrUnsupported: valid pcap-filter syntax that this package does not
	// compile (host and port names, gateway, mpls, pppoe, 802.11, ...), or a
	// primitive that has no meaning on the chosen Link.
	ErrUnsupported = errors.New("filterexpr: unsupported")
	// ErrTooLarge: the expression or the program it compiles to exceeds
	// MaxExprLen, MaxInstructions, the nesting limit or the 16 scratch
	// memory slots.
	ErrTooLarge = errors.New("filterexpr: too large")
)

// Error is a compile error with the position in the expression where it
// was found.
type Error struct {
	Expr string // the expression given to Compile
	Pos  int    // byte offset in Expr of the offending token
	Msg  string // what is wrong, in libpcap's words where it has them
	Kind error  // ErrSyntax, ErrUnsupported or ErrTooLarge
}

func (e *Error) Error() string {
	expr := e.Expr
	if len(expr) > 80 {
		expr = expr[:77] + "..."
	}
	return fmt.Sprintf("%v: %s (at offset %d of %q)", e.Kind, e.Msg, e.Pos, expr)
}

// Unwrap returns the error's kind.
func (e *Error) Unwrap() error { return e.Kind }

func errorf(kind error, expr string, pos int, format string, args ...any) *Error {
	return &Error{Expr: expr, Pos: pos, Msg: fmt.Sprintf(format, args...), Kind: kind}
}

// Compile compiles a pcap-filter expression into a classic BPF program
// for packets framed as link. The program returns snaplen for a packet
// that matches and 0 for one that does not. An empty expression (only
// blanks) matches every packet, as in tcpdump. snaplen must not be 0 (a
// program returning 0 for a match would drop everything).
//
// Anything Compile cannot translate exactly is an error: it never returns
// a program that accepts more (or less) than the expression says.
//
// Compile(expr, link, snaplen) is CompileWith(expr, Options{Link: link,
// Snaplen: snaplen}).
func Compile(expr string, link Link, snaplen uint32) ([]bpf.Instruction, error) {
	return CompileWith(expr, Options{Link: link, Snaplen: snaplen})
}

// Options are the settings of CompileWith.
type Options struct {
	// Link is the framing of the packets (LinkEthernet is the zero value).
	Link Link
	// Snaplen is what the program returns for a matching packet: the
	// number of bytes to keep. It must not be 0.
	Snaplen uint32
	// VLANMetadata makes the first "vlan [N]" on LinkEthernet test the
	// kernel's VLAN metadata (bpf.ExtVLANTagPresent, bpf.ExtVLANTag)
	// instead of an in-band tag, without shifting later offsets. Use it
	// for a filter attached to a live Linux AF_PACKET socket: the kernel
	// removes a received frame's outer tag from the data before any
	// packet socket sees it, so an in-band test never matches there.
	// (libpcap on a live socket accepts either, choosing the offsets at
	// run time; this package does not, so a frame sent with its tag still
	// in the data, by a driver without VLAN transmit offload, does not
	// match.) Leave it off for pcap files and for tcpdump -dd parity.
	// LinkCooked always behaves this way.
	VLANMetadata bool
}

// CompileWith is Compile with all settings in o.
func CompileWith(expr string, o Options) ([]bpf.Instruction, error) {
	link, snaplen := o.Link, o.Snaplen
	if link != LinkEthernet && link != LinkCooked && link != LinkRaw {
		return nil, errorf(ErrUnsupported, expr, 0, "unknown link %v", link)
	}
	if snaplen == 0 {
		return nil, errorf(ErrSyntax, expr, 0, "snaplen 0 would drop every packet")
	}
	if len(expr) > MaxExprLen {
		return nil, errorf(ErrTooLarge, expr, 0, "expression of %d bytes is over the limit of %d", len(expr), MaxExprLen)
	}
	toks, err := lex(expr)
	if err != nil {
		return nil, err
	}
	p := &parser{src: expr, toks: toks, link: link, vlanMeta: o.VLANMetadata}
	var root *node
	if toks[0].kind == tEOF {
		root = &node{op: opTrue}
	} else {
		n, _, err := p.expr(qualErr)
		if err != nil {
			return nil, err
		}
		if t := p.peek(); t.kind != tEOF {
			return nil, p.errAt(t, ErrSyntax, "syntax error near %q", t.text)
		}
		root = n
	}
	if root.op == opTrue {
		return []bpf.Instruction{bpf.RetConstant{Val: snaplen}}, nil
	}
	prog, gerr := generate(root, snaplen)
	if gerr != nil {
		return nil, errorf(ErrTooLarge, expr, 0, "%v", gerr)
	}
	return prog, nil
}

// Assemble compiles expr like Compile and assembles the program into the
// raw form a socket takes (SO_ATTACH_FILTER, unix.SockFprog).
func Assemble(expr string, link Link, snaplen uint32) ([]bpf.RawInstruction, error) {
	prog, err := Compile(expr, link, snaplen)
	if err != nil {
		return nil, err
	}
	raw, err := bpf.Assemble(prog)
	if err != nil {
		return nil, errorf(ErrTooLarge, expr, 0, "assemble: %v", err)
	}
	return raw, nil
}
