package filter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Creator builds a Factory from a filter's configuration, the JSON value of
// the "config" key of a filter entry (nil when absent). It validates
// everything it can, so a bad configuration fails when the chain is built,
// never at the first connection. DecodeConfig does strict decoding.
type Creator func(config json.RawMessage) (Factory, error)

// Registry maps filter type names to their Creators. It is safe for
// concurrent use. Build one per program with NewRegistry (and
// builtin.Register for the built-in filters), or use Default through the
// package-level Register, as MOSN's filter packages do.
type Registry struct {
	mu       sync.RWMutex
	creators map[string]Creator
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{creators: make(map[string]Creator)} }

// Default is the registry behind the package-level Register and NewChain
// helpers. It starts empty: built-in filters are added by calling
// builtin.Register(filter.Default) explicitly, never by an import side
// effect.
var Default = NewRegistry()

// Register adds a filter type to Default. See Registry.Register.
func Register(name string, c Creator) error { return Default.Register(name, c) }

// Register adds a filter type. Registering a name twice is ErrDuplicate; an
// empty name or nil creator is ErrBadConfig.
func (r *Registry) Register(name string, c Creator) error {
	if name == "" || c == nil {
		return fmt.Errorf("%w: Register needs a name and a creator", ErrBadConfig)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.creators[name]; ok {
		return fmt.Errorf("%w: %q", ErrDuplicate, name)
	}
	r.creators[name] = c
	return nil
}

// Names returns the registered type names, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	names := make([]string, 0, len(r.creators))
	for n := range r.creators {
		names = append(names, n)
	}
	r.mu.RUnlock()
	sort.Strings(names)
	return names
}

// Spec is one filter entry of a chain configuration, as in MOSN's
// filter_chains: {"type": "sniff", "config": {...}}.
type Spec struct {
	Type   string          `json:"type"`
	Config json.RawMessage `json:"config,omitempty"`
}

// SpecFromMap makes a Spec from a configuration given as a map (MOSN's
// map[string]any form).
func SpecFromMap(typ string, config map[string]any) (Spec, error) {
	if config == nil {
		return Spec{Type: typ}, nil
	}
	raw, err := json.Marshal(config)
	if err != nil {
		return Spec{}, &ConfigError{Type: typ, Index: -1, Err: err}
	}
	return Spec{Type: typ, Config: raw}, nil
}

// ConfigError says which filter of a chain configuration was rejected and
// why. It wraps ErrBadConfig or ErrUnknownFilter, and the creator's error.
type ConfigError struct {
	Index int    // position in the chain, -1 when not in a chain
	Type  string // filter type name
	Err   error
}

// Error names the filter (position and type) and the cause.
func (e *ConfigError) Error() string {
	if e.Index >= 0 {
		return fmt.Sprintf("filter: filter #%d (%q): %v", e.Index, e.Type, e.Err)
	}
	return fmt.Sprintf("filter: %q: %v", e.Type, e.Err)
}

// Unwrap returns the cause and ErrBadConfig (unless the cause is already an
// unknown-type error).
func (e *ConfigError) Unwrap() []error {
	if isUnknown(e.Err) {
		return []error{e.Err}
	}
	return []error{ErrBadConfig, e.Err}
}

type unknownErr struct{ name, known string }

func (e *unknownErr) Error() string {
	return fmt.Sprintf("unknown filter type %q (registered: %s)", e.name, e.known)
}
func (e *unknownErr) Unwrap() error { return ErrUnknownFilter }

func isUnknown(err error) bool { _, ok := err.(*unknownErr); return ok }

// Create builds the Factory of one filter entry.
func (r *Registry) Create(s Spec) (Factory, error) { return r.create(s, -1) }

func (r *Registry) create(s Spec, index int) (Factory, error) {
	r.mu.RLock()
	c := r.creators[s.Type]
	r.mu.RUnlock()
	if c == nil {
		known := strings.Join(r.Names(), ", ")
		if known == "" {
			known = "none"
		}
		return nil, &ConfigError{Index: index, Type: s.Type, Err: &unknownErr{s.Type, known}}
	}
	cfg := s.Config
	if len(bytes.TrimSpace(cfg)) == 0 || bytes.Equal(bytes.TrimSpace(cfg), []byte("null")) {
		cfg = nil
	}
	f, err := c(cfg)
	if err != nil {
		return nil, &ConfigError{Index: index, Type: s.Type, Err: err}
	}
	if f == nil {
		return nil, &ConfigError{Index: index, Type: s.Type, Err: fmt.Errorf("creator returned no factory")}
	}
	return f, nil
}

// NewChain builds a chain from filter entries, in order. Every entry is
// created now; the first failure is returned as a *ConfigError.
func (r *Registry) NewChain(specs ...Spec) (*Chain, error) {
	ch := &Chain{}
	for i, s := range specs {
		f, err := r.create(s, i)
		if err != nil {
			return nil, err
		}
		ch.names = append(ch.names, s.Type)
		ch.factories = append(ch.factories, f)
	}
	return ch, nil
}

// NewChainJSON builds a chain from JSON: either an array of filter entries
// or a MOSN filter chain object {"filters": [...]}. Unknown fields are
// errors.
func (r *Registry) NewChainJSON(doc []byte) (*Chain, error) {
	var specs []Spec
	t := bytes.TrimSpace(doc)
	if len(t) > 0 && t[0] == '[' {
		if err := DecodeConfig(t, &specs); err != nil {
			return nil, fmt.Errorf("%w: chain: %v", ErrBadConfig, err)
		}
	} else {
		var fc struct {
			Filters []Spec `json:"filters"`
		}
		if err := DecodeConfig(t, &fc); err != nil {
			return nil, fmt.Errorf("%w: chain: %v", ErrBadConfig, err)
		}
		specs = fc.Filters
	}
	return r.NewChain(specs...)
}

// NewChainMaps builds a chain from entries in map form, each with "type" and
// optionally "config" (map[string]any).
func (r *Registry) NewChainMaps(entries []map[string]any) (*Chain, error) {
	raw, err := json.Marshal(entries)
	if err != nil {
		return nil, fmt.Errorf("%w: chain: %v", ErrBadConfig, err)
	}
	return r.NewChainJSON(raw)
}

// DecodeConfig decodes a filter configuration strictly into v: unknown
// fields, wrong types and trailing data are errors. A nil or empty config
// leaves v unchanged (the creator's defaults).
func DecodeConfig(raw json.RawMessage, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("trailing data after the config value")
	}
	return nil
}

// Chain is an ordered list of filter factories: the filter chain of a
// listener. It is immutable and safe for concurrent use; NewConn makes the
// per-connection instance.
type Chain struct {
	names     []string
	factories []Factory
	nextID    atomic.Uint64
}

// NewChain makes a chain from factories directly, without a registry.
func NewChain(factories ...Factory) *Chain {
	ch := &Chain{factories: factories}
	for range factories {
		ch.names = append(ch.names, "")
	}
	return ch
}

// Len returns the number of factories.
func (ch *Chain) Len() int { return len(ch.factories) }

// Names returns the filter type names, in order ("" for factories given to
// NewChain directly).
func (ch *Chain) Names() []string { return append([]string(nil), ch.names...) }

// NewConn makes the filter chain of a new connection: it numbers the
// connection if info.ID is zero and installs every factory's filters. A
// factory that fails refuses the connection. Call Start next.
func (ch *Chain) NewConn(info ConnInfo, opts ConnOptions) (*Conn, error) {
	if info.ID == 0 {
		info.ID = ch.nextID.Add(1)
	}
	c := newConn(info, opts)
	for i, f := range ch.factories {
		if err := f.Install(c); err != nil {
			c.Release()
			return nil, fmt.Errorf("filter: installing filter #%d (%q): %w", i, ch.names[i], err)
		}
	}
	return c, nil
}
