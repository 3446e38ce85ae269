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
type Parser struct {
	max int

	line      []byte  // the unfinished line
	events    []Event // what Feed returns, reused by the next Feed
	typeCache string  // the last event type set: repeated types share one string
	bomDone   bool    // the leading BOM (if any) was handled
	bomBuf    []byte  // the first bytes, held until we know whether they are a BOM
	skipLF    bool    // the previous chunk ended with CR: a leading LF belongs to it
	dataSeen  bool    // a data field was seen since the last dispatch
	data      []byte
	eventType string
	ownID     string // the last valid `id` field since the last dispatch
	lastID    string
	retry     int
	retrySet  bool
	failed    error
}

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
	*p = Parser{max: p.max, line: p.line[:0], data: p.data[:0], events: p.events[:0], typeCache: p.typeCache}
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
	for len(chunk) > 0 {
		if p.skipLF {
			p.skipLF = false
			if chunk[0] == '\n' {
				chunk = chunk[1:]
				continue
			}
		}
		// "Lines must be separated by either a U+000D CARRIAGE RETURN U+000A LINE
		// FEED (CRLF) character pair, a single U+000A LINE FEED (LF) character, or
		// a single U+000D CARRIAGE RETURN (CR) character."
		i := lineEnd(chunk)
		if i < 0 {
			p.line = append(p.line, chunk...)
			if err := p.checkSize(0); err != nil {
				return p.events, err
			}
			break
		}
		// The line is chunk[:i], after what p.line holds of it from earlier chunks.
		line := chunk[:i]
		if len(p.line) > 0 {
			p.line = append(p.line, line...)
			line = p.line
		}
		if err := p.checkSize(len(line) - len(p.line)); err != nil {
			return p.events, err
		}
		if chunk[i] == '\r' {
			if i+1 < len(chunk) {
				if chunk[i+1] == '\n' {
					i++
				}
			} else {
				// A CR at the end of a chunk: its LF, if any, is in the next one.
				p.skipLF = true
			}
		}
		chunk = chunk[i+1:]
		p.processLine(line) // copies what it keeps of line
		p.line = p.line[:0]
		if err := p.checkSize(0); err != nil {
			return p.events, err
		}
	}
	return p.events, nil
}

// lineEnd returns the index of the first CR or LF in b, -1 if none.
func lineEnd(b []byte) int {
	// Two vectorised searches beat one byte-by-byte search for either byte.
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return bytes.IndexByte(b, '\r')
	}
	if j := bytes.IndexByte(b[:i], '\r'); j >= 0 {
		return j
	}
	return i
}

// End tells the parser the stream ended. "Once the end of the file is reached,
// any pending data must be discarded. (If the file ends in the middle of an
// event, before the final empty line, the incomplete event is not
// dispatched.)" End resets the parser.
func (p *Parser) End() {
	p.Reset()
}

// checkSize fails the parser when the event outgrows the cap: its unfinished
// line (p.line, plus pending bytes of it not copied there), data and type.
func (p *Parser) checkSize(pending int) error {
	if len(p.line)+pending+len(p.data)+len(p.eventType)+len(p.bomBuf) > p.max {
		p.failed = &EventTooLargeError{Limit: p.max}
		return p.failed
	}
	return nil
}

func (p *Parser) processLine(raw []byte) {
	// "If the line is empty (a blank line): Dispatch the event."
	if len(raw) == 0 {
		p.dispatch()
		return
	}
	// "If the line starts with a U+003A COLON character (:): Ignore the line."
	if raw[0] == ':' {
		return
	}
	line := validUTF8(raw)
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
		p.data = append(p.data, value...)
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
	p.data = p.data[:0]
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

// validUTF8 decodes a complete line as UTF-8, replacing each invalid byte with
// U+FFFD (b itself when it is valid). Lines are only split at CR and LF, which
// never occur inside a multi-byte sequence, so a character split across chunks
// is whole here.
func validUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	var out []byte
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			out = append(out, "\uFFFD"...)
		} else {
			out = append(out, b[:size]...)
		}
		b = b[size:]
	}
	return out
}
