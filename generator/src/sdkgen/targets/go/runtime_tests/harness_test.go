// The runtime's own tests. They use only the runtime (hand-made settings,
// shapes and stream specs), so they run in any SDK the generator makes: the
// generator's tests copy them, with the SDK's package clause, into a
// generated SDK and run them there (generator/tests/test_go_runtime.py).

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const rtSecret = "rt-SECRET-key-42"

// rtHeaderKey is an API key sent in a header (the primary scheme).
var rtHeaderKey = authScheme{key: "key", location: "header", param: "X-Key", env: []string{"RT_API_KEY"}, how: "pass one to NewClient"}

func rtSettings(auth ...authScheme) *settings {
	return &settings{
		envPrefix:      "RT",
		defaultBaseURL: "http://127.0.0.1:1",
		userAgent:      "rt-go/1.0.0",
		shapes: shapeTable{
			objects: map[string]*objectShape{
				"Item":  {fields: []fieldShape{{wire: "name", required: true, value: valueShape{kind: kindString}}, {wire: "n", value: valueShape{kind: kindInteger}}}, flatten: -1},
				"Other": {fields: []fieldShape{{wire: "kind", required: true, value: valueShape{kind: kindString, enum: []string{`"other"`}}}}, flatten: -1},
			},
			unions: map[string]*unionShape{
				"Tagged": {discriminator: "kind", tags: map[string]int{"item": 0, "other": 1},
					variants: []valueShape{{kind: kindObject, model: "Item"}, {kind: kindObject, model: "Other"}}},
				"Loose": {variants: []valueShape{{kind: kindString}, {kind: kindObject, model: "Item"}, {kind: kindObject, model: "Other"}}},
			},
		},
		auth: auth,
	}
}

// rtRequest is one request the test server received.
type rtRequest struct {
	method, path, query string
	header              http.Header
	body                string
}

type rtServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []rtRequest
}

func (s *rtServer) requests() []rtRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]rtRequest(nil), s.reqs...)
}

// rtClock records sleeps instead of sleeping; timers fire only when told.
type rtClock struct {
	mu     sync.Mutex
	sleeps []time.Duration
	timers []*rtTimer
}

type rtTimer struct {
	mu      sync.Mutex
	f       func()
	stopped bool
}

func (t *rtTimer) Reset(time.Duration) bool {
	t.mu.Lock()
	t.stopped = false
	t.mu.Unlock()
	return true
}
func (t *rtTimer) Stop() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

func (c *rtClock) option() Option {
	return func(cfg *config) {
		cfg.sleep = func(ctx context.Context, d time.Duration) error {
			c.mu.Lock()
			c.sleeps = append(c.sleeps, d)
			c.mu.Unlock()
			return ctx.Err()
		}
		cfg.jitter = func() float64 { return 1 }
		cfg.afterFunc = func(d time.Duration, f func()) timer {
			t := &rtTimer{f: f}
			c.mu.Lock()
			c.timers = append(c.timers, t)
			c.mu.Unlock()
			return t
		}
	}
}

func (c *rtClock) slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// rtCore starts a server running handler and a core pointed at it, with
// the primary credential rtSecret (unless opts set others).
func rtCore(t *testing.T, s *settings, handler http.HandlerFunc, opts ...Option) (*core, *rtServer, *rtClock) {
	t.Helper()
	ts := &rtServer{}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ts.mu.Lock()
		ts.reqs = append(ts.reqs, rtRequest{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Clone(), string(body)})
		ts.mu.Unlock()
		r.Body = io.NopCloser(strings.NewReader(string(body))) // the handler reads it too
		handler(w, r)
	}))
	t.Cleanup(ts.Close)
	clock := &rtClock{}
	all := append([]Option{WithBaseURL(ts.URL), clock.option()}, opts...)
	primary := ""
	if len(s.auth) > 0 {
		primary = s.auth[0].key
	}
	return newCore(s, primary, rtSecret, all), ts, clock
}

// rtEvent is an event of the hand-made stream specs: its name and raw data.
type rtEvent struct{ name, data, id string }

func (e *rtEvent) EventType() string { return e.name }
func (*rtEvent) isEvent()            {}

func rtDecode(name, data, id string) (Event, error) {
	if name == "bad" {
		if err := checkJSON(data); err != nil {
			return nil, err
		}
	}
	return &rtEvent{name, data, id}, nil
}

func rtSSE(w http.ResponseWriter, frames ...string) {
	w.Header().Set("Content-Type", "text/event-stream")
	for _, f := range frames {
		io.WriteString(w, f)
	}
	w.(http.Flusher).Flush()
}

func rtNames(events []Event) string {
	out := ""
	for i, e := range events {
		if i > 0 {
			out += ","
		}
		out += e.EventType()
	}
	return out
}

func rtDrain(s *Stream) ([]Event, error) {
	var out []Event
	for ev, err := range s.All() {
		if err != nil {
			return out, err
		}
		out = append(out, ev)
	}
	return out, nil
}

// rtDrainText is rtDrain, also joining the text pieces the events carry.
func rtDrainText(s *Stream) ([]Event, string, error) {
	var out []Event
	text := ""
	for ev, err := range s.All() {
		if err != nil {
			return out, text, err
		}
		out = append(out, ev)
		text += s.Delta()
	}
	return out, text, nil
}
