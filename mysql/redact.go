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

// mayHoldPassword reports whether sql has a word that can introduce a
// password literal: IDENTIFIED, or one containing "passw" (PASSWORD,
// MASTER_PASSWORD, a password column), in any case. It is the cheap test
// before maskPasswords: one pass, no allocation.
func mayHoldPassword(sql string) bool {
	i := 0
	// Eight bytes at a time: a word without a 'p' or an 'f' (any case)
	// is skipped whole (see hasByte). IDENTIFIED is looked for at its
	// 'f', rarer in SQL than its 'i'.
	for ; i+8 <= len(sql); i += 8 {
		w := word(sql[i:i+8]) | 0x2020202020202020
		if hasByte(w, 'p') || hasByte(w, 'f') {
			for j := i; j < i+8; j++ {
				if passwordAt(sql, j) {
					return true
				}
			}
		}
	}
	for ; i < len(sql); i++ {
		if passwordAt(sql, i) {
			return true
		}
	}
	return false
}

// passwordAt reports whether "passw" starts at sql[i], or sql[i] is the
// 'f' of "identified", in any case.
func passwordAt(sql string, i int) bool {
	switch sql[i] | 0x20 {
	case 'p':
		return hasPrefixFold(sql[i:], "passw")
	case 'f':
		return i >= 6 && hasPrefixFold(sql[i-6:], "identified")
	}
	return false
}

// word is the 8 bytes of s (len(s) == 8) as a little-endian integer.
func word(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// hasByte reports whether w may hold byte c: never false when it does
// (a borrow can make it true for a byte next to a match, which the
// caller's byte-wise check then rules out).
func hasByte(w uint64, c byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	x := w ^ (ones * uint64(c))
	return (x-ones)&^x&highs != 0
}

// hasPrefixFold reports whether s starts with lower-case ASCII prefix,
// ignoring ASCII case in s.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}

// armsMask reports whether word (an identifier or keyword) makes the
// string literals after it in its statement masked.
func armsMask(word string) bool {
	if len(word) == len("identified") && hasPrefixFold(word, "identified") {
		return true
	}
	for i := 0; i+5 <= len(word); i++ {
		if hasPrefixFold(word[i:], "passw") {
			return true
		}
	}
	return false
}

// maskPasswords appends sql to dst with every string literal that
// follows, in the same statement, the word IDENTIFIED or a word
// containing PASSW replaced by '***': CREATE/ALTER USER ... IDENTIFIED BY
// '...' (WITH plugin AS '...', MariaDB's VIA plugin USING PASSWORD('...')),
// SET PASSWORD [FOR 'u'@'h'] = '...', PASSWORD('...'), CHANGE MASTER TO
// MASTER_PASSWORD = '...', a comparison with a password column. Literals
// before the word, comments, `quoted identifiers` and numbers are kept; a
// ';' outside literals ends the statement. The parser applies it to every
// statement it reports (mayHoldPassword first), so that no password
// typed into SQL reaches an attribute.
func maskPasswords(dst []byte, sql string) []byte {
	armed := false
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
			if armed {
				dst = append(dst, "'***'"...)
			} else {
				dst = append(dst, sql[i:j]...)
			}
			i = j
		case c == '`':
			j := i + 1
			for j < len(sql) && sql[j] != '`' {
				j++
			}
			if armsMask(sql[i+1 : j]) {
				armed = true
			}
			if j < len(sql) {
				j++
			}
			dst = append(dst, sql[i:j]...)
			i = j
		case c == '/' && i+2 < len(sql) && sql[i+1] == '*' && sql[i+2] != '!' && sql[i+2] != 'M':
			// A comment (not /*! or /*M! executable text, read as SQL).
			j := i + 2
			for j+1 < len(sql) && !(sql[j] == '*' && sql[j+1] == '/') {
				j++
			}
			j = min(j+2, len(sql))
			dst = append(dst, sql[i:j]...)
			i = j
		case c == '#' || c == '-' && i+2 < len(sql) && sql[i+1] == '-' && (sql[i+2] == ' ' || sql[i+2] == '\t'):
			j := i
			for j < len(sql) && sql[j] != '\n' {
				j++
			}
			dst = append(dst, sql[i:j]...)
			i = j
		case c == ';':
			armed = false
			dst = append(dst, c)
			i++
		case identByte(c):
			j := i
			for j < len(sql) && identByte(sql[j]) {
				j++
			}
			if armsMask(sql[i:j]) {
				armed = true
			}
			dst = append(dst, sql[i:j]...)
			i = j
		default:
			dst = append(dst, c)
			i++
		}
	}
	return dst
}
