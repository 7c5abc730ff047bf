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
