package filterexpr

import (
	"slices"

	"golang.org/x/net/bpf"
)

// Qualifiers, as in libpcap: a protocol ("ip", "tcp", "ether", ...), a
// direction ("src", "dst", "src or dst", "src and dst") and an address
// kind ("host", "net", "port", "portrange", "proto"). A bare id after and/or
// ("port 80 or 443") takes the qualifiers of the id before it.
const (
	pDefault = iota
	pLink
	pIP
	pIP6
	pARP
	pRARP
	pTCP
	pUDP
	pSCTP
	pICMP
	pICMP6
	pIGMP
	pOther // a protocol libpcap knows and this package does not compile
)

const (
	dDefault = iota
	dSrc
	dDst
	dOr
	dAnd
)

const (
	aDefault = iota
	aHost
	aNet
	aPort
	aPortrange
	aProto
	aOther // gateway, protochain
)

type quals struct {
	proto, dir, addr int
	err              bool // no qualifiers to inherit (after a relation, "tcp", ...)
	protoName        string
}

var qualErr = quals{err: true}

var pnames = map[string]int{
	"ether": pLink, "link": pLink, "ip": pIP, "ip6": pIP6, "arp": pARP, "rarp": pRARP,
	"tcp": pTCP, "udp": pUDP, "sctp": pSCTP, "icmp": pICMP, "icmp6": pICMP6, "igmp": pIGMP,
	"igrp": pOther, "pim": pOther, "vrrp": pOther, "carp": pOther, "ah": pOther, "esp": pOther,
	"atalk": pOther, "aarp": pOther, "decnet": pOther, "lat": pOther, "sca": pOther,
	"moprc": pOther, "mopdl": pOther, "iso": pOther, "esis": pOther, "isis": pOther,
	"clnp": pOther, "stp": pOther, "ipx": pOther, "netbeui": pOther, "radio": pOther,
	"fddi": pOther, "tr": pOther, "wlan": pOther, "l1": pOther, "l2": pOther, "iih": pOther,
	"lsp": pOther, "snp": pOther, "csnp": pOther, "psnp": pOther,
}

// ipProtoNumbers are the IP protocol numbers of the protocol keywords.
var ipProtoNumbers = map[int]uint32{pTCP: 6, pUDP: 17, pSCTP: 132, pICMP: 1, pICMP6: 58, pIGMP: 2}

// ipProtoNames are the names "proto \name" accepts (the common entries of
// /etc/protocols, which libpcap consults).
var ipProtoNames = map[string]uint32{
	"icmp": 1, "igmp": 2, "ipencap": 4, "tcp": 6, "egp": 8, "pup": 12, "udp": 17,
	"ipv6": 41, "ipv6-route": 43, "ipv6-frag": 44, "rsvp": 46, "gre": 47, "esp": 50,
	"ah": 51, "ipv6-icmp": 58, "icmp6": 58, "ipv6-nonxt": 59, "ipv6-opts": 60, "ospf": 89,
	"pim": 103, "vrrp": 112, "l2tp": 115, "sctp": 132,
}

// etherProtoNames are the names "ether proto \name" accepts.
var etherProtoNames = map[string]uint32{
	"ip": 0x0800, "ip6": 0x86dd, "arp": 0x0806, "rarp": 0x8035,
	"atalk": 0x809b, "aarp": 0x80f3, "decnet": 0x6003, "lat": 0x6004, "sca": 0x6007,
	"moprc": 0x6002, "mopdl": 0x6001,
}

const (
	etherIP   = 0x0800
	etherIP6  = 0x86dd
	etherARP  = 0x0806
	etherRARP = 0x8035
)

type parser struct {
	src  string
	toks []token
	i    int
	link Link
	off  uint32 // bytes of in-band VLAN tags seen so far ("vlan" adds 4)
	// vlanMeta: the outer "vlan" tests the kernel's VLAN metadata
	// (Options.VLANMetadata; always on LinkCooked).
	vlanMeta  bool
	vlanDepth int // "vlan" primitives seen so far
	depth     int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) peekAt(k int) token {
	if p.i+k < len(p.toks) {
		return p.toks[p.i+k]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) errAt(t token, kind error, format string, args ...any) error {
	return errorf(kind, p.src, t.pos, format, args...)
}

func (p *parser) syntax(t token) error {
	if t.kind == tEOF {
		return p.errAt(t, ErrSyntax, "syntax error: unexpected end of expression")
	}
	return p.errAt(t, ErrSyntax, "syntax error near %q", t.text)
}

func isOp(t token, ops ...string) bool { return t.kind == tOp && slices.Contains(ops, t.text) }

func isKey(t token, keys ...string) bool { return t.kind == tKey && slices.Contains(keys, t.text) }

func isAnd(t token) bool { return isKey(t, "and") || isOp(t, "&&") }
func isOr(t token) bool  { return isKey(t, "or") || isOp(t, "||") }
func isNot(t token) bool { return isKey(t, "not") || isOp(t, "!") }

func isArithOrRel(t token) bool {
	return isOp(t, "+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", "=", "==", "!=", "<", "<=", ">", ">=")
}

func (p *parser) enter(t token) error {
	p.depth++
	if p.depth > maxDepth {
		return p.errAt(t, ErrTooLarge, "expression nested deeper than %d", maxDepth)
	}
	return nil
}

// expr: term { (and|or) (term | id) }, left to right with equal
// precedence, as pcap-filter defines.
func (p *parser) expr(in quals) (*node, quals, error) {
	if err := p.enter(p.peek()); err != nil {
		return nil, in, err
	}
	defer func() { p.depth-- }()
	n, q, err := p.term(in)
	if err != nil {
		return nil, q, err
	}
	for {
		t := p.peek()
		if !isAnd(t) && !isOr(t) {
			return n, q, nil
		}
		p.next()
		var r *node
		var rq quals
		if p.idStart(0) {
			r, rq, err = p.id(q)
		} else {
			r, rq, err = p.term(q)
		}
		if err != nil {
			return nil, rq, err
		}
		q = rq
		if n, err = p.join(t, n, r); err != nil {
			return nil, q, err
		}
	}
}

// join combines n and r with the operator t (and, or), failing when the
// program grows past maxPseudo.
func (p *parser) join(t token, n, r *node) (*node, error) {
	if isAnd(t) {
		n = and(n, r)
	} else {
		n = or(n, r)
	}
	if n.size > maxPseudo {
		return nil, p.errAt(t, ErrTooLarge, "program too large (over %d instructions before optimization)", maxPseudo)
	}
	return n, nil
}

// idStart reports whether the tokens from k on begin a bare id (an
// address, number or name that inherits the previous qualifiers) rather
// than a term.
func (p *parser) idStart(k int) bool {
	for ; ; k++ {
		t := p.peekAt(k)
		switch {
		case t.kind == tNum:
			return !isArithOrRel(p.peekAt(k + 1))
		case t.kind == tHID || t.kind == tHID6 || t.kind == tEID || t.kind == tID:
			return true
		case isNot(t) || isOp(t, "("):
			continue
		default:
			return false
		}
	}
}

func (p *parser) term(in quals) (*node, quals, error) {
	t := p.peek()
	if isNot(t) {
		if err := p.enter(t); err != nil {
			return nil, in, err
		}
		defer func() { p.depth-- }()
		p.next()
		n, q, err := p.term(in)
		if err != nil {
			return nil, q, err
		}
		return not(n), q, nil
	}
	return p.rterm(in)
}

func isDqual(t token) bool { return isKey(t, "src", "dst") }
func isAqual(t token) bool {
	return isKey(t, "host", "net", "port", "portrange", "proto", "protochain", "gateway")
}

func (p *parser) rterm(in quals) (*node, quals, error) {
	t := p.peek()
	switch t.kind {
	case tOp:
		switch t.text {
		case "(":
			if p.relationAhead() {
				return p.relation()
			}
			p.next()
			n, _, err := p.expr(in)
			if err != nil {
				return nil, in, err
			}
			if c := p.peek(); !isOp(c, ")") {
				return nil, in, p.syntax(c)
			}
			p.next()
			return n, in, nil
		case "-":
			return p.relation()
		}
		return nil, in, p.syntax(t)
	case tNum:
		return p.relation()
	case tKey:
	default:
		return nil, in, p.syntax(t)
	}
	// A reserved word.
	if proto, ok := pnames[t.text]; ok {
		nt := p.peekAt(1)
		switch {
		case isOp(nt, "["):
			return p.relation()
		case isDqual(nt) || isAqual(nt):
			return p.head()
		case isKey(nt, "broadcast", "multicast"):
			p.next()
			n, err := p.castPrimitive(t, proto, p.next())
			return n, qualErr, err
		}
		p.next()
		n, err := p.protoAbbrev(t, proto)
		return n, qualErr, err
	}
	switch t.text {
	case "src", "dst", "host", "net", "port", "portrange", "proto", "protochain", "gateway":
		return p.head()
	case "broadcast", "multicast":
		p.next()
		n, err := p.castPrimitive(token{}, pDefault, t)
		return n, qualErr, err
	case "less", "greater":
		p.next()
		v, err := p.pnum()
		if err != nil {
			return nil, qualErr, err
		}
		ld := bpf.LoadExtension{Num: bpf.ExtLen}
		if t.text == "less" {
			return not(test(bpf.JumpGreaterThan, v, ld)), qualErr, nil
		}
		return test(bpf.JumpGreaterOrEqual, v, ld), qualErr, nil
	case "len":
		return p.relation()
	case "vlan":
		p.next()
		n, err := p.vlan(t)
		return n, qualErr, err
	case "inbound", "outbound":
		p.next()
		if p.link == LinkRaw {
			return nil, qualErr, p.errAt(t, ErrUnsupported, "%s is not supported on a raw link", t.text)
		}
		// The kernel's packet type (skb->pkt_type): PACKET_OUTGOING is 4.
		n := test(bpf.JumpEqual, 4, bpf.LoadExtension{Num: bpf.ExtType})
		if t.text == "inbound" {
			n = not(n)
		}
		return n, qualErr, nil
	case "and", "or", "not":
		return nil, in, p.syntax(t)
	}
	return nil, in, p.errAt(t, ErrUnsupported, "%q is not supported", t.text)
}

// pnum reads a number, possibly in parentheses.
func (p *parser) pnum() (uint32, error) {
	t := p.peek()
	if t.kind == tNum {
		p.next()
		return t.num, nil
	}
	if isOp(t, "(") {
		save := p.i
		p.next()
		if v, err := p.pnum(); err == nil && isOp(p.peek(), ")") {
			p.next()
			return v, nil
		}
		p.i = save
	}
	return 0, p.syntax(t)
}

// head: [pname] [src|dst [and|or src|dst]] [host|net|port|portrange|proto] id
func (p *parser) head() (*node, quals, error) {
	var q quals
	start := p.peek()
	if proto, ok := pnames[start.text]; ok && start.kind == tKey {
		q.proto = proto
		q.protoName = start.text
		p.next()
	}
	if t := p.peek(); isDqual(t) {
		p.next()
		q.dir = dSrc
		if t.text == "dst" {
			q.dir = dDst
		}
		if c := p.peek(); (isAnd(c) || isOr(c)) && isDqual(p.peekAt(1)) && p.peekAt(1).text != t.text {
			p.next()
			p.next()
			if isAnd(c) {
				q.dir = dAnd
			} else {
				q.dir = dOr
			}
		}
	}
	t := p.peek()
	if isAqual(t) {
		p.next()
		switch t.text {
		case "host":
			q.addr = aHost
		case "net":
			q.addr = aNet
		case "port":
			q.addr = aPort
		case "portrange":
			q.addr = aPortrange
		case "proto":
			if q.dir != dDefault {
				return nil, q, p.errAt(t, ErrSyntax, "direction applied to 'proto'")
			}
			q.addr = aProto
		default:
			return nil, q, p.errAt(t, ErrUnsupported, "%q is not supported", t.text)
		}
	} else if q.dir == dDefault {
		return nil, q, p.syntax(t)
	}
	return p.id(q)
}

// id: [not] (number | address | name | "(" id {and|or id} ")"), with
// qualifiers q.
func (p *parser) id(q quals) (*node, quals, error) {
	t := p.peek()
	if err := p.enter(t); err != nil {
		return nil, q, err
	}
	defer func() { p.depth-- }()
	if q.err {
		return nil, q, p.errAt(t, ErrSyntax, "syntax error: %q has no qualifiers to inherit", t.text)
	}
	switch {
	case isNot(t):
		p.next()
		n, q2, err := p.id(q)
		if err != nil {
			return nil, q2, err
		}
		return not(n), q2, nil
	case isOp(t, "("):
		p.next()
		n, q2, err := p.id(q)
		if err != nil {
			return nil, q, err
		}
		for {
			c := p.peek()
			if !isAnd(c) && !isOr(c) {
				break
			}
			p.next()
			r, rq, err := p.id(q2)
			if err != nil {
				return nil, q, err
			}
			q2 = rq
			if n, err = p.join(c, n, r); err != nil {
				return nil, q, err
			}
		}
		if c := p.peek(); !isOp(c, ")") {
			return nil, q, p.syntax(c)
		}
		p.next()
		return n, q, nil
	case t.kind == tNum:
		p.next()
		n, err := p.ncode(t, q, t.num, 32, false)
		return n, q, err
	case t.kind == tHID:
		p.next()
		v, bits, ok := parseDotted(t.text)
		if !ok {
			return nil, q, p.errAt(t, ErrSyntax, "bad address %q", t.text)
		}
		if c := p.peek(); isOp(c, "/") {
			p.next()
			m := p.peek()
			if m.kind != tNum {
				return nil, q, p.syntax(m)
			}
			p.next()
			if m.num > 32 {
				return nil, q, p.errAt(m, ErrSyntax, "mask length must be <= 32")
			}
			v <<= 32 - uint32(bits)
			mask := uint32(0)
			if m.num > 0 {
				mask = ^uint32(0) << (32 - m.num)
			}
			n, err := p.mcode(t, q, v, mask)
			return n, q, err
		} else if isKey(c, "mask") {
			p.next()
			m := p.peek()
			mv, mbits, ok := parseDotted(m.text)
			if m.kind != tHID || !ok || mbits != 32 {
				return nil, q, p.errAt(m, ErrSyntax, "bad mask %q", m.text)
			}
			p.next()
			if bits != 32 {
				return nil, q, p.errAt(t, ErrSyntax, "non-network bits set in %q", t.text)
			}
			n, err := p.mcode(t, q, v, mv)
			return n, q, err
		}
		n, err := p.ncode(t, q, v, bits, true)
		return n, q, err
	case t.kind == tHID6:
		p.next()
		bits := uint32(128)
		if c := p.peek(); isOp(c, "/") {
			p.next()
			m := p.peek()
			if m.kind != tNum {
				return nil, q, p.syntax(m)
			}
			p.next()
			if m.num > 128 {
				return nil, q, p.errAt(m, ErrSyntax, "mask length must be <= 128")
			}
			bits = m.num
		}
		n, err := p.mcode6(t, q, bits)
		return n, q, err
	case t.kind == tEID:
		p.next()
		n, err := p.ecode(t, q)
		return n, q, err
	case t.kind == tID:
		p.next()
		n, err := p.scode(t, q)
		return n, q, err
	}
	return nil, q, p.syntax(t)
}

// nh is the offset of the network header.
func (p *parser) nh() uint32 {
	if p.link == LinkEthernet {
		return 14 + p.off
	}
	return 0
}

// linkType tests the L3 protocol (ethertype) of the packet.
func (p *parser) linkType(et uint32) *node {
	switch p.link {
	case LinkEthernet:
		return test(bpf.JumpEqual, et, bpf.LoadAbsolute{Off: 12 + p.off, Size: 2})
	case LinkCooked:
		return test(bpf.JumpEqual, et, bpf.LoadExtension{Num: bpf.ExtProto})
	}
	switch et {
	case etherIP:
		return test(bpf.JumpEqual, 0x40, bpf.LoadAbsolute{Off: 0, Size: 1}, bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0xf0})
	case etherIP6:
		return test(bpf.JumpEqual, 0x60, bpf.LoadAbsolute{Off: 0, Size: 1}, bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0xf0})
	}
	return nodeFalse
}

// cmpAbs tests (the size-byte word at off & mask) == v.
func cmpAbs(off uint32, size int, mask, v uint32) *node {
	ins := []bpf.Instruction{bpf.LoadAbsolute{Off: off, Size: size}}
	full := uint32(1)<<(8*uint(size)) - 1
	if size == 4 {
		full = ^uint32(0)
	}
	if mask&full != full {
		ins = append(ins, bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: mask})
	}
	return test(bpf.JumpEqual, v&mask, ins...)
}

func dirop(dir int, src, dst *node) *node {
	switch dir {
	case dSrc:
		return src
	case dDst:
		return dst
	case dAnd:
		return and(src, dst)
	}
	return or(src, dst)
}

// ncode is libpcap's gen_ncode: a number or dotted address with the
// qualifiers q. dotted tells a "10.1" (bits given) from a bare number.
func (p *parser) ncode(t token, q quals, v uint32, bits int, dotted bool) (*node, error) {
	switch q.addr {
	case aDefault, aHost, aNet:
		if q.proto == pLink {
			return nil, p.errAt(t, ErrSyntax, "illegal link layer address")
		}
		mask := ^uint32(0)
		if q.addr == aNet {
			// Promote a short net number: "net 10" is 10.0.0.0/8.
			for v != 0 && v&0xff000000 == 0 {
				v <<= 8
				mask <<= 8
			}
		} else if dotted {
			// Promote a short address: "host 10.1" is 10.1.0.0/16.
			v <<= 32 - uint32(bits)
			mask <<= 32 - uint32(bits)
		}
		return p.host(t, q, v, mask)
	case aPort:
		if dotted {
			return nil, p.errAt(t, ErrSyntax, "illegal port number %q", t.text)
		}
		return p.portRange(t, q, v, v)
	case aPortrange:
		if dotted {
			return nil, p.errAt(t, ErrSyntax, "illegal port number %q", t.text)
		}
		return p.portRange(t, q, v, v)
	case aProto:
		if dotted {
			return nil, p.errAt(t, ErrSyntax, "illegal protocol number %q", t.text)
		}
		return p.proto(t, q, v)
	}
	return nil, p.errAt(t, ErrUnsupported, "qualifier not supported here")
}

// mcode is gen_mcode: an IPv4 address with an explicit mask.
func (p *parser) mcode(t token, q quals, v, mask uint32) (*node, error) {
	if v&^mask != 0 {
		return nil, p.errAt(t, ErrSyntax, "non-network bits set in %q", t.text)
	}
	switch q.addr {
	case aDefault, aHost, aNet:
		return p.host(t, q, v, mask)
	}
	return nil, p.errAt(t, ErrSyntax, "mask syntax for networks only")
}

// host is gen_host for IPv4: the address (under mask) in the IP, ARP or
// RARP header in direction q.dir.
func (p *parser) host(t token, q quals, v, mask uint32) (*node, error) {
	nh := p.nh()
	ipHost := func() *node {
		return and(p.linkType(etherIP), dirop(q.dir, cmpAbs(nh+12, 4, mask, v), cmpAbs(nh+16, 4, mask, v)))
	}
	arpHost := func(et uint32) *node {
		return and(p.linkType(et), dirop(q.dir, cmpAbs(nh+14, 4, mask, v), cmpAbs(nh+24, 4, mask, v)))
	}
	switch q.proto {
	case pDefault:
		// Ordered as libpcap evaluates it: IP, then ARP, then RARP.
		a := ipHost()
		b := arpHost(etherARP)
		c := arpHost(etherRARP)
		return or(a, or(b, c)), nil
	case pIP:
		return ipHost(), nil
	case pARP:
		return arpHost(etherARP), nil
	case pRARP:
		return arpHost(etherRARP), nil
	case pIP6:
		return nil, p.errAt(t, ErrSyntax, "'ip6' modifier applied to ip host")
	}
	return nil, p.errAt(t, ErrSyntax, "'%s' modifier applied to host", q.protoName)
}

// mcode6 is gen_mcode6: an IPv6 address with a prefix length.
func (p *parser) mcode6(t token, q quals, bits uint32) (*node, error) {
	a := t.addr.As16()
	var mask [16]byte
	for i := uint32(0); i < 128; i++ {
		if i < bits {
			mask[i/8] |= 0x80 >> (i % 8)
		}
	}
	for i := range a {
		if a[i]&^mask[i] != 0 {
			return nil, p.errAt(t, ErrSyntax, "non-network bits set in %q", t.text)
		}
	}
	switch q.addr {
	case aDefault, aNet:
	case aHost:
		if bits != 128 {
			return nil, p.errAt(t, ErrSyntax, "mask syntax for networks only")
		}
	default:
		return nil, p.errAt(t, ErrSyntax, "invalid qualifier against IPv6 address")
	}
	switch q.proto {
	case pDefault, pIP6:
	case pIP:
		return nil, p.errAt(t, ErrSyntax, "'ip' modifier applied to ip6 host")
	default:
		return nil, p.errAt(t, ErrSyntax, "'%s' modifier applied to ip6 host", q.protoName)
	}
	nh := p.nh()
	words := func(off uint32) *node {
		var n *node
		for w := uint32(0); w < 4; w++ {
			m := uint32(mask[4*w])<<24 | uint32(mask[4*w+1])<<16 | uint32(mask[4*w+2])<<8 | uint32(mask[4*w+3])
			// Words outside the prefix are still loaded (and masked to
			// 0), as libpcap does: a packet too short for the address
			// does not match.
			v := uint32(a[4*w])<<24 | uint32(a[4*w+1])<<16 | uint32(a[4*w+2])<<8 | uint32(a[4*w+3])
			c := cmpAbs(off+4*w, 4, m, v)
			if n == nil {
				n = c
			} else {
				n = and(n, c)
			}
		}
		return n
	}
	return and(p.linkType(etherIP6), dirop(q.dir, words(nh+8), words(nh+24))), nil
}

// ecode is gen_ecode: an Ethernet address.
func (p *parser) ecode(t token, q quals) (*node, error) {
	if q.addr != aDefault && q.addr != aHost {
		return nil, p.errAt(t, ErrSyntax, "ethernet address used in non-ether expression")
	}
	if q.proto != pDefault && q.proto != pLink {
		return nil, p.errAt(t, ErrSyntax, "ethernet address used in non-ether expression")
	}
	if p.link != LinkEthernet {
		return nil, p.errAt(t, ErrUnsupported, "ethernet addresses are not in the data on a %v link", p.link)
	}
	m := t.mac
	at := func(off uint32) *node {
		hi := uint32(m[0])<<8 | uint32(m[1])
		lo := uint32(m[2])<<24 | uint32(m[3])<<16 | uint32(m[4])<<8 | uint32(m[5])
		return and(cmpAbs(off+2, 4, ^uint32(0), lo), cmpAbs(off, 2, 0xffff, hi))
	}
	return dirop(q.dir, at(6), at(0)), nil
}

// scode is gen_scode: a name. Only protocol names and "lo-hi" port
// ranges are compiled; host, network and service names would need a
// resolver and are rejected.
func (p *parser) scode(t token, q quals) (*node, error) {
	switch q.addr {
	case aProto:
		var v uint32
		var ok bool
		if q.proto == pLink {
			v, ok = etherProtoNames[t.text]
		} else {
			v, ok = ipProtoNames[t.text]
		}
		if !ok {
			return nil, p.errAt(t, ErrUnsupported, "unknown protocol name %q", t.text)
		}
		return p.proto(t, q, v)
	case aPortrange:
		lo, hi, ok := parseRange(t.text)
		if !ok {
			return nil, p.errAt(t, ErrUnsupported, "port range %q is not two numbers (service names are not resolved)", t.text)
		}
		return p.portRange(t, q, lo, hi)
	case aPort:
		return nil, p.errAt(t, ErrUnsupported, "port name %q is not resolved; use the number", t.text)
	case aDefault, aHost, aNet:
		return nil, p.errAt(t, ErrUnsupported, "name %q is not resolved; use an address", t.text)
	}
	return nil, p.errAt(t, ErrUnsupported, "qualifier not supported here")
}

func parseRange(s string) (lo, hi uint32, ok bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '-' {
			a, aok, aerr := parseNumber(s[:i])
			b, bok, berr := parseNumber(s[i+1:])
			if !aok || !bok || aerr != nil || berr != nil {
				return 0, 0, false
			}
			return a, b, true
		}
	}
	return 0, 0, false
}

// portRange is gen_port/gen_portrange for TCP, UDP and SCTP over IPv4
// (not a fragment after the first, header length from the IHL) and IPv6
// (next header directly after the fixed header, as libpcap does).
func (p *parser) portRange(t token, q quals, lo, hi uint32) (*node, error) {
	if lo > 65535 {
		return nil, p.errAt(t, ErrSyntax, "illegal port number %d > 65535", lo)
	}
	if hi > 65535 {
		return nil, p.errAt(t, ErrSyntax, "illegal port number %d > 65535", hi)
	}
	if lo > hi {
		lo, hi = hi, lo
	}
	var protos []uint32
	switch q.proto {
	case pDefault:
		protos = []uint32{6, 17, 132}
	case pTCP, pUDP, pSCTP:
		protos = []uint32{ipProtoNumbers[q.proto]}
	default:
		return nil, p.errAt(t, ErrSyntax, "illegal qualifier of 'port'")
	}
	nh := p.nh()
	protoIn := func(off uint32) *node {
		var n *node
		for _, v := range protos {
			c := test(bpf.JumpEqual, v, bpf.LoadAbsolute{Off: off, Size: 1})
			if n == nil {
				n = c
			} else {
				n = or(n, c)
			}
		}
		return n
	}
	inRange := func(ld ...bpf.Instruction) *node {
		if lo == hi {
			return test(bpf.JumpEqual, lo, ld...)
		}
		return and(test(bpf.JumpGreaterOrEqual, lo, ld...), not(test(bpf.JumpGreaterThan, hi, ld...)))
	}
	v4port := func(off uint32) *node {
		return inRange(bpf.LoadMemShift{Off: nh}, bpf.LoadIndirect{Off: nh + off, Size: 2})
	}
	v6port := func(off uint32) *node {
		return inRange(bpf.LoadAbsolute{Off: nh + 40 + off, Size: 2})
	}
	v4 := and(p.linkType(etherIP), and(protoIn(nh+9), and(p.notFragment(), dirop(q.dir, v4port(0), v4port(2)))))
	v6 := and(p.linkType(etherIP6), and(protoIn(nh+6), dirop(q.dir, v6port(0), v6port(2))))
	return or(v4, v6), nil
}

// notFragment holds for an IPv4 packet whose fragment offset is 0.
func (p *parser) notFragment() *node {
	return test(bpf.JumpEqual, 0, bpf.LoadAbsolute{Off: p.nh() + 6, Size: 2}, bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0x1fff})
}

// ipProto tests the IPv4 protocol field.
func (p *parser) ipProto(v uint32) *node {
	return and(p.linkType(etherIP), test(bpf.JumpEqual, v, bpf.LoadAbsolute{Off: p.nh() + 9, Size: 1}))
}

// ip6Proto tests the IPv6 next header, also behind one fragment header
// (as libpcap does).
func (p *parser) ip6Proto(v uint32) *node {
	nh := p.nh()
	nxt := func(cv uint32) *node { return test(bpf.JumpEqual, cv, bpf.LoadAbsolute{Off: nh + 6, Size: 1}) }
	frag := and(nxt(44), test(bpf.JumpEqual, v, bpf.LoadAbsolute{Off: nh + 40, Size: 1}))
	return and(p.linkType(etherIP6), or(nxt(v), frag))
}

// proto is gen_proto: "[ip|ip6|ether] proto N".
func (p *parser) proto(t token, q quals, v uint32) (*node, error) {
	switch q.proto {
	case pDefault:
		if v > 255 {
			return nil, p.errAt(t, ErrSyntax, "illegal protocol number %d", v)
		}
		return or(p.ipProto(v), p.ip6Proto(v)), nil
	case pIP:
		if v > 255 {
			return nil, p.errAt(t, ErrSyntax, "illegal protocol number %d", v)
		}
		return p.ipProto(v), nil
	case pIP6:
		if v > 255 {
			return nil, p.errAt(t, ErrSyntax, "illegal protocol number %d", v)
		}
		return p.ip6Proto(v), nil
	case pLink:
		if v > 0xffff {
			return nil, p.errAt(t, ErrSyntax, "illegal ethertype %d", v)
		}
		if v <= 1500 {
			return nil, p.errAt(t, ErrUnsupported, "ether proto %d is an 802.3 length (LLC/SNAP matching is not supported)", v)
		}
		if p.link == LinkRaw && v != etherIP && v != etherIP6 {
			return nodeFalse, nil
		}
		return p.linkType(v), nil
	}
	return nil, p.errAt(t, ErrSyntax, "'proto' is not valid after '%s'", q.protoName)
}

// protoAbbrev is a protocol keyword on its own: "tcp", "ip6", "arp", ...
func (p *parser) protoAbbrev(t token, proto int) (*node, error) {
	switch proto {
	case pIP:
		return p.linkType(etherIP), nil
	case pIP6:
		return p.linkType(etherIP6), nil
	case pARP:
		return p.linkType(etherARP), nil
	case pRARP:
		return p.linkType(etherRARP), nil
	case pTCP, pUDP, pSCTP:
		v := ipProtoNumbers[proto]
		return or(p.ipProto(v), p.ip6Proto(v)), nil
	case pICMP, pIGMP:
		return p.ipProto(ipProtoNumbers[proto]), nil
	case pICMP6:
		return p.ip6Proto(58), nil
	case pLink:
		return nil, p.errAt(t, ErrSyntax, "link layer applied in wrong context")
	}
	return nil, p.errAt(t, ErrUnsupported, "protocol %q is not supported", t.text)
}

// castPrimitive is "[ether|ip|ip6] broadcast|multicast".
func (p *parser) castPrimitive(pt token, proto int, t token) (*node, error) {
	bcast := t.text == "broadcast"
	switch proto {
	case pDefault, pLink:
		if p.link != LinkEthernet {
			return nil, p.errAt(t, ErrUnsupported, "link-layer %s is not in the data on a %v link", t.text, p.link)
		}
		if bcast {
			return and(cmpAbs(2, 4, ^uint32(0), 0xffffffff), cmpAbs(0, 2, 0xffff, 0xffff)), nil
		}
		return test(bpf.JumpBitsSet, 1, bpf.LoadAbsolute{Off: 0, Size: 1}), nil
	case pIP:
		if bcast {
			return nil, p.errAt(t, ErrUnsupported, "ip broadcast needs the interface netmask")
		}
		return and(p.linkType(etherIP), test(bpf.JumpGreaterOrEqual, 224, bpf.LoadAbsolute{Off: p.nh() + 16, Size: 1})), nil
	case pIP6:
		if bcast {
			return nil, p.errAt(t, ErrSyntax, "only link-layer/IP broadcast filters supported")
		}
		return and(p.linkType(etherIP6), test(bpf.JumpEqual, 0xff, bpf.LoadAbsolute{Off: p.nh() + 24, Size: 1})), nil
	}
	return nil, p.errAt(pt, ErrSyntax, "only link-layer/IP %s filters supported", t.text)
}

// vlan is "vlan [ID]". On Ethernet it matches an in-band 802.1Q, 802.1ad
// or 0x9100 tag and shifts every later offset by the tag's 4 bytes (the
// libpcap rule: it applies to everything after it in the expression). On
// a cooked socket, and on Ethernet with Options.VLANMetadata, the first
// "vlan" tests the kernel's VLAN metadata instead, which is where the
// kernel keeps a received frame's outer tag, and shifts nothing; later
// ones (inner tags, which stay in the data) are in-band on Ethernet and
// rejected on cooked links.
func (p *parser) vlan(t token) (*node, error) {
	hasID := false
	var id uint32
	if nt := p.peek(); nt.kind == tNum || isOp(nt, "(") && p.peekAt(1).kind == tNum {
		v, err := p.pnum()
		if err != nil {
			return nil, err
		}
		if v > 4095 {
			return nil, p.errAt(nt, ErrSyntax, "VLAN tag %d greater than maximum 4095", v)
		}
		hasID, id = true, v
	}
	outer := p.vlanDepth == 0
	p.vlanDepth++
	if outer && (p.link == LinkCooked || p.link == LinkEthernet && p.vlanMeta) {
		// The kernel keeps a received frame's outer tag as metadata and
		// removes it from the data: nothing to shift.
		n := not(test(bpf.JumpEqual, 0, bpf.LoadExtension{Num: bpf.ExtVLANTagPresent}))
		if hasID {
			n = and(n, test(bpf.JumpEqual, id, bpf.LoadExtension{Num: bpf.ExtVLANTag}, bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0x0fff}))
		}
		return n, nil
	}
	if p.link == LinkEthernet {
		ld := bpf.LoadAbsolute{Off: 12 + p.off, Size: 2}
		n := or(test(bpf.JumpEqual, 0x8100, ld), or(test(bpf.JumpEqual, 0x88a8, ld), test(bpf.JumpEqual, 0x9100, ld)))
		if hasID {
			n = and(n, cmpAbs(14+p.off, 2, 0x0fff, id))
		}
		p.off += 4
		return n, nil
	}
	if p.link == LinkCooked {
		return nil, p.errAt(t, ErrUnsupported, "only the outer VLAN tag can be matched on a cooked link")
	}
	return nil, p.errAt(t, ErrUnsupported, "no VLAN support on a %v link", p.link)
}
