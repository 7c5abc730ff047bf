// Command benchratio turns `go test -bench` output made of several
// rounds into the tables of BENCHMARKS.md.
//
// Each input file holds the output of one kind of run repeated round
// after round, every benchmark once per round, so that machine noise hits
// both sides of a comparison alike. Lines of the form
//
//	# command GROUP: COMMAND
//
// record the command that produced a group of benchmarks, for the report
// to quote. Every ratio is taken round by round, benchmark against its
// baseline in the same round, and the median of those ratios is
// reported with their range.
//
// With -template and -o, benchratio fills a text/template (the layout of
// BENCHMARKS.md, with its prose) with tables and writes the result; with
// -svg it also draws the speed ratios as an SVG bar chart. Without them
// it prints the ratios of the NAME/BASELINE pairs given as arguments, as
// a Markdown table of cost ratios.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

func main() {
	tmpl := flag.String("template", "", "text/template of the report")
	out := flag.String("o", "", "file to write the report to")
	svg := flag.String("svg", "", "file to write the chart of speed ratios to")
	var inputs multiFlag
	flag.Var(&inputs, "in", "results file (repeatable); standard input without it")
	flag.Parse()

	res := newResults()
	if len(inputs) == 0 {
		if err := res.read(os.Stdin); err != nil {
			fail(err)
		}
	}
	for _, path := range inputs {
		if err := res.readFile(path); err != nil {
			fail(err)
		}
	}
	if *tmpl == "" {
		if err := printPairs(os.Stdout, res, flag.Args()); err != nil {
			fail(err)
		}
		return
	}
	if err := writeReport(res, *tmpl, *out, *svg); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "benchratio:", err)
	os.Exit(1)
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// results holds, for each benchmark and unit, one value per round in
// the order read, and the commands of the groups.
type results struct {
	values   map[string]map[string][]float64 // name -> unit -> rounds
	commands map[string]string               // group -> command
	cpu      string                          // the "cpu:" line of go test
}

func newResults() *results {
	return &results{values: map[string]map[string][]float64{},
		commands: map[string]string{}}
}

func (r *results) readFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := r.read(f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// read parses benchmark lines ("BenchmarkX-2 N v unit v unit ...") and
// command lines.
func (r *results) read(in io.Reader) error {
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "# command "); ok {
			group, cmd, ok := strings.Cut(rest, ": ")
			if !ok {
				return fmt.Errorf("malformed command line %q", line)
			}
			r.commands[group] = cmd
			continue
		}
		if rest, ok := strings.CutPrefix(line, "cpu: "); ok {
			r.cpu = rest
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := strings.TrimPrefix(f[0], "Benchmark")
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		units := r.values[name]
		if units == nil {
			units = map[string][]float64{}
			r.values[name] = units
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return fmt.Errorf("benchmark %s: value %q", name, f[i])
			}
			units[f[i+1]] = append(units[f[i+1]], v)
		}
	}
	return sc.Err()
}

var errMissing = errors.New("missing benchmark")

// rounds returns the values of name in unit, one per round.
func (r *results) rounds(name, unit string) ([]float64, error) {
	v := r.values[name][unit]
	if len(v) == 0 {
		return nil, fmt.Errorf("%w %s (%s)", errMissing, name, unit)
	}
	return v, nil
}

// ratio is a comparison summarised over rounds.
type ratio struct {
	median, lo, hi float64
	rounds         int
}

// ratios divides a by b round by round (or b by a with invert) and
// summarises the quotients.
func (r *results) ratios(a, b, unit string, invert bool) (ratio, error) {
	ra, err := r.rounds(a, unit)
	if err != nil {
		return ratio{}, err
	}
	rb, err := r.rounds(b, unit)
	if err != nil {
		return ratio{}, err
	}
	if len(ra) != len(rb) {
		return ratio{}, fmt.Errorf("%s has %d rounds, %s %d", a, len(ra), b, len(rb))
	}
	q := make([]float64, len(ra))
	for i := range ra {
		if invert {
			q[i] = rb[i] / ra[i]
		} else {
			q[i] = ra[i] / rb[i]
		}
	}
	return ratio{median: median(q), lo: slices.Min(q), hi: slices.Max(q),
		rounds: len(q)}, nil
}

// medianOf returns the median of name's values in unit.
func (r *results) medianOf(name, unit string) (float64, error) {
	v, err := r.rounds(name, unit)
	if err != nil {
		return 0, err
	}
	return median(v), nil
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

// printPairs prints the cost ratio NAME/BASELINE of each pair.
func printPairs(w io.Writer, r *results, pairs []string) error {
	fmt.Fprintln(w, "| benchmark | baseline | median ns/op | baseline ns/op | "+
		"ratio (median of per-round ratios) |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, pair := range pairs {
		a, b, ok := strings.Cut(pair, "/")
		if !ok {
			return fmt.Errorf("pair %q is not NAME/BASELINE", pair)
		}
		q, err := r.ratios(a, b, "ns/op", false)
		if err != nil {
			return err
		}
		ma, _ := r.medianOf(a, "ns/op")
		mb, _ := r.medianOf(b, "ns/op")
		fmt.Fprintf(w, "| %s | %s | %.2f | %.2f | %.2fx |\n", a, b, ma, mb, q.median)
	}
	return nil
}
