// Package bench measures the Go SDK against what a user would write without it
// (github.com/tmaxmax/go-sse + encoding/json, net/http), on the same bytes, in
// the same run (bench/README.md says what and why). bench/run.py drives it:
//
//   - SSE_BENCH_INPUT: the stream file bench/run.py writes (streams.chat_stream()),
//     read by the typed-stream and parse benchmarks, at two chunkings;
//   - SSE_BENCH_REPLY: the JSON body of the per-call benchmarks (the sendMessage
//     example of openapi.yaml);
//   - SSE_BENCH_RSS=ours|peer: TestRSS reads a 100 MB reply (one side per process)
//     and prints its peak RSS growth.
//
// Without SSE_BENCH_INPUT (or SSE_BENCH_REPLY) those benchmarks skip:
//
//	python3 bench/streams.py --write /tmp/stream.sse
//	SSE_BENCH_INPUT=/tmp/stream.sse go test -run TestSameEvents -bench Typed -benchmem
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	promptrails "github.com/promptrails/go-sdk"
	ours "github.com/promptrails/go-sdk/internal/sse"
	peer "github.com/tmaxmax/go-sse"
)

// chunk is the read size of chunks and chunkReader (used by the long-line benchmarks).
const chunk = 4096

func readEnv(tb testing.TB, name string) []byte {
	path := os.Getenv(name)
	if path == "" {
		tb.Skipf("%s is not set (bench/run.py sets it)", name)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

var (
	inputOnce sync.Once
	inputData []byte
)

func input(tb testing.TB) []byte {
	inputOnce.Do(func() { inputData = readEnv(tb, "SSE_BENCH_INPUT") })
	if inputData == nil {
		tb.Skip("no input")
	}
	return inputData
}

// chunkReader hands out its bytes at most chunk bytes per Read, as a network
// body would.
type chunkReader struct{ data []byte }

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), chunk)], r.data)
	r.data = r.data[n:]
	return n, nil
}

func (r *chunkReader) Close() error { return nil }

// listReader hands out one chunk of its list per Read (a chunk larger than the
// caller's buffer over several Reads), as a body flushed in those pieces would.
type listReader struct {
	chunks [][]byte
	cur    []byte
}

func (r *listReader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if len(r.chunks) == 0 {
			return 0, io.EOF
		}
		r.cur, r.chunks = r.chunks[0], r.chunks[1:]
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

func (r *listReader) Close() error { return nil }

func response(req *http.Request, contentType string, body io.ReadCloser) *http.Response {
	if req.Body != nil {
		io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	return &http.Response{
		StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {contentType}},
		Body:          body,
		ContentLength: -1,
		Request:       req,
	}
}

// replay is an http.RoundTripper answering every request with the stream, 4 KiB per Read.
type replay struct{ data []byte }

func (t replay) RoundTrip(req *http.Request) (*http.Response, error) {
	return response(req, "text/event-stream", &chunkReader{data: t.data}), nil
}

// replayChunks answers every request with the stream, one chunk of the list per Read.
type replayChunks struct{ chunks [][]byte }

func (t replayChunks) RoundTrip(req *http.Request) (*http.Response, error) {
	return response(req, "text/event-stream", &listReader{chunks: t.chunks}), nil
}

// replayJSON answers every request with a JSON body.
type replayJSON struct{ body []byte }

func (t replayJSON) RoundTrip(req *http.Request) (*http.Response, error) {
	return response(req, "application/json", io.NopCloser(bytes.NewReader(t.body))), nil
}

// chunks cuts data into 4 KiB pieces.
func chunks(data []byte) [][]byte { return fixedChunks(data, chunk) }

func fixedChunks(data []byte, size int) [][]byte {
	var out [][]byte
	for len(data) > 0 {
		n := min(len(data), size)
		out = append(out, data[:n])
		data = data[n:]
	}
	return out
}

// frameChunks cuts data after every blank line: one chunk per frame.
func frameChunks(data []byte) [][]byte {
	var out [][]byte
	for len(data) > 0 {
		i := bytes.Index(data, []byte("\n\n"))
		if i < 0 {
			out = append(out, data)
			break
		}
		out = append(out, data[:i+2])
		data = data[i+2:]
	}
	return out
}

// -- the sides --------------------------------------------------------------------------

// seen is what a side delivered, for checking: event names and content deltas in
// order, and done.output as JSON.
type seen struct {
	names  []string
	deltas []string
	output []byte
}

// typedOurs iterates client.Chat.SendMessageStream over the replayed body.
func typedOurs(rt http.RoundTripper, s *seen) (int, error) {
	client := promptrails.NewClient("bench",
		promptrails.WithBaseURL("http://bench.local"),
		promptrails.WithHTTPClient(&http.Client{Transport: rt}))
	stream, err := client.Chat.SendMessageStream(context.Background(), "s_1", &promptrails.SendMessageParams{Content: "Hello!"})
	if err != nil {
		return 0, err
	}
	defer stream.Close()
	n := 0
	for stream.Next() {
		ev := stream.Event()
		if ev == nil {
			return n, fmt.Errorf("nil event")
		}
		n++
		if s != nil {
			s.names = append(s.names, ev.EventType())
			switch e := ev.(type) {
			case *promptrails.ContentEvent:
				s.deltas = append(s.deltas, e.Content)
			case *promptrails.DoneEvent:
				if s.output, err = json.Marshal(e.Output); err != nil {
					return n, err
				}
			}
		}
	}
	return n, stream.Err()
}

// What a user would write without the SDK: their own structs, one per event.
type (
	peerExecution struct {
		ExecutionID   string `json:"execution_id"`
		UserMessageID string `json:"user_message_id"`
	}
	peerText struct {
		Content string `json:"content"`
	}
	peerTool struct {
		ID      string `json:"id"`
		Name    string `json:"name"`
		Summary string `json:"summary"`
	}
	peerDone struct {
		Output     json.RawMessage `json:"output"`
		TokenUsage struct {
			PromptTokens     int64 `json:"prompt_tokens"`
			CompletionTokens int64 `json:"completion_tokens"`
			TotalTokens      int64 `json:"total_tokens"`
		} `json:"token_usage"`
		Time float64 `json:"time"`
	}
)

// typedPeer posts the same request through net/http, reads the body with
// go-sse and json.Unmarshals each event into its struct.
func typedPeer(rt http.RoundTripper, s *seen) (int, error) {
	client := &http.Client{Transport: rt}
	req, err := http.NewRequestWithContext(context.Background(), "POST",
		"http://bench.local/api/v1/chat/sessions/s_1/messages/stream", strings.NewReader(`{"content":"Hello!"}`))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("X-API-Key", "bench")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n := 0
	for ev, err := range peer.Read(resp.Body, &peer.ReadConfig{MaxEventSize: 16 << 20}) {
		if err != nil {
			return n, err
		}
		var v any
		switch ev.Type {
		case "execution":
			v = &peerExecution{}
		case "content", "thinking":
			v = &peerText{}
		case "tool_start", "tool_end":
			v = &peerTool{}
		case "done":
			v = &peerDone{}
		default:
			v = &map[string]any{}
		}
		if err := json.Unmarshal([]byte(ev.Data), v); err != nil {
			return n, err
		}
		n++
		if s != nil {
			s.names = append(s.names, ev.Type)
			switch e := v.(type) {
			case *peerText:
				if ev.Type == "content" {
					s.deltas = append(s.deltas, e.Content)
				}
			case *peerDone:
				s.output = e.Output
			}
		}
		if ev.Type == "done" || ev.Type == "error" {
			break
		}
	}
	return n, nil
}

// parseOurs feeds the SDK's push parser the chunks.
func parseOurs(cs [][]byte) (int, error) {
	p := ours.New(0)
	n := 0
	for _, c := range cs {
		evs, err := p.Feed(c)
		if err != nil {
			return n, err
		}
		n += len(evs)
	}
	p.End()
	return n, nil
}

// parsePeer lets go-sse read the same chunks.
func parsePeer(cs [][]byte) (int, error) {
	n := 0
	for _, err := range peer.Read(&listReader{chunks: cs}, &peer.ReadConfig{MaxEventSize: 16 << 20}) {
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// -- checks and benchmarks --------------------------------------------------------------

// want counts the events of the input: 5 fixed frames and the content deltas.
func want(data []byte) int { return bytes.Count(data, []byte("event: content\n")) + 5 }

func checkSeen(side string, s *seen, data []byte) error {
	n := want(data)
	if len(s.names) != n {
		return fmt.Errorf("%s: %d events, want %d", side, len(s.names), n)
	}
	if strings.Join(s.names[:4], ",") != "execution,thinking,tool_start,tool_end" || s.names[n-1] != "done" {
		return fmt.Errorf("%s: events in the wrong order: %v ... %s", side, s.names[:4], s.names[n-1])
	}
	if len(s.deltas) != n-5 {
		return fmt.Errorf("%s: %d content events, want %d", side, len(s.deltas), n-5)
	}
	var out struct{ Content string }
	if err := json.Unmarshal(s.output, &out); err != nil || out.Content != strings.Join(s.deltas, "") {
		return fmt.Errorf("%s: the deltas do not join to done.output.content (%v)", side, err)
	}
	return nil
}

func chunkings(data []byte) map[string][][]byte {
	return map[string][][]byte{"Frame": frameChunks(data), "64k": fixedChunks(data, 64<<10)}
}

// TestSameEvents checks that every side delivers every event before anyone times them.
func TestSameEvents(t *testing.T) {
	data := input(t)
	for name, cs := range chunkings(data) {
		for side, f := range map[string]func(http.RoundTripper, *seen) (int, error){"ours": typedOurs, "peer": typedPeer} {
			var s seen
			if _, err := f(replayChunks{cs}, &s); err != nil {
				t.Fatalf("typed %s, %s: %v", side, name, err)
			}
			if err := checkSeen(side+" "+name, &s, data); err != nil {
				t.Fatal(err)
			}
		}
		for side, f := range map[string]func([][]byte) (int, error){"ours": parseOurs, "peer": parsePeer} {
			if n, err := f(cs); err != nil || n != want(data) {
				t.Fatalf("parse %s, %s: %d events, err %v", side, name, n, err)
			}
		}
	}
	if body := replyOnce(); body != nil {
		reply, err := callOurs(oursClient(body))
		if err != nil {
			t.Fatalf("call ours: %v", err)
		}
		content, err := contentOf(reply)
		raw, rawErr := callRaw(&http.Client{Transport: replayJSON{body}})
		if err != nil || rawErr != nil || content == "" || content != raw.Data.Content ||
			!bytes.Contains(body, []byte(strconv.Quote(content))) {
			t.Fatalf("call: ours %q (%v), raw %+v (%v)", content, err, raw, rawErr)
		}
	}
}

func benchStream(b *testing.B, f func([][]byte) (int, error), cs [][]byte, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	n := want(data)
	for b.Loop() {
		got, err := f(cs)
		if err != nil || got != n {
			b.Fatalf("got %d events, err %v; want %d", got, err, n)
		}
	}
}

func typed(f func(http.RoundTripper, *seen) (int, error)) func([][]byte) (int, error) {
	return func(cs [][]byte) (int, error) { return f(replayChunks{cs}, nil) }
}

func BenchmarkTypedOursFrame(b *testing.B) {
	d := input(b)
	benchStream(b, typed(typedOurs), frameChunks(d), d)
}
func BenchmarkTypedPeerFrame(b *testing.B) {
	d := input(b)
	benchStream(b, typed(typedPeer), frameChunks(d), d)
}
func BenchmarkTypedOurs64k(b *testing.B) {
	d := input(b)
	benchStream(b, typed(typedOurs), fixedChunks(d, 64<<10), d)
}
func BenchmarkTypedPeer64k(b *testing.B) {
	d := input(b)
	benchStream(b, typed(typedPeer), fixedChunks(d, 64<<10), d)
}
func BenchmarkParseOurs(b *testing.B) {
	d := input(b)
	benchStream(b, parseOurs, fixedChunks(d, 64<<10), d)
}
func BenchmarkParsePeer(b *testing.B) {
	d := input(b)
	benchStream(b, parsePeer, fixedChunks(d, 64<<10), d)
}

// -- per call ---------------------------------------------------------------------------

func oursClient(body []byte) *promptrails.Client {
	return promptrails.NewClient("bench", promptrails.WithBaseURL("http://bench.local"),
		promptrails.WithHTTPClient(&http.Client{Transport: replayJSON{body}}))
}

// callOurs is client.Chat.SendMessage through a RoundTripper answering the reply.
func callOurs(c *promptrails.Client) (*promptrails.ChatReply, error) {
	return c.Chat.SendMessage(context.Background(), "s_1", &promptrails.SendMessageParams{Content: "Hello!"})
}

// contentOf reads the reply's content through its JSON, whatever the field's Go type.
func contentOf(reply any) (string, error) {
	raw, err := json.Marshal(reply)
	if err != nil {
		return "", err
	}
	var out struct{ Content string }
	err = json.Unmarshal(raw, &out)
	return out.Content, err
}

// rawReply is the struct a user would declare for the reply.
type rawReply struct {
	Data struct {
		ID               string          `json:"id"`
		SessionID        string          `json:"session_id"`
		Role             string          `json:"role"`
		Content          string          `json:"content"`
		Metadata         map[string]any  `json:"metadata"`
		ToolCalls        json.RawMessage `json:"tool_calls"`
		ToolResults      json.RawMessage `json:"tool_results"`
		Model            string          `json:"model"`
		Cost             float64         `json:"cost"`
		TokenCount       int64           `json:"token_count"`
		PromptTokens     int64           `json:"prompt_tokens"`
		CompletionTokens int64           `json:"completion_tokens"`
		CreatedAt        time.Time       `json:"created_at"`
		ExecutionID      string          `json:"execution_id"`
		UserMessage      *struct {
			ID         string         `json:"id"`
			SessionID  string         `json:"session_id"`
			Role       string         `json:"role"`
			Content    string         `json:"content"`
			Metadata   map[string]any `json:"metadata"`
			TokenCount int64          `json:"token_count"`
			CreatedAt  time.Time      `json:"created_at"`
		} `json:"user_message"`
	} `json:"data"`
}

// callRaw sends the same request through net/http and decodes the JSON into rawReply.
func callRaw(c *http.Client) (*rawReply, error) {
	req, err := http.NewRequestWithContext(context.Background(), "POST",
		"http://bench.local/api/v1/chat/sessions/s_1/messages", strings.NewReader(`{"content":"Hello!"}`))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-API-Key", "bench")
	req.Header.Set("User-Agent", "bench/1.0")
	req.Header.Set("Idempotency-Key", "5f0c6f4e-9a51-4b8e-9f3e-0c1d2e3f4a5b")
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	var out rawReply
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, err
	}
	return &out, nil
}

var replyOnce = sync.OnceValue(func() []byte {
	path := os.Getenv("SSE_BENCH_REPLY")
	if path == "" {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	return data
})

func BenchmarkCallOurs(b *testing.B) {
	body := replyOnce()
	if body == nil {
		b.Skip("SSE_BENCH_REPLY is not set")
	}
	client := oursClient(body)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := callOurs(client); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCallRaw is the peer of BenchmarkCallOurs: the call as a careful hand-written
// client makes it, bounded by a timeout as the SDK's calls are by default (DefaultTimeout,
// 60 s) and as the Python row's raw httpx call is (httpx's default timeout).
func BenchmarkCallRaw(b *testing.B) {
	benchCallRaw(b, 60*time.Second)
}

// BenchmarkCallRawBare is the same call without a timeout, given in the row's note.
func BenchmarkCallRawBare(b *testing.B) {
	benchCallRaw(b, 0)
}

func benchCallRaw(b *testing.B, timeout time.Duration) {
	body := replyOnce()
	if body == nil {
		b.Skip("SSE_BENCH_REPLY is not set")
	}
	client := &http.Client{Transport: replayJSON{body}, Timeout: timeout}
	b.ReportAllocs()
	for b.Loop() {
		if reply, err := callRaw(client); err != nil || reply.Data.Content == "" {
			b.Fatal(err)
		}
	}
}

// -- peak RSS on a 100 MB reply ---------------------------------------------------------

// bigReader is streams.BigStream: execution, content deltas of 100 characters up to
// 100 MB, a done without output; made as it is read, 64 KiB per Read.
type bigReader struct {
	total, sent, id, frames int
	text                    string
	pending                 []byte
	finished                bool
}

func newBigReader() *bigReader {
	r := &bigReader{total: 100_000_000, id: 2, frames: 1, text: strings.Repeat("x", 99) + " "}
	r.pending = fmt.Appendf(nil, "id: 1\nevent: execution\ndata: {\"execution_id\":\"2Qm8c7Zz9yXwV8uT7sR6qP5oN4m\",\"user_message_id\":\"2Qm8c7Hn0pLkJ3sVbX5wR1tY9eA\"}\n\n")
	return r
}

func (r *bigReader) Read(p []byte) (int, error) {
	const size = 64 << 10
	for len(r.pending) < size && !r.finished {
		if r.sent >= r.total {
			r.pending = fmt.Appendf(r.pending, "id: %d\nevent: done\ndata: {\"token_usage\":{\"prompt_tokens\":1,\"completion_tokens\":%d,\"total_tokens\":%d},\"time\":1.0}\n\n", r.id, r.id, r.id+1)
			r.frames++
			r.finished = true
			break
		}
		before := len(r.pending)
		r.pending = fmt.Appendf(r.pending, "id: %d\nevent: content\ndata: {\"content\":\"%s\"}\n\n", r.id, r.text)
		r.sent += len(r.pending) - before
		r.id++
		r.frames++
	}
	if len(r.pending) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), size)], r.pending)
	r.pending = append(r.pending[:0], r.pending[n:]...)
	return n, nil
}

func (r *bigReader) Close() error { return nil }

type replayBig struct{ last **bigReader }

func (t replayBig) RoundTrip(req *http.Request) (*http.Response, error) {
	r := newBigReader()
	*t.last = r
	return response(req, "text/event-stream", r), nil
}

var statusLine = regexp.MustCompile(`(?m)^(VmRSS|VmHWM):\s+(\d+) kB`)

func procStatus(t *testing.T) map[string]int64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, m := range statusLine.FindAllSubmatch(raw, -1) {
		v, _ := strconv.ParseInt(string(m[2]), 10, 64)
		out[string(m[1])] = v * 1024
	}
	return out
}

// TestRSS reads the 100 MB reply through one side (SSE_BENCH_RSS=ours|peer) and prints
// `RSS {json}`: the peak RSS (VmHWM, reset first through /proc/self/clear_refs) minus
// the RSS before the call.
func TestRSS(t *testing.T) {
	side := os.Getenv("SSE_BENCH_RSS")
	if side == "" {
		t.Skip("SSE_BENCH_RSS is not set")
	}
	var last *bigReader
	f := map[string]func(http.RoundTripper, *seen) (int, error){"ours": typedOurs, "peer": typedPeer}[side]
	if f == nil {
		t.Fatalf("SSE_BENCH_RSS=%s: want ours or peer", side)
	}
	reset := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	before := procStatus(t)
	start := time.Now()
	n, err := f(replayBig{&last}, nil)
	seconds := time.Since(start).Seconds()
	after := procStatus(t)
	if err != nil || last == nil || n != last.frames {
		t.Fatalf("%s: %d events, err %v", side, n, err)
	}
	row, _ := json.Marshal(map[string]any{"side": side, "growth": after["VmHWM"] - before["VmRSS"], "baseline": before["VmRSS"],
		"peak": after["VmHWM"], "events": n, "seconds": seconds, "reset": reset})
	fmt.Printf("RSS %s\n", row)
}
