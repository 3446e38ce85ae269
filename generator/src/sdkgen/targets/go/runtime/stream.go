import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"maps"
	"net/http"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Event is one event of a stream: one of the event types of this package (a
// pointer), or *UnknownEvent for an event the SDK does not know. Switch on
// its type:
//
//	for event, err := range stream.All() {
//		if err != nil { ... }
//		switch e := event.(type) {
//		case *SomeEvent:
//			...
//		}
//	}
type Event interface {
	// EventType is the event's name, such as "content".
	EventType() string
	isEvent()
}

// UnknownEvent is an event the SDK does not know (from a newer server).
type UnknownEvent struct {
	// Name is the event's name.
	Name string
	// Data is the event's raw data.
	Data string
	// EventID is the frame's own id ("" if it had no id line).
	EventID string
}

// EventType returns the event's name.
func (e *UnknownEvent) EventType() string { return e.Name }
func (*UnknownEvent) isEvent()            {}

// How a stream's events are recognised (the IR's EventStream.dispatch).
const (
	dispatchEvent    = "event"    // by the SSE event field
	dispatchProperty = "property" // by a property of the JSON data
	dispatchSingle   = "single"   // every frame is the one event
)

// valuePath is where a stream's events carry a value: at path (keys and list
// indexes) in the data of the events named event; text says the data is
// plain text (path is then empty: the data itself).
type valuePath struct {
	event    string
	path     []any
	text     bool
	textKeys []string // the keys holding the value's text when it is an object
}

// streamSpec is what the generated code tells the runtime about one stream.
type streamSpec struct {
	dispatch string
	// property names the event (dispatchProperty); single is the one event's
	// name (dispatchSingle).
	property, single string
	// sentinel is the data that ends the stream cleanly ("[DONE]"), when
	// hasSentinel.
	sentinel    string
	hasSentinel bool
	// eofEnds: the connection closing ends the stream cleanly.
	eofEnds bool
	// decode turns a frame into its typed event, by the event's name
	// (*UnknownEvent for an unknown one), read tolerantly; it fails only when
	// a JSON event's data is not a JSON object.
	decode func(name, data, id string) (Event, error)
	// shapes names the contract's shape of each event's data, by event name
	// (events whose data is an object).
	shapes map[string]string
	// terminal lists the events after which the stream ends; failure the
	// terminal events of a failed run.
	terminal, failure map[string]bool
	// text, output and usage say where the events carry the run's text
	// pieces, output and usage (nil: nowhere).
	text, output, usage *valuePath
	// resumeFrom returns the request that resumes the run an event belongs to
	// (its Last-Event-ID header set by the stream), or nil when the event does
	// not carry the resume parameters. The stream asks each event until one does.
	resumeFrom func(ev Event) *request
}

// Stream is a stream of events. Range over All, or call Next until it
// returns false, read each event with Current, then check Err; Close releases
// the connection (safe to call at any time, and more than once):
//
//	defer stream.Close()
//	for stream.Next() {
//		event := stream.Current()
//		...
//	}
//	if err := stream.Err(); err != nil { ... }
//
// The stream ends cleanly after a terminal event (a failure event such as
// "error" is delivered as an event and ends the stream normally), at the
// stream's end marker (such as "[DONE]", never delivered), or, for a stream
// whose connection closing is its end, then. If the connection drops, stays
// idle longer than the timeout, or ends otherwise, a stream that can resume
// does so where it stopped (Last-Event-ID), so every frame is delivered
// exactly once; a request is never re-sent once an event reached the caller.
//
// Delta returns the piece of the reply's text the current event carries;
// Output and Usage what the events delivered so far carry (when the API says
// where); UntilDone reads the rest and returns them. The stream keeps no
// event it delivered: its memory stays bounded however long the reply.
//
// Connections. A stream read to its end gives its connection back to the
// HTTP client's pool for the next request: the rest of the response
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
	opts       []Option  // the call's options, for the resume requests

	slot      *connSlot      // the connection in use (what the cleanup reaches)
	resp      *http.Response // the response of the connection in use, or the last one
	parser    *sseParser
	buf       []byte
	queue     []sseEvent // the parser's slice: read before the next Feed
	parseErr  error
	connErr   error // why the connection ended; io.EOF when it closed cleanly
	delivered idSet
	lastID    string
	started   bool
	failures  int
	maxTries  int

	cur      Event
	curName  string // the current event's name and raw data (for Delta)
	curData  string
	err      error
	finished bool
	closed   atomic.Bool

	output, usage string // raw JSON (or text), "" when none yet
	failed        Event  // the failure event that ended the run, if any
	failedData    string
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

// How much of a response the stream reads after its end, so the connection
// can be reused.
const (
	drainLimit   = 64 << 10
	drainTimeout = time.Second
)

// newStream opens a stream: the stream, or nil and the error.
func newStream(ctx context.Context, c *core, spec *streamSpec, r *request) (*Stream, error) {
	r.keepOpen = true
	if r.accept == "" {
		r.accept = "text/event-stream"
	}
	p, err := c.prepare(r)
	if err != nil {
		return nil, err
	}
	s := &Stream{ctx: ctx, core: c, spec: spec, parser: newSSEParser(), buf: make([]byte, 32*1024), slot: &connSlot{}, opts: r.opts}
	s.opening = p
	s.maxTries = p.cfg.maxRetries
	if r.lastEventIDHeader != "" {
		// The call can resume itself: the same request with a later Last-Event-ID.
		s.resume, s.lastHeader = r, r.lastEventIDHeader
		s.lastID = p.header.Get(r.lastEventIDHeader)
	}
	a, err := c.doPrepared(ctx, p, true, p.cfg.maxRetries)
	if err != nil {
		return nil, err
	}
	runtime.AddCleanup(s, (*connSlot).abandon, s.slot)
	s.attach(a)
	return s, nil
}

func (s *Stream) attach(a *attempt) {
	conn := &streamConn{att: a}
	if t := s.opening.cfg.timeout; t > 0 {
		conn.idle = s.opening.cfg.afterFunc(t, func() {
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

// finishConn releases the connection after the stream's end: it reads the
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
	if t := s.opening.cfg.timeout; t > 0 && t < d {
		d = t
	}
	stop := s.opening.cfg.afterFunc(d, conn.att.cancel)
	go func() {
		io.CopyN(io.Discard, conn.att.resp.Body, drainLimit)
		stop.Stop()
		conn.att.resp.Body.Close()
		conn.att.cancel()
	}()
}

// eventName is the name of the event a frame is, as the stream's dispatch
// says; "" with an error when the frame names none.
func (s *Stream) eventName(frame sseEvent) (string, error) {
	switch s.spec.dispatch {
	case dispatchSingle:
		return s.spec.single, nil
	case dispatchProperty:
		if err := checkJSON(frame.Data); err != nil {
			return "", err
		}
		o, err := readObject(frame.Data, &objectShape{fields: []fieldShape{{wire: s.spec.property}}, flatten: -1}, true)
		if err != nil {
			return "", err
		}
		name, ok := parseString(o.vals[0])
		if !ok {
			return "", fmt.Errorf("the data has no %q naming the event", s.spec.property)
		}
		return name, nil
	}
	return frame.Type, nil
}

// Next advances to the next event; it returns false at the end of the stream
// or on an error (see Err).
func (s *Stream) Next() bool {
	if s == nil || s.err != nil || s.finished || s.closed.Load() {
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
			logFrame(s.opening.cfg, frame.Type, frame.ID)
			if s.spec.hasSentinel && frame.Data == s.spec.sentinel {
				s.cur = nil
				s.finished = true
				s.finishConn()
				return false
			}
			name, err := s.eventName(frame)
			if err != nil {
				return s.fail(&Error{Kind: ErrStream, Message: fmt.Sprintf("malformed %q event: %v", frame.Type, err), Data: frame.Data, Body: []byte(frame.Data)})
			}
			ev, err := s.spec.decode(name, frame.Data, frame.ID)
			if err != nil {
				return s.fail(&Error{Kind: ErrStream, Message: fmt.Sprintf("malformed %q event: %v", name, err), Data: frame.Data, Body: []byte(frame.Data)})
			}
			if s.opening.cfg.strict {
				if shape := s.spec.shapes[name]; shape != "" {
					if m := s.core.settings.shapes.check("", shape, frame.Data); m != nil {
						return s.fail(s.invalidEvent(name, frame, m))
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
					r.opts, r.noBody = s.opts, true // the call's options, but not its body's (WithJSONSet)
					s.resume, s.lastHeader = r, r.lastEventIDHeader
				}
			}
			s.failures = 0
			s.collect(name, frame.Data, ev)
			if s.spec.terminal[name] {
				s.finished = true
				s.finishConn()
			}
			s.cur, s.curName, s.curData = ev, name, frame.Data
			return true
		}
		if s.parseErr != nil {
			return s.fail(&Error{Kind: ErrStream, Message: s.parseErr.Error(), Err: s.parseErr})
		}
		if s.connErr != nil {
			if s.closed.Load() {
				return false
			}
			if s.connErr == io.EOF && s.spec.eofEnds {
				s.cur = nil
				s.finished = true
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

// collect records what an event carries of the run's output and usage, and
// whether it ended the run with a failure.
func (s *Stream) collect(name, data string, ev Event) {
	if p := s.spec.output; p != nil && p.event == name {
		if p.text {
			s.output = data
		} else if v, ok := jsonAt(data, p.path); ok {
			s.output = v
		}
	}
	if p := s.spec.usage; p != nil && p.event == name {
		if v, ok := jsonAt(data, p.path); ok {
			s.usage = v
		}
	}
	if s.spec.failure[name] {
		s.failed, s.failedData = ev, data
	}
}

// invalidEvent is the strict mode's error for event data that departs from
// the contract.
func (s *Stream) invalidEvent(name string, frame sseEvent, m *mismatch) error {
	where := ""
	if m.path != "" {
		where = " at " + m.path
	}
	cause := &Error{
		Kind: ErrResponseValidation, StatusCode: s.resp.StatusCode, RequestID: s.RequestID(),
		Message: fmt.Sprintf("the %q event does not match the API contract%s: %s", name, where, m.reason),
		Path:    m.path, Reason: m.reason, Response: s.resp, Body: []byte(frame.Data),
	}
	return &Error{Kind: ErrStream, Message: cause.Message, Data: frame.Data, Body: []byte(frame.Data), Err: cause}
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
			conn.idle.Reset(s.opening.cfg.timeout)
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
			s.connErr = transportError(s.ctx, err, conn.fired.Load())
			if conn.fired.Load() {
				s.connErr = timeoutError("stream idle timeout", err)
			}
		}
		// After io.EOF, closing gives the connection back to the pool.
		s.closeConn()
	}
}

// reconnect resumes the stream after its connection ended before its end,
// following the retry policy; it returns the error to report when it cannot.
func (s *Stream) reconnect() error {
	cause := s.connErr
	for {
		if err := s.ctx.Err(); err != nil {
			return transportError(s.ctx, err, false)
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
		if err := s.opening.cfg.sleep(s.ctx, retryDelay(s.opening.cfg, s.failures, statusResponse(cause))); err != nil {
			return transportError(s.ctx, err, false)
		}
		s.failures++
		if p != s.opening {
			logResume(p.cfg, p.method, p.url, s.lastID)
		}
		a, err := s.core.doPrepared(s.ctx, p, true, 0)
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

// continuation opens the stream of the rest of the run s was reading: its
// resume route, from the last event s delivered (the frames s delivered are
// skipped if the server sends them again). For a caller that left s before
// its end and wants the run followed to its end.
func (s *Stream) continuation(ctx context.Context) (*Stream, error) {
	if s.resume == nil {
		return nil, errNoRun
	}
	r := *s.resume
	r.headers = append([][2]string(nil), r.headers...)
	if s.lastID != "" {
		r.headers = append(r.headers, [2]string{s.lastHeader, s.lastID})
	}
	r.lastEventIDHeader = s.lastHeader
	next, err := newStream(ctx, s.core, s.spec, &r)
	if err != nil {
		return nil, err
	}
	next.delivered = s.delivered.clone()
	return next, nil
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

func (d *idSet) clone() idSet {
	return idSet{runs: slices.Clone(d.runs), others: maps.Clone(d.others)}
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
		return streamError("the stream ended without a terminal event (or its end marker)")
	}
	return cause
}

func statusResponse(err error) *http.Response {
	var e *Error
	if errors.As(err, &e) && e.Is(ErrStatus) {
		return e.Response
	}
	return nil
}

func (s *Stream) fail(err error) bool {
	s.err = err
	s.cur = nil
	s.closeConn()
	return false
}

// Current returns the event Next advanced to.
func (s *Stream) Current() Event {
	if s == nil {
		return nil
	}
	return s.cur
}

// Event returns the event Next advanced to.
//
// Deprecated: Event is Current (the name pages use too); it stays so that
// code written for earlier versions compiles.
func (s *Stream) Event() Event { return s.Current() }

// errNoStream is what a nil *Stream (the value a failed call returns beside
// its error) reports, for code that ignored the call's error.
var errNoStream = &Error{Kind: ErrStream, Message: "no stream: the call that opens it failed (see the error it returned)"}

// Err returns the error that ended the stream, nil if it ended normally (its
// end, or Close).
func (s *Stream) Err() error {
	if s == nil {
		return errNoStream
	}
	return s.err
}

// All returns the remaining events as an iterator for range-over-func; it
// yields the error that ended the stream, if any, as its last pair. Leaving
// the loop early does not close the stream: defer Close.
func (s *Stream) All() iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for s.Next() {
			if !yield(s.Current(), nil) {
				return
			}
		}
		if err := s.Err(); err != nil {
			yield(nil, err)
		}
	}
}

// RequestID returns the X-Request-ID header of the response the stream reads
// ("" without one).
func (s *Stream) RequestID() string {
	if s == nil || s.resp == nil {
		return ""
	}
	return s.resp.Header.Get("X-Request-ID")
}

// Delta returns the piece of the reply's text the current event carries (the
// API says which events carry pieces of the text, and where): "" when it
// carries none. Joined over the events, the pieces are the reply's text; the
// stream does not keep them (UntilDone joins those of the events it reads).
func (s *Stream) Delta() string {
	if s == nil || s.cur == nil {
		return ""
	}
	return textPiece(s.spec.text, s.curName, s.curData)
}

// textPiece is the text an event (its name and raw data) carries at p.
func textPiece(p *valuePath, name, data string) string {
	if p == nil || p.event != name {
		return ""
	}
	if p.text {
		return data
	}
	if v, ok := jsonAt(data, p.path); ok {
		if t, ok := parseString(v); ok {
			return t
		}
	}
	return ""
}

// Output returns the run's output as the events delivered so far carry it:
// the raw JSON of the last one, nil when none did.
func (s *Stream) Output() json.RawMessage {
	if s == nil {
		return nil
	}
	return rawOrNil(s.output, s.spec.output)
}

// Usage returns the run's usage (such as token counts) as the events
// delivered so far carry it: the raw JSON of the last one, nil when none did.
func (s *Stream) Usage() json.RawMessage {
	if s == nil {
		return nil
	}
	return rawOrNil(s.usage, s.spec.usage)
}

func rawOrNil(v string, p *valuePath) json.RawMessage {
	if v == "" {
		return nil
	}
	if p != nil && p.text {
		b, _ := json.Marshal(v)
		return b
	}
	return json.RawMessage(v)
}

// StreamResult is what a stream read to its end produced.
type StreamResult struct {
	// Text is the text pieces the events UntilDone read carried, joined (all
	// of them when UntilDone read the stream from its start).
	Text string
	// Output is the raw JSON of the run's output, nil when no event carried one.
	Output json.RawMessage
	// OutputText is the output's text: the output itself when it is a
	// string, else the first of the keys the API names for its text that
	// holds a string; "" otherwise.
	OutputText string
	// Usage is the raw JSON of the run's usage, nil when no event carried one.
	Usage json.RawMessage
}

// UntilDone reads the rest of the stream, closes it, and returns what it
// produced: the text of the events it read, the run's output and usage. When
// the run ended with a failure event (such as "error"), the error is of kind
// ErrStream with the event in its Event field.
func (s *Stream) UntilDone() (*StreamResult, error) {
	if s == nil {
		return nil, errNoStream
	}
	defer s.Close()
	var text strings.Builder
	for s.Next() {
		text.WriteString(s.Delta())
	}
	if s.err != nil {
		return nil, s.err
	}
	if s.failed != nil {
		return nil, &Error{Kind: ErrStream, Message: fmt.Sprintf("the run failed: the stream ended with a %q event", s.failed.EventType()),
			Event: s.failed, Data: s.failedData, Body: []byte(s.failedData)}
	}
	r := &StreamResult{Text: text.String(), Output: s.Output(), Usage: s.Usage()}
	if r.Output != nil {
		var keys []string
		if s.spec.output != nil {
			keys = s.spec.output.textKeys
		}
		r.OutputText = jsonText(r.Output, keys...)
	}
	return r, nil
}

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
