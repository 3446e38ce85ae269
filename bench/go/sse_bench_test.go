// Package bench measures the Go SDK's SSE path against github.com/tmaxmax/go-sse
// on the same bytes, in the same run (bench/README.md says what and why).
//
// The input is the file named by SSE_BENCH_INPUT (bench/run.py writes the
// stream the Python benchmarks use); without it, the same stream is built here.
//
//	go test -run '^$' -bench . -benchmem
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	promptrails "github.com/promptrails/go-sdk"
	ours "github.com/promptrails/go-sdk/internal/sse"
	peer "github.com/tmaxmax/go-sse"
)

const (
	events = 20_000
	chunk  = 4096
)

var input = sync.OnceValue(func() []byte {
	if path := os.Getenv("SSE_BENCH_INPUT"); path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			panic(err)
		}
		return data
	}
	return streamBytes(events)
})

// streamBytes is bench_python._stream_bytes: an execution frame, content
// deltas, a done frame, every frame with an id.
func streamBytes(n int) []byte {
	var b bytes.Buffer
	b.WriteString("id: 1\nevent: execution\ndata: {\"execution_id\":\"ex_1\",\"user_message_id\":\"m_1\"}\n\n")
	for i := 2; i < n; i++ {
		fmt.Fprintf(&b, "id: %d\nevent: content\ndata: {\"content\": \"word%d \"}\n\n", i, i)
	}
	fmt.Fprintf(&b, "id: %d\nevent: done\ndata: {\"output\": \"...\", \"token_usage\": {\"prompt_tokens\": 1, "+
		"\"completion_tokens\": %d, \"total_tokens\": %d}, \"time\": 1.0}\n\n", n, n, n+1)
	return b.Bytes()
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

// replay is an http.RoundTripper answering every request with the stream.
type replay struct{ data []byte }

func (t replay) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	return &http.Response{
		StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"text/event-stream"}},
		Body:          &chunkReader{data: t.data},
		ContentLength: -1,
		Request:       req,
	}, nil
}

func chunks(data []byte) [][]byte {
	var out [][]byte
	for len(data) > 0 {
		n := min(len(data), chunk)
		out = append(out, data[:n])
		data = data[n:]
	}
	return out
}

// parseOurs feeds the SDK's push parser 4 KiB chunks.
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

// parsePeer lets go-sse read the same bytes from a reader giving 4 KiB a Read.
func parsePeer(data []byte) (int, error) {
	n := 0
	for _, err := range peer.Read(&chunkReader{data: data}, &peer.ReadConfig{MaxEventSize: 16 << 20}) {
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// typedOurs iterates client.Chat.SendMessageStream over the replayed body.
func typedOurs(data []byte) (int, error) {
	client := promptrails.NewClient("bench",
		promptrails.WithBaseURL("http://bench.local"),
		promptrails.WithHTTPClient(&http.Client{Transport: replay{data}}))
	stream, err := client.Chat.SendMessageStream(context.Background(), "s_1", &promptrails.SendMessageParams{Content: "Hello!"})
	if err != nil {
		return 0, err
	}
	defer stream.Close()
	n := 0
	for stream.Next() {
		if stream.Event() == nil {
			return n, fmt.Errorf("nil event")
		}
		n++
	}
	return n, stream.Err()
}

// What a user would write without the SDK: their own structs, one per event.
type (
	peerExecution struct {
		ExecutionID   string `json:"execution_id"`
		UserMessageID string `json:"user_message_id"`
	}
	peerContent struct {
		Content string `json:"content"`
	}
	peerDone struct {
		Output     string `json:"output"`
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
func typedPeer(data []byte) (int, error) {
	client := &http.Client{Transport: replay{data}}
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
			v = &peerContent{}
		case "done":
			v = &peerDone{}
		default:
			v = &map[string]any{}
		}
		if err := json.Unmarshal([]byte(ev.Data), v); err != nil {
			return n, err
		}
		n++
		if ev.Type == "done" || ev.Type == "error" {
			break
		}
	}
	return n, nil
}

func bench(b *testing.B, f func() (int, error)) {
	b.SetBytes(int64(len(input())))
	b.ReportAllocs()
	for b.Loop() {
		n, err := f()
		if err != nil || n != events {
			b.Fatalf("got %d events, err %v; want %d", n, err, events)
		}
	}
}

func BenchmarkParseOurs(b *testing.B) {
	cs := chunks(input())
	bench(b, func() (int, error) { return parseOurs(cs) })
}

func BenchmarkParsePeer(b *testing.B) {
	bench(b, func() (int, error) { return parsePeer(input()) })
}

func BenchmarkTypedOurs(b *testing.B) {
	bench(b, func() (int, error) { return typedOurs(input()) })
}

func BenchmarkTypedPeer(b *testing.B) {
	bench(b, func() (int, error) { return typedPeer(input()) })
}

// TestSameEvents checks both sides see the same events before anyone times them.
func TestSameEvents(t *testing.T) {
	data := input()
	var got []ours.Event
	p := ours.New(0)
	for _, c := range chunks(data) {
		evs, err := p.Feed(c)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, evs...)
	}
	i := 0
	for ev, err := range peer.Read(&chunkReader{data: data}, &peer.ReadConfig{MaxEventSize: 16 << 20}) {
		if err != nil {
			t.Fatal(err)
		}
		if i >= len(got) || got[i].Type != ev.Type || got[i].Data != ev.Data || got[i].ID != ev.LastEventID {
			t.Fatalf("event %d differs: ours %+v, peer %+v", i, got[min(i, len(got)-1)], ev)
		}
		i++
	}
	if i != events || len(got) != events {
		t.Fatalf("ours %d events, peer %d; want %d", len(got), i, events)
	}
	for name, f := range map[string]func([]byte) (int, error){"ours": typedOurs, "peer": typedPeer} {
		if n, err := f(data); err != nil || n != events {
			t.Fatalf("typed %s: %d events, err %v", name, n, err)
		}
	}
}
