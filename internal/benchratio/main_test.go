package main

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const twoRounds = `# command g: go test -bench X
cpu: Test CPU
BenchmarkAOurs-2   100   2000 ns/op   1000 cpu-ns/op
BenchmarkAPeer-2   100   3000 ns/op   3000 cpu-ns/op
BenchmarkAOurs-2   100   2000 ns/op   2000 cpu-ns/op
BenchmarkAPeer-2   100   3000 ns/op   3000 cpu-ns/op
BenchmarkH-2       100   10 ns/op     50 req/s
`

func TestRatiosRoundByRound(t *testing.T) {
	r := newResults()
	require.NoError(t, r.read(strings.NewReader(twoRounds)))
	assert.Equal(t, "go test -bench X", r.commands["g"])
	assert.Equal(t, "Test CPU", r.cpu)

	q, err := r.ratios("AOurs", "APeer", "cpu-ns/op", true)
	require.NoError(t, err)
	assert.InDelta(t, 2.25, q.median, 1e-9) // (3 + 1.5) / 2
	assert.InDelta(t, 1.5, q.lo, 1e-9)
	assert.InDelta(t, 3, q.hi, 1e-9)
	assert.Equal(t, 2, q.rounds)

	_, err = r.ratios("AOurs", "Nothing", "ns/op", false)
	assert.ErrorIs(t, err, errMissing)
	_, err = r.ratios("AOurs", "H", "ns/op", false)
	assert.ErrorContains(t, err, "rounds")
}

func TestReportAndChart(t *testing.T) {
	r := newResults()
	require.NoError(t, r.read(strings.NewReader(twoRounds)))
	speedTables["test"] = []speedRow{{"op", "AOurs", "peer", "APeer", cpu, 2.5}}
	defer delete(speedTables, "test")

	dir := t.TempDir()
	tmpl := filepath.Join(dir, "t.tmpl")
	require.NoError(t, os.WriteFile(tmpl, []byte(
		"`{{command \"g\"}}` on {{cpu}}\n{{speedTable \"test\"}}"), 0o600))
	out, svg := filepath.Join(dir, "out.md"), filepath.Join(dir, "out.svg")
	require.NoError(t, writeReport(r, tmpl, out, svg))

	md, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Contains(t, string(md), "`go test -bench X` on Test CPU")
	assert.Contains(t, string(md), "**2.25x** (1.50-3.00) | >= 2.50x | **not met**")

	chart, err := os.ReadFile(svg)
	require.NoError(t, err)
	d := xml.NewDecoder(strings.NewReader(string(chart)))
	for {
		_, err := d.Token()
		if err != nil {
			assert.ErrorContains(t, err, "EOF")
			break
		}
	}
	assert.Contains(t, string(chart), "op vs peer")

	require.NoError(t, os.WriteFile(tmpl, []byte(`{{command "none"}}`), 0o600))
	assert.Error(t, writeReport(r, tmpl, out, ""))
}

func TestRatioAndSpread(t *testing.T) {
	r := newResults()
	require.NoError(t, r.read(strings.NewReader(twoRounds)))
	dir := t.TempDir()
	tmpl := filepath.Join(dir, "t.tmpl")
	out := filepath.Join(dir, "out.md")
	require.NoError(t, os.WriteFile(tmpl, []byte(
		`{{ratio "AOurs" "APeer" "cpu-ns/op"}}; {{ratio "APeer" "AOurs" "cpu-ns/op"}}; `+
			`{{spread "AOurs" "cpu-ns/op"}}`), 0o600))
	require.NoError(t, writeReport(r, tmpl, out, ""))
	md, err := os.ReadFile(out)
	require.NoError(t, err)
	// Quotients 1/3 and 2/3 one way, 3 and 1.5 the other.
	assert.Equal(t, "0.50x (0.33-0.67); 2.25x (1.50-3.00); 1.0 to 2.0 µs CPU", string(md))

	require.NoError(t, os.WriteFile(tmpl, []byte(`{{ratio "AOurs" "H" "ns/op"}}`), 0o600))
	assert.ErrorContains(t, writeReport(r, tmpl, out, ""), "rounds")
	// A unit named once only when both ends are in the same scale.
	require.NoError(t, os.WriteFile(tmpl, []byte(`{{spread "APeer" "ns/op"}}; `+
		`{{spread "AOurs" "cpu-ns/op"}} {{spread "H" "req/s"}}`), 0o600))
	require.NoError(t, writeReport(r, tmpl, out, ""))
	md, err = os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, "3.0 to 3.0 µs; 1.0 to 2.0 µs CPU 50 to 50 req/s", string(md))
	require.NoError(t, r.read(strings.NewReader(
		"BenchmarkS-2 1 900 ns/op\nBenchmarkS-2 1 1200 ns/op\n")))
	require.NoError(t, os.WriteFile(tmpl, []byte(`{{spread "S" "ns/op"}}`), 0o600))
	require.NoError(t, writeReport(r, tmpl, out, ""))
	md, err = os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, "900.00 ns to 1.2 µs", string(md))

	require.NoError(t, os.WriteFile(tmpl, []byte(`{{spread "AOurs" "B/op"}}`), 0o600))
	assert.ErrorIs(t, writeReport(r, tmpl, out, ""), errMissing)
}
