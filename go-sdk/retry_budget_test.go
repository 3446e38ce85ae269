package promptrails

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"strings"
	"sync"
	"testing"
)

// resetAfterFirst answers the first request normally (so the client keeps an
// idle keep-alive connection) and resets the connection of every later one,
// after the request was read: the server has seen it, the client gets no answer.
func resetAfterFirst(t *testing.T) http.HandlerFunc {
	var mu sync.Mutex
	calls := 0
	return func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n == 1 {
			writeJSON(w, 200, map[string]any{"data": sessionJSON})
			return
		}
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		conn.(*net.TCPConn).SetLinger(0)
		conn.Close()
	}
}

// connTrace records the connections a call obtained (a caller's trace composes
// with the SDK's own).
type connTrace struct {
	mu     sync.Mutex
	reused []bool
}

func (c *connTrace) ctx() context.Context {
	return httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) {
			c.mu.Lock()
			c.reused = append(c.reused, info.Reused)
			c.mu.Unlock()
		},
	})
}

// net/http's Transport re-sends a replayable request (a GET, or a POST with an
// Idempotency-Key and GetBody) once, by itself, when a reused keep-alive
// connection fails. Those hidden sends count against the retry budget: the
// server never sees more than 1 + max_retries attempts.
func TestHiddenTransportResendsCountAgainstRetries(t *testing.T) {
	calls := map[string]func(c *Client, ctx context.Context) error{
		"GET": func(c *Client, ctx context.Context) error {
			_, err := c.Chat.GetSession(ctx, "s1")
			return err
		},
		"POST": func(c *Client, ctx context.Context) error {
			_, err := c.Chat.CreateSession(ctx, &CreateSessionParams{AgentID: "echo"})
			return err
		},
	}
	clients := map[string]func() *http.Client{
		"default client": func() *http.Client { return nil },
		"user client":    func() *http.Client { return &http.Client{Transport: &http.Transport{}} },
	}
	for _, method := range []string{"GET", "POST"} {
		for _, clientName := range []string{"default client", "user client"} {
			for _, retries := range []int{0, 1, 2} {
				name := method + "/" + clientName + "/max_retries=" + string(rune('0'+retries))
				t.Run(name, func(t *testing.T) {
					opts := []Option{WithMaxRetries(retries)}
					if hc := clients[clientName](); hc != nil {
						opts = append(opts, WithHTTPClient(hc))
						defer hc.CloseIdleConnections()
					}
					client, ts, _ := newTestClient(t, resetAfterFirst(t), opts...)
					// The first call leaves an idle keep-alive connection behind.
					if _, err := client.Chat.GetSession(context.Background(), "warm"); err != nil {
						t.Fatal(err)
					}
					trace := &connTrace{}
					err := calls[method](client, trace.ctx())
					conn := asKind(err, ErrConnection)
					if conn == nil {
						t.Fatalf("err = %v, want *APIConnectionError", err)
					}
					if len(trace.reused) == 0 || !trace.reused[0] {
						t.Fatalf("the first attempt did not reuse the idle connection (%v): the test proves nothing", trace.reused)
					}
					reqs := ts.requests()[1:]
					if len(reqs) != 1+retries {
						t.Fatalf("the server saw %d attempts, want 1 + max_retries = %d", len(reqs), 1+retries)
					}
					for _, r := range reqs {
						if r.Method != method {
							t.Fatalf("%s sent", r.Method)
						}
						if method == "POST" && r.Header.Get("Idempotency-Key") != reqs[0].Header.Get("Idempotency-Key") {
							t.Fatal("the Idempotency-Key changed between attempts")
						}
					}
					// With no retry left, the transport's re-send is refused (a GET
					// when it gets a connection, a POST when it rewinds the body).
					if refused := errors.Is(err, errResendRefused); refused != (retries == 0) {
						t.Fatalf("err = %v: refused %v with max_retries %d", err, refused, retries)
					}
					if strings.Contains(err.Error(), testKey) {
						t.Fatal("key in error")
					}
				})
			}
		}
	}
}

// A hidden re-send that fits in the budget is allowed, and charged: with
// max_retries 1, the transport's own re-send is the retry.
func TestHiddenResendIsChargedNotRefused(t *testing.T) {
	client, ts, clock := newTestClient(t, resetAfterFirst(t), WithMaxRetries(1))
	if _, err := client.Chat.GetSession(context.Background(), "warm"); err != nil {
		t.Fatal(err)
	}
	_, err := client.Chat.GetSession(context.Background(), "s1")
	conn := asKind(err, ErrConnection)
	if conn == nil {
		t.Fatalf("err = %v", err)
	}
	if n := len(ts.requests()) - 1; n != 2 {
		t.Fatalf("the server saw %d attempts, want 2", n)
	}
	if s := clock.slept(); len(s) != 0 {
		t.Fatalf("the SDK retried on top of the transport's re-send (slept %v)", s)
	}
}

// A redirect is a new request, not a re-send: it costs no retry.
func TestRedirectIsNotChargedAsAResend(t *testing.T) {
	client, ts, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/chat/sessions" {
			http.Redirect(w, r, "/api/v1/chat/sessions/moved", http.StatusTemporaryRedirect)
			return
		}
		writeJSON(w, 201, map[string]any{"data": sessionJSON})
	}, WithMaxRetries(0))
	if _, err := client.Chat.CreateSession(context.Background(), &CreateSessionParams{AgentID: "echo"}); err != nil {
		t.Fatal(err)
	}
	reqs := ts.requests()
	if len(reqs) != 2 || reqs[1].Path != "/api/v1/chat/sessions/moved" || reqs[1].Body != `{"agent_id":"echo"}` {
		t.Fatalf("requests %+v", reqs)
	}
}

// The watched transport works over HTTP/2 with a caller's client, and
// connections (shared there) keep serving calls.
func TestWatchedTransportOverHTTP2(t *testing.T) {
	var mu sync.Mutex
	var protos []string
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		protos = append(protos, r.Proto)
		mu.Unlock()
		writeJSON(w, 200, map[string]any{"data": sessionJSON})
	}))
	ts.EnableHTTP2 = true
	ts.StartTLS()
	defer ts.Close()
	client := NewClient(testKey, WithBaseURL(ts.URL), WithHTTPClient(ts.Client()), WithMaxRetries(0))
	for i := 0; i < 3; i++ {
		if _, err := client.Chat.GetSession(context.Background(), "s1"); err != nil {
			t.Fatal(err)
		}
	}
	if len(protos) != 3 || protos[0] != "HTTP/2.0" {
		t.Fatalf("protocols %v", protos)
	}
}
