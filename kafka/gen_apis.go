//go:build ignore

// gen_apis writes the package's two generated files from franz-go's kmsg,
// which is itself generated from the Kafka protocol definitions, so that
// the API table and the body decoders follow the protocol instead of being
// typed by hand:
//
//   - zapis.go: the one API table, apis, indexed by key: name, newest
//     version, first flexible (KIP-482) version of the request and of the
//     response, and the request and response body decoders. The parser
//     tree, the dispatch and the documented list of decoded APIs are all
//     derived from it. A decoder is the hand-written method of the same
//     name when the package has one (Produce, Fetch and the group, offset,
//     topic and transaction APIs, whose attributes go beyond the generic
//     ones), else the generated one in zdecode.go.
//   - zdecode.go: one method per request and response without a
//     hand-written decoder, translated from the readFrom method kmsg
//     generates for that message (read from kmsg's source in the module
//     cache): every field in wire order and version, read with the
//     package's bounds-checked decoder, and the fields that carry the
//     generic attributes (ErrorCode, topic names and ids, top-level
//     throttle time, group, member and transactional ids, producer id,
//     generation, record sets) reported through the decoder's helpers.
//
// kmsg stays a generator and test dependency: the output has no import
// of it.
//
// Run: go run gen_apis.go (from this directory), or go generate.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"
)

const kmsgModule = "github.com/twmb/franz-go/pkg/kmsg"

// outDir is where the files are written (-out; the package directory by
// default). The up-to-date test writes them elsewhere and compares.
var outDir = flag.String("out", ".", "directory to write zapis.go and zdecode.go to")

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gen_apis:", err)
		os.Exit(1)
	}
}

type apiRow struct {
	key                   int16
	name                  string
	maxVersion            int16
	flexReq, flexResp     int16
	reqMethod, respMethod string
	reqGen, respGen       bool
	reqRoles, respRoles   []string
}

func run() error {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}} {{.Version}}", kmsgModule).Output()
	if err != nil {
		return fmt.Errorf("locating %s: %v", kmsgModule, err)
	}
	f := strings.Fields(string(out))
	if len(f) != 2 {
		return fmt.Errorf("go list %s: %q", kmsgModule, out)
	}
	dir, version := f[0], f[1]
	fset := token.NewFileSet()
	src, err := parser.ParseFile(fset, filepath.Join(dir, "generated.go"), nil, 0)
	if err != nil {
		return err
	}
	readFrom := map[string]*ast.FuncDecl{}
	for _, d := range src.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Recv == nil || fd.Name.Name != "readFrom" {
			continue
		}
		if st, ok := fd.Recv.List[0].Type.(*ast.StarExpr); ok {
			readFrom[st.X.(*ast.Ident).Name] = fd
		}
	}
	hand, err := handWritten()
	if err != nil {
		return err
	}

	var rows []apiRow
	var dec bytes.Buffer
	maxKey := int16(0)
	for k := int16(0); k < 1000; k++ {
		if kmsg.RequestForKey(k) != nil {
			maxKey = k
		}
	}
	for k := int16(0); k <= maxKey; k++ {
		req := kmsg.RequestForKey(k)
		if req == nil {
			continue
		}
		row := apiRow{key: k, name: kmsg.NameForKey(k), maxVersion: req.MaxVersion(), flexReq: -1, flexResp: -1}
		for v := int16(0); v <= row.maxVersion; v++ {
			req.SetVersion(v)
			if row.flexReq < 0 && req.IsFlexible() {
				row.flexReq = v
			}
			resp := req.ResponseKind()
			resp.SetVersion(v)
			if row.flexResp < 0 && resp.IsFlexible() {
				row.flexResp = v
			}
		}
		for _, side := range []struct {
			msg           any
			method        *string
			gen           *bool
			roles         *[]string
			suffix, title string
		}{
			{req, &row.reqMethod, &row.reqGen, &row.reqRoles, "Request", "request"},
			{req.ResponseKind(), &row.respMethod, &row.respGen, &row.respRoles, "Response", "response"},
		} {
			typ := reflect.TypeOf(side.msg).Elem().Name()
			base := strings.TrimSuffix(typ, side.suffix)
			*side.method = lowerCamel(base) + side.suffix
			if hand[*side.method] {
				continue
			}
			fd := readFrom[typ]
			if fd == nil {
				return fmt.Errorf("%s: no readFrom in kmsg", typ)
			}
			flexFrom := row.flexReq
			if side.suffix == "Response" {
				flexFrom = row.flexResp
			}
			t := &translator{flexFrom: flexFrom}
			t.structBody(fd.Body.List, 0, true)
			if t.err != nil {
				return fmt.Errorf("%s: %v", typ, t.err)
			}
			*side.gen = true
			*side.roles = t.roleList()
			fmt.Fprintf(&dec, "// %s decodes a %s %s body (API key %d, v0-%d), as kmsg's %s.readFrom reads it.\n",
				*side.method, row.name, side.title, k, row.maxVersion, typ)
			fmt.Fprintf(&dec, "func (d *decoder) %s() {\n%s}\n\n", *side.method, t.b.String())
		}
		rows = append(rows, row)
	}
	header := fmt.Sprintf("// Code generated by gen_apis.go from %s %s; DO NOT EDIT.\n\n", kmsgModule, version)

	var b bytes.Buffer
	b.WriteString(header)
	b.WriteString("package kafka\n\n")
	fmt.Fprintf(&b, "// MaxAPIKey is the highest API key the table knows.\nconst MaxAPIKey = %d\n\n", maxKey)
	b.WriteString("// apis is the API table, indexed by key, from which the parser trees,\n")
	b.WriteString("// the body dispatch and DecodedAPIs are derived. flexReq/flexResp are the\n")
	b.WriteString("// first flexible version of the request/response, -1 when no version is\n")
	b.WriteString("// flexible. Every key's body is decoded in every version up to maxVersion:\n")
	b.WriteString("//\n")
	b.WriteString("//\tkey name                                  versions flexible decoder   attributes (generated decoders)\n")
	for _, r := range rows {
		kind := "hand"
		if r.reqGen || r.respGen {
			kind = "generated"
		}
		attrs := "see the package doc"
		if r.reqGen || r.respGen {
			attrs = "request: " + orNone(r.reqRoles) + "; response: " + orNone(r.respRoles)
		}
		flex := "never"
		if r.flexReq >= 0 {
			flex = fmt.Sprintf("v%d+", r.flexReq)
		}
		fmt.Fprintf(&b, "//\t%3d %-37s v0-%-5d %-8s %-9s %s\n", r.key, r.name, r.maxVersion, flex, kind, attrs)
	}
	fmt.Fprintf(&b, "var apis = [MaxAPIKey + 1]api{\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "\t%d: {key: %d, name: %q, maxVersion: %d, flexReq: %d, flexResp: %d, generated: %v},\n",
			r.key, r.key, r.name, r.maxVersion, r.flexReq, r.flexResp, r.reqGen || r.respGen)
	}
	b.WriteString("}\n\n")
	// The decoders column, as two switches: a call through a func value
	// would make the decoder escape to the heap (one allocation a message).
	for _, side := range []string{"request", "response"} {
		fmt.Fprintf(&b, "// %s calls the %s body decoder of key (the table's decoder column).\n", side, side)
		fmt.Fprintf(&b, "func (d *decoder) %s(key int16) {\n\tswitch key {\n", side)
		for _, r := range rows {
			m := r.reqMethod
			if side == "response" {
				m = r.respMethod
			}
			fmt.Fprintf(&b, "\tcase %d:\n\t\td.%s()\n", r.key, m)
		}
		b.WriteString("\tdefault:\n\t\td.fail(ErrUnknownAPI)\n\t}\n}\n\n")
	}
	if err := write("zapis.go", b.Bytes()); err != nil {
		return err
	}

	var d bytes.Buffer
	d.WriteString(header)
	d.WriteString("package kafka\n\n")
	if usesTagHelpers {
		d.WriteString("import \"github.com/wirekit/wirekit/parser\"\n\n")
	}
	d.Write(dec.Bytes())
	if usesTagHelpers {
		d.WriteString(tagHelpers)
	}
	return write("zdecode.go", d.Bytes())
}

func orNone(r []string) string {
	if len(r) == 0 {
		return "-"
	}
	return strings.Join(r, ", ")
}

func write(name string, src []byte) error {
	name = filepath.Join(*outDir, name)
	out, err := format.Source(src)
	if err != nil {
		os.WriteFile(name+".broken", src, 0o644)
		return fmt.Errorf("%s: %v (unformatted output in %s.broken)", name, err, name)
	}
	return os.WriteFile(name, out, 0o644)
}

// handWritten lists the decoder methods the package's own files define.
func handWritten() (map[string]bool, error) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		return nil, err
	}
	m := map[string]bool{}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || strings.HasPrefix(name, "z") || name == "gen_apis.go" {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			return nil, err
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv == nil {
				continue
			}
			if st, ok := fd.Recv.List[0].Type.(*ast.StarExpr); ok && st.X.(*ast.Ident).Name == "decoder" {
				m[fd.Name.Name] = true
			}
		}
	}
	return m, nil
}

// lowerCamel lowers a leading run of capitals, keeping the last one when
// a lower-case letter follows: SASLHandshake -> saslHandshake.
func lowerCamel(s string) string {
	r := []rune(s)
	n := 0
	for n < len(r) && r[n] >= 'A' && r[n] <= 'Z' {
		n++
	}
	if n > 1 && n < len(r) {
		n--
	}
	for i := 0; i < n; i++ {
		r[i] += 'a' - 'A'
	}
	return string(r)
}

// translator turns the statements of a kmsg readFrom method into decoder
// calls.
type translator struct {
	b        bytes.Buffer
	indent   int
	err      error
	roles    map[string]bool
	flexFrom int16    // first flexible version of the message, -1 for none
	pending  int      // bytes of fixed-size fields to skip, not yet written
	names    []string // their field names
}

func (t *translator) failf(format string, args ...any) {
	if t.err == nil {
		t.err = fmt.Errorf(format, args...)
	}
}

func (t *translator) line(format string, args ...any) {
	t.flush()
	t.raw(format, args...)
}

func (t *translator) raw(format string, args ...any) {
	t.b.WriteString(strings.Repeat("\t", t.indent+1))
	fmt.Fprintf(&t.b, format, args...)
	t.b.WriteByte('\n')
}

func (t *translator) role(r string) {
	if t.roles == nil {
		t.roles = map[string]bool{}
	}
	t.roles[r] = true
}

func (t *translator) roleList() []string {
	var r []string
	for k := range t.roles {
		r = append(r, k)
	}
	sort.Strings(r)
	return r
}

// skip adds a fixed-size field to the run of skipped bytes.
func (t *translator) skip(n int, name string) {
	t.pending += n
	t.names = append(t.names, name)
}

func (t *translator) flush() {
	if t.pending == 0 {
		return
	}
	n, names := t.pending, t.names
	t.pending, t.names = 0, nil
	t.raw("d.Skip(%d) // %s", n, strings.Join(names, ", "))
}

// open and close write a block; a skip run never crosses one.
func (t *translator) open(format string, args ...any) {
	t.line(format+" {", args...)
	t.indent++
}

func (t *translator) close() {
	t.flush()
	t.indent--
	t.raw("}")
}

var (
	reVersion = regexp.MustCompile(`\bversion\b`)
	reFlex    = regexp.MustCompile(`\bisFlexible\b`)
)

// cond translates a version condition.
func cond(e ast.Expr) string {
	var b bytes.Buffer
	printer.Fprint(&b, token.NewFileSet(), e)
	s := reVersion.ReplaceAllString(b.String(), "d.v")
	s = reFlex.ReplaceAllString(s, "d.flex")
	s = strings.ReplaceAll(s, "d.v >= 0 && ", "")
	return s
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// structInfo is what a struct's direct fields say about topics.
type structInfo struct {
	topicCond string // version condition of its Topic name field; "" none, "true" always
}

// structBody translates the statements reading one struct's fields.
func (t *translator) structBody(list []ast.Stmt, depth int, top bool) {
	info := structInfo{}
	for _, s := range list {
		if name, c := topicField(s); name {
			info.topicCond = c
		}
	}
	for _, s := range list {
		if t.err != nil {
			return
		}
		switch s := s.(type) {
		case *ast.ExprStmt, *ast.ReturnStmt:
			// v.Default(), return b.Complete()
		case *ast.AssignStmt:
			// s := v, b := kbin.Reader{...}, version := v.Version, _ = ...,
			// isFlexible := ...: the decoder has its own.
		case *ast.DeclStmt:
		case *ast.IfStmt:
			switch {
			case s.Init == nil && isIdent(s.Cond, "isFlexible"):
				t.tagSection(s.Body.List, depth)
			case s.Init == nil:
				t.open("if %s", cond(s.Cond))
				t.field(s.Body.List, depth, info)
				t.close()
			default:
				t.failf("unexpected if with init at struct level")
			}
		case *ast.BlockStmt:
			t.field(s.List, depth, info)
		default:
			t.failf("unexpected %T at struct level", s)
		}
	}
	_ = top
	t.flush()
}

// topicField reports whether a struct-level statement reads a Topic name
// string, and its version condition ("true" when unconditional).
func topicField(s ast.Stmt) (bool, string) {
	c := "true"
	var body []ast.Stmt
	switch s := s.(type) {
	case *ast.IfStmt:
		if s.Init != nil || isIdent(s.Cond, "isFlexible") {
			return false, ""
		}
		c = cond(s.Cond)
		body = s.Body.List
	case *ast.BlockStmt:
		body = s.List
	default:
		return false, ""
	}
	name := assignedField(body)
	if !isTopicName(name) {
		return false, ""
	}
	if ds, ok := body[0].(*ast.DeclStmt); ok {
		typ := declType(ds)
		if typ == "string" || typ == "*string" {
			return true, c
		}
	}
	return false, ""
}

func isTopicName(name string) bool { return name == "Topic" || name == "TopicName" }

// assignedField is X in the field's closing `s.X = v`.
func assignedField(body []ast.Stmt) string {
	for i := len(body) - 1; i >= 0; i-- {
		as, ok := body[i].(*ast.AssignStmt)
		if !ok || len(as.Lhs) != 1 {
			continue
		}
		if sel, ok := as.Lhs[0].(*ast.SelectorExpr); ok && isIdent(sel.X, "s") {
			return sel.Sel.Name
		}
	}
	return ""
}

func declType(ds *ast.DeclStmt) string {
	gd := ds.Decl.(*ast.GenDecl)
	vs := gd.Specs[0].(*ast.ValueSpec)
	var b bytes.Buffer
	printer.Fprint(&b, token.NewFileSet(), vs.Type)
	return b.String()
}

// readCall finds the kbin reads a statement list makes.
func readCalls(n ast.Node) map[string]bool {
	calls := map[string]bool{}
	ast.Inspect(n, func(n ast.Node) bool {
		if ce, ok := n.(*ast.CallExpr); ok {
			if sel, ok := ce.Fun.(*ast.SelectorExpr); ok && isIdent(sel.X, "b") {
				calls[sel.Sel.Name] = true
			}
		}
		return true
	})
	return calls
}

var fixedSize = map[string]int{"Int8": 1, "Bool": 1, "Int16": 2, "Uint16": 2, "Int32": 4, "Int64": 8, "Float64": 8, "Uuid": 16}

// field translates the statements reading one field.
func (t *translator) field(body []ast.Stmt, depth int, info structInfo) {
	if len(body) == 0 {
		return
	}
	name := assignedField(body)
	switch s := body[0].(type) {
	case *ast.AssignStmt:
		rhs := s.Rhs[0]
		if ce, ok := rhs.(*ast.CallExpr); ok {
			sel, ok := ce.Fun.(*ast.SelectorExpr)
			if !ok || !isIdent(sel.X, "b") {
				t.failf("field %s: unexpected call", name)
				return
			}
			t.primitive(sel.Sel.Name, name, depth, info)
			return
		}
		if ue, ok := rhs.(*ast.UnaryExpr); ok && ue.Op == token.AND {
			// v := &s.X: an embedded struct.
			t.structBody(body[1:], depth+1, false)
			return
		}
		if sel, ok := rhs.(*ast.SelectorExpr); ok && isIdent(sel.X, "s") {
			t.array(body, sel.Sel.Name, depth)
			return
		}
		if cl, ok := rhs.(*ast.CompositeLit); ok {
			_ = cl // b := kbin.Reader{Src: b.Span(...)}: a tagged field's own reader
			t.field(body[1:], depth, info)
			return
		}
		t.failf("field %s: unexpected assignment", name)
	case *ast.DeclStmt:
		if vs := s.Decl.(*ast.GenDecl).Specs[0].(*ast.ValueSpec); vs.Names[0].Name == "t" {
			// An enum: var t T; { v := b.Int8(); t = T(v) }; v := t.
			if blk, ok := body[1].(*ast.BlockStmt); ok {
				if as, ok := blk.List[0].(*ast.AssignStmt); ok {
					if ce, ok := as.Rhs[0].(*ast.CallExpr); ok {
						if sel, ok := ce.Fun.(*ast.SelectorExpr); ok && isIdent(sel.X, "b") {
							t.primitive(sel.Sel.Name, name, depth, info)
							return
						}
					}
				}
			}
			t.failf("field %s: unexpected enum", name)
			return
		}
		typ := declType(s)
		calls := readCalls(&ast.BlockStmt{List: body})
		switch typ {
		case "string", "*string":
			t.checkFlex(name, calls["String"] || calls["NullableString"], calls["CompactString"] || calls["CompactNullableString"])
			t.str(name, depth, info)
		case "[]byte":
			t.checkFlex(name, calls["Bytes"] || calls["NullableBytes"], calls["CompactBytes"] || calls["CompactNullableBytes"])
			if name == "Records" || name == "RecordBatches" {
				t.line("d.rec.scan(d.bytes()) // %s", name)
				t.role("records")
			} else {
				t.line("d.bytes() // %s", name)
			}
		default:
			t.failf("field %s: unexpected var type %s", name, typ)
		}
	case *ast.IfStmt:
		// if present := b.Int8(); present != -1 && b.Ok() { s.X = new(T); ... }
		if s.Init == nil {
			t.failf("field %s: unexpected if", name)
			return
		}
		t.open("if d.Int8() != -1 && d.ok()")
		var rest []ast.Stmt
		for i, st := range s.Body.List {
			if as, ok := st.(*ast.AssignStmt); ok && as.Tok == token.DEFINE && len(as.Lhs) == 1 && isIdent(as.Lhs[0], "s") {
				rest = s.Body.List[i+1:]
				break
			}
		}
		t.structBody(rest, depth+1, false)
		t.close()
	default:
		t.failf("field %s: unexpected %T", name, s)
	}
}

// checkFlex checks a field is read the way the decoder reads it: in the
// compact form exactly in the message's flexible versions.
func (t *translator) checkFlex(name string, plain, compact bool) {
	switch {
	case plain && compact:
	case plain && t.flexFrom < 0:
	case compact && t.flexFrom == 0:
	default:
		t.failf("field %s: not read by the message's flexibility (plain %v, compact %v, flexible from %d)", name, plain, compact, t.flexFrom)
	}
}

// primitive translates a fixed-size or varint read.
func (t *translator) primitive(call, name string, depth int, info structInfo) {
	switch {
	case call == "Int16" && name == "ErrorCode":
		t.line("d.errorCode()")
		t.role("error_code")
		return
	case call == "Int32" && name == "ThrottleMillis" && depth == 0:
		t.line("d.throttleTime()")
		t.role("throttle_time_ms")
		return
	case call == "Int64" && name == "ProducerID" && depth == 0:
		t.line("d.producerID()")
		t.role("producer_id")
		return
	case call == "Int32" && name == "Generation" && depth == 0:
		t.line("d.generation()")
		t.role("generation_id")
		return
	case call == "Uuid" && name == "TopicID":
		t.role("topic_id")
		switch info.topicCond {
		case "":
			t.line("d.topicIDOnly(d.uuid())")
		case "true":
			t.line("d.topicID(d.uuid())")
		default:
			t.open("if %s", info.topicCond)
			t.line("d.topicID(d.uuid())")
			t.indent--
			t.raw("} else {")
			t.indent++
			t.line("d.topicIDOnly(d.uuid())")
			t.close()
		}
		return
	case call == "Uvarint":
		t.line("d.Uvarint32() // %s", name)
		return
	}
	n, ok := fixedSize[call]
	if !ok {
		t.failf("field %s: unexpected read %s", name, call)
		return
	}
	t.skip(n, name)
}

// str translates a string read.
func (t *translator) str(name string, depth int, info structInfo) {
	switch {
	case isTopicName(name):
		t.line("d.topicName(d.str())")
		t.role("topic")
	case (name == "Group" || name == "GroupID") && depth == 0:
		t.line("d.groupStr()")
		t.role("group_id")
	case name == "MemberID" && depth == 0:
		t.line("d.memberStr()")
		t.role("member_id")
	case name == "TransactionalID" && depth == 0:
		t.line("d.txnID(d.str())")
		t.role("transactional_id")
	default:
		t.line("d.skipStr() // %s", name)
	}
}

// array translates an array field: `v := s.X; a := v; var l int32; ...;
// for i := int32(0); i < l; i++ { ... }`.
func (t *translator) array(body []ast.Stmt, name string, depth int) {
	var loop *ast.ForStmt
	for _, s := range body {
		if f, ok := s.(*ast.ForStmt); ok {
			loop = f
		}
	}
	if loop == nil {
		t.failf("array %s: no loop", name)
		return
	}
	var pre []ast.Stmt
	for _, s := range body {
		if s == loop {
			break
		}
		pre = append(pre, s)
	}
	calls := readCalls(&ast.BlockStmt{List: pre})
	t.checkFlex(name, calls["ArrayLen"], calls["CompactArrayLen"])
	elem := loop.Body.List
	if as, ok := elem[0].(*ast.AssignStmt); ok {
		if ue, ok := as.Rhs[0].(*ast.UnaryExpr); ok && ue.Op == token.AND {
			// v := &a[i]: an array of structs.
			t.open("for n, i := d.array(), 0; i < n && d.ok(); i++")
			t.line("start := d.Offset()")
			t.structBody(elem[1:], depth+1, false)
			t.line("if d.Offset() == start {")
			t.raw("\tbreak // elements of no bytes: the rest are the same")
			t.raw("}")
			t.close()
			return
		}
		if ce, ok := as.Rhs[0].(*ast.CallExpr); ok {
			sel := ce.Fun.(*ast.SelectorExpr)
			call := sel.Sel.Name
			switch {
			case call == "Uuid" && (name == "TopicIDs" || name == "Topics"):
				t.open("for n, i := d.array(), 0; i < n && d.ok(); i++")
				t.line("d.topicIDOnly(d.uuid())")
				t.close()
				t.role("topic_id")
				return
			case call == "Int16" && name == "ErrorCodes":
				t.open("for n, i := d.array(), 0; i < n && d.ok(); i++")
				t.line("d.errorCode()")
				t.close()
				t.role("error_code")
				return
			}
			n, ok := fixedSize[call]
			if !ok {
				t.failf("array %s: element read %s", name, call)
				return
			}
			t.line("d.skipArray(%d) // %s", n, name)
			return
		}
	}
	if ds, ok := elem[0].(*ast.DeclStmt); ok {
		switch declType(ds) {
		case "string", "*string":
			if name == "Topics" || name == "TopicNames" {
				t.open("for n, i := d.array(), 0; i < n && d.ok(); i++")
				t.line("d.topicName(d.str())")
				t.close()
				t.role("topic")
				return
			}
			t.line("d.skipStrings() // %s", name)
			return
		}
	}
	t.failf("array %s: unexpected element", name)
}

// tagSection translates `if isFlexible { ... }` at the end of a struct:
// either the unknown-tags skip or a switch over known tagged fields. Only
// tagged fields that report something are decoded; the rest are skipped.
func (t *translator) tagSection(body []ast.Stmt, depth int) {
	var loop *ast.ForStmt
	for _, s := range body {
		if f, ok := s.(*ast.ForStmt); ok {
			loop = f
		}
	}
	if loop == nil {
		t.line("d.tags()")
		return
	}
	sw := loop.Body.List[0].(*ast.SwitchStmt)
	type tcase struct {
		tag  string
		code string
	}
	var cases []tcase
	for _, c := range sw.Body.List {
		cc := c.(*ast.CaseClause)
		if cc.List == nil {
			continue // default: unknown tags
		}
		sub := &translator{indent: t.indent + 3}
		var stmts []ast.Stmt
		for _, s := range cc.Body {
			if is, ok := s.(*ast.IfStmt); ok && is.Init != nil {
				continue // if err := b.Complete(); ...
			}
			stmts = append(stmts, s)
		}
		sub.field(stmts, depth, structInfo{})
		sub.flush()
		if sub.err != nil {
			t.failf("tag: %v", sub.err)
			return
		}
		if len(sub.roles) == 0 {
			continue
		}
		for r := range sub.roles {
			t.role(r)
		}
		var b bytes.Buffer
		printer.Fprint(&b, token.NewFileSet(), cc.List[0])
		cases = append(cases, tcase{b.String(), sub.b.String()})
	}
	if len(cases) == 0 {
		t.line("d.tags()")
		return
	}
	usesTagHelpers = true
	t.open("if d.flex")
	t.open("for n := d.tagCount(); n > 0 && d.ok(); n--")
	t.line("tag, field := d.tagField()")
	t.line("switch tag {")
	for _, c := range cases {
		t.raw("case %s:", c.tag)
		t.raw("\tsaved := d.within(field)")
		t.b.WriteString(c.code)
		t.raw("\td.endWithin(saved)")
	}
	t.raw("}")
	t.close()
	t.close()
}

// usesTagHelpers is set when a tagged field is decoded (it carries an
// attribute): zdecode.go then gets tagHelpers.
var usesTagHelpers bool

const tagHelpers = `
// tagCount reads the count of a tagged-field section. Every field takes
// at least two bytes, so a count above the bytes left is rejected.
func (d *decoder) tagCount() int { return d.length(uint64(d.Uvarint32())) }

// tagField reads a tagged field's tag and its bytes.
func (d *decoder) tagField() (tag uint32, field []byte) {
	tag = d.Uvarint32()
	return tag, d.Bytes(d.length(uint64(d.Uvarint32())))
}

// within makes the decoder read a tagged field's bytes, returning the
// reader of the body for endWithin.
func (d *decoder) within(field []byte) parser.Reader {
	saved := d.Reader
	d.Reset(field)
	return saved
}

// endWithin goes back to the body after a tagged field, whose bytes a
// newer version may have extended (ignored, as kmsg does); an error in
// the field is the body's.
func (d *decoder) endWithin(body parser.Reader) {
	err := d.Err()
	d.Reader = body
	if err != nil {
		d.Fail(err)
	}
}
`
