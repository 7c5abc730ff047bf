package support

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/safekrb5/safekrb5/internal/fileread"
	"github.com/safekrb5/safekrb5/internal/modules"
)

// discard is the logger used when tracing is off.
var discard = slog.New(slog.DiscardHandler)

// openTrace opens the file KRB5_TRACE names for appending. Like MIT, it
// accepts a plain path or a FILE: prefix.
func openTrace(path string) (*os.File, error) {
	if len(path) > 5 && path[:5] == "FILE:" {
		path = path[5:]
	}
	f, err := fileread.OpenWrite(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("support: KRB5_TRACE: %w", err)
	}
	return f, nil
}

// Tracer returns the logger for trace events: l if it is not nil,
// otherwise the KRB5_TRACE logger of the support module's current
// generation, otherwise a logger that discards everything.
func Tracer(l *slog.Logger) *slog.Logger {
	if l != nil {
		return l
	}
	g, err := modules.Support.Enter()
	if err != nil {
		return discard
	}
	defer modules.Support.Leave(g)
	return g.Value.(*state).trace
}

// Trace logs a trace event at debug level on l, which may be nil. Callers
// pass only values that are safe to log: names, enctypes, sizes, codes.
func Trace(ctx context.Context, l *slog.Logger, msg string, attrs ...slog.Attr) {
	if l == nil || !l.Enabled(ctx, slog.LevelDebug) {
		return
	}
	l.LogAttrs(ctx, slog.LevelDebug, msg, attrs...)
}
