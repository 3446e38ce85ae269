package sse

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func feedAll(t *testing.T, p *Parser, chunks ...string) []Event {
	t.Helper()
	var out []Event
	for _, c := range chunks {
		evs, err := p.Feed([]byte(c))
		if err != nil {
			t.Fatalf("Feed(%q): %v", c, err)
		}
		out = append(out, evs...)
	}
	return out
}

func expect(t *testing.T, got []Event, want ...Event) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("events:\n got  %#v\n want %#v", got, want)
	}
}

func TestLF(t *testing.T) {
	expect(t, feedAll(t, New(0), "event: content\ndata: {\"a\":1}\nid: 7\n\n"),
		Event{Type: "content", Data: `{"a":1}`, ID: "7", LastEventID: "7"})
}

func TestCRLF(t *testing.T) {
	expect(t, feedAll(t, New(0), "event: a\r\ndata: x\r\n\r\n"), Event{Type: "a", Data: "x"})
}

func TestCR(t *testing.T) {
	expect(t, feedAll(t, New(0), "event: a\rdata: x\r\r"), Event{Type: "a", Data: "x"})
}

func TestCRLFSplitAcrossChunks(t *testing.T) {
	// The CR ends one chunk and its LF starts the next: one line end, not two
	// (two would dispatch early, a blank line in between).
	expect(t, feedAll(t, New(0), "data: a\r", "\ndata: b\r", "\n\r", "\n"), Event{Type: "message", Data: "a\nb"})
}

func TestMultiLineData(t *testing.T) {
	expect(t, feedAll(t, New(0), "data: one\ndata:two\ndata:  three\n\n"),
		Event{Type: "message", Data: "one\ntwo\n three"})
}

func TestComments(t *testing.T) {
	expect(t, feedAll(t, New(0), ": keep-alive\n:\ndata: x\n: between\n\n: alone\n\n"), Event{Type: "message", Data: "x"})
}

func TestBOM(t *testing.T) {
	expect(t, feedAll(t, New(0), "\xEF\xBB\xBFdata: x\n\n"), Event{Type: "message", Data: "x"})
}

func TestBOMSplitAcrossChunks(t *testing.T) {
	expect(t, feedAll(t, New(0), "\xEF", "\xBB", "\xBFdata: x\n\n"), Event{Type: "message", Data: "x"})
}

func TestOnlyOneBOMStripped(t *testing.T) {
	// A second BOM is part of the first field name, which is then unknown.
	expect(t, feedAll(t, New(0), "\xEF\xBB\xBF\xEF\xBB\xBFdata: x\n\ndata: y\n\n"), Event{Type: "message", Data: "y"})
}

func TestUTF8SplitAcrossChunks(t *testing.T) {
	s := "data: h\u00e9llo \U0001F600\n\n"
	b := []byte(s)
	var chunks []string
	for i := range b {
		chunks = append(chunks, string(b[i:i+1]))
	}
	expect(t, feedAll(t, New(0), chunks...), Event{Type: "message", Data: "h\u00e9llo \U0001F600"})
}

func TestInvalidUTF8Replaced(t *testing.T) {
	expect(t, feedAll(t, New(0), "data: a\xffb\n\n"), Event{Type: "message", Data: "a\uFFFDb"})
}

// utf8Vectors are ill-formed UTF-8 inputs and their decoding by the WHATWG
// Encoding standard's UTF-8 decoder (one U+FFFD per maximal subpart, as
// Python's errors="replace" and TextDecoder give): the cases of the WPT
// TextDecoder tests and the example of Unicode Table 3-8.
var utf8Vectors = []struct {
	name, in string
	fffd     int    // U+FFFDs in the output
	rest     string // the output with them removed
}{
	{"invalid code", "\xFF", 1, ""},
	{"ends early", "\xC0", 1, ""},
	{"ends early 2", "\xE0", 1, ""},
	{"invalid trail", "\xC0\x00", 1, "\x00"},
	{"invalid trail 2", "\xC0\xC0", 2, ""},
	{"invalid trail 3", "\xE0\x00", 1, "\x00"},
	{"invalid trail 4", "\xE0\xC0", 2, ""},
	{"invalid trail 5", "\xE0\x80\x00", 2, "\x00"},
	{"invalid trail 6", "\xE0\x80\xC0", 3, ""},
	{"> 0x10FFFF", "\xFC\x80\x80\x80\x80\x80", 6, ""},
	{"obsolete lead byte", "\xFE\x80\x80\x80\x80\x80", 6, ""},
	{"overlong U+0000 - 2 bytes", "\xC0\x80", 2, ""},
	{"overlong U+0000 - 3 bytes", "\xE0\x80\x80", 3, ""},
	{"overlong U+0000 - 4 bytes", "\xF0\x80\x80\x80", 4, ""},
	{"overlong U+0000 - 5 bytes", "\xF8\x80\x80\x80\x80", 5, ""},
	{"overlong U+007F - 2 bytes", "\xC1\xBF", 2, ""},
	{"overlong U+07FF - 3 bytes", "\xE0\x9F\xBF", 3, ""},
	{"overlong U+FFFF - 4 bytes", "\xF0\x8F\xBF\xBF", 4, ""},
	{"0x80 after F0", "\xF0\x80\x80", 3, ""},
	{"lead surrogate", "\xED\xA0\x80", 3, ""},
	{"trail surrogate", "\xED\xB0\x80", 3, ""},
	{"surrogate pair", "\xED\xA0\x80\xED\xB0\x80", 6, ""},
	{"above U+10FFFF", "\xF4\x90\x80\x80", 4, ""},
	{"truncated 3-byte", "\xE1\x80", 1, ""},
	{"truncated 3-byte in text", "a\xE1\x80b", 1, "ab"},
	{"truncated 4-byte", "\xF0\x90\x80", 1, ""},
	{"truncated 4-byte 2", "\xF1\x80\x80", 1, ""},
	{"truncated U+10FFFF", "\xF4\x8F\xBF", 1, ""},
	{"lone continuation", "\x80", 1, ""},
	{"lone continuations", "\x80\xBF", 2, ""},
	{"Unicode Table 3-8", "a\xF1\x80\x80\xE1\x80\xC2b\x80c\x80\xBFd", 6, "abcd"},
	{"truncated in a row", "\xE1\x80\xE2\xF0\x91\x92\xF1\xBFA", 4, "A"},
	{"U+FFFD itself", "\xEF\xBF\xBD", 1, ""},
	{"U+10FFFF", "\xF4\x8F\xBF\xBF", 0, "\U0010FFFF"},
}

func TestInvalidUTF8MaximalSubparts(t *testing.T) {
	for _, v := range utf8Vectors {
		check := func(how string, got []Event) {
			t.Helper()
			if len(got) != 2 {
				t.Fatalf("%s, %s: %d events", v.name, how, len(got))
			}
			for _, ev := range got {
				if n := strings.Count(ev.Data, "\uFFFD"); n != v.fffd {
					t.Errorf("%s, %s: %q has %d U+FFFD, want %d", v.name, how, ev.Data, n, v.fffd)
				}
				if rest := strings.ReplaceAll(ev.Data, "\uFFFD", ""); rest != "<"+v.rest+">" {
					t.Errorf("%s, %s: %q, want %q around the U+FFFDs", v.name, how, ev.Data, "<"+v.rest+">")
				}
				if ev.Data != whatwgDecode([]byte("<"+v.in+">")) {
					t.Errorf("%s, %s: %q differs from the reference decoder", v.name, how, ev.Data)
				}
			}
			if got[1].Type != got[1].Data {
				t.Errorf("%s, %s: event type %q, data %q: not decoded alike", v.name, how, got[1].Type, got[1].Data)
			}
		}
		// A data line (decoded as it arrives) and an event field (decoded whole).
		stream := "data: <" + v.in + ">\n\nevent: <" + v.in + ">\ndata: <" + v.in + ">\n\n"
		check("whole", feedAll(t, New(0), stream))
		var bytewise []string
		for i := 0; i < len(stream); i++ {
			bytewise = append(bytewise, stream[i:i+1])
		}
		check("byte by byte", feedAll(t, New(0), bytewise...))
	}
}

func TestSequenceCutByLineEnd(t *testing.T) {
	// A sequence a line end cuts short is one U+FFFD; the line end still counts.
	expect(t, feedAll(t, New(0), "data: \xE1\x80", "\r\n\r\n"), Event{Type: "message", Data: "\uFFFD"})
	expect(t, feedAll(t, New(0), "data: \xF0\x90\rdata: \x80\n\n"), Event{Type: "message", Data: "\uFFFD\n\uFFFD"})
}

// whatwgDecode is the Encoding standard's UTF-8 decoder as the standard words
// it (bytes needed, bytes seen, lower and upper boundary), in replacement mode:
// the reference the parser's decoder is checked against.
func whatwgDecode(in []byte) string {
	var out []rune
	needed, seen, cp := 0, 0, rune(0)
	lower, upper := byte(0x80), byte(0xBF)
	for i := 0; i <= len(in); i++ {
		if i == len(in) {
			if needed != 0 {
				out = append(out, '\uFFFD')
			}
			break
		}
		b := in[i]
		if needed == 0 {
			switch {
			case b <= 0x7F:
				out = append(out, rune(b))
			case b >= 0xC2 && b <= 0xDF:
				needed, cp = 1, rune(b&0x1F)
			case b >= 0xE0 && b <= 0xEF:
				if b == 0xE0 {
					lower = 0xA0
				}
				if b == 0xED {
					upper = 0x9F
				}
				needed, cp = 2, rune(b&0xF)
			case b >= 0xF0 && b <= 0xF4:
				if b == 0xF0 {
					lower = 0x90
				}
				if b == 0xF4 {
					upper = 0x8F
				}
				needed, cp = 3, rune(b&0x7)
			default:
				out = append(out, '\uFFFD')
			}
			continue
		}
		if b < lower || b > upper {
			needed, seen, cp, lower, upper = 0, 0, 0, 0x80, 0xBF
			out = append(out, '\uFFFD')
			i-- // "restore byte to ioQueue"
			continue
		}
		lower, upper = 0x80, 0xBF
		cp = cp<<6 | rune(b&0x3F)
		seen++
		if seen == needed {
			out = append(out, cp)
			needed, seen, cp = 0, 0, 0
		}
	}
	return string(out)
}

func TestCROnlyLinesInOneChunk(t *testing.T) {
	// Many CR-only lines in one chunk: each line end is searched for once.
	var b strings.Builder
	var want []Event
	for i := 0; i < 2000; i++ {
		b.WriteString("data: x\r\r")
		want = append(want, Event{Type: "message", Data: "x"})
	}
	expect(t, feedAll(t, New(0), b.String()), want...)
}

func TestLongDataLineAcrossChunks(t *testing.T) {
	// One data line of 1 MiB fed in chunks that cut a two-byte character at
	// every boundary gives the event whole, and the parser keeps no buffer of
	// that size afterwards.
	payload := strings.Repeat("\u00e9", 1<<19)
	stream := []byte("event: big\ndata: " + payload + "\n\n")
	p := New(0)
	var got []Event
	for i := 0; i < len(stream); i += 4095 {
		evs, err := p.Feed(stream[i:min(i+4095, len(stream))])
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, evs...)
	}
	if len(got) != 1 || got[0].Type != "big" || got[0].Data != payload {
		t.Fatalf("%d events", len(got))
	}
	if cap(p.data) > keepBuffer || cap(p.line) > keepBuffer {
		t.Fatalf("the parser kept buffers of %d and %d bytes after the event", cap(p.data), cap(p.line))
	}
}

func TestCommentsAndIgnoredFieldsAreNotBuffered(t *testing.T) {
	p := New(0)
	feedAll(t, p, ": "+strings.Repeat("c", 100_000), "\nfoo: "+strings.Repeat("f", 100_000))
	if len(p.line) != 0 || len(p.data) != 0 {
		t.Fatalf("buffered %d line bytes and %d data bytes for a comment and an ignored field", len(p.line), len(p.data))
	}
	expect(t, feedAll(t, p, "\ndata: ok\n\n"), Event{Type: "message", Data: "ok"})
}

func TestIDWithNULIgnored(t *testing.T) {
	expect(t, feedAll(t, New(0), "id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n"),
		Event{Type: "message", Data: "a", ID: "1", LastEventID: "1"},
		Event{Type: "message", Data: "b", ID: "", LastEventID: "1"})
}

func TestLastEventIDPersistsAcrossEvents(t *testing.T) {
	p := New(0)
	expect(t, feedAll(t, p, "id: 5\ndata: a\n\ndata: b\n\nid\ndata: c\n\n"),
		Event{Type: "message", Data: "a", ID: "5", LastEventID: "5"}, Event{Type: "message", Data: "b", ID: "", LastEventID: "5"},
		Event{Type: "message", Data: "c", ID: "", LastEventID: ""})
}

func TestIDIsTheEventsOwn(t *testing.T) {
	// ID is only ever the event's own id line: a frame without one has ID ""
	// (not the id an earlier frame left behind), while LastEventID carries over.
	// An id in a block that dispatches nothing (no data) moves LastEventID only.
	p := New(0)
	expect(t, feedAll(t, p, "id: 1\ndata: a\n\nevent: x\ndata: b\n\nid: 2\n\ndata: c\n\nid: 3\nid: 4\ndata: d\n\n"),
		Event{Type: "message", Data: "a", ID: "1", LastEventID: "1"},
		Event{Type: "x", Data: "b", ID: "", LastEventID: "1"},
		Event{Type: "message", Data: "c", ID: "", LastEventID: "2"},
		Event{Type: "message", Data: "d", ID: "4", LastEventID: "4"})
	if got := p.LastEventID(); got != "4" {
		t.Fatalf("LastEventID() = %q", got)
	}
	// A frame's id may come after its data, and split across chunks.
	expect(t, feedAll(t, New(0), "data: e\ni", "d: 9\n", "\ndata: f\n\n"),
		Event{Type: "message", Data: "e", ID: "9", LastEventID: "9"},
		Event{Type: "message", Data: "f", ID: "", LastEventID: "9"})
}

func TestRetryNonDigitsIgnored(t *testing.T) {
	p := New(0)
	feedAll(t, p, "retry: 1500\n\n")
	if ms, ok := p.Retry(); !ok || ms != 1500 {
		t.Fatalf("retry = %d, %v", ms, ok)
	}
	feedAll(t, p, "retry: 2s\n\nretry: -1\n\nretry: 1.5\n\nretry:\n\nretry:  7\n\n")
	if ms, _ := p.Retry(); ms != 1500 {
		t.Fatalf("non-digit retry values changed the retry to %d", ms)
	}
}

func TestUnknownFieldsIgnored(t *testing.T) {
	expect(t, feedAll(t, New(0), "foo: bar\ndata: x\nDATA: y\nEvent: z\n\n"), Event{Type: "message", Data: "x"})
}

func TestFieldWithoutColon(t *testing.T) {
	// "data" alone is a data field with an empty value.
	expect(t, feedAll(t, New(0), "data\ndata\n\n"), Event{Type: "message", Data: "\n"})
}

func TestOneLeadingSpaceStripped(t *testing.T) {
	expect(t, feedAll(t, New(0), "data:  two spaces\n\ndata:none\n\n"),
		Event{Type: "message", Data: " two spaces"}, Event{Type: "message", Data: "none"})
}

func TestEmptyData(t *testing.T) {
	// A data field with an empty value is data: the event dispatches with "".
	expect(t, feedAll(t, New(0), "event: ping\ndata:\n\n"), Event{Type: "ping", Data: ""})
}

func TestBlankLineWithoutDataDispatchesNothing(t *testing.T) {
	// ... and resets the event type.
	expect(t, feedAll(t, New(0), "event: a\n\n\n\ndata: x\n\n"), Event{Type: "message", Data: "x"})
}

func TestIncompleteEventAtEOFDropped(t *testing.T) {
	p := New(0)
	expect(t, feedAll(t, p, "data: whole\n\ndata: half\n"), Event{Type: "message", Data: "whole"})
	p.End()
	expect(t, feedAll(t, p, "\n"))
}

func TestOversizedEvent(t *testing.T) {
	p := New(64)
	_, err := p.Feed([]byte("data: " + strings.Repeat("x", 40) + "\n"))
	if err != nil {
		t.Fatalf("under the cap: %v", err)
	}
	_, err = p.Feed([]byte("data: " + strings.Repeat("y", 40) + "\n"))
	var tooLarge *EventTooLargeError
	if !errors.As(err, &tooLarge) || tooLarge.Limit != 64 {
		t.Fatalf("err = %v, want *EventTooLargeError", err)
	}
	if _, err := p.Feed([]byte("\n")); err == nil {
		t.Fatal("the parser must stay failed until Reset")
	}
	p.Reset()
	expect(t, feedAll(t, p, "data: ok\n\n"), Event{Type: "message", Data: "ok"})
}

func TestOversizedLineWithoutNewline(t *testing.T) {
	_, err := New(16).Feed(bytes.Repeat([]byte("z"), 17))
	var tooLarge *EventTooLargeError
	if !errors.As(err, &tooLarge) {
		t.Fatalf("err = %v, want *EventTooLargeError", err)
	}
}

func TestReset(t *testing.T) {
	p := New(0)
	feedAll(t, p, "id: 3\nevent: a\ndata: half")
	p.Reset()
	expect(t, feedAll(t, p, "\xEF\xBB\xBFdata: x\n\n"), Event{Type: "message", Data: "x"})
	if p.LastEventID() != "" {
		t.Fatalf("LastEventID() = %q after Reset", p.LastEventID())
	}
}

// parseChunked feeds input split at the given cut points, then ends it; it
// returns the events and the parser's last event ID before the end.
func parseChunked(input []byte, cuts []int) ([]Event, string, error) {
	p := New(1 << 10)
	var out []Event
	prev := 0
	for _, c := range append(cuts, len(input)) {
		if c < prev || c > len(input) {
			continue
		}
		evs, err := p.Feed(input[prev:c])
		out = append(out, evs...)
		if err != nil {
			return out, "", err
		}
		prev = c
	}
	last := p.LastEventID()
	p.End()
	return out, last, nil
}

// referenceParse is the standard's algorithm written as plainly as possible,
// over the whole input at once, to check the Parser against: decode UTF-8
// (whatwgDecode, one leading BOM stripped), split into lines at
// CRLF, LF or CR (an unfinished last line is dropped), and process each line.
func referenceParse(input []byte) (events []Event, lastID string) {
	text := strings.TrimPrefix(whatwgDecode(input), "\uFEFF")
	var data, eventType, ownID string
	dataSeen := false
	for {
		i := strings.IndexAny(text, "\r\n")
		if i < 0 {
			return events, lastID
		}
		line := text[:i]
		if strings.HasPrefix(text[i:], "\r\n") {
			i++
		}
		text = text[i+1:]
		switch {
		case line == "":
			if dataSeen {
				typ := eventType
				if typ == "" {
					typ = "message"
				}
				events = append(events, Event{Type: typ, Data: strings.TrimSuffix(data, "\n"), ID: ownID, LastEventID: lastID})
			}
			data, eventType, ownID, dataSeen = "", "", "", false
		case line[0] == ':':
		default:
			field, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch field {
			case "event":
				eventType = value
			case "data":
				data += value + "\n"
				dataSeen = true
			case "id":
				if !strings.Contains(value, "\x00") {
					lastID, ownID = value, value
				}
			}
		}
	}
}

func TestFeedReusesItsSlice(t *testing.T) {
	// The slice Feed returns is the parser's, valid until the next Feed: a
	// chunk completing as many events as the one before allocates nothing.
	p := New(0)
	chunk := []byte("id: 1\nevent: content\ndata: {\"content\": \"a\"}\n\n")
	first, _ := p.Feed(chunk)
	kept := first[0]
	allocs := testing.AllocsPerRun(100, func() {
		if evs, err := p.Feed(chunk); err != nil || len(evs) != 1 {
			t.Fatalf("%v %v", evs, err)
		}
	})
	// The event's Data and ID are the only allocations: the type, repeated,
	// is shared.
	if allocs > 2 {
		t.Fatalf("%v allocations per chunk of one event", allocs)
	}
	if kept != (Event{Type: "content", Data: `{"content": "a"}`, ID: "1", LastEventID: "1"}) {
		t.Fatalf("an event copied from an earlier Feed changed: %#v", kept)
	}
}

func FuzzParser(f *testing.F) {
	f.Add([]byte("event: a\r\ndata: x\r\n\r\nid: 1\rdata: y\r\r"), []byte{3, 9, 17})
	f.Add([]byte("\xEF\xBB\xBFdata: \xc3\xa9\n\n: c\nretry: 10\n\n"), []byte{1, 2, 10})
	f.Add([]byte("data\ndata:\n\nid: a\x00b\ndata: z\n\n"), []byte{0, 5})
	f.Add([]byte("id: 1\ndata: a\n\ndata: b\n\nid: 2\n\nid\ndata: c\r\n\r\n"), []byte{4, 11, 2})
	f.Add([]byte("data: a\xE1\x80\r\nevent: \xF0\x90\x80x\ndata: \xF0\x80\x80\xED\xA0\x80\n\n"), []byte{8, 1, 1, 9})
	f.Add([]byte(": c\xE1\ndata\xE1: x\ndata:\xC2\xA9\xE2\x82\n\n"), []byte{5, 7, 1})
	f.Fuzz(func(t *testing.T, input []byte, cutBytes []byte) {
		whole, wholeLast, wholeErr := parseChunked(input, nil)
		var cuts []int
		pos := 0
		for _, b := range cutBytes {
			pos += int(b % 16)
			cuts = append(cuts, pos)
		}
		chunked, chunkedLast, chunkedErr := parseChunked(input, cuts)
		if (wholeErr == nil) != (chunkedErr == nil) {
			// The cap may trip at a different point, but only if it trips at all.
			t.Fatalf("errors differ: whole %v, chunked %v", wholeErr, chunkedErr)
		}
		if wholeErr != nil {
			return
		}
		if !reflect.DeepEqual(whole, chunked) || wholeLast != chunkedLast {
			t.Fatalf("chunking changed the events:\n whole   %#v (last id %q)\n chunked %#v (last id %q)", whole, wholeLast, chunked, chunkedLast)
		}
		if want, wantLast := referenceParse(input); !(len(want) == 0 && len(whole) == 0) && !reflect.DeepEqual(whole, want) || wholeLast != wantLast {
			t.Fatalf("the parser differs from the reference:\n parser    %#v (last id %q)\n reference %#v (last id %q)", whole, wholeLast, want, wantLast)
		}
		// An event's own id is its block's last id line, which also set the last
		// event ID: a non-empty own id is the last event ID at dispatch.
		for _, ev := range whole {
			if ev.ID != "" && ev.ID != ev.LastEventID {
				t.Fatalf("own id %q is not the last event ID %q at dispatch: %#v", ev.ID, ev.LastEventID, ev)
			}
		}
	})
}
