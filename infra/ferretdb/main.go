// Command ferretdb-local runs FerretDB (MongoDB wire protocol on PostgreSQL) through its embeddable
// package. The plain `go install .../cmd/ferretdb` binary panics at start because the published module
// lacks its generated version file; the embeddable package does not need it.
package main

import (
	"context"
	"flag"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen-addr", "127.0.0.1:27027", "TCP address(es) for the MongoDB wire protocol, comma-separated")
	pgURL := flag.String("postgresql-url", "postgres://postgres@127.0.0.1:15432/ferretdb", "backing PostgreSQL database")
	flag.Parse()

	addrs := strings.Split(*listen, ",")
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:      ferretdb.ListenerConfig{TCP: addrs[0]},
		Handler:       "postgresql",
		PostgreSQLURL: *pgURL,
	})
	if err != nil {
		log.Fatalf("ferretdb: %v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// FerretDB listens on one address; further ones (e.g. the Kubernetes node address, for pods) are forwarded.
	for _, extra := range addrs[1:] {
		if err := forward(ctx, extra, addrs[0]); err != nil {
			log.Fatalf("ferretdb: %v", err)
		}
	}
	log.Printf("ferretdb: listening on %s, backend %s", *listen, *pgURL)
	if err := f.Run(ctx); err != nil && ctx.Err() == nil {
		log.Fatalf("ferretdb: %v", err)
	}
	log.Printf("ferretdb: stopped")
}

// forward accepts on `from` and pipes every connection to `to` until ctx ends.
func forward(ctx context.Context, from, to string) error {
	ln, err := net.Listen("tcp", from)
	if err != nil {
		return err
	}
	go func() { <-ctx.Done(); ln.Close() }()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				u, err := net.Dial("tcp", to)
				if err != nil {
					return
				}
				defer u.Close()
				done := make(chan struct{}, 2)
				go func() { io.Copy(u, c); u.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
				go func() { io.Copy(c, u); c.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
				<-done
				<-done
			}()
		}
	}()
	return nil
}
