package promptrails

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Stream lifecycle (issue 9): a stream read to its end gives its connection
// back to the pool; a stream closed early, cancelled, or dropped without
// Close releases it. Each test runs many streams through a transport allowed
// one or two connections: a leaked connection makes the next call wait for
// it, and every call has a context deadline, so a leak fails the test instead
// of hanging it.

// callTimeout bounds every call of these tests (a leak shows as its error).
const callTimeout = 20 * time.Second

// connServer is a test server counting the connections it accepted and closed.
type connServer struct {
	*httptest.Server
	opened, closed atomic.Int64
	handlers       atomic.Int64 // handler calls that returned
}

func newConnServer(t *testing.T, handler http.HandlerFunc) *connServer {
	t.Helper()
	cs := &connServer{}
	cs.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer cs.handlers.Add(1)
		handler(w, r)
	}))
	cs.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		switch state {
		case http.StateNew:
			cs.opened.Add(1)
		case http.StateClosed, http.StateHijacked:
			cs.closed.Add(1)
		}
	}
	cs.Start()
	t.Cleanup(cs.Close)
	return cs
}

// poolClient is a client whose transport allows max connections to the host.
func poolClient(t *testing.T, cs *connServer, max int, opts ...Option) (*Client, *http.Transport) {
	t.Helper()
	tr := &http.Transport{MaxConnsPerHost: max, MaxIdleConnsPerHost: max}
	t.Cleanup(tr.CloseIdleConnections)
	clock := &fakeClock{}
	all := append([]Option{WithBaseURL(cs.URL), WithHTTPClient(&http.Client{Transport: tr}), WithMaxRetries(0), clock.option()}, opts...)
	return NewClient(testKey, all...), tr
}

func callCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	t.Cleanup(cancel)
	return ctx
}

// eventually waits (bounded) for cond, failing the test with what if it never holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(callTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		runtime.GC()
		time.Sleep(2 * time.Millisecond)
	}
}

var runFrames = []string{frame("1", "execution", execFrame), frame("2", "content", `{"content":"Hi"}`), frame("3", "done", doneFrame)}

func TestConsumedStreamsReuseTheirConnection(t *testing.T) {
	cs := newConnServer(t, func(w http.ResponseWriter, r *http.Request) {
		sseFrames(w, runFrames...)
		// The end of the response follows the done frame a moment later (as
		// it does from a real server), not in the same read.
		time.Sleep(200 * time.Microsecond)
	})
	client, _ := poolClient(t, cs, 1)
	var reused atomic.Int64
	const n = 2000
	for i := 0; i < n; i++ {
		ctx := httptrace.WithClientTrace(callCtx(t), &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
			if info.Reused {
				reused.Add(1)
			}
		}})
		stream, err := client.Chat.SendMessageStream(ctx, "s1", &SendMessageParams{Content: "x"})
		if err != nil {
			t.Fatalf("stream %d: %v", i, err)
		}
		events, err := collect(t, stream) // read to the done event, then Close
		if err != nil || len(events) != 3 {
			t.Fatalf("stream %d: %d events, %v", i, len(events), err)
		}
	}
	// Calls other than streams reuse it too.
	client.Chat.GetSession(callCtx(t), "s1")
	if got := cs.opened.Load(); got != 1 {
		t.Fatalf("%d connections for %d streams read to their end, want 1", got, n)
	}
	if got := reused.Load(); got != n-1 {
		t.Fatalf("%d of %d requests after the first on a reused connection", got, n-1)
	}
}

func TestStreamsLeftEarlyReleaseTheirConnection(t *testing.T) {
	// A loop left with break, then Close: the server is still sending, so the
	// connection is closed rather than reused, and the next call gets another.
	release := make(chan struct{})
	defer close(release)
	cs := newConnServer(t, func(w http.ResponseWriter, r *http.Request) {
		sseFrames(w, runFrames[0], runFrames[1])
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	client, _ := poolClient(t, cs, 1)
	const n = 30
	for i := 0; i < n; i++ {
		stream, err := client.Chat.SendMessageStream(callCtx(t), "s1", &SendMessageParams{Content: "x"})
		if err != nil {
			t.Fatalf("stream %d: %v", i, err)
		}
		for stream.Next() {
			if _, ok := stream.Current().(*ContentEvent); ok {
				break
			}
		}
		stream.Close()
	}
	eventually(t, "every connection of a closed stream closed", func() bool { return cs.closed.Load() >= n })
}

// openAndDrop opens a stream, reads one event and drops it without Close.
func openAndDrop(t *testing.T, ctx context.Context, client *Client, i int) {
	t.Helper()
	stream, err := client.Chat.SendMessageStream(ctx, "s1", &SendMessageParams{Content: "x"})
	if err != nil {
		t.Fatalf("stream %d: %v (a connection of a dropped stream was never released)", i, err)
	}
	if !stream.Next() {
		t.Fatalf("stream %d: %v", i, stream.Err())
	}
}

func TestDroppedStreamsReleaseTheirConnection(t *testing.T) {
	// Streams dropped without Close and not read to their end, with a server
	// that never ends them and no idle timeout firing (the fake clock): only
	// the cleanup of the dropped Stream can release the connection, and the
	// next stream, allowed 2 connections, needs it.
	release := make(chan struct{})
	defer close(release)
	cs := newConnServer(t, func(w http.ResponseWriter, r *http.Request) {
		sseFrames(w, runFrames[0], runFrames[1])
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	client, _ := poolClient(t, cs, 2)
	const n = 40
	for i := 0; i < n; i++ {
		openAndDrop(t, callCtx(t), client, i)
		runtime.GC() // the Streams are unreachable: their cleanups run
	}
	// Every request was cancelled (its handler saw it), every connection closed.
	eventually(t, "every dropped stream's request cancelled", func() bool { return cs.handlers.Load() >= n-2 })
	eventually(t, "every dropped stream's connection closed", func() bool { return cs.closed.Load() >= n-2 })
}

func TestTwoThousandDroppedStreamsWithADefaultPool(t *testing.T) {
	// The default transport's settings (no limit per host): 2,000 streams
	// dropped without Close, a garbage collection now and then. Every request
	// is cancelled, every connection closed, and the process's file
	// descriptors come back to where they started.
	fds := func() int {
		entries, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			return -1
		}
		return len(entries)
	}
	release := make(chan struct{})
	defer close(release)
	cs := newConnServer(t, func(w http.ResponseWriter, r *http.Request) {
		sseFrames(w, runFrames[0], runFrames[1])
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	tr := http.DefaultTransport.(*http.Transport).Clone()
	defer tr.CloseIdleConnections()
	client := NewClient(testKey, WithBaseURL(cs.URL), WithHTTPClient(&http.Client{Transport: tr}), WithMaxRetries(0), (&fakeClock{}).option())
	start := fds()
	const n = 2000
	for i := 0; i < n; i++ {
		// No deadline: only the cleanups can end these requests (the pool has
		// no limit, so nothing waits on them: the checks below do, bounded).
		openAndDrop(t, context.Background(), client, i)
		if i%100 == 99 {
			runtime.GC()
		}
	}
	eventually(t, "every dropped stream's request cancelled", func() bool { return cs.handlers.Load() == n })
	eventually(t, "every dropped stream's connection closed", func() bool { return cs.closed.Load() == cs.opened.Load() })
	if start >= 0 {
		eventually(t, "the file descriptors back to where they started", func() bool {
			tr.CloseIdleConnections()
			return fds() <= start+2 // the server's listener side may lag a little
		})
	}
}

func TestDroppedStreamHasNoCleanupOnceClosed(t *testing.T) {
	// The cleanup reaches the connection slot only: a Stream closed normally
	// has nothing left for it, and a Stream still in use is never collected.
	cs := newConnServer(t, func(w http.ResponseWriter, r *http.Request) {
		sseFrames(w, runFrames...)
	})
	client, _ := poolClient(t, cs, 1)
	stream, err := client.Chat.SendMessageStream(callCtx(t), "s1", &SendMessageParams{Content: "x"})
	if err != nil {
		t.Fatal(err)
	}
	slot := stream.slot
	runtime.GC()
	if slot.peek() == nil {
		t.Fatal("the connection of a live Stream was released")
	}
	collect(t, stream)
	if slot.peek() != nil {
		t.Fatal("a finished stream still holds its connection")
	}
}

func TestCancelledContextMidReadReleasesTheConnection(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	cs := newConnServer(t, func(w http.ResponseWriter, r *http.Request) {
		sseFrames(w, runFrames[0])
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	client, _ := poolClient(t, cs, 1)
	const n = 20
	for i := 0; i < n; i++ {
		ctx, cancel := context.WithCancel(callCtx(t))
		stream, err := client.Chat.SendMessageStream(ctx, "s1", &SendMessageParams{Content: "x"})
		if err != nil {
			t.Fatalf("stream %d: %v", i, err)
		}
		if !stream.Next() {
			t.Fatal(stream.Err())
		}
		time.AfterFunc(time.Millisecond, cancel) // while Next waits for the next frame
		if stream.Next() || !errors.Is(stream.Err(), context.Canceled) {
			t.Fatalf("stream %d: err = %v", i, stream.Err())
		}
		stream.Close()
	}
	eventually(t, "every cancelled stream's handler returned", func() bool { return cs.handlers.Load() >= n })
	eventually(t, "every cancelled stream's connection closed", func() bool { return cs.closed.Load() >= n })
}

func TestDrainAfterTheEndIsBounded(t *testing.T) {
	// A server that goes on sending after the terminal event: the stream ends
	// at the event, reads at most drainLimit more, then closes the connection.
	cs := newConnServer(t, func(w http.ResponseWriter, r *http.Request) {
		sseFrames(w, runFrames...)
		filler := ": " + strings.Repeat("z", 1000) + "\n"
		for i := 0; i < 10*drainLimit/len(filler) && r.Context().Err() == nil; i++ {
			io.WriteString(w, filler)
		}
	})
	client, _ := poolClient(t, cs, 1)
	for i := 0; i < 5; i++ {
		stream, err := client.Chat.SendMessageStream(callCtx(t), "s1", &SendMessageParams{Content: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if events, err := collect(t, stream); err != nil || len(events) != 3 {
			t.Fatalf("%d events, %v", len(events), err)
		}
	}
	eventually(t, "the over-long responses' connections closed", func() bool { return cs.closed.Load() >= 5 })
}

func TestConsumedStreamsOverHTTP2ShareOneConnection(t *testing.T) {
	var opened atomic.Int64
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sseFrames(w, runFrames...)
	}))
	ts.EnableHTTP2 = true
	ts.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			opened.Add(1)
		}
	}
	ts.StartTLS()
	defer ts.Close()
	hc := ts.Client()
	client := NewClient(testKey, WithBaseURL(ts.URL), WithHTTPClient(hc), WithMaxRetries(0))
	for i := 0; i < 20; i++ {
		stream, err := client.Chat.SendMessageStream(callCtx(t), "s1", &SendMessageParams{Content: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if events, err := collect(t, stream); err != nil || len(events) != 3 {
			t.Fatalf("%d events, %v", len(events), err)
		}
		if stream.resp.ProtoMajor != 2 {
			t.Fatalf("protocol %s", stream.resp.Proto)
		}
	}
	if got := opened.Load(); got != 1 {
		t.Fatalf("%d connections", got)
	}
}
