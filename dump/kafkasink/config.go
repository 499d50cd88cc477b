package kafkasink

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// Config is the JSON form of Options, for configuration files (the
// "kafka" object of the sniff and tcpcopy filters' configurations):
//
//	{"brokers": ["10.0.0.1:9093"], "topic": "exchanges", "compression": "lz4",
//	 "agent": "edge-1", "max_age": "30s",
//	 "tls": {"ca_file": "/etc/kafka/ca.pem", "cert_file": "...", "key_file": "...", "server_name": "..."},
//	 "sasl": {"mechanism": "SCRAM-SHA-512", "user": "agent", "password_env": "KAFKA_PASSWORD"}}
//
// Omitted fields take Options' defaults. "tls": true dials with TLS and
// the system's roots; an object configures it (every member optional).
// SASL mechanisms are PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512; the
// password comes from "password", the environment variable named by
// "password_env" or the file named by "password_file" (trailing newline
// dropped), so that it need not be written in the configuration.
type Config struct {
	Brokers            []string `json:"brokers"`
	Topic              string   `json:"topic"`
	Agent              string   `json:"agent"`
	Compression        string   `json:"compression"`
	MaxBufferedRecords int      `json:"max_buffered_records"`
	MaxBufferedBytes   int64    `json:"max_buffered_bytes"`
	// Durations are Go duration strings ("30s", "5ms").
	MaxAge       Duration    `json:"max_age"`
	Linger       Duration    `json:"linger"`
	CloseTimeout Duration    `json:"close_timeout"`
	TLS          *TLSConfig  `json:"tls"`
	SASL         *SASLConfig `json:"sasl"`
}

// TLSConfig is the "tls" object of a Config. JSON true is an empty
// TLSConfig (system roots), false is no TLS.
type TLSConfig struct {
	// CAFile is a PEM file of the roots the brokers' certificates are
	// checked against, default the system's.
	CAFile string `json:"ca_file"`
	// CertFile and KeyFile are a PEM client certificate and key (mutual
	// TLS); both or neither.
	CertFile string `json:"cert_file"`
	KeyFile  string `json:"key_file"`
	// ServerName overrides the name checked in the brokers' certificates
	// (default: the host of the address dialed).
	ServerName string `json:"server_name"`
	// InsecureSkipVerify accepts any certificate (tests only).
	InsecureSkipVerify bool `json:"insecure_skip_verify"`

	off bool
}

// UnmarshalJSON reads an object, or a boolean.
func (t *TLSConfig) UnmarshalJSON(b []byte) error {
	switch string(bytes.TrimSpace(b)) {
	case "true":
		*t = TLSConfig{}
		return nil
	case "false":
		*t = TLSConfig{off: true}
		return nil
	}
	type plainTLS TLSConfig
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var v plainTLS
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("tls: %w", err)
	}
	*t = TLSConfig(v)
	return nil
}

// SASLConfig is the "sasl" object of a Config.
type SASLConfig struct {
	// Mechanism is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (any case).
	Mechanism string `json:"mechanism"`
	User      string `json:"user"`
	// Password, PasswordEnv (an environment variable's name) or
	// PasswordFile (a file's path): exactly one.
	Password     string `json:"password"`
	PasswordEnv  string `json:"password_env"`
	PasswordFile string `json:"password_file"`
}

// Duration is a time.Duration written as a Go duration string ("30s").
type Duration time.Duration

// UnmarshalJSON parses "1m30s"-style strings.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string like \"30s\": %w", err)
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

// Options converts the configuration: it reads the TLS files and the
// SASL password, and checks what Options' defaults would refuse, so that
// a bad file fails when it is loaded. Errors wrap ErrConfig.
func (c *Config) Options() (Options, error) {
	o := Options{
		Brokers: c.Brokers, Topic: c.Topic, Agent: c.Agent, Compression: c.Compression,
		MaxBufferedRecords: c.MaxBufferedRecords, MaxBufferedBytes: c.MaxBufferedBytes,
		MaxAge: time.Duration(c.MaxAge), Linger: time.Duration(c.Linger), CloseTimeout: time.Duration(c.CloseTimeout),
	}
	if c.TLS != nil && !c.TLS.off {
		tc, err := c.TLS.config()
		if err != nil {
			return Options{}, fmt.Errorf("%w: tls: %v", ErrConfig, err)
		}
		o.TLS = tc
	}
	if c.SASL != nil {
		m, err := c.SASL.mechanism()
		if err != nil {
			return Options{}, fmt.Errorf("%w: sasl: %v", ErrConfig, err)
		}
		o.SASL = []sasl.Mechanism{m}
	}
	check := o
	if err := check.applyDefaults(); err != nil {
		return Options{}, err
	}
	return o, nil
}

func (t *TLSConfig) config() (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName, InsecureSkipVerify: t.InsecureSkipVerify}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: no PEM certificate", t.CAFile)
		}
		tc.RootCAs = pool
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		return nil, fmt.Errorf("cert_file and key_file go together")
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, err
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

func (s *SASLConfig) mechanism() (sasl.Mechanism, error) {
	n := 0
	pass := s.Password
	if s.Password != "" {
		n++
	}
	if s.PasswordEnv != "" {
		n++
		v, ok := os.LookupEnv(s.PasswordEnv)
		if !ok {
			return nil, fmt.Errorf("password_env: %s is not set", s.PasswordEnv)
		}
		pass = v
	}
	if s.PasswordFile != "" {
		n++
		b, err := os.ReadFile(s.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("password_file: %w", err)
		}
		pass = strings.TrimRight(string(b), "\r\n")
	}
	if n != 1 {
		return nil, fmt.Errorf("exactly one of password, password_env and password_file is needed")
	}
	if s.User == "" {
		return nil, fmt.Errorf("no user")
	}
	switch strings.ToUpper(s.Mechanism) {
	case "PLAIN":
		return plain.Auth{User: s.User, Pass: pass}.AsMechanism(), nil
	case "SCRAM-SHA-256":
		return scram.Auth{User: s.User, Pass: pass}.AsSha256Mechanism(), nil
	case "SCRAM-SHA-512":
		return scram.Auth{User: s.User, Pass: pass}.AsSha512Mechanism(), nil
	}
	return nil, fmt.Errorf("mechanism must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, got %q", s.Mechanism)
}
