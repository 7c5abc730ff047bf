package testsamba

import (
	"context"
	"os/exec"
	"strings"
)

type result struct {
	out string
	err error
}

// run runs an MIT client program against d with stdin.
func run(ctx context.Context, d *DC, stdin, name string,
	args ...string) result {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = d.Env()
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return result{string(out), err}
}
