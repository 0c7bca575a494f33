// Command loadgen posts N requests at concurrency C where every request is different: `{n}` in the
// body and headers becomes a unique value, as for votes that carry their own Idempotency-Key and
// voter identity (hey sends one fixed request). It prints one JSON line: rate, p50/p99, statuses.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type headers []string

func (h *headers) String() string     { return strings.Join(*h, ", ") }
func (h *headers) Set(v string) error { *h = append(*h, v); return nil }

func main() {
	url := flag.String("url", "", "URL to POST to")
	n := flag.Int("n", 1000, "requests")
	c := flag.Int("c", 8, "concurrent clients")
	body := flag.String("body", "{}", "request body; {n} becomes a unique value")
	tag := flag.String("tag", fmt.Sprint(time.Now().UnixNano()), "prefix of the unique values")
	var hs headers
	flag.Var(&hs, "H", "header 'Name: value' ({n} allowed); repeatable")
	flag.Parse()

	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: *c}}
	latencies := make([]time.Duration, *n)
	statuses := make([]int, *n)
	var next int64 = -1
	var wg sync.WaitGroup
	started := time.Now()
	for w := 0; w < *c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(atomic.AddInt64(&next, 1))
				if i >= *n {
					return
				}
				unique := fmt.Sprintf("%s-%d", *tag, i)
				req, _ := http.NewRequest("POST", *url, bytes.NewBufferString(strings.ReplaceAll(*body, "{n}", unique)))
				req.Header.Set("Content-Type", "application/json")
				for _, h := range hs {
					name, value, _ := strings.Cut(h, ":")
					req.Header.Set(strings.TrimSpace(name), strings.TrimSpace(strings.ReplaceAll(value, "{n}", unique)))
				}
				t := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					statuses[i] = 0
				} else {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					statuses[i] = resp.StatusCode
				}
				latencies[i] = time.Since(t)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(started)
	sort.Slice(latencies, func(a, b int) bool { return latencies[a] < latencies[b] })
	counts := map[string]int{}
	for _, s := range statuses {
		counts[fmt.Sprint(s)]++
	}
	pct := func(p float64) float64 {
		return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	_ = json.NewEncoder(os.Stdout).Encode(map[string]any{
		"requests": *n, "seconds": elapsed.Seconds(), "rps": float64(*n) / elapsed.Seconds(),
		"p50_ms": pct(0.50), "p99_ms": pct(0.99), "statuses": counts,
	})
}
