// Command s3-local serves the S3 protocol on 127.0.0.1 for local runs and tests, backed by a bolt database
// file (gofakes3), so the chat-server's S3 storage adapter is exercised over real HTTP with real SigV4 clients.
// Production points CHAT_S3_ENDPOINT at AWS S3 or any S3-compatible store.
package main

import (
	"context"
	"errors"
	"flag"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3bolt"
)

func main() {
	listen := flag.String("listen-addr", "127.0.0.1:19000", "address(es) to serve the S3 API on, comma-separated")
	dbPath := flag.String("db", "s3.bolt", "bolt database file holding buckets and objects")
	bucket := flag.String("bucket", "sunsu-uploads", "bucket created at start if missing")
	flag.Parse()

	backend, err := s3bolt.NewFile(*dbPath)
	if err != nil {
		log.Fatalf("s3-local: %v", err)
	}
	faker := gofakes3.New(backend, gofakes3.WithAutoBucket(true))
	if err := backend.CreateBucket(*bucket); err != nil && !gofakes3.IsAlreadyExists(err) {
		log.Fatalf("s3-local: create bucket: %v", err)
	}
	srv := &http.Server{Handler: faker.Server(), ReadHeaderTimeout: 10 * time.Second}
	var listeners []net.Listener
	for _, addr := range strings.Split(*listen, ",") {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			log.Fatalf("s3-local: %v", err)
		}
		listeners = append(listeners, ln)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}()
	log.Printf("s3-local: listening on %s, bucket %s, data %s", *listen, *bucket, *dbPath)
	errs := make(chan error, len(listeners))
	for _, ln := range listeners {
		go func(ln net.Listener) { errs <- srv.Serve(ln) }(ln)
	}
	for range listeners {
		if err := <-errs; err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Fatalf("s3-local: %v", err)
		}
	}
}
