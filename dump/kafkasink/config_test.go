package kafkasink_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/wirekit/wirekit/dump/kafkasink"
)

// testCA makes a self-signed certificate for 127.0.0.1 and writes it as
// a PEM file: the broker serves it, the client trusts it through ca_file.
func testCA(t *testing.T) (tls.Certificate, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kfake-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, path
}

// consume reads every record of topic from the start, until n arrived or
// 10 s passed.
func consume(t *testing.T, o kafkasink.Options, n int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(append(o.ClientOptions(), kgo.ConsumeTopics(o.Topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	require.NoError(t, err)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < n && ctx.Err() == nil {
		f := cl.PollFetches(ctx)
		f.EachRecord(func(r *kgo.Record) { out = append(out, r) })
	}
	return out
}

func configOptions(t *testing.T, doc string) (kafkasink.Options, error) {
	t.Helper()
	var c kafkasink.Config
	dec := json.NewDecoder(stringsReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return kafkasink.Options{}, err
	}
	return c.Options()
}

// TLS and SASL from a JSON configuration reach the broker: a kfake
// cluster that only speaks TLS and requires SASL accepts the records of a
// producer configured by JSON alone (SCRAM-SHA-256 with the password from
// the environment, PLAIN with it from a file), and refuses a wrong
// password (nothing acknowledged, every record counted dropped).
func TestConfigTLSAndSASL(t *testing.T) {
	cert, caFile := testCA(t)
	c, err := kfake.NewCluster(kfake.SeedTopics(1, "secure"),
		kfake.TLS(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}),
		kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-256", "agent", "pw-scram"), kfake.Superuser("PLAIN", "plainuser", "pw-plain"))
	require.NoError(t, err)
	defer c.Close()
	broker := c.ListenAddrs()[0]
	t.Setenv("KAFKASINK_TEST_PW", "pw-scram")
	pwFile := filepath.Join(t.TempDir(), "pw")
	require.NoError(t, os.WriteFile(pwFile, []byte("pw-plain\n"), 0o600))

	base := fmt.Sprintf(`"brokers": [%q], "topic": "secure", "linger": "1ms", "close_timeout": "2s", "max_age": "1s", "tls": {"ca_file": %q}`, broker, caFile)
	produced := 0
	for _, tt := range []struct {
		name, sasl string
		ok         bool
	}{
		{"scram-sha-256", `{"mechanism": "scram-sha-256", "user": "agent", "password_env": "KAFKASINK_TEST_PW"}`, true},
		{"plain", fmt.Sprintf(`{"mechanism": "PLAIN", "user": "plainuser", "password_file": %q}`, pwFile), true},
		{"wrong password", `{"mechanism": "SCRAM-SHA-256", "user": "agent", "password": "nope"}`, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o, err := configOptions(t, `{`+base+`, "agent": "cfg-test", "sasl": `+tt.sasl+`}`)
			require.NoError(t, err)
			require.NotNil(t, o.TLS)
			require.Len(t, o.SASL, 1)
			p, err := kafkasink.NewProducer(o, "test/1")
			require.NoError(t, err)
			for i := range 20 {
				p.Produce([]byte("k"), fmt.Appendf(nil, "%s-%d", tt.name, i), 0, time.Now())
			}
			closeErr := p.Close()
			st := p.Stats()
			assert.Equal(t, uint64(20), st.Offered)
			assert.Zero(t, st.Pending)
			if !tt.ok {
				assert.Zero(t, st.Acked, "a wrong password delivers nothing")
				assert.Equal(t, uint64(20), st.Dropped(), "and every record is counted: %+v", st)
				return
			}
			require.NoError(t, closeErr)
			assert.Equal(t, uint64(20), st.Acked, "%+v", st)
			produced += 20
			recs := consume(t, o, produced)
			require.Len(t, recs, produced)
			assert.Equal(t, fmt.Sprintf("%s-19", tt.name), string(recs[produced-1].Value))
		})
	}
}

func TestConfigErrors(t *testing.T) {
	t.Setenv("KAFKASINK_TEST_SET", "x")
	for doc, want := range map[string]string{
		`{"topic": "t"}`:          "no Brokers",
		`{"brokers": ["b:9092"]}`: "no Topic",
		`{"brokers": ["b:9092"], "topic": "t", "compression": "brotli"}`:                                                                            "unknown Compression",
		`{"brokers": ["b:9092"], "topic": "t", "max_age": "soon"}`:                                                                                  "invalid duration",
		`{"brokers": ["b:9092"], "topic": "t", "max_age": "-1s"}`:                                                                                   "negative duration",
		`{"brokers": ["b:9092"], "topic": "t", "tls": {"ca_file": "/nonexistent/ca.pem"}}`:                                                          "no such file",
		`{"brokers": ["b:9092"], "topic": "t", "tls": {"cert_file": "c.pem"}}`:                                                                      "cert_file and key_file go together",
		`{"brokers": ["b:9092"], "topic": "t", "tls": {"cafile": "x"}}`:                                                                             "unknown field",
		`{"brokers": ["b:9092"], "topic": "t", "sasl": {"mechanism": "GSSAPI", "user": "u", "password": "p"}}`:                                      "mechanism must be",
		`{"brokers": ["b:9092"], "topic": "t", "sasl": {"mechanism": "PLAIN", "user": "u"}}`:                                                        "exactly one of password",
		`{"brokers": ["b:9092"], "topic": "t", "sasl": {"mechanism": "PLAIN", "user": "u", "password": "p", "password_env": "KAFKASINK_TEST_SET"}}`: "exactly one of password",
		`{"brokers": ["b:9092"], "topic": "t", "sasl": {"mechanism": "PLAIN", "user": "u", "password_env": "KAFKASINK_TEST_UNSET"}}`:                "is not set",
		`{"brokers": ["b:9092"], "topic": "t", "sasl": {"mechanism": "PLAIN", "password": "p"}}`:                                                    "no user",
	} {
		_, err := configOptions(t, doc)
		require.Error(t, err, doc)
		assert.Contains(t, err.Error(), want, doc)
		assert.NotContains(t, err.Error(), `"p"`, "errors do not quote passwords")
	}
	o, err := configOptions(t, `{"brokers": ["b:9092"], "topic": "t", "tls": true, "max_age": "2s", "linger": "1ms", "max_buffered_records": 10}`)
	require.NoError(t, err)
	require.NotNil(t, o.TLS, "tls: true dials with TLS")
	assert.Nil(t, o.TLS.RootCAs, "with the system's roots")
	assert.Equal(t, 2*time.Second, o.MaxAge)
	assert.Equal(t, time.Millisecond, o.Linger)
	assert.Equal(t, 10, o.MaxBufferedRecords)
	o, err = configOptions(t, `{"brokers": ["b:9092"], "topic": "t", "tls": false}`)
	require.NoError(t, err)
	assert.Nil(t, o.TLS)
	assert.Empty(t, o.Compression, "defaults are left to Options")
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }
