package redact

import "github.com/wirekit/wirekit/parser"

// A Dubbo2 (hessian2) map key that is not a string is rendered as its
// JSON text, and a binary key (Java byte[]) as the standard base64 of its
// bytes: a "token" key sent as bytes reads "dG9rZW4=". sensitiveBase64
// lets the policy see such a member name as the name it encodes.

// maxBase64Name bounds the names decoded (longer ones are not tried).
const maxBase64Name = 128

// sensitiveBase64 reports whether name is standard base64 (padded, as
// encoding/base64.StdEncoding writes it) of bytes that are a sensitive
// name. It does not allocate.
func (p *Policy) sensitiveBase64(name string) bool {
	n := len(name)
	if n < 4 || n > maxBase64Name || n%4 != 0 {
		return false
	}
	var out [maxBase64Name / 4 * 3]byte
	k := 0
	for i := 0; i < n; i += 4 {
		var v uint32
		pad := 0
		for j := 0; j < 4; j++ {
			c := name[i+j]
			var d byte
			switch {
			case c == '=' && i+4 == n && j >= 2:
				pad++
				v <<= 6
				continue
			case pad > 0:
				return false // data after padding
			case 'A' <= c && c <= 'Z':
				d = c - 'A'
			case 'a' <= c && c <= 'z':
				d = c - 'a' + 26
			case '0' <= c && c <= '9':
				d = c - '0' + 52
			case c == '+':
				d = 62
			case c == '/':
				d = 63
			default:
				return false
			}
			v = v<<6 | uint32(d)
		}
		out[k], out[k+1], out[k+2] = byte(v>>16), byte(v>>8), byte(v)
		k += 3 - pad
	}
	return p.Sensitive(parser.UnsafeString(out[:k]))
}
