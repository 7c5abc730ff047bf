package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"text/template"
)

// costRow compares the cost of two benchmarks of one Go package: the
// ratio is name's ns/op over base's, lower is cheaper.
type costRow struct {
	measure, compared string
	name, base        string
	target            string
}

// speedRow compares safekrb5 with a peer. For a cost unit (ns/op,
// cpu-ns/op) the speed ratio is the peer's cost over ours; for a rate
// (req/s) ours over the peer's. Above 1 we are faster.
type speedRow struct {
	what   string
	ours   string
	peer   string
	base   string
	unit   string
	target float64 // the speed ratio asked for, 0 for none
}

// memRow reports bytes per object on each side.
type memRow struct {
	what  string
	cells []memCell
}

type memCell struct {
	label, name, unit string
}

var costTables = map[string][]costRow{
	"lifecycle": {
		{"guarded call, one goroutine", "bare atomic add",
			"CallGuarded", "CallAtomicAdd", "within 2x"},
		{"guarded call, one goroutine", "`sync.RWMutex` RLock/RUnlock",
			"CallGuarded", "CallRWMutex", ""},
		{"guarded call, one goroutine", "unguarded call",
			"CallGuarded", "CallUnguarded", ""},
		{"guarded calls on one shared object, 2 goroutines",
			"RWMutex read locking, shared",
			"CallParallelGuardedShared", "CallParallelRWMutex", "never slower"},
		{"guarded calls on one shared object, 2 goroutines",
			"one shared atomic counter",
			"CallParallelGuardedShared", "CallParallelAtomicAdd", ""},
		{"guarded calls, one object per goroutine, 2 goroutines",
			"one goroutine", "CallParallelGuardedOwn", "CallGuarded",
			"scales"},
	},
}

const cpu = "cpu-ns/op"

var speedTables = map[string][]speedRow{
	"accept": {
		{"accept a Kerberos token", "AcceptKRB5Ours", "MIT floor",
			"AcceptKRB5MITFloor", cpu, 1.25},
		{"accept a Kerberos token", "AcceptKRB5Ours", "MIT as servers run it",
			"AcceptKRB5MITServer", cpu, 0},
		{"accept a Kerberos token", "AcceptKRB5Ours", "gokrb5",
			"AcceptKRB5Gokrb5", cpu, 0},
		{"accept a SPNEGO token", "AcceptSPNEGOOurs", "MIT floor",
			"AcceptSPNEGOMITFloor", cpu, 1.25},
		{"accept a SPNEGO token", "AcceptSPNEGOOurs", "MIT as servers run it",
			"AcceptSPNEGOMITServer", cpu, 0},
		{"accept a SPNEGO token", "AcceptSPNEGOOurs", "gokrb5",
			"AcceptSPNEGOGokrb5", cpu, 0},
		{"accept with mutual authentication", "AcceptMutualOurs",
			"MIT floor", "AcceptMutualMITFloor", cpu, 1.25},
		{"accept with mutual authentication", "AcceptMutualOurs",
			"MIT as servers run it", "AcceptMutualMITServer", cpu, 0},
	},
	"initiate": {
		{"initiate from a cached ticket", "InitiateOurs", "MIT",
			"InitiateMIT", cpu, 1.25},
		{"initiate from a cached ticket", "InitiateOurs", "gokrb5",
			"InitiateGokrb5", cpu, 0},
	},
	"wrap": {
		{"Wrap+Unwrap 1 KiB, integrity", "Wrap/Integ1KOurs", "MIT",
			"Wrap/Integ1KMIT", cpu, 1},
		{"Wrap+Unwrap 1 KiB, integrity", "Wrap/Integ1KOurs", "gokrb5",
			"Wrap/Integ1KGokrb5", cpu, 0},
		{"Wrap+Unwrap 1 KiB, confidentiality", "Wrap/Conf1KOurs", "MIT",
			"Wrap/Conf1KMIT", cpu, 1},
		{"Wrap+Unwrap 64 KiB, integrity", "Wrap/Integ64KOurs", "MIT",
			"Wrap/Integ64KMIT", cpu, 0},
		{"Wrap+Unwrap 64 KiB, integrity", "Wrap/Integ64KOurs", "gokrb5",
			"Wrap/Integ64KGokrb5", cpu, 0},
		{"Wrap+Unwrap 64 KiB, confidentiality", "Wrap/Conf64KOurs", "MIT",
			"Wrap/Conf64KMIT", cpu, 3},
		{"Wrap+Unwrap 64 KiB, confidentiality, new buffers", "Wrap/Conf64KOursFresh", "MIT",
			"Wrap/Conf64KMIT", cpu, 0},
	},
	"kdc": {
		{"password login", "LoginOurs", "MIT", "LoginMIT", cpu, 1.5},
		{"password login", "LoginOurs", "gokrb5", "LoginGokrb5", cpu, 0},
		{"password login, wall clock with the KDC's time", "LoginOurs", "MIT",
			"LoginMIT", "ns/op", 1.5},
		{"aes256 string-to-key", "StringToKeyGo", "MIT", "StringToKeyMIT",
			cpu, 0},
		{"service ticket (TGS exchange)", "TGSOurs", "MIT", "TGSMIT", cpu, 1},
		{"service ticket (TGS exchange)", "TGSOurs", "gokrb5", "TGSGokrb5",
			cpu, 0},
		{"service ticket, TGT in a FILE ccache", "TGSOursFileCCache", "MIT",
			"TGSMIT", cpu, 0},
	},
	"http": {
		{"HTTP Negotiate requests", "HTTPOurs", "gokrb5", "HTTPGokrb5",
			"req/s", 0},
	},
}

var memTables = map[string][]memRow{
	"memory": {
		{"live accepted context", []memCell{
			{"safekrb5", "MemContextOurs", "B/context"},
			{"gokrb5 (credentials and replay entry together)",
				"MemContextGokrb5", "B/context+replay-entry"},
			{"MIT", "MemContextMIT", "B/context"}}},
		{"replay cache entry", []memCell{
			{"safekrb5", "MemContextOurs", "B/replay-entry"}}},
		{"cached service ticket", []memCell{
			{"safekrb5", "MemTicketOurs", "B/ticket"},
			{"gokrb5", "MemTicketGokrb5", "B/ticket"},
			{"MIT (MEMORY ccache)", "MemTicketMIT", "B/ticket"}}},
	},
}

// chartRow is one bar of the chart: a speed ratio with its range over
// rounds and its target.
type chartRow struct {
	label          string
	median, lo, hi float64
	target         float64
}

// report fills the template; it collects the bars of the chart as the
// speed tables are drawn.
type report struct {
	res   *results
	chart []chartRow
}

func writeReport(res *results, tmplPath, outPath, svgPath string) error {
	src, err := os.ReadFile(tmplPath)
	if err != nil {
		return err
	}
	rep := &report{res: res}
	t, err := template.New("report").Option("missingkey=error").Funcs(
		template.FuncMap{
			"command":    rep.command,
			"costTable":  rep.costTable,
			"speedTable": rep.speedTable,
			"memTable":   rep.memTable,
			"median":     rep.median,
			"ratio":      rep.ratio,
			"spread":     rep.spread,
			"rounds":     rep.rounds,
			"cpu":        func() string { return res.cpu },
		}).Parse(string(src))
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, nil); err != nil {
		return err
	}
	if outPath == "" {
		_, err = os.Stdout.Write(buf.Bytes())
	} else {
		err = os.WriteFile(outPath, buf.Bytes(), 0o644)
	}
	if err != nil || svgPath == "" {
		return err
	}
	return os.WriteFile(svgPath, drawChart(rep.chart), 0o644)
}

func (rep *report) command(group string) (string, error) {
	c, ok := rep.res.commands[group]
	if !ok {
		return "", fmt.Errorf("no command recorded for group %q", group)
	}
	return c, nil
}

// rounds returns the number of rounds name ran.
func (rep *report) rounds(name string) (int, error) {
	v, err := rep.res.rounds(name, "ns/op")
	return len(v), err
}

// median formats the median of name in unit.
func (rep *report) median(name, unit string) (string, error) {
	v, err := rep.res.medianOf(name, unit)
	if err != nil {
		return "", err
	}
	return formatValue(v, unit), nil
}

// ratio formats name's figures in unit over base's, taken round by
// round: the median quotient and the range of them.
func (rep *report) ratio(name, base, unit string) (string, error) {
	q, err := rep.res.ratios(name, base, unit, false)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%.2fx (%.2f-%.2f)", q.median, q.lo, q.hi), nil
}

// spread formats the lowest and the highest of name's figures in unit,
// naming the unit once when both are in the same scale.
func (rep *report) spread(name, unit string) (string, error) {
	v, err := rep.res.rounds(name, unit)
	if err != nil {
		return "", err
	}
	lo, hi := formatValue(slices.Min(v), unit), formatValue(slices.Max(v), unit)
	loNum, loUnit, _ := strings.Cut(lo, " ")
	if _, hiUnit, _ := strings.Cut(hi, " "); loUnit == hiUnit {
		lo = loNum
	}
	return lo + " to " + hi, nil
}

func (rep *report) costTable(name string) (string, error) {
	rows, ok := costTables[name]
	if !ok {
		return "", fmt.Errorf("no cost table %q", name)
	}
	var b strings.Builder
	b.WriteString("| measure | compared with | ratio (range over rounds) | target |\n")
	b.WriteString("|---|---|---|---|\n")
	for _, r := range rows {
		q, err := rep.res.ratios(r.name, r.base, "ns/op", false)
		if err != nil {
			return "", err
		}
		mn, _ := rep.res.medianOf(r.name, "ns/op")
		mb, _ := rep.res.medianOf(r.base, "ns/op")
		fmt.Fprintf(&b, "| %s (%s) | %s (%s) | %.2fx (%.2f-%.2f) | %s |\n",
			r.measure, formatValue(mn, "ns/op"), r.compared,
			formatValue(mb, "ns/op"), q.median, q.lo, q.hi, r.target)
	}
	return b.String(), nil
}

func isRate(unit string) bool { return strings.HasSuffix(unit, "/s") }

func (rep *report) speedTable(name string) (string, error) {
	rows, ok := speedTables[name]
	if !ok {
		return "", fmt.Errorf("no speed table %q", name)
	}
	var b strings.Builder
	b.WriteString("| operation | safekrb5 | peer | peer's figure | " +
		"speed ratio (range over rounds) | target | |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		q, err := rep.res.ratios(r.ours, r.base, r.unit, !isRate(r.unit))
		if err != nil {
			return "", err
		}
		mo, _ := rep.res.medianOf(r.ours, r.unit)
		mb, _ := rep.res.medianOf(r.base, r.unit)
		target, verdict := "", ""
		if r.target > 0 {
			target = fmt.Sprintf(">= %.2fx", r.target)
			verdict = "met"
			if q.median < r.target {
				verdict = "**not met**"
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | **%.2fx** (%.2f-%.2f) | %s | %s |\n",
			r.what, formatValue(mo, r.unit), r.peer, formatValue(mb, r.unit),
			q.median, q.lo, q.hi, target, verdict)
		label := r.what + " vs " + r.peer
		rep.chart = append(rep.chart, chartRow{label: label, median: q.median,
			lo: q.lo, hi: q.hi, target: r.target})
	}
	return b.String(), nil
}

func (rep *report) memTable(name string) (string, error) {
	rows, ok := memTables[name]
	if !ok {
		return "", fmt.Errorf("no memory table %q", name)
	}
	var b strings.Builder
	b.WriteString("| object | side | bytes (median over rounds) |\n")
	b.WriteString("|---|---|---|\n")
	for _, r := range rows {
		for _, c := range r.cells {
			v, err := rep.res.medianOf(c.name, c.unit)
			if err != nil {
				return "", err
			}
			fmt.Fprintf(&b, "| %s | %s | %.0f |\n", r.what, c.label, v)
		}
	}
	return b.String(), nil
}

// formatValue prints a figure with its unit in a readable scale.
func formatValue(v float64, unit string) string {
	switch {
	case unit == "req/s":
		return fmt.Sprintf("%.0f req/s", v)
	case strings.HasSuffix(unit, "ns/op"):
		kind := ""
		if unit == cpu {
			kind = " CPU"
		}
		switch {
		case v >= 1e6:
			return fmt.Sprintf("%.2f ms%s", v/1e6, kind)
		case v >= 1e3:
			return fmt.Sprintf("%.1f µs%s", v/1e3, kind)
		default:
			return fmt.Sprintf("%.2f ns%s", v, kind)
		}
	}
	if math.Abs(v) >= 100 {
		return fmt.Sprintf("%.0f %s", v, unit)
	}
	return fmt.Sprintf("%.3g %s", v, unit)
}
