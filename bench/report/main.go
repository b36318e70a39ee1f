// Command report turns the measurements bench/run.sh collected in a results directory
// (raw.tsv, meta.env, gobench.txt, profile-*.txt) into report.md, and writes chart.gp, the
// gnuplot script that draws chart.png from them.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	dir := flag.String("results", "bench/results", "results directory")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

// run writes report.md and chart.gp into dir and returns the first error.
func run(dir string) error {
	recs, err := readRecords(filepath.Join(dir, "raw.tsv"))
	if err != nil {
		return err
	}
	meta, err := readMeta(filepath.Join(dir, "meta.env"))
	if err != nil {
		return err
	}
	d := group(recs)
	var md strings.Builder
	writeReport(&md, d, meta, dir)
	if err := os.WriteFile(filepath.Join(dir, "report.md"), []byte(md.String()), 0o644); err != nil {
		return err
	}
	return writeChart(dir, d)
}

// readMeta returns the key=value lines of meta.env.
func readMeta(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			m[k] = v
		}
	}
	return m, sc.Err()
}
