// Command tcpproxy is a working L4 proxy: a thin main over package proxy
// (github.com/wirekit/wirekit/proxy), which does the socket side on
// wirekit's filter package:
// it listens, dials an upstream host per connection and copies both
// directions through a MOSN-style filter chain (connection limits, protocol
// sniffing with access logs, sampled traffic dumps, deny lists), with
// half-close, idle and connect timeouts, and graceful shutdown on SIGINT or
// SIGTERM.
//
// Usage:
//
//	tcpproxy -config proxy.json [-log-level debug] [-log-format json]
//
// The configuration has the shape of MOSN's (see proxy.Config); testdata/
// has examples.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/wirekit/wirekit/proxy"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "tcpproxy:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("tcpproxy", flag.ContinueOnError)
	path := fs.String("config", "", "configuration file (JSON, MOSN shape)")
	level := fs.String("log-level", "info", "log level: debug, info, warn, error")
	format := fs.String("log-format", "text", "log format: text or json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *path == "" {
		return fmt.Errorf("-config is required")
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		return err
	}
	hopts := &slog.HandlerOptions{Level: lv}
	var h slog.Handler = slog.NewTextHandler(os.Stderr, hopts)
	if *format == "json" {
		h = slog.NewJSONHandler(os.Stderr, hopts)
	}
	log := slog.New(h)

	cfg, err := proxy.LoadConfig(*path)
	if err != nil {
		return err
	}
	reg, closeFilters, err := proxy.NewRegistry(log)
	if err != nil {
		return err
	}
	defer closeFilters()
	p, err := proxy.New(cfg, reg, log)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second signal kills the process the default way
	}()
	return p.Run(ctx)
}
