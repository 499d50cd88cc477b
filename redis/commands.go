package redis

//go:generate go run gen_commands.go -addr 127.0.0.1:16999 -o zcommands.go

// The command table (zcommands.go) is generated from redis-server's own
// COMMAND reply: arity, flags, key specifications and subcommands of every
// command. firstKey applies the key specifications the way the server's
// COMMAND GETKEYS does (redis 7 db.c getKeysUsingKeySpecs), plus the few
// commands whose keys the server finds with a dedicated function, so that
// redis.key is the key the server itself would report, not blindly argv[1]
// (SET user GET is SET on key "user"; XINFO STREAM s has key s; EVAL's keys
// follow numkeys).

// cmdFlags are the command properties the parser uses.
type cmdFlags uint8

const (
	flagMovableKeys cmdFlags = 1 << iota // keys found by a server function, not only by specs
	flagPubSub                           // a pub/sub command
	flagContainer                        // has subcommands (CLIENT, CONFIG, XINFO ...)
	flagConnState                        // changes connection State (CLIENT, RESET, MONITOR); set at init
)

// The commands that change State, flagged once so that the parser tests a
// bit instead of comparing every command's name.
func init() {
	for i := range commands {
		switch commands[i].name {
		case "CLIENT", "RESET", "MONITOR":
			commands[i].flags |= flagConnState
		}
	}
}

// beginSearch is a key spec's begin_search type.
type beginSearch uint8

const (
	beginUnknown beginSearch = iota
	beginIndex               // keys start at a fixed argument index
	beginKeyword             // keys start after a keyword (STREAMS, KEYS, STORE ...)
)

// findKeys is a key spec's find_keys type.
type findKeys uint8

const (
	findUnknown findKeys = iota
	findRange            // a: lastkey, b: keystep, c: limit
	findKeynum           // a: keynumidx, b: firstkey, c: keystep
)

// keySpec is one key specification of a command, as COMMAND reports it.
type keySpec struct {
	begin      beginSearch
	index      int8 // beginIndex: the index; beginKeyword: startfrom
	keyword    string
	find       findKeys
	a, b, c    int8
	incomplete bool // the spec may miss keys (SORT ... STORE)
	notKey     bool // the arguments are channels, not keys (SPUBLISH, SSUBSCRIBE)
}

// cmdInfo is one command or subcommand of the table.
type cmdInfo struct {
	name           string // canonical upper-case name (subcommands: the subcommand word only)
	arity          int16  // redis arity: > 0 exact argument count, < 0 minimum (argv[0] counts)
	flags          cmdFlags
	specLo, specHi uint16 // key specs: keySpecs[specLo:specHi]
	subLo, subHi   uint16 // subcommands: subcommands[subLo:subHi]
}

// arityOK reports whether argc arguments (command name included) satisfy
// the command's arity.
func (c *cmdInfo) arityOK(argc int) bool {
	a := int(c.arity)
	if a >= 0 {
		return argc == a
	}
	return argc >= -a
}

// lookupSub finds a subcommand of container c by name, case-insensitively.
func (c *cmdInfo) lookupSub(name []byte) *cmdInfo {
	subs := subcommands[c.subLo:c.subHi]
	for i := range subs {
		if equalFold(subs[i].name, name) {
			return &subs[i]
		}
	}
	return nil
}

// commandIndexBits sizes the open-addressing index over commands: 512 slots
// for ~240 commands keeps probe chains short.
const commandIndexBits = 9

// commandIndex maps a case-insensitive hash of a command name to its index
// in commands plus one (0 = empty). It is computed once at package
// initialisation from the generated table and never written again.
var commandIndex = buildCommandIndex()

func buildCommandIndex() (idx [1 << commandIndexBits]uint16) {
	const mask = 1<<commandIndexBits - 1
	for i := range commands {
		h := hashName([]byte(commands[i].name)) & mask
		for idx[h] != 0 {
			h = (h + 1) & mask
		}
		idx[h] = uint16(i + 1)
	}
	return idx
}

// hashName is FNV-1a over the bytes folded to lower case (only ASCII letters
// matter: every command name is letters, '_' and '-').
func hashName(b []byte) uint32 {
	h := uint32(2166136261)
	for _, c := range b {
		h ^= uint32(c | 0x20)
		h *= 16777619
	}
	return h
}

// lookupCommand finds a command by name, case-insensitively, or returns nil.
// It does not allocate.
func lookupCommand(name []byte) *cmdInfo {
	if len(name) == 0 || len(name) > maxCommandNameLen {
		return nil
	}
	const mask = 1<<commandIndexBits - 1
	h := hashName(name) & mask
	for {
		i := commandIndex[h]
		if i == 0 {
			return nil
		}
		c := &commands[i-1]
		if equalFold(c.name, name) {
			return c
		}
		h = (h + 1) & mask
	}
}

// maxCommandNameLen bounds lookups; no redis command name is longer.
const maxCommandNameLen = 32

// equalFold reports whether upper-case ASCII s equals b ignoring case.
func equalFold(s string, b []byte) bool {
	if len(s) != len(b) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// keyPosFixed returns the argument index of the first key of a call to c
// with the given arguments (argv[0] is the command name), or -1 when the
// server would report no key: no key arguments, wrong arity, or arguments
// that do not satisfy the key specification (numkeys 0 or out of range,
// missing keyword ...). Container commands are resolved to their
// subcommand first. It also reports whether the result depends only on
// the command and the argument count (so a connection may reuse it for the
// next call of the same command with as many arguments).
func keyPosFixed(c *cmdInfo, a *argList) (int, bool) {
	argc := a.count()
	if c.flags&flagContainer != 0 {
		if argc < 2 {
			return -1, false
		}
		c = c.lookupSub(a.arg(1))
		if c == nil {
			return -1, false
		}
		k, _ := keyPosFixed(c, a) // a subcommand has no subcommands
		return k, false
	}
	if !c.arityOK(argc) {
		return -1, true
	}
	if c.name == "MIGRATE" {
		return migrateKey(a), false
	}
	if c.specHi == c.specLo {
		return -1, true
	}
	if c.specHi-c.specLo == 1 {
		// Fast path for the common shape: one key (or a fixed run of keys)
		// at a fixed index, as GET, SET, HSET, INCR, LPUSH ... have.
		s := &keySpecs[c.specLo]
		if s.begin == beginIndex && s.find == findRange && s.a >= 0 && !s.incomplete && !s.notKey {
			if first := int(s.index); first+int(s.a) < argc {
				return first, true
			}
			return -1, true
		}
	}
	first := -1
	for i := c.specLo; i < c.specHi; i++ {
		s := &keySpecs[i]
		if s.notKey {
			continue
		}
		k, ok := specFirst(s, a, c.arity)
		if !ok {
			// An invalid spec voids every key (getKeysUsingKeySpecs
			// returns -1); the server's own key functions agree for the
			// commands that have one, except that an incomplete or
			// unknown spec (SORT ... STORE, GEORADIUS ... STORE) makes the
			// server fall back to them, and they still report the
			// leading key the complete specs give.
			if s.incomplete || s.begin == beginUnknown {
				continue
			}
			if c.flags&flagMovableKeys != 0 && leadingKeyFallback(c.name) {
				return 1, false
			}
			return -1, false
		}
		if first < 0 {
			first = k
		}
	}
	return first, false
}

// leadingKeyFallback reports the commands whose server key function, used
// when a spec does not fit the arguments (GEORADIUS k ... STORE with no
// destination), still reports argument 1 as the first key.
func leadingKeyFallback(name string) bool {
	switch name {
	case "GEORADIUS", "GEORADIUSBYMEMBER", "GEORADIUS_RO", "GEORADIUSBYMEMBER_RO", "SORT", "SORT_RO":
		return true
	}
	return false
}

// specFirst applies one key spec: it returns the first key index it yields
// (-1 when it yields none but is valid) and whether the spec is valid for
// these arguments.
func specFirst(s *keySpec, a *argList, arity int16) (int, bool) {
	argc := a.count()
	var first int
	switch s.begin {
	case beginIndex:
		first = int(s.index)
	case beginKeyword:
		first = 0
		start := int(s.index)
		if start > 0 {
			for i := start; i < argc && i >= 1; i++ {
				if equalFold(s.keyword, a.arg(i)) {
					first = i + 1
					break
				}
			}
		} else {
			for i := argc + start; i >= 1 && i < argc; i-- {
				if equalFold(s.keyword, a.arg(i)) {
					first = i + 1
					break
				}
			}
		}
		if first == 0 {
			return -1, true // keyword absent: this spec has no keys
		}
	default:
		return -1, false
	}
	var last int
	switch s.find {
	case findRange:
		switch {
		case s.a >= 0:
			last = first + int(s.a)
		case s.c == 0:
			last = argc + int(s.a)
		default:
			last = first + ((argc-first)/int(s.c) + int(s.a))
		}
	case findKeynum:
		if int(s.a) >= argc-first {
			if arity < 0 {
				return -1, true
			}
			return -1, false
		}
		n, ok := atoi(a.arg(first + int(s.a)))
		if !ok || n < 0 {
			return -1, false
		}
		first += int(s.b)
		if n > int64(argc) {
			return -1, false
		}
		last = first + int(n) - 1
	default:
		return -1, false
	}
	if last >= argc || last < first || first >= argc {
		return -1, false
	}
	return first, true
}

// migrateKey: MIGRATE host port key|"" db timeout [COPY] [REPLACE]
// [AUTH pw] [AUTH2 user pw] [KEYS k ...] (redis cluster.c migrateGetKeys):
// with KEYS the keys follow it and the key argument must be empty (else the
// call has no keys); without, the key is argument 3, even when empty.
func migrateKey(a *argList) int {
	for i := 6; i < a.count(); i++ {
		w := a.arg(i)
		switch {
		case equalFold("AUTH", w):
			i++
		case equalFold("AUTH2", w):
			i += 2
		case equalFold("KEYS", w):
			if i+1 >= a.count() {
				return 3 // a trailing KEYS has no keys: the key specs give argument 3
			}
			if len(a.arg(3)) != 0 {
				return -1
			}
			return i + 1
		}
	}
	return 3
}

// atoi parses a decimal int64 the way redis string2ll does (optional '-',
// no '+', no leading zeros except "0", no spaces).
func atoi(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	neg := false
	i := 0
	if b[0] == '-' {
		neg = true
		i = 1
		if len(b) == 1 {
			return 0, false
		}
	}
	if b[i] == '0' && len(b) > i+1 {
		return 0, false
	}
	var n uint64
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (1<<63)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	if neg {
		if n > 1<<63 {
			return 0, false
		}
		return -int64(n), true
	}
	if n > 1<<63-1 {
		return 0, false
	}
	return int64(n), true
}
