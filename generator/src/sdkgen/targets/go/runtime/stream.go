package promptrails

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/promptrails/go-sdk/internal/sse"
)

// Event is one event of a stream: one of the *XxxEvent types of this package,
// or *UnknownEvent for an event name the SDK does not know. Switch on its type:
//
//	switch e := stream.Event().(type) {
//	case *ContentEvent:
//		fmt.Print(e.Content)
//	}
type Event interface {
	// EventType is the event's wire name, such as "content".
	EventType() string
	isEvent()
}

// UnknownEvent is an event whose name the SDK does not know (a newer server).
type UnknownEvent struct {
	// Name is the event's wire name.
	Name string
	// Data is the event's raw data.
	Data string
	// EventID is the frame's id ("" if it has none).
	EventID string
}

// EventType returns the event's wire name.
func (e *UnknownEvent) EventType() string { return e.Name }
func (*UnknownEvent) isEvent()            {}

// streamSpec is what the generated code tells the runtime about one event union.
type streamSpec struct {
	// decode turns a frame into its typed event (*UnknownEvent for an unknown name).
	decode func(name, data, id string) (Event, error)
	// terminal lists the events that end the stream.
	terminal map[string]bool
	// resumeFrom returns the request that resumes the run the first event
	// belongs to (its Last-Event-ID header set by the stream), or nil.
	resumeFrom func(first Event) *request
}

// decodeEventData decodes an event's JSON data into v, after checking it is an
// object holding every required field.
func decodeEventData(data string, v any, required ...string) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(data), &fields); err != nil {
		return err
	}
	for _, name := range required {
		if _, ok := fields[name]; !ok {
			return fmt.Errorf("missing required field %q", name)
		}
	}
	return json.Unmarshal([]byte(data), v)
}

// Stream is a stream of events. Call Next until it returns false, read each
// event with Event, then check Err; Close releases the connection (safe to call
// at any time, and more than once):
//
//	defer stream.Close()
//	for stream.Next() {
//		event := stream.Event()
//		...
//	}
//	if err := stream.Err(); err != nil { ... }
//
// The stream ends after the first terminal event; an error event is delivered
// as an event and ends the stream normally. If the connection drops, stays
// idle longer than the timeout, or ends without a terminal event, the stream
// resumes where it stopped (Last-Event-ID), so every frame is delivered exactly
// once; a request is never re-sent once an event reached the caller.
type Stream struct {
	ctx  context.Context
	core *core
	spec *streamSpec

	opening    *prepared // re-sent (same Idempotency-Key) while no event reached the caller
	resume     *request  // resumes the run once known
	lastHeader string    // the Last-Event-ID header of resume

	conn      *streamConn
	parser    *sse.Parser
	buf       []byte
	queue     []sse.Event
	parseErr  error
	connErr   error // why the connection ended; io.EOF when it closed cleanly
	delivered map[string]struct{}
	lastID    string
	started   bool
	failures  int
	maxTries  int

	cur      Event
	err      error
	finished bool
	closed   atomic.Bool
	mu       sync.Mutex
}

type streamConn struct {
	att   *attempt
	idle  timer
	fired atomic.Bool
}

// newStream opens a stream; on failure it returns the error and a Stream
// whose Next returns false and whose Err returns the same error.
func newStream(ctx context.Context, c *core, spec *streamSpec, r *request, lastEventIDHeader string) (*Stream, error) {
	s := &Stream{ctx: ctx, core: c, spec: spec, parser: sse.New(0), buf: make([]byte, 32*1024), delivered: map[string]struct{}{}}
	p, err := c.prepare(r)
	if err != nil {
		s.err = err
		return s, err
	}
	s.opening = p
	s.maxTries = p.maxRetries
	if lastEventIDHeader != "" {
		// The call can resume itself: the same request with a later Last-Event-ID.
		s.resume, s.lastHeader = r, lastEventIDHeader
		s.lastID = p.header.Get(lastEventIDHeader)
	}
	a, err := c.doPrepared(ctx, p, true)
	if err != nil {
		s.err = err
		return s, err
	}
	s.attach(a)
	return s, nil
}

func (s *Stream) attach(a *attempt) {
	conn := &streamConn{att: a}
	if t := s.opening.timeout; t > 0 {
		conn.idle = s.core.cfg.afterFunc(t, func() {
			conn.fired.Store(true)
			a.cancel()
		})
	}
	s.mu.Lock()
	s.conn = conn
	s.mu.Unlock()
	if s.closed.Load() {
		s.closeConn()
	}
	s.parser.Reset()
	s.queue, s.parseErr, s.connErr = nil, nil, nil
}

func (s *Stream) closeConn() {
	s.mu.Lock()
	conn := s.conn
	s.conn = nil
	s.mu.Unlock()
	if conn == nil {
		return
	}
	if conn.idle != nil {
		conn.idle.Stop()
	}
	conn.att.resp.Body.Close()
	conn.att.cancel()
}

// Next advances to the next event; it returns false at the end of the stream
// or on an error (see Err).
func (s *Stream) Next() bool {
	if s.err != nil || s.finished || s.closed.Load() {
		return false
	}
	for {
		for len(s.queue) > 0 {
			frame := s.queue[0]
			s.queue = s.queue[1:]
			if frame.ID != "" {
				if _, dup := s.delivered[frame.ID]; dup {
					continue
				}
			}
			ev, err := s.spec.decode(frame.Type, frame.Data, frame.ID)
			if err != nil {
				return s.fail(&StreamError{Message: fmt.Sprintf("malformed %q event: %v", frame.Type, err), Data: frame.Data})
			}
			if frame.ID != "" {
				s.delivered[frame.ID] = struct{}{}
				s.lastID = frame.ID
			}
			if !s.started {
				s.started = true
				if s.resume == nil && s.spec.resumeFrom != nil {
					if r := s.spec.resumeFrom(ev); r != nil {
						s.resume, s.lastHeader = r, r.lastEventIDHeader
					}
				}
			}
			s.failures = 0
			if s.spec.terminal[frame.Type] {
				s.finished = true
				s.closeConn()
			}
			s.cur = ev
			return true
		}
		if s.parseErr != nil {
			return s.fail(&StreamError{Message: s.parseErr.Error()})
		}
		if s.connErr != nil {
			if s.closed.Load() {
				return false
			}
			if err := s.reconnect(); err != nil {
				return s.fail(err)
			}
			continue
		}
		s.read()
	}
}

func (s *Stream) read() {
	s.mu.Lock()
	conn := s.conn
	s.mu.Unlock()
	if conn == nil {
		s.connErr = io.ErrClosedPipe
		return
	}
	n, err := conn.att.resp.Body.Read(s.buf)
	if n > 0 {
		if conn.idle != nil {
			conn.idle.Reset(s.opening.timeout)
		}
		frames, perr := s.parser.Feed(s.buf[:n])
		s.queue = append(s.queue, frames...)
		if perr != nil {
			s.parseErr = perr
			return
		}
	}
	if err != nil {
		s.parser.End() // an incomplete event at the end is dropped
		if err == io.EOF {
			s.connErr = io.EOF
		} else {
			s.connErr = s.core.transportError(s.ctx, err, conn.fired.Load())
			if conn.fired.Load() {
				s.connErr = &APITimeoutError{&APIConnectionError{Message: "stream idle timeout", Err: err}}
			}
		}
		s.closeConn()
	}
}

// reconnect resumes the stream after its connection ended without a terminal
// event, following the retry policy; it returns the error to report when it
// cannot.
func (s *Stream) reconnect() error {
	cause := s.connErr
	for {
		if err := s.ctx.Err(); err != nil {
			return s.core.transportError(s.ctx, err, false)
		}
		var p *prepared
		switch {
		case !s.started && s.opening != nil:
			p = s.opening
		case s.resume != nil:
			r := *s.resume
			r.headers = append([][2]string(nil), r.headers...)
			if s.lastID != "" {
				r.headers = append(r.headers, [2]string{s.lastHeader, s.lastID})
			}
			var err error
			if p, err = s.core.prepare(&r); err != nil {
				return err
			}
		}
		if p == nil || s.failures >= s.maxTries {
			return giveUp(cause)
		}
		if err := s.core.cfg.sleep(s.ctx, s.core.retryDelay(s.failures, statusResponse(cause))); err != nil {
			return s.core.transportError(s.ctx, err, false)
		}
		s.failures++
		once := *p
		once.maxRetries = 0
		a, err := s.core.doPrepared(s.ctx, &once, true)
		if err != nil {
			if !retryable(statusResponse(err), err) {
				return err
			}
			cause = err
			continue
		}
		s.attach(a)
		return nil
	}
}

func giveUp(cause error) error {
	if cause == io.EOF || cause == nil {
		return &StreamError{Message: "the stream ended without a terminal event"}
	}
	return cause
}

func statusResponse(err error) *http.Response {
	var se *APIStatusError
	if errors.As(err, &se) {
		return se.Response
	}
	return nil
}

func (s *Stream) fail(err error) bool {
	s.err = err
	s.cur = nil
	s.closeConn()
	return false
}

// Event returns the event Next advanced to.
func (s *Stream) Event() Event { return s.cur }

// Err returns the error that ended the stream, nil if it ended normally (a
// terminal event, or Close).
func (s *Stream) Err() error { return s.err }

// Close releases the connection. It is safe to call more than once, and from
// another goroutine to interrupt a Next.
func (s *Stream) Close() error {
	if s == nil {
		return nil
	}
	s.closed.Store(true)
	s.closeConn()
	return nil
}
