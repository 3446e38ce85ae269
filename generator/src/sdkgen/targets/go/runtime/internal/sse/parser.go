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

	line      []byte // the unfinished line
	bomDone   bool   // the leading BOM (if any) was handled
	bomBuf    []byte // the first bytes, held until we know whether they are a BOM
	skipLF    bool   // the previous chunk ended with CR: a leading LF belongs to it
	dataSeen  bool   // a data field was seen since the last dispatch
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

// Reset forgets everything (buffers, last event id, retry, a previous error),
// ready for a new stream.
func (p *Parser) Reset() {
	*p = Parser{max: p.max}
}

// LastEventID is the last event ID buffer: the value of the last valid `id` field.
func (p *Parser) LastEventID() string { return p.lastID }

// Retry is the reconnection time the stream asked for, in milliseconds.
func (p *Parser) Retry() (ms int, ok bool) { return p.retry, p.retrySet }

// Feed parses the next chunk and returns the events it completed, in order.
// After an error (only *EventTooLargeError) the parser stays failed until Reset.
func (p *Parser) Feed(chunk []byte) ([]Event, error) {
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
	var events []Event
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
		i := bytes.IndexAny(chunk, "\r\n")
		if i < 0 {
			p.line = append(p.line, chunk...)
			if err := p.checkSize(); err != nil {
				return events, err
			}
			break
		}
		p.line = append(p.line, chunk[:i]...)
		if err := p.checkSize(); err != nil {
			return events, err
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
		line := p.line
		p.line = p.line[:0]
		if ev, ok := p.processLine(line); ok {
			events = append(events, ev)
		}
		if err := p.checkSize(); err != nil {
			return events, err
		}
	}
	return events, nil
}

// End tells the parser the stream ended. "Once the end of the file is reached,
// any pending data must be discarded. (If the file ends in the middle of an
// event, before the final empty line, the incomplete event is not
// dispatched.)" End resets the parser.
func (p *Parser) End() {
	p.Reset()
}

func (p *Parser) checkSize() error {
	if len(p.line)+len(p.data)+len(p.eventType)+len(p.bomBuf) > p.max {
		p.failed = &EventTooLargeError{Limit: p.max}
		return p.failed
	}
	return nil
}

func (p *Parser) processLine(raw []byte) (Event, bool) {
	// "If the line is empty (a blank line): Dispatch the event."
	if len(raw) == 0 {
		return p.dispatch()
	}
	// "If the line starts with a U+003A COLON character (:): Ignore the line."
	if raw[0] == ':' {
		return Event{}, false
	}
	line := validUTF8(raw)
	var field, value string
	// "If the line contains a U+003A COLON character (:): Collect the characters
	// on the line before the first U+003A COLON character (:), and let field be
	// that string. Collect the characters on the line after the first U+003A
	// COLON character (:), and let value be that string. If value starts with a
	// U+0020 SPACE character, remove it from value."
	if i := indexByte(line, ':'); i >= 0 {
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
	switch field {
	case "event":
		// "Set the event type buffer to field value."
		p.eventType = value
	case "data":
		// "Append the field value to the data buffer, then append a single U+000A
		// LINE FEED (LF) character to the data buffer."
		p.data = append(p.data, value...)
		p.data = append(p.data, '\n')
		p.dataSeen = true
	case "id":
		// "If the field value does not contain U+0000 NULL, then set the last
		// event ID buffer to the field value. Otherwise, ignore the field."
		if indexByte(value, 0) < 0 {
			p.lastID = value
			p.ownID = value
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
	return Event{}, false
}

func (p *Parser) dispatch() (Event, bool) {
	// "If the data buffer is an empty string, set the data buffer and the event
	// type buffer to the empty string and return." (Empty means no data field
	// was seen: `data:` with an empty value still dispatches, with Data "".)
	if !p.dataSeen {
		p.eventType = ""
		p.ownID = ""
		return Event{}, false
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
	ev := Event{Type: typ, Data: string(data), ID: p.ownID, LastEventID: p.lastID}
	p.data = p.data[:0]
	p.dataSeen = false
	p.eventType = ""
	p.ownID = ""
	return ev, true
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func asciiDigits(s string) (int, bool) {
	if s == "" {
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
// U+FFFD. Lines are only split at CR and LF, which never occur inside a
// multi-byte sequence, so a character split across chunks is whole here.
func validUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
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
	return string(out)
}
