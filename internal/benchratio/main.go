// Command benchratio reads `go test -bench` output made of several rounds
// (each benchmark once per round, rounds interleaved so that machine
// noise hits every benchmark alike) and prints, for each pair given on
// the command line as NAME/BASELINE, the median over rounds of the
// per-round ratio of their ns/op.
package main

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

func main() {
	rounds := map[string][]float64{} // benchmark -> ns/op, one per round, in order
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || f[3] != "ns/op" {
			continue
		}
		name := strings.TrimPrefix(f[0], "Benchmark")
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			name = name[:i]
		}
		v, err := strconv.ParseFloat(f[2], 64)
		if err == nil {
			rounds[name] = append(rounds[name], v)
		}
	}
	fmt.Println("| benchmark | baseline | median ns/op | baseline ns/op | ratio (median of per-round ratios) |")
	fmt.Println("|---|---|---|---|---|")
	for _, pair := range os.Args[1:] {
		a, b, ok := strings.Cut(pair, "/")
		ra, rb := rounds[a], rounds[b]
		if !ok || len(ra) == 0 || len(ra) != len(rb) {
			fmt.Fprintf(os.Stderr, "benchratio: %s: missing or unequal rounds\n", pair)
			os.Exit(1)
		}
		var ratios []float64
		for i := range ra {
			ratios = append(ratios, ra[i]/rb[i])
		}
		fmt.Printf("| %s | %s | %.2f | %.2f | %.2fx |\n", a, b, median(ra), median(rb), median(ratios))
	}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
