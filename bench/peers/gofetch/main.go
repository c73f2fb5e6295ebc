// gofetch - the idiomatic Go peer for bench/run: net/http with a tuned
// Transport and a timeout, a buffered-channel semaphore, io.Copy to files.
//
//	gofetch -j 64 -o OUTDIR [-cacert FILE] [-http2] URLLIST
package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"sync"
	"time"
)

func main() {
	jobs := flag.Int("j", 64, "concurrent downloads")
	outDir := flag.String("o", ".", "output directory")
	caFile := flag.String("cacert", "", "CA bundle for HTTPS")
	h2 := flag.Bool("http2", false, "HTTP/2 over TLS (as http.DefaultTransport does)")
	flag.Parse()

	tr := &http.Transport{
		MaxIdleConns:        *jobs,
		MaxIdleConnsPerHost: *jobs,
		MaxConnsPerHost:     *jobs,
		DisableCompression:  true,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   *h2, // a custom TLS config turns it off otherwise
	}
	if *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			panic(err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	client := &http.Client{Transport: tr, Timeout: 5 * time.Minute}

	f, err := os.Open(flag.Arg(0))
	if err != nil {
		panic(err)
	}
	defer f.Close()
	sem := make(chan struct{}, *jobs)
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		url := sc.Text()
		if url == "" {
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(url string) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fetch(client, url, *outDir); err != nil {
				mu.Lock()
				failed++
				mu.Unlock()
				fmt.Fprintln(os.Stderr, url, err)
			}
		}(url)
	}
	wg.Wait()
	if failed > 0 {
		os.Exit(1)
	}
}

func fetch(client *http.Client, url, dir string) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	out, err := os.Create(filepath.Join(dir, path.Base(resp.Request.URL.Path)))
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, resp.Body); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
