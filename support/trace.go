package support

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"

	"github.com/safekrb5/safekrb5/internal/fileread"
)

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

// traceSink is the KRB5_TRACE file of one generation of the support
// module and the handler that writes to it.
type traceSink struct {
	h slog.Handler

	// mu guards file and closed: records are written under the read
	// lock, and close takes the write lock, so no record reaches a
	// closed file and close waits for the records being written.
	mu     sync.RWMutex
	file   *os.File
	closed bool
}

func newTraceSink(f *os.File) *traceSink {
	return &traceSink{file: f,
		h: slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug})}
}

// close closes the file once the records being written are done.
func (s *traceSink) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.file.Close()
}

// handle writes r with the attributes and groups of the logger it came
// from applied, unless the sink was closed meanwhile.
func (s *traceSink) handle(ctx context.Context, r slog.Record, ops []traceOp) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil
	}
	h := s.h
	for _, op := range ops {
		if op.group != "" {
			h = h.WithGroup(op.group)
		} else {
			h = h.WithAttrs(op.attrs)
		}
	}
	return h.Handle(ctx, r)
}

// currentSink is the sink of the support module's loaded generation,
// nil when it is not loaded or KRB5_TRACE names no file that opened.
var currentSink atomic.Pointer[traceSink]

// traceOp is a WithGroup (group set) or WithAttrs on a traced logger.
type traceOp struct {
	group string
	attrs []slog.Attr
}

// followHandler sends each record to the sink of the generation loaded
// when the record is logged, so that a logger taken from Tracer keeps
// tracing across a teardown and reload of the support module and never
// writes through a generation that was torn down.
type followHandler struct{ ops []traceOp }

func (h followHandler) Enabled(context.Context, slog.Level) bool {
	return currentSink.Load() != nil
}

func (h followHandler) Handle(ctx context.Context, r slog.Record) error {
	if s := currentSink.Load(); s != nil {
		return s.handle(ctx, r, h.ops)
	}
	return nil
}

func (h followHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	return followHandler{ops: append(h.ops[:len(h.ops):len(h.ops)],
		traceOp{attrs: attrs})}
}

func (h followHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return followHandler{ops: append(h.ops[:len(h.ops):len(h.ops)],
		traceOp{group: name})}
}

// followLogger is what Tracer(nil) returns.
var followLogger = slog.New(followHandler{})

// Tracer returns the logger for trace events: l if it is not nil,
// otherwise the KRB5_TRACE logger. That logger may be kept: each record
// goes to the trace file of the support module's generation loaded at
// the time it is logged, and nowhere while the module is not loaded or
// KRB5_TRACE names no file. Tracer neither loads the module nor holds it.
func Tracer(l *slog.Logger) *slog.Logger {
	if l != nil {
		return l
	}
	return followLogger
}

// Trace logs a trace event at debug level on l, which may be nil. Callers
// pass only values that are safe to log: names, enctypes, sizes, codes.
func Trace(ctx context.Context, l *slog.Logger, msg string, attrs ...slog.Attr) {
	if l == nil || !l.Enabled(ctx, slog.LevelDebug) {
		return
	}
	l.LogAttrs(ctx, slog.LevelDebug, msg, attrs...)
}
