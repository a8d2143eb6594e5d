// Command ferretdb-local runs FerretDB (MongoDB wire protocol on PostgreSQL) through its embeddable
// package. The plain `go install .../cmd/ferretdb` binary panics at start because the published module
// lacks its generated version file; the embeddable package does not need it.
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen-addr", "127.0.0.1:27027", "TCP address for the MongoDB wire protocol")
	pgURL := flag.String("postgresql-url", "postgres://postgres@127.0.0.1:15432/ferretdb", "backing PostgreSQL database")
	flag.Parse()

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:      ferretdb.ListenerConfig{TCP: *listen},
		Handler:       "postgresql",
		PostgreSQLURL: *pgURL,
	})
	if err != nil {
		log.Fatalf("ferretdb: %v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	log.Printf("ferretdb: listening on %s, backend %s", *listen, *pgURL)
	if err := f.Run(ctx); err != nil && ctx.Err() == nil {
		log.Fatalf("ferretdb: %v", err)
	}
	log.Printf("ferretdb: stopped")
}
