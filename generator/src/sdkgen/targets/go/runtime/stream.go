package promptrails

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"unicode/utf8"

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
	// decode turns a frame into its typed event (*UnknownEvent for an unknown name).
	decode func(name, data, id string) (Event, error)
	// terminal lists the events that end the stream.
	terminal map[string]bool
	// resumeFrom returns the request that resumes the run an event belongs to
	// (its Last-Event-ID header set by the stream), or nil when the event does
	// not carry the resume parameters. The stream asks each event until one does.
	resumeFrom func(ev Event) *request
}

// shapeTable holds what event decoding checks of JSON data beyond what
// encoding/json checks (which leaves a missing field, or a null, as a zero
// value): the shape of each event's data (keyed by the event type's name) and
// of each model nested in it (keyed by the model's name). The generator writes
// one per stream from the spec; ordinary responses are not checked.
type shapeTable map[string]*objectShape

// objectShape is the shape of a JSON object with named fields.
type objectShape struct {
	fields []fieldShape
	// extra is the shape of the values of the properties fields does not name
	// (additionalProperties), nil when they are not checked.
	extra *valueShape
}

// fieldShape is one named field of an objectShape.
type fieldShape struct {
	wire     string
	required bool
	value    valueShape
}

// valueShape is the shape of one JSON value. The zero value is a non-null
// value of a type encoding/json checks by itself (a scalar).
type valueShape struct {
	nullable bool
	model    string      // an object of the shape of that name in the table
	items    *valueShape // an array of items of this shape
	values   *valueShape // an object (a map) of values of this shape
}

// decodeEventData decodes an event's JSON data into v, after checking it
// against the shape of that name in shapes: an object holding every required
// field, no null where the spec does not allow one, the same recursively
// through nested models, arrays and maps.
//
// The check is done by scan, which walks the data once without allocating
// and answers only whether it certainly passes; anything else (a mismatch, or
// something scan does not handle itself, such as an escaped key) goes to
// checkObject, which decodes the data generically and says what is wrong. A
// decode error after scan passed also asks checkObject first, so the error
// reported is always checkObject's when it has one, then encoding/json's.
func decodeEventData(data string, v any, shapes shapeTable, name string) error {
	passed := shapes.scan(data, name)
	if !passed {
		if err := shapes.checkObject("", name, json.RawMessage(data)); err != nil {
			return err
		}
	}
	err := json.Unmarshal([]byte(data), v)
	if err != nil && passed {
		if cerr := shapes.checkObject("", name, json.RawMessage(data)); cerr != nil {
			return cerr
		}
	}
	return err
}

// scan reports whether data certainly passes checkObject("", name, data)
// (or is not valid JSON, which json.Unmarshal then reports): it is the same
// check, made in one pass over the bytes, without decoding anything. It
// gives up (false) on what it does not need to handle quickly: a key with an
// escape or invalid UTF-8 (whose decoded form it would have to work out), more
// than 64 fields in one shape, nesting deeper than maxScanDepth.
func (t shapeTable) scan(data, name string) bool {
	sc := shapeScanner{t: t, s: data}
	i := sc.space(0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	i, ok := sc.model(i, name, 0)
	return ok && sc.space(i) == len(data)
}

// maxScanDepth bounds the nesting shapeScanner follows (encoding/json's own
// limit is 10000).
const maxScanDepth = 1000

type shapeScanner struct {
	t shapeTable
	s string
}

func (sc *shapeScanner) space(i int) int {
	for i < len(sc.s) {
		switch sc.s[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// object checks the object at s[i] ('{'), each of whose properties fields
// names having that field's shape and the others the shape extra (nil: not
// checked), and returns the index after it. Every occurrence of a repeated
// key is checked (checkObject sees the last one).
func (sc *shapeScanner) object(i int, fields []fieldShape, extra *valueShape, depth int) (int, bool) {
	if depth > maxScanDepth || len(fields) > 64 {
		return 0, false
	}
	s := sc.s
	var seen uint64
	i = sc.space(i + 1)
	if i < len(s) && s[i] == '}' {
		i++
	} else {
		for {
			if i >= len(s) || s[i] != '"' {
				return 0, false
			}
			start := i + 1
			end := start
			ascii := true
			for end < len(s) && s[end] != '"' {
				if s[end] == '\\' {
					return 0, false
				}
				if s[end] >= utf8.RuneSelf {
					ascii = false
				}
				end++
			}
			if end >= len(s) || (!ascii && !utf8.ValidString(s[start:end])) {
				return 0, false
			}
			key := s[start:end]
			i = sc.space(end + 1)
			if i >= len(s) || s[i] != ':' {
				return 0, false
			}
			i = sc.space(i + 1)
			value := extra
			for j := range fields {
				if fields[j].wire == key {
					seen |= 1 << j
					value = &fields[j].value
					break
				}
			}
			var ok bool
			if value == nil {
				i, ok = sc.skip(i)
			} else {
				i, ok = sc.value(i, value, depth)
			}
			if !ok {
				return 0, false
			}
			i = sc.space(i)
			if i < len(s) && s[i] == ',' {
				i = sc.space(i + 1)
				continue
			}
			if i < len(s) && s[i] == '}' {
				i++
				break
			}
			return 0, false
		}
	}
	for j := range fields {
		if fields[j].required && seen&(1<<j) == 0 {
			return 0, false
		}
	}
	return i, true
}

// model checks the object at s[i] ('{') against the shape of that name.
func (sc *shapeScanner) model(i int, name string, depth int) (int, bool) {
	if shape := sc.t[name]; shape != nil {
		return sc.object(i, shape.fields, shape.extra, depth)
	}
	return sc.object(i, nil, nil, depth)
}

// value checks the value at s[i] against shape and returns the index after it.
func (sc *shapeScanner) value(i int, shape *valueShape, depth int) (int, bool) {
	s := sc.s
	if i >= len(s) {
		return 0, false
	}
	if s[i] == 'n' { // null, in valid JSON
		if !shape.nullable {
			return 0, false
		}
		return sc.skip(i)
	}
	switch {
	case shape.model != "":
		if s[i] != '{' {
			return 0, false
		}
		return sc.model(i, shape.model, depth+1)
	case shape.items != nil:
		if s[i] != '[' {
			return 0, false
		}
		i = sc.space(i + 1)
		if i < len(s) && s[i] == ']' {
			return i + 1, true
		}
		for {
			var ok bool
			if i, ok = sc.value(i, shape.items, depth+1); !ok {
				return 0, false
			}
			i = sc.space(i)
			if i < len(s) && s[i] == ',' {
				i = sc.space(i + 1)
				continue
			}
			if i < len(s) && s[i] == ']' {
				return i + 1, true
			}
			return 0, false
		}
	case shape.values != nil:
		if s[i] != '{' {
			return 0, false
		}
		return sc.object(i, nil, shape.values, depth+1)
	}
	return sc.skip(i)
}

// skip returns the index after the value at s[i]. It only finds the value's
// end, lax about the rest: json.Unmarshal checks the syntax.
func (sc *shapeScanner) skip(i int) (int, bool) {
	s := sc.s
	depth := 0
	for i < len(s) {
		switch c := s[i]; {
		case c == '"':
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(s) {
				return 0, false
			}
			i = j + 1
			if depth == 0 {
				return i, true
			}
		case c == '{' || c == '[':
			depth++
			i++
		case c == '}' || c == ']':
			if depth == 0 {
				return i, true
			}
			depth--
			i++
			if depth == 0 {
				return i, true
			}
		case depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			return i, true
		default:
			i++
		}
	}
	return i, depth == 0
}

func (t shapeTable) checkObject(path, name string, raw json.RawMessage) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		if !json.Valid(raw) {
			return err // only the data as a whole can be invalid JSON
		}
		return shapeMismatch(path, "an object", raw)
	}
	shape := t[name]
	if shape == nil {
		return nil
	}
	for _, f := range shape.fields {
		value, ok := fields[f.wire]
		if !ok {
			if f.required {
				return fmt.Errorf("missing required field %q", joinPath(path, f.wire))
			}
			continue
		}
		if err := t.checkValue(joinPath(path, f.wire), f.value, value); err != nil {
			return err
		}
	}
	if shape.extra != nil {
		for _, key := range slices.Sorted(maps.Keys(fields)) {
			if !slices.ContainsFunc(shape.fields, func(f fieldShape) bool { return f.wire == key }) {
				if err := t.checkValue(joinPath(path, key), *shape.extra, fields[key]); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (t shapeTable) checkValue(path string, shape valueShape, raw json.RawMessage) error {
	if string(raw) == "null" {
		if shape.nullable {
			return nil
		}
		return fmt.Errorf("field %q must not be null", path)
	}
	switch {
	case shape.model != "":
		return t.checkObject(path, shape.model, raw)
	case shape.items != nil:
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return shapeMismatch(path, "an array", raw)
		}
		for i, item := range items {
			if err := t.checkValue(fmt.Sprintf("%s[%d]", path, i), *shape.items, item); err != nil {
				return err
			}
		}
	case shape.values != nil:
		var values map[string]json.RawMessage
		if err := json.Unmarshal(raw, &values); err != nil {
			return shapeMismatch(path, "an object", raw)
		}
		for _, key := range slices.Sorted(maps.Keys(values)) {
			if err := t.checkValue(joinPath(path, key), *shape.values, values[key]); err != nil {
				return err
			}
		}
	}
	return nil
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// shapeMismatch reports a valid JSON value that is not what the shape wants.
func shapeMismatch(path, want string, raw json.RawMessage) error {
	var got string
	switch bytes.TrimLeft(raw, " \t\r\n")[0] {
	case '{':
		got = "an object"
	case '[':
		got = "an array"
	case '"':
		got = "a string"
	case 't', 'f':
		got = "a boolean"
	case 'n':
		got = "null"
	default:
		got = "a number"
	}
	if path == "" {
		return fmt.Errorf("the data is %s, not %s", got, want)
	}
	return fmt.Errorf("field %q is %s, not %s", path, got, want)
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
	s := &Stream{ctx: ctx, core: c, spec: spec, parser: sse.New(0), buf: make([]byte, 32*1024)}
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
// connection may replay. Servers commonly number frames 1, 2, 3...: a run of
// consecutive integers is kept as its bounds, any other id in a map, so a
// stream of such ids costs no memory per frame. Membership is exactly that of
// a set of the id strings: only canonical decimals (no sign, no leading zero)
// enter the run, and two of them are equal strings exactly when they are
// equal numbers.
type idSet struct {
	lo, hi uint64 // the run lo..hi, when inRun
	inRun  bool
	others map[string]struct{}
}

// runNumber returns the id as a number when it can be in the run.
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
	if n, ok := runNumber(id); ok && d.inRun && d.lo <= n && n <= d.hi {
		return true
	}
	_, ok := d.others[id]
	return ok
}

// add adds an id that is not in the set.
func (d *idSet) add(id string) {
	if n, ok := runNumber(id); ok {
		switch {
		case !d.inRun:
			d.lo, d.hi, d.inRun = n, n, true
			return
		case n == d.hi+1:
			d.hi = n
			return
		case n+1 == d.lo:
			d.lo = n
			return
		}
	}
	if d.others == nil {
		d.others = map[string]struct{}{}
	}
	d.others[id] = struct{}{}
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
