package proxy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/wirekit/wirekit/filter"
)

// Config is the proxy's configuration, in the shape of MOSN's: servers with
// listeners, each with a filter chain ending in a tcp_proxy filter that
// names a cluster of the cluster manager.
//
//	{
//	  "servers": [{
//	    "graceful_timeout": "30s",
//	    "listeners": [{
//	      "name": "redis",
//	      "address": "127.0.0.1:6380",
//	      "filter_chains": [{"filters": [
//	        {"type": "connection_limit", "config": {"max_connections": 1000}},
//	        {"type": "tcp_proxy", "config": {"cluster": "redis", "idle_timeout": "5m"}}
//	      ]}]
//	    }]
//	  }],
//	  "cluster_manager": {"clusters": [
//	    {"name": "redis", "connect_timeout": "3s", "hosts": [{"address": "127.0.0.1:6379"}]}
//	  ]}
//	}
type Config struct {
	Servers        []ServerConfig       `json:"servers"`
	ClusterManager ClusterManagerConfig `json:"cluster_manager"`
}

// ServerConfig is one server: its listeners and shutdown grace period.
type ServerConfig struct {
	// GracefulTimeout is how long shutdown waits for open connections to
	// end before closing them, default 30s.
	GracefulTimeout Duration         `json:"graceful_timeout"`
	Listeners       []ListenerConfig `json:"listeners"`
}

// ListenerConfig is one listening socket and its filter chain.
type ListenerConfig struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	// FilterChains holds exactly one chain (MOSN allows several, selected
	// by matching rules this example does not implement).
	FilterChains []FilterChainConfig `json:"filter_chains"`
}

// FilterChainConfig is a MOSN filter chain: filters in order, the last of
// which must be tcp_proxy.
type FilterChainConfig struct {
	Filters []filter.Spec `json:"filters"`
}

// TCPProxyConfig is the config of the terminal tcp_proxy filter.
type TCPProxyConfig struct {
	// Cluster names the upstream cluster.
	Cluster string `json:"cluster"`
	// IdleTimeout closes a connection on which neither side sent anything
	// for this long, default 10m; "0s" disables it.
	IdleTimeout *Duration `json:"idle_timeout"`
	// MaxBuffer caps the bytes filters may hold per direction (default
	// filter.DefaultMaxBuffer, at least filter.DefaultBufferSize). A
	// connection whose filters would hold more is closed with
	// filter.ErrBufferFull, logged as its "closed" line's error.
	MaxBuffer int `json:"max_buffer"`
}

// ClusterManagerConfig holds the upstream clusters.
type ClusterManagerConfig struct {
	Clusters []ClusterConfig `json:"clusters"`
}

// ClusterConfig is a set of upstream hosts, picked round robin.
type ClusterConfig struct {
	Name string `json:"name"`
	// LBType is accepted for MOSN compatibility; only round robin
	// ("LB_ROUNDROBIN", the default) is implemented.
	LBType string `json:"lb_type"`
	// ConnectTimeout bounds dialing a host, default 3s.
	ConnectTimeout Duration     `json:"connect_timeout"`
	Hosts          []HostConfig `json:"hosts"`
}

// HostConfig is one upstream host.
type HostConfig struct {
	Address string `json:"address"`
}

// Duration is a time.Duration written as a Go duration string ("3s").
type Duration time.Duration

// UnmarshalJSON parses "1m30s"-style strings.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string like \"3s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	if v < 0 {
		return fmt.Errorf("negative duration %q", s)
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// Defaults.
const (
	defaultGraceful    = 30 * time.Second
	defaultIdle        = 10 * time.Minute
	defaultConnTimeout = 3 * time.Second
)

// ErrConfig marks configuration errors (test with errors.Is).
var ErrConfig = errors.New("proxy: bad config")

// ParseConfig decodes a configuration strictly (unknown fields are errors).
// Filter chains are checked when the proxy is built (New), against
// the registry.
func ParseConfig(doc []byte) (*Config, error) {
	var c Config
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing data", ErrConfig)
	}
	if len(c.Servers) == 0 {
		return nil, fmt.Errorf("%w: no servers", ErrConfig)
	}
	names := map[string]bool{}
	for _, cl := range c.ClusterManager.Clusters {
		switch {
		case cl.Name == "":
			return nil, fmt.Errorf("%w: cluster without a name", ErrConfig)
		case names[cl.Name]:
			return nil, fmt.Errorf("%w: duplicate cluster %q", ErrConfig, cl.Name)
		case len(cl.Hosts) == 0:
			return nil, fmt.Errorf("%w: cluster %q has no hosts", ErrConfig, cl.Name)
		case cl.LBType != "" && cl.LBType != "LB_ROUNDROBIN":
			return nil, fmt.Errorf("%w: cluster %q: lb_type %q not supported (LB_ROUNDROBIN only)", ErrConfig, cl.Name, cl.LBType)
		}
		names[cl.Name] = true
	}
	return &c, nil
}
