package promptrails

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

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
	// EventID is the frame's own id ("" if it had no id line).
	EventID string
}

// EventType returns the event's wire name.
func (e *UnknownEvent) EventType() string { return e.Name }
func (*UnknownEvent) isEvent()            {}

// streamSpec is what the generated code tells the runtime about one event union.
type streamSpec struct {
	// decode turns a frame into its typed event (*UnknownEvent for an unknown
	// name), read tolerantly; it fails only when the data is not a JSON object.
	decode func(name, data, id string) (Event, error)
	// shapes names the shape of each known event's data in the contract.
	shapes map[string]string
	// terminal lists the events that end the stream.
	terminal map[string]bool
	// resumeFrom returns the request that resumes the run an event belongs to
	// (its Last-Event-ID header set by the stream), or nil when the event does
	// not carry the resume parameters. The stream asks each event until one does.
	resumeFrom func(ev Event) *request
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
//
// Connections. A stream read to its terminal event gives its connection back
// to the HTTP client's pool for the next request: the rest of the response
// (normally just its end) is read in the background, for at most a second and
// 64 KiB, then the body is closed. Close before the end closes the connection
// (the server is still sending on it). A context cancelled while Next waits
// ends the stream with ctx.Err() and closes the connection.
//
// A Stream dropped without Close and not read to its end holds its connection
// (net/http keeps a connection busy until its response body is closed or its
// request's context is done) until the first of: the garbage collector finding
// the Stream unreachable, which cancels the request (a cleanup registered with
// runtime.AddCleanup: it only cancels the request's context, runs no code of
// the caller's, takes no lock the HTTP client uses, and refers to the
// connection, not the Stream), or the stream's idle timeout (WithTimeout)
// passing without a read. Call Close (defer stream.Close()) to release it at
// once.
type Stream struct {
	ctx  context.Context
	core *core
	spec *streamSpec

	opening    *prepared // re-sent (same Idempotency-Key) while no event reached the caller
	resume     *request  // resumes the run once known
	lastHeader string    // the Last-Event-ID header of resume

	slot      *connSlot      // the connection in use (what the cleanup reaches)
	resp      *http.Response // the response of the connection in use, or the last one
	parser    *sse.Parser
	buf       []byte
	queue     []sse.Event // the parser's slice: read before the next Feed
	parseErr  error
	connErr   error // why the connection ended; io.EOF when it closed cleanly
	delivered idSet
	lastID    string
	started   bool
	failures  int
	maxTries  int

	cur      Event
	err      error
	finished bool
	closed   atomic.Bool
}

type streamConn struct {
	att   *attempt
	idle  timer
	fired atomic.Bool
}

// connSlot holds a stream's current connection. It is shared with the cleanup
// of an abandoned Stream, which must not refer to the Stream itself.
type connSlot struct {
	mu   sync.Mutex
	conn *streamConn
}

// take empties the slot and returns what it held.
func (c *connSlot) take() *streamConn {
	c.mu.Lock()
	defer c.mu.Unlock()
	conn := c.conn
	c.conn = nil
	return conn
}

func (c *connSlot) peek() *streamConn {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conn
}

// abandon is the cleanup of a Stream the garbage collector found unreachable
// with a connection still open: it stops the idle timer and cancels the
// request's context, which makes the HTTP transport release the connection.
// It does not close the body (with a caller's RoundTripper that would run the
// caller's code on the runtime's cleanup goroutine).
func (c *connSlot) abandon() {
	if conn := c.take(); conn != nil {
		if conn.idle != nil {
			conn.idle.Stop()
		}
		conn.att.cancel()
	}
}

// How much of a response the stream reads after its terminal event, so the
// connection can be reused.
const (
	drainLimit   = 64 << 10
	drainTimeout = time.Second
)

// newStream opens a stream; on failure it returns the error and a Stream
// whose Next returns false and whose Err returns the same error.
func newStream(ctx context.Context, c *core, spec *streamSpec, r *request, lastEventIDHeader string) (*Stream, error) {
	s := &Stream{ctx: ctx, core: c, spec: spec, parser: sse.New(0), buf: make([]byte, 32*1024), slot: &connSlot{}}
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
	runtime.AddCleanup(s, (*connSlot).abandon, s.slot)
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
	s.slot.mu.Lock()
	s.slot.conn = conn
	s.slot.mu.Unlock()
	s.resp = a.resp
	if s.closed.Load() {
		s.closeConn()
	}
	s.parser.Reset()
	s.queue, s.parseErr, s.connErr = nil, nil, nil
}

// closeConn closes the connection at once.
func (s *Stream) closeConn() {
	conn := s.slot.take()
	if conn == nil {
		return
	}
	if conn.idle != nil {
		conn.idle.Stop()
	}
	conn.att.resp.Body.Close()
	conn.att.cancel()
}

// finishConn releases the connection after the terminal event: it reads the
// rest of the response in the background (bounded in bytes and time), so that
// a server ending the response right after the event gets its connection back
// into the pool, then closes the body.
func (s *Stream) finishConn() {
	conn := s.slot.take()
	if conn == nil {
		return
	}
	if conn.idle != nil {
		conn.idle.Stop()
	}
	d := drainTimeout
	if t := s.opening.timeout; t > 0 && t < d {
		d = t
	}
	stop := s.core.cfg.afterFunc(d, conn.att.cancel)
	go func() {
		io.CopyN(io.Discard, conn.att.resp.Body, drainLimit)
		stop.Stop()
		conn.att.resp.Body.Close()
		conn.att.cancel()
	}()
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
			// frame.ID is the frame's own id ("" without an id line): only a
			// frame with one can be recognised as a replay of a delivered frame,
			// and only its id moves the Last-Event-ID of a resume.
			if frame.ID != "" && s.delivered.has(frame.ID) {
				continue
			}
			ev, err := s.spec.decode(frame.Type, frame.Data, frame.ID)
			if err != nil {
				return s.fail(&StreamError{Message: fmt.Sprintf("malformed %q event: %v", frame.Type, err), Data: frame.Data})
			}
			if s.core.cfg.strict {
				if shape := s.spec.shapes[frame.Type]; shape != "" {
					if m := s.core.settings.shapes.check("", shape, frame.Data); m != nil {
						return s.fail(s.invalidEvent(frame, m))
					}
				}
			}
			if frame.ID != "" {
				s.delivered.add(frame.ID)
				s.lastID = frame.ID
			}
			s.started = true
			if s.resume == nil && s.spec.resumeFrom != nil {
				// The resume parameters come from the first event that carries
				// them, not necessarily the first event (an unknown one may come
				// before).
				if r := s.spec.resumeFrom(ev); r != nil {
					s.resume, s.lastHeader = r, r.lastEventIDHeader
				}
			}
			s.failures = 0
			if s.spec.terminal[frame.Type] {
				s.finished = true
				s.finishConn()
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

// invalidEvent is the strict mode's error for event data that departs from
// the contract.
func (s *Stream) invalidEvent(frame sse.Event, m *mismatch) error {
	cause := &APIResponseValidationError{StatusCode: s.resp.StatusCode, Path: m.path, Reason: m.reason, Response: s.resp, Body: []byte(frame.Data)}
	where := ""
	if m.path != "" {
		where = " at " + m.path
	}
	return &StreamError{
		Message: fmt.Sprintf("the %q event does not match the API contract%s: %s", frame.Type, where, m.reason),
		Data:    frame.Data,
		Err:     cause,
	}
}

func (s *Stream) read() {
	conn := s.slot.peek()
	if conn == nil {
		s.connErr = io.ErrClosedPipe
		return
	}
	n, err := conn.att.resp.Body.Read(s.buf)
	if n > 0 {
		if conn.idle != nil {
			conn.idle.Reset(s.opening.timeout)
		}
		// The queue is empty (Next reads only then): it can be the parser's
		// own slice, valid until the next Feed.
		frames, perr := s.parser.Feed(s.buf[:n])
		s.queue = frames
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
		// After io.EOF, closing gives the connection back to the pool.
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

// idSet is the set of the ids of the frames delivered, which a resumed
// connection may replay. Servers commonly number frames 1, 2, 3...: numeric
// ids are kept as runs of consecutive numbers (a sorted list of bounds), any
// other id in a map, so a stream of such ids costs no memory per frame (one
// run per gap in the numbering). Membership is exactly that of a set of the
// id strings: only canonical decimals (no sign, no leading zero) enter the
// runs, and two of them are equal strings exactly when they are equal numbers.
type idSet struct {
	runs   []idRun // sorted, disjoint, never adjacent
	others map[string]struct{}
}

type idRun struct{ lo, hi uint64 }

// runNumber returns the id as a number when it can be in a run.
func runNumber(id string) (uint64, bool) {
	if id == "" || len(id) > 19 || (id[0] == '0' && len(id) > 1) {
		return 0, false // with 19 digits at most, n+1 cannot overflow
	}
	var n uint64
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

func (d *idSet) has(id string) bool {
	if n, ok := runNumber(id); ok {
		i := sort.Search(len(d.runs), func(i int) bool { return d.runs[i].hi >= n })
		return i < len(d.runs) && d.runs[i].lo <= n
	}
	_, ok := d.others[id]
	return ok
}

// add adds an id that is not in the set.
func (d *idSet) add(id string) {
	n, ok := runNumber(id)
	if !ok {
		if d.others == nil {
			d.others = map[string]struct{}{}
		}
		d.others[id] = struct{}{}
		return
	}
	if k := len(d.runs); k > 0 && d.runs[k-1].hi+1 == n {
		d.runs[k-1].hi = n // the common case: the next number
		return
	}
	i := sort.Search(len(d.runs), func(i int) bool { return d.runs[i].lo > n })
	joinsPrev := i > 0 && d.runs[i-1].hi+1 == n
	joinsNext := i < len(d.runs) && n+1 == d.runs[i].lo
	switch {
	case joinsPrev && joinsNext:
		d.runs[i-1].hi = d.runs[i].hi
		d.runs = append(d.runs[:i], d.runs[i+1:]...)
	case joinsPrev:
		d.runs[i-1].hi = n
	case joinsNext:
		d.runs[i].lo = n
	default:
		d.runs = append(d.runs, idRun{})
		copy(d.runs[i+1:], d.runs[i:])
		d.runs[i] = idRun{n, n}
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
