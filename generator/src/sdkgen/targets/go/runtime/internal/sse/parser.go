// Package sse is a push-style Server-Sent Events parser: feed it chunks of bytes
// as they arrive, get back the events they complete. It knows nothing of HTTP.
//
// It follows the WHATWG HTML standard, §9.2.6 "Interpreting an event stream"
// (https://html.spec.whatwg.org/multipage/server-sent-events.html); the rules
// are quoted where they are implemented. One addition: a cap on the size of one
// event, so a hostile or broken server cannot make the client buffer without
// bound.
package sse

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// DefaultMaxEventSize is the default cap on the bytes buffered for one event
// (its unfinished line plus the data, event type and id it accumulated).
const DefaultMaxEventSize = 16 << 20

// Event is one dispatched event.
type Event struct {
	// Type is the event type: the last `event` field, or "message" when none.
	Type string
	// Data is the `data` lines of the event joined with "\n".
	Data string
	// ID is the event's own id: the value of the last valid `id` field of this
	// event's block, "" if it has none. It does not persist across events, so
	// a frame without an `id` line is never mistaken for the one before it.
	ID string
	// LastEventID is the last event ID buffer when the event was dispatched
	// (the MessageEvent's lastEventId): the last valid `id` field seen in this
	// stream, which persists across events, "" if none.
	LastEventID string
}

// EventTooLargeError is returned by Feed when one event outgrows the cap.
type EventTooLargeError struct {
	Limit int
}

func (e *EventTooLargeError) Error() string {
	return fmt.Sprintf("sse: an event exceeds the size cap of %d bytes", e.Limit)
}

var bom = []byte{0xEF, 0xBB, 0xBF}

// Parser turns a byte stream into events. The zero value is not ready: use New.
// A Parser is not safe for concurrent use.
//
// Parsing is linear in the bytes fed, however the stream is cut into chunks
// and however long a line is: the bytes of a data line go straight into the
// event's data buffer as they arrive (the line is never buffered, then
// copied), comments and ignored fields are dropped as they arrive, and line
// ends are searched once per chunk.
type Parser struct {
	max int

	line      []byte    // the unfinished line, in states lineField and lineBuffered
	state     lineState // what the unfinished line is, as far as known
	lineRaw   int       // the raw bytes of the unfinished line so far
	dataStart int       // len(data) when the unfinished data line began
	spacePend bool      // a data line's value just began: one leading space is stripped
	carry     []byte    // the start of a UTF-8 sequence cut by a chunk boundary (data lines)
	events    []Event   // what Feed returns, reused by the next Feed
	typeCache string    // the last event type set: repeated types share one string
	bomDone   bool      // the leading BOM (if any) was handled
	bomBuf    []byte    // the first bytes, held until we know whether they are a BOM
	skipLF    bool      // the previous chunk ended with CR: a leading LF belongs to it
	dataSeen  bool      // a data field was seen since the last dispatch
	data      []byte
	eventType string
	ownID     string // the last valid `id` field since the last dispatch
	lastID    string
	retry     int
	retrySet  bool
	failed    error
}

// lineState is what the parser knows of the unfinished line.
type lineState uint8

const (
	lineStart    lineState = iota // no byte of the line yet
	lineField                     // collecting the field name (no colon yet) in line
	lineData                      // a data field: the value goes to data as it arrives
	lineBuffered                  // an event, id or retry field: the whole line is kept in line
	lineSkip                      // a comment or an ignored field: its bytes are dropped
)

// keepBuffer is the largest buffer a parser keeps for the next event; a larger
// one (left by a larger event) is released, so memory follows the events in
// flight rather than the largest event ever seen.
const keepBuffer = 64 << 10

// New returns a parser capping one event at maxEventSize bytes
// (DefaultMaxEventSize when maxEventSize <= 0).
func New(maxEventSize int) *Parser {
	if maxEventSize <= 0 {
		maxEventSize = DefaultMaxEventSize
	}
	return &Parser{max: maxEventSize}
}

// Reset forgets everything (buffered bytes, last event id, retry, a previous
// error), ready for a new stream. It keeps the slice the last Feed returned
// intact.
func (p *Parser) Reset() {
	*p = Parser{max: p.max, line: reuse(p.line), data: reuse(p.data), carry: p.carry[:0],
		events: p.events[:0], typeCache: p.typeCache}
}

// reuse empties a buffer for the next event, or drops it when it is large.
func reuse(b []byte) []byte {
	if cap(b) > keepBuffer {
		return nil
	}
	return b[:0]
}

// LastEventID is the last event ID buffer: the value of the last valid `id` field.
func (p *Parser) LastEventID() string { return p.lastID }

// Retry is the reconnection time the stream asked for, in milliseconds.
func (p *Parser) Retry() (ms int, ok bool) { return p.retry, p.retrySet }

// Feed parses the next chunk and returns the events it completed, in order.
// The returned slice is the parser's own, valid until the next call of Feed:
// copy the events (not their strings, which are never reused) to keep them
// longer. After an error (only *EventTooLargeError) the parser stays failed
// until Reset.
func (p *Parser) Feed(chunk []byte) ([]Event, error) {
	clear(p.events) // the previous events' strings are the caller's now
	p.events = p.events[:0]
	if p.failed != nil {
		return nil, p.failed
	}
	if !p.bomDone {
		// "The stream must then be parsed by ... UTF-8 decode": the UTF-8 decode
		// algorithm strips one leading BOM. It may arrive split across chunks.
		p.bomBuf = append(p.bomBuf, chunk...)
		if len(p.bomBuf) < len(bom) && bytes.HasPrefix(bom, p.bomBuf) {
			return nil, nil
		}
		chunk = p.bomBuf
		if bytes.HasPrefix(chunk, bom) {
			chunk = chunk[len(bom):]
		}
		p.bomBuf = nil
		p.bomDone = true
	}
	// "Lines must be separated by either a U+000D CARRIAGE RETURN U+000A LINE
	// FEED (CRLF) character pair, a single U+000A LINE FEED (LF) character, or
	// a single U+000D CARRIAGE RETURN (CR) character."
	//
	// nextLF and nextCR are the positions of the next LF and CR at or after
	// pos (len(chunk) when there is none), each searched again only once pos
	// has passed it: every byte is searched at most once per kind, so a chunk
	// of many CR-only lines costs no more than one of LF lines.
	pos, nextLF, nextCR := 0, -1, -1
	for pos < len(chunk) {
		if p.skipLF {
			p.skipLF = false
			if chunk[pos] == '\n' {
				pos++
				continue
			}
		}
		if nextLF < pos {
			nextLF = indexFrom(chunk, pos, '\n')
		}
		if nextCR < pos {
			nextCR = indexFrom(chunk, pos, '\r')
		}
		end := min(nextLF, nextCR)
		p.consume(chunk[pos:end])
		if err := p.checkSize(); err != nil {
			return p.events, err
		}
		if end == len(chunk) {
			break // the line goes on in the next chunk
		}
		if chunk[end] == '\r' {
			if end+1 < len(chunk) {
				if chunk[end+1] == '\n' {
					end++
				}
			} else {
				// A CR at the end of a chunk: its LF, if any, is in the next one.
				p.skipLF = true
			}
		}
		pos = end + 1
		p.endLine()
		if err := p.checkSize(); err != nil {
			return p.events, err
		}
	}
	return p.events, nil
}

// indexFrom returns the index of the first c in b at or after from, len(b) if none.
func indexFrom(b []byte, from int, c byte) int {
	if i := bytes.IndexByte(b[from:], c); i >= 0 {
		return from + i
	}
	return len(b)
}

// consume takes the next bytes of the unfinished line (no CR or LF in seg).
func (p *Parser) consume(seg []byte) {
	if len(seg) == 0 {
		return
	}
	p.lineRaw += len(seg)
	if p.state == lineStart {
		// "If the line starts with a U+003A COLON character (:): Ignore the line."
		if seg[0] == ':' {
			p.state = lineSkip
			return
		}
		p.state = lineField
	}
	switch p.state {
	case lineField:
		colon := bytes.IndexByte(seg, ':')
		if colon < 0 {
			p.line = append(p.line, seg...)
			return
		}
		// The field name is complete: what it is decides where the value goes.
		// (A name with invalid UTF-8 is none of these, decoded or not.)
		field := seg[:colon]
		if len(p.line) > 0 {
			p.line = append(p.line, field...)
			field = p.line
		}
		switch string(field) {
		case "data":
			p.state = lineData
			p.dataStart = len(p.data)
			p.spacePend = true
			p.line = p.line[:0]
			p.appendValue(seg[colon+1:])
		case "event", "id", "retry":
			p.state = lineBuffered
			if len(p.line) > 0 {
				p.line = append(p.line, seg[colon:]...)
			} else {
				p.line = append(p.line, seg...)
			}
		default:
			// "Otherwise: The field is ignored."
			p.state = lineSkip
			p.line = p.line[:0]
		}
	case lineData:
		p.appendValue(seg)
	case lineBuffered:
		p.line = append(p.line, seg...)
	}
}

// appendValue appends bytes of a data line's value to the data buffer,
// decoded as UTF-8; a sequence cut at the end of seg waits in carry for the
// bytes that complete it.
func (p *Parser) appendValue(seg []byte) {
	if p.spacePend && len(seg) > 0 {
		// "If value starts with a U+0020 SPACE character, remove it from value."
		p.spacePend = false
		if seg[0] == ' ' {
			seg = seg[1:]
		}
	}
	for len(p.carry) > 0 && len(seg) > 0 {
		p.carry = append(p.carry, seg[0])
		seg = seg[1:]
		var rest []byte
		p.data, rest = appendUTF8(p.grow(len(p.carry)+3), p.carry, false)
		p.carry = append(p.carry[:0], rest...)
	}
	if len(seg) > 0 {
		var rest []byte
		p.data, rest = appendUTF8(p.grow(len(seg)), seg, false)
		p.carry = append(p.carry, rest...)
	}
}

// grow makes room for n more bytes of data, doubling the buffer (appends of
// small pieces to a large slice otherwise grow it by a quarter at a time) but
// never far beyond the cap.
func (p *Parser) grow(n int) []byte {
	if cap(p.data)-len(p.data) >= n {
		return p.data
	}
	size := max(2*cap(p.data), len(p.data)+n, 512)
	if limit := p.max + 4*utf8.UTFMax; size > limit {
		size = max(limit, len(p.data)+n)
	}
	data := make([]byte, len(p.data), size)
	copy(data, p.data)
	return data
}

// endLine processes the finished line.
func (p *Parser) endLine() {
	switch p.state {
	case lineStart:
		// "If the line is empty (a blank line): Dispatch the event."
		p.dispatch()
	case lineField, lineBuffered:
		p.processLine(p.line)
	case lineData:
		if len(p.carry) > 0 {
			// A sequence the line ended before completing: one U+FFFD.
			p.data, _ = appendUTF8(p.grow(len(p.carry)*3), p.carry, true)
			p.carry = p.carry[:0]
		}
		// "Append the field value to the data buffer, then append a single U+000A
		// LINE FEED (LF) character to the data buffer."
		p.data = append(p.grow(1), '\n')
		p.dataSeen = true
	}
	p.state = lineStart
	p.lineRaw = 0
	p.spacePend = false
	if cap(p.line) > keepBuffer {
		p.line = nil
	} else {
		p.line = p.line[:0]
	}
}

// End tells the parser the stream ended. "Once the end of the file is reached,
// any pending data must be discarded. (If the file ends in the middle of an
// event, before the final empty line, the incomplete event is not
// dispatched.)" End resets the parser.
func (p *Parser) End() {
	p.Reset()
}

// checkSize fails the parser when the event outgrows the cap: the raw bytes of
// its unfinished line, plus the data (before that line, when it is a data
// line whose value already went to data) and the event type it accumulated.
// The count does not depend on how the stream was cut into chunks.
func (p *Parser) checkSize() error {
	data := len(p.data)
	if p.state == lineData {
		data = p.dataStart
	}
	if p.lineRaw+data+len(p.eventType)+len(p.bomBuf) > p.max {
		p.failed = &EventTooLargeError{Limit: p.max}
		return p.failed
	}
	return nil
}

// processLine processes a whole line that is not a data line with a colon
// (those are parsed as they arrive).
func (p *Parser) processLine(raw []byte) {
	line := raw
	if !utf8.Valid(line) {
		line, _ = appendUTF8(nil, raw, true)
	}
	var field, value []byte
	// "If the line contains a U+003A COLON character (:): Collect the characters
	// on the line before the first U+003A COLON character (:), and let field be
	// that string. Collect the characters on the line after the first U+003A
	// COLON character (:), and let value be that string. If value starts with a
	// U+0020 SPACE character, remove it from value."
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		field, value = line[:i], line[i+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	} else {
		// "Otherwise, the string is not empty but does not contain a U+003A COLON
		// character (:): Process the field using the whole line as the field name,
		// and the empty string as the field value."
		field = line
	}
	switch string(field) {
	case "event":
		// "Set the event type buffer to field value."
		if string(value) != p.typeCache {
			p.typeCache = string(value)
		}
		p.eventType = p.typeCache
	case "data":
		// "Append the field value to the data buffer, then append a single U+000A
		// LINE FEED (LF) character to the data buffer."
		p.data = append(p.grow(len(value)+1), value...)
		p.data = append(p.data, '\n')
		p.dataSeen = true
	case "id":
		// "If the field value does not contain U+0000 NULL, then set the last
		// event ID buffer to the field value. Otherwise, ignore the field."
		if bytes.IndexByte(value, 0) < 0 {
			p.lastID = string(value)
			p.ownID = p.lastID
		}
	case "retry":
		// "If the field value consists of only ASCII digits, then interpret the
		// field value as an integer in base ten, and set the event stream's
		// reconnection time to that integer. Otherwise, ignore the field."
		if n, ok := asciiDigits(value); ok {
			p.retry, p.retrySet = n, true
		}
	default:
		// "Otherwise: The field is ignored."
	}
}

func (p *Parser) dispatch() {
	// "If the data buffer is an empty string, set the data buffer and the event
	// type buffer to the empty string and return." (Empty means no data field
	// was seen: `data:` with an empty value still dispatches, with Data "".)
	if !p.dataSeen {
		p.eventType = ""
		p.ownID = ""
		return
	}
	// "If the data buffer's last character is a U+000A LINE FEED (LF)
	// character, then remove the last character from the data buffer."
	data := p.data
	if n := len(data); n > 0 && data[n-1] == '\n' {
		data = data[:n-1]
	}
	// "Initialize event's type attribute to "message" ... If the event type
	// buffer has a value other than the empty string, change the type of the
	// newly created event to equal the value of the event type buffer."
	typ := p.eventType
	if typ == "" {
		typ = "message"
	}
	p.events = append(p.events, Event{Type: typ, Data: string(data), ID: p.ownID, LastEventID: p.lastID})
	p.data = reuse(p.data)
	p.dataSeen = false
	p.eventType = ""
	p.ownID = ""
}

func asciiDigits(s []byte) (int, bool) {
	if len(s) == 0 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if n < (1<<31)/10 {
			n = n*10 + int(c-'0')
		}
	}
	return n, true
}

// appendUTF8 appends src to dst decoded as UTF-8 the way the WHATWG Encoding
// standard's UTF-8 decoder does (and Python's errors="replace", and
// TextDecoder): valid sequences are copied, and each maximal subpart of an
// ill-formed sequence becomes one U+FFFD (so "\xE1\x80" is one U+FFFD, not
// two, while "\xF0\x80\x80" is three: 0x80 cannot follow 0xF0). Unless final,
// a sequence that is cut by the end of src but could still complete is not
// decoded: it is returned as rest, for the caller to prepend to what follows.
// Lines are only split at CR and LF, which never occur inside a sequence.
func appendUTF8(dst, src []byte, final bool) (out, rest []byte) {
	if utf8.Valid(src) {
		return append(dst, src...), nil
	}
	start := 0
	for i := 0; i < len(src); {
		if src[i] < utf8.RuneSelf {
			i++
			continue
		}
		if r, size := utf8.DecodeRune(src[i:]); r != utf8.RuneError || size > 1 {
			i += size
			continue
		}
		dst = append(dst, src[start:i]...)
		n, cut := maximalSubpart(src[i:])
		if cut && !final {
			return dst, src[i:]
		}
		dst = append(dst, "\uFFFD"...)
		i += n
		start = i
	}
	return append(dst, src[start:]...), nil
}

// maximalSubpart returns the length of the maximal subpart at the start of b,
// which does not start with a well-formed sequence: the lead byte and the
// continuation bytes that fit it (Unicode Table 3-7, which the WHATWG decoder
// follows with its lower and upper boundaries), at least 1. cut reports that
// b ended before the sequence did (it could still complete).
func maximalSubpart(b []byte) (n int, cut bool) {
	lo, hi := byte(0x80), byte(0xBF)
	var need int
	switch c := b[0]; {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c == 0xED:
		need, hi = 2, 0x9F
	case c >= 0xE1 && c <= 0xEF:
		need = 2
	case c == 0xF0:
		need, lo = 3, 0x90
	case c == 0xF4:
		need, hi = 3, 0x8F
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	default:
		return 1, false // 0x80..0xC1, 0xF5..0xFF never start a sequence
	}
	n = 1
	for n <= need && n < len(b) && b[n] >= lo && b[n] <= hi {
		n++
		lo, hi = 0x80, 0xBF
	}
	return n, n <= need && n == len(b)
}
