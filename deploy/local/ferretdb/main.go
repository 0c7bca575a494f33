// Command localferretdb runs FerretDB v1 on its PostgreSQL backend for local development and tests.
//
// `go install .../cmd/ferretdb` builds a binary that panics at start (FerretDB issue #2982), so we
// embed FerretDB's public package instead. deploy/local/servers.py runs the PostgreSQL cluster.
package main

import (
	"context"
	"flag"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	pgURL := flag.String("postgresql-url", "postgres://postgres@127.0.0.1:5433/ferretdb", "PostgreSQL connection URL")
	// The embedded package keeps its command metrics internal; the process's own (CPU, memory, goroutines,
	// file descriptors) are what Prometheus can scrape here (deploy/monitoring/exporters.py).
	metricsListen := flag.String("metrics-listen", "", "TCP address for Prometheus metrics (/metrics); off when empty")
	flag.Parse()
	if *metricsListen != "" {
		go func() {
			mux := http.NewServeMux()
			mux.Handle("/metrics", promhttp.Handler())
			log.Printf("metrics on http://%s/metrics", *metricsListen)
			// Metrics are not worth the store: a taken port leaves FerretDB serving, unscraped.
			if err := http.ListenAndServe(*metricsListen, mux); err != nil {
				log.Printf("metrics listener off: %v", err)
			}
		}()
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:      ferretdb.ListenerConfig{TCP: *listen},
		Handler:       "postgresql",
		PostgreSQLURL: *pgURL,
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Printf("FerretDB (postgresql) listening on %s", *listen)
	if err := f.Run(ctx); err != nil {
		log.Fatal(err)
	}
}
