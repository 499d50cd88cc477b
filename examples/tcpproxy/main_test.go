package main

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/proxy"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func echoHandler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Path", r.URL.Path)
	w.WriteHeader(http.StatusOK)
}

// config is a one-listener configuration on port, in front of upstream.
func config(port int, upstream string) string {
	return fmt.Sprintf(`{
  "servers": [{"listeners": [{"name": "test", "address": "127.0.0.1:%d",
    "filter_chains": [{"filters": [{"type":"tcp_proxy","config":{"cluster":"up","idle_timeout":"30s"}}]}]}]}],
  "cluster_manager": {"clusters": [{"name": "up", "hosts": [{"address": %q}]}]}
}`, port, upstream)
}

// TestBinarySIGTERM builds the command, runs it with a config file and
// stops it with SIGTERM while a connection is open and then closed.
func TestBinarySIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	srv := httptest.NewServer(http.HandlerFunc(echoHandler))
	defer srv.Close()
	dir := t.TempDir()
	bin := filepath.Join(dir, "tcpproxy")
	b, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, string(b))
	port := freePort(t)
	cfg := config(port, srv.Listener.Addr().String())
	cfgPath := filepath.Join(dir, "proxy.json")
	require.NoError(t, os.WriteFile(cfgPath, []byte(cfg), 0o600))
	var logs bytes.Buffer
	cmd := exec.Command(bin, "-config", cfgPath, "-log-format", "json")
	cmd.Stderr = &logs
	require.NoError(t, cmd.Start())
	defer cmd.Process.Kill()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	var resp *http.Response
	require.Eventually(t, func() bool {
		resp, err = http.Get("http://" + addr + "/alive")
		return err == nil
	}, 10*time.Second, 20*time.Millisecond)
	resp.Body.Close()
	assert.Equal(t, "/alive", resp.Header.Get("X-Path"))
	http.DefaultClient.CloseIdleConnections()
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err, logs.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("proxy did not exit on SIGTERM: %s", logs.String())
	}
	assert.Contains(t, logs.String(), `"msg":"stopped"`)
	assert.Contains(t, logs.String(), `"forced":false`)
}

func TestExampleConfigsBuild(t *testing.T) {
	reg, closeFilters, err := proxy.NewRegistry(slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer closeFilters()
	files, err := filepath.Glob("testdata/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		doc, err := os.ReadFile(f)
		require.NoError(t, err)
		// Keep the example's dump files out of /var/tmp.
		doc = bytes.ReplaceAll(doc, []byte("/var/tmp/tcpproxy-dump"), []byte(t.TempDir()))
		cfg, err := proxy.ParseConfig(doc)
		require.NoError(t, err, f)
		_, err = proxy.New(cfg, reg, slog.New(slog.DiscardHandler))
		require.NoError(t, err, f)
	}
}
