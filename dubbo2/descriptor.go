package dubbo2

import (
	"bytes"
	"strings"
)

// A Dubbo2 request names its parameter types with a JVM method descriptor
// without the parentheses: "Ljava/lang/String;I[Lorg/x/User;" is
// (String, int, User[]). This file counts and names them.

// descType returns the length of the first type in d, 0 when d does not
// start with a valid type.
func descType(d []byte) int {
	i := 0
	for i < len(d) && d[i] == '[' {
		i++
	}
	if i >= len(d) {
		return 0
	}
	switch d[i] {
	case 'Z', 'B', 'C', 'D', 'F', 'I', 'J', 'S', 'V':
		return i + 1
	case 'L':
		for j := i + 1; j < len(d); j++ {
			if d[j] == ';' {
				if j == i+1 {
					return 0
				}
				return j + 1
			}
		}
	}
	return 0
}

// countParams counts the types in a descriptor; ok is false when it is
// not a valid descriptor. It accepts what descType does, in one pass, with
// bytes.IndexByte finding the end of each class name.
func countParams(d []byte) (n int, ok bool) {
	for len(d) > 0 {
		i := 0
		for i < len(d) && d[i] == '[' {
			i++
		}
		if i >= len(d) {
			return n, false
		}
		switch d[i] {
		case 'Z', 'B', 'C', 'D', 'F', 'I', 'J', 'S', 'V':
			d = d[i+1:]
		case 'L':
			j := bytes.IndexByte(d[i+1:], ';')
			if j <= 0 { // no ';', or an empty class name
				return n, false
			}
			d = d[i+j+2:]
		default:
			return n, false
		}
		n++
	}
	return n, true
}

var primitiveNames = [...]string{
	'Z': "boolean", 'B': "byte", 'C': "char", 'D': "double", 'F': "float",
	'I': "int", 'J': "long", 'S': "short", 'V': "void",
}

// ArgumentTypes turns a parameter descriptor (the dubbo2.parameter_types
// attribute) into Java type names: "Ljava/lang/String;I[Lorg/x/User;"
// gives ["java.lang.String", "int", "org.x.User[]"]. It reports false, with
// the types read so far, when the descriptor is malformed.
func ArgumentTypes(desc string) ([]string, bool) {
	d := []byte(desc)
	var out []string
	for len(d) > 0 {
		l := descType(d)
		if l == 0 {
			return out, false
		}
		t := d[:l]
		dims := 0
		for t[dims] == '[' {
			dims++
		}
		var name string
		if t[dims] == 'L' {
			name = strings.ReplaceAll(string(t[dims+1:len(t)-1]), "/", ".")
		} else {
			name = primitiveNames[t[dims]]
		}
		out = append(out, name+strings.Repeat("[]", dims))
		d = d[l:]
	}
	return out, true
}
