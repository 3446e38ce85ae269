package promptrails

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

const testKey = "sk-test-SECRET-123"

// fakeClock replaces sleeping and timers: sleeps are recorded, never waited;
// timers fire only when the test says so (or at once, with fireAtOnce).
type fakeClock struct {
	mu         sync.Mutex
	sleeps     []time.Duration
	timers     []*fakeTimer
	fireAtOnce bool
}

type fakeTimer struct {
	mu      sync.Mutex
	f       func()
	stopped bool
	d       time.Duration
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stopped = false
	return true
}

func (t *fakeTimer) Stop() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

// fire runs the timer's function if it is armed.
func (t *fakeTimer) fire() {
	t.mu.Lock()
	armed := !t.stopped
	t.mu.Unlock()
	if armed {
		t.f()
	}
}

func (c *fakeClock) option() Option {
	return func(cfg *config) {
		cfg.sleep = func(ctx context.Context, d time.Duration) error {
			c.mu.Lock()
			c.sleeps = append(c.sleeps, d)
			c.mu.Unlock()
			return ctx.Err()
		}
		cfg.jitter = func() float64 { return 1 }
		cfg.afterFunc = func(d time.Duration, f func()) timer {
			t := &fakeTimer{f: f, d: d}
			c.mu.Lock()
			c.timers = append(c.timers, t)
			at := c.fireAtOnce
			c.mu.Unlock()
			if at {
				go t.fire()
			}
			return t
		}
	}
}

func (c *fakeClock) slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

func (c *fakeClock) lastTimer() *fakeTimer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.timers[len(c.timers)-1]
}

// recorded is one request the test server received.
type recorded struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   string
}

type testServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []recorded
}

func (s *testServer) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.reqs...)
}

// newTestClient starts a server running handler (requests recorded) and a
// client pointed at it with a fake clock.
func newTestClient(t *testing.T, handler http.HandlerFunc, opts ...Option) (*Client, *testServer, *fakeClock) {
	t.Helper()
	ts := &testServer{}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ts.mu.Lock()
		ts.reqs = append(ts.reqs, recorded{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Clone(), string(body)})
		ts.mu.Unlock()
		handler(w, r)
	}))
	t.Cleanup(ts.Close)
	clock := &fakeClock{}
	all := append([]Option{WithBaseURL(ts.URL), clock.option()}, opts...)
	return NewClient(testKey, all...), ts, clock
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("X-Request-ID", "req_123")
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": message, "details": map[string]any{"field": "x"}}})
}

// sseFrames writes frames and flushes.
func sseFrames(w http.ResponseWriter, frames ...string) {
	w.Header().Set("Content-Type", "text/event-stream")
	for _, f := range frames {
		io.WriteString(w, f)
	}
	w.(http.Flusher).Flush()
}

func frame(id, event, data string) string {
	return "id: " + id + "\nevent: " + event + "\ndata: " + data + "\n\n"
}

var sessionJSON = map[string]any{
	"id": "s1", "workspace_id": "w1", "agent_id": "echo", "user_id": nil, "title": "T",
	"metadata": map[string]any{"channel": "web"}, "created_at": "2026-11-21T10:00:00Z", "updated_at": "2026-11-21T10:05:00Z",
}

func messageJSON(id, role, content string) map[string]any {
	return map[string]any{
		"id": id, "session_id": "s1", "role": role, "content": content, "metadata": map[string]any{},
		"token_count": 3, "created_at": "2026-11-21T10:01:00Z",
	}
}

// asKind returns the *Error of err when err is of the kind, nil otherwise.
func asKind(err error, kind error) *Error {
	var e *Error
	if errors.As(err, &e) && errors.Is(err, kind) {
		return e
	}
	return nil
}

// credentialOf returns what a configuration holds for a scheme (to check it
// never prints).
func credentialOf(cfg config, scheme string) secret {
	v, _ := cfg.creds(scheme)
	return v
}
