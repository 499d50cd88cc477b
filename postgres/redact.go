package postgres

// Redact appends sql to dst with its literals replaced by '?': quoted
// strings ('...', E'...', with ” and backslash escapes), dollar-quoted
// strings ($$...$$, $tag$...$tag$) and numbers that are not part of an
// identifier or a $n parameter. Identifiers, keywords, comments and
// "quoted identifiers" are kept. It is what Options.RedactLiterals
// applies to reported statements; its work is one pass over sql.
func Redact(dst []byte, sql string) []byte {
	for i := 0; i < len(sql); {
		c := sql[i]
		switch {
		case c == '\'':
			j := i + 1
			for j < len(sql) {
				if sql[j] == '\\' && j+1 < len(sql) {
					j += 2
					continue
				}
				if sql[j] == '\'' {
					if j+1 < len(sql) && sql[j+1] == '\'' {
						j += 2
						continue
					}
					j++
					break
				}
				j++
			}
			if len(dst) > 0 && (dst[len(dst)-1] == 'E' || dst[len(dst)-1] == 'e') && (len(dst) == 1 || !identByte(dst[len(dst)-2])) {
				dst = dst[:len(dst)-1]
			}
			dst = append(dst, '?')
			i = j
		case c == '"':
			j := i + 1
			for j < len(sql) && sql[j] != '"' {
				j++
			}
			if j < len(sql) {
				j++
			}
			dst = append(dst, sql[i:j]...)
			i = j
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-':
			j := i
			for j < len(sql) && sql[j] != '\n' {
				j++
			}
			dst = append(dst, sql[i:j]...)
			i = j
		case c == '$':
			// $n parameter, or a dollar quote $tag$ ... $tag$.
			j := i + 1
			for j < len(sql) && identByte(sql[j]) && !(sql[j] >= '0' && sql[j] <= '9' && j == i+1) {
				j++
			}
			if j < len(sql) && sql[j] == '$' {
				tag := sql[i : j+1]
				k := j + 1
				end := -1
				for k+len(tag) <= len(sql) {
					if sql[k:k+len(tag)] == tag {
						end = k + len(tag)
						break
					}
					k++
				}
				if end < 0 {
					end = len(sql)
				}
				dst = append(dst, '?')
				i = end
				continue
			}
			j = i + 1
			for j < len(sql) && sql[j] >= '0' && sql[j] <= '9' {
				j++
			}
			dst = append(dst, sql[i:j]...)
			i = j
		case c >= '0' && c <= '9' && (len(dst) == 0 || !identByte(dst[len(dst)-1])):
			j := i
			for j < len(sql) && (sql[j] >= '0' && sql[j] <= '9' || sql[j] == '.' || sql[j] == 'e' || sql[j] == 'E') {
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
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}
