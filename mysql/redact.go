package mysql

// Redact appends sql to dst with its literals replaced by '?': quoted
// strings ('...' and "...", with doubled quotes and backslash escapes),
// hexadecimal and binary literals (X'..', 0x.., B'..') and numbers that
// are not part of an identifier. `Quoted identifiers`, keywords and
// comments are kept. It is what Options.RedactLiterals applies to
// reported statements; its work is one pass over sql.
func Redact(dst []byte, sql string) []byte {
	for i := 0; i < len(sql); {
		c := sql[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(sql) {
				if sql[j] == '\\' && j+1 < len(sql) {
					j += 2
					continue
				}
				if sql[j] == c {
					if j+1 < len(sql) && sql[j+1] == c {
						j += 2
						continue
					}
					j++
					break
				}
				j++
			}
			if n := len(dst); n > 0 && (dst[n-1]|0x20 == 'x' || dst[n-1]|0x20 == 'b' || dst[n-1]|0x20 == 'n') && (n == 1 || !identByte(dst[n-2])) {
				dst = dst[:n-1] // X'..', B'..', N'..'
			}
			dst = append(dst, '?')
			i = j
		case c == '`':
			j := i + 1
			for j < len(sql) && sql[j] != '`' {
				j++
			}
			if j < len(sql) {
				j++
			}
			dst = append(dst, sql[i:j]...)
			i = j
		case c >= '0' && c <= '9' && (len(dst) == 0 || !identByte(dst[len(dst)-1])):
			j := i
			for j < len(sql) && (identByte(sql[j]) || sql[j] == '.') {
				j++
			}
			dst = append(dst, '?')
			i = j
		default:
			dst = append(dst, c)
			i++
		}
	}
	return dst
}

func identByte(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}
