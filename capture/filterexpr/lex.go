package filterexpr

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/wirekit/wirekit/internal/ascii"
)

// tokKind is the lexical class of a token. The classes follow libpcap's
// scanner: a number, a dotted IPv4 address or prefix (HID), an IPv6
// address (HID6), an Ethernet address (EID), a reserved word, a plain or
// backslash-escaped identifier, or an operator.
type tokKind int

const (
	tEOF  tokKind = iota
	tNum          // 80, 0x50, 0120 (octal), and the named constants (tcpflags, tcp-syn, ...)
	tHID          // 10, 10.1, 10.1.2.3 as an address (only when it has a dot)
	tHID6         // ::1, 2001:db8::
	tEID          // 00:11:22:33:44:55, 00-11-22-33-44-55
	tID           // an identifier that is not a reserved word, or \word
	tKey          // a reserved word (host, tcp, and, ...)
	tOp           // ( ) [ ] : + - * / % & | ^ << >> = == != < <= > >= ! && ||
)

type token struct {
	kind tokKind
	text string // the word or operator; for tKey the lower-case keyword
	pos  int    // byte offset in the expression
	num  uint32 // tNum value
	addr netip.Addr
	mac  [6]byte
}

// keywords are libpcap's reserved words that this package knows. Words it
// knows but does not compile are reserved too, so they fail with
// ErrUnsupported instead of being taken as host names.
var keywords = map[string]bool{
	"and": true, "or": true, "not": true,
	"host": true, "net": true, "port": true, "portrange": true, "proto": true,
	"protochain": true, "gateway": true, "mask": true,
	"src": true, "dst": true,
	"ether": true, "link": true, "ip": true, "ip6": true, "arp": true, "rarp": true,
	"tcp": true, "udp": true, "sctp": true, "icmp": true, "icmp6": true, "igmp": true,
	"igrp": true, "pim": true, "vrrp": true, "carp": true, "ah": true, "esp": true,
	"atalk": true, "aarp": true, "decnet": true, "lat": true, "sca": true, "moprc": true,
	"mopdl": true, "iso": true, "esis": true, "isis": true, "clnp": true, "stp": true,
	"ipx": true, "netbeui": true, "radio": true, "fddi": true, "tr": true, "wlan": true,
	"less": true, "greater": true, "len": true, "byte": true,
	"vlan": true, "mpls": true, "pppoed": true, "pppoes": true, "geneve": true,
	"broadcast": true, "multicast": true, "inbound": true, "outbound": true,
	"ifindex": true, "llc": true, "atm": true, "type": true, "subtype": true,
	"dir": true, "addr1": true, "addr2": true, "addr3": true, "addr4": true, "ra": true,
	"ta": true, "on": true, "ifname": true, "rnr": true, "rulenum": true, "reason": true,
	"rset": true, "ruleset": true, "srnr": true, "subrulenum": true, "action": true,
	"lane": true, "metac": true, "bcc": true, "oam": true, "oamf4": true, "oamf4ec": true,
	"oamf4sc": true, "sc": true, "ilmic": true, "vpi": true, "vci": true,
	"connectmsg": true, "metaconnect": true, "hsls": true, "l1": true, "l2": true,
	"iih": true, "lsp": true, "snp": true, "csnp": true, "psnp": true, "vxlan": true,
}

// namedConstants are the words libpcap's scanner turns into numbers.
var namedConstants = map[string]uint32{
	"icmptype": 0, "icmpcode": 1,
	"icmp-echoreply": 0, "icmp-unreach": 3, "icmp-sourcequench": 4, "icmp-redirect": 5,
	"icmp-echo": 8, "icmp-routeradvert": 9, "icmp-routersolicit": 10, "icmp-timxceed": 11,
	"icmp-paramprob": 12, "icmp-tstamp": 13, "icmp-tstampreply": 14, "icmp-ireq": 15,
	"icmp-ireqreply": 16, "icmp-maskreq": 17, "icmp-maskreply": 18,
	"icmp6type": 0, "icmp6code": 1,
	"icmp6-destinationunreach": 1, "icmp6-packettoobig": 2, "icmp6-timeexceeded": 3,
	"icmp6-parameterproblem": 4, "icmp6-echo": 128, "icmp6-echoreply": 129,
	"icmp6-multicastlistenerquery": 130, "icmp6-multicastlistenerreportv1": 131,
	"icmp6-multicastlistenerdone": 132, "icmp6-routersolicit": 133,
	"icmp6-routeradvert": 134, "icmp6-neighborsolicit": 135,
	"icmp6-neighboradvert": 136, "icmp6-redirect": 137,
	"tcpflags": 13, "tcp-fin": 0x01, "tcp-syn": 0x02, "tcp-rst": 0x04, "tcp-push": 0x08,
	"tcp-ack": 0x10, "tcp-urg": 0x20, "tcp-ece": 0x40, "tcp-cwr": 0x80,
}

// twoCharOps are matched before the one-character operators.
var twoCharOps = []string{"<<", ">>", "==", "!=", "<=", ">=", "&&", "||"}

const oneCharOps = "()[]:+-*/%&|^=<>!"

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-'
}

// lex splits expr into tokens. Its work is linear in len(expr) (each
// candidate word is classified once, and a word only shrinks).
func lex(expr string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(expr) {
		c := expr[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			i++
			continue
		}
		start := i
		// An IPv6 address or an Ethernet address: a run of hex digits,
		// colons and dots (and dashes for a dashed MAC) that parses as one.
		if ascii.IsHex(c) || c == ':' {
			j := i
			for j < len(expr) && (ascii.IsHex(expr[j]) || expr[j] == ':' || expr[j] == '.' || expr[j] == '-') {
				j++
			}
			// Do not swallow a following word character: "ab:cd:..." must
			// end at a word boundary to be an address.
			if j < len(expr) && isWordByte(expr[j]) {
				j = i
			}
			if run := expr[i:j]; strings.ContainsAny(run, ":-") {
				if mac, ok := parseMAC(run); ok {
					toks = append(toks, token{kind: tEID, text: run, pos: start, mac: mac})
					i = j
					continue
				}
				if strings.Contains(run, ":") {
					if a, err := netip.ParseAddr(run); err == nil && a.Is6() && a.Zone() == "" {
						toks = append(toks, token{kind: tHID6, text: run, pos: start, addr: a})
						i = j
						continue
					}
				}
			}
		}
		if c == '\\' {
			j := i + 1
			for j < len(expr) && isWordByte(expr[j]) {
				j++
			}
			if j == i+1 {
				return nil, errorf(ErrSyntax, expr, start, "stray backslash")
			}
			toks = append(toks, token{kind: tID, text: expr[i+1 : j], pos: start})
			i = j
			continue
		}
		if isWordByte(c) && c != '-' && c != '.' {
			j := i
			for j < len(expr) && isWordByte(expr[j]) {
				j++
			}
			// libpcap's identifiers do not end in '-'.
			for j > i+1 && expr[j-1] == '-' {
				j--
			}
			w := expr[i:j]
			tok, err := classifyWord(expr, w, start)
			if err != nil {
				return nil, err
			}
			toks = append(toks, tok)
			i = j
			continue
		}
		matched := false
		for _, op := range twoCharOps {
			if strings.HasPrefix(expr[i:], op) {
				toks = append(toks, token{kind: tOp, text: op, pos: start})
				i += 2
				matched = true
				break
			}
		}
		if matched {
			continue
		}
		if strings.IndexByte(oneCharOps, c) >= 0 {
			toks = append(toks, token{kind: tOp, text: string(c), pos: start})
			i++
			continue
		}
		return nil, errorf(ErrSyntax, expr, start, "unexpected character %q", c)
	}
	toks = append(toks, token{kind: tEOF, pos: len(expr)})
	return toks, nil
}

// classifyWord decides what a word (letters, digits, '_', '.', '-') is.
func classifyWord(expr, w string, pos int) (token, error) {
	lw := strings.ToLower(w)
	if v, ok := namedConstants[lw]; ok {
		return token{kind: tNum, text: w, pos: pos, num: v}, nil
	}
	if keywords[lw] {
		return token{kind: tKey, text: lw, pos: pos}, nil
	}
	if v, ok, err := parseNumber(w); ok {
		if err != nil {
			return token{}, errorf(ErrSyntax, expr, pos, "number %q out of range", w)
		}
		return token{kind: tNum, text: w, pos: pos, num: v}, nil
	}
	if isDotted(w) {
		return token{kind: tHID, text: w, pos: pos}, nil
	}
	return token{kind: tID, text: w, pos: pos}, nil
}

// parseNumber reads a C-style unsigned number: 0x hex, leading-0 octal or
// decimal. ok reports whether w has the shape of a number.
func parseNumber(w string) (v uint32, ok bool, err error) {
	base := 10
	digits := w
	switch {
	case len(w) > 2 && (w[:2] == "0x" || w[:2] == "0X"):
		base, digits = 16, w[2:]
	case len(w) > 1 && w[0] == '0':
		base, digits = 8, w[1:]
	}
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		switch base {
		case 16:
			if !ascii.IsHex(c) {
				return 0, false, nil
			}
		case 8:
			if c < '0' || c > '7' {
				return 0, false, nil
			}
		default:
			if c < '0' || c > '9' {
				return 0, false, nil
			}
		}
	}
	if digits == "" {
		return 0, false, nil
	}
	n, perr := strconv.ParseUint(digits, base, 32)
	if perr != nil {
		return 0, true, perr
	}
	return uint32(n), true, nil
}

// isDotted reports whether w is 1 to 4 decimal parts separated by dots
// with at least one dot (libpcap's HID): "10.1", "192.168.0.1".
func isDotted(w string) bool {
	if !strings.Contains(w, ".") {
		return false
	}
	parts := strings.Split(w, ".")
	if len(parts) > 4 {
		return false
	}
	for _, p := range parts {
		if p == "" || len(p) > 3 {
			return false
		}
		for i := 0; i < len(p); i++ {
			if p[i] < '0' || p[i] > '9' {
				return false
			}
		}
	}
	return true
}

// parseDotted returns the address of a dotted quad prefix and the number
// of bits it gives (8 per part), as libpcap's __pcap_atoin does.
func parseDotted(w string) (v uint32, bits int, ok bool) {
	for _, p := range strings.Split(w, ".") {
		n, err := strconv.ParseUint(p, 10, 32)
		if err != nil || n > 255 {
			return 0, 0, false
		}
		v = v<<8 | uint32(n)
		bits += 8
	}
	return v, bits, true
}

// parseMAC reads six groups of one or two hex digits separated by ':' or
// '-' (one separator kind throughout).
func parseMAC(s string) ([6]byte, bool) {
	var mac [6]byte
	sep := ":"
	if !strings.Contains(s, ":") {
		sep = "-"
	}
	parts := strings.Split(s, sep)
	if len(parts) != 6 {
		return mac, false
	}
	for i, p := range parts {
		if len(p) < 1 || len(p) > 2 {
			return mac, false
		}
		n, err := strconv.ParseUint(p, 16, 8)
		if err != nil {
			return mac, false
		}
		mac[i] = byte(n)
	}
	return mac, true
}
