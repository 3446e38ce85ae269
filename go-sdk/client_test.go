package promptrails

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestNewClientReadsEnvironment(t *testing.T) {
	var got http.Header
	client, ts, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		writeJSON(w, 200, map[string]any{"data": sessionJSON})
	})
	t.Setenv("PROMPTRAILS_API_KEY", "env-key")
	t.Setenv("PROMPTRAILS_BASE_URL", ts.URL+"/")
	envClient := NewClient("", client.core.cfgOptionForTest())
	if _, err := envClient.Chat.GetSession(context.Background(), "s1"); err != nil {
		t.Fatal(err)
	}
	if got.Get("X-API-Key") != "env-key" {
		t.Fatalf("X-API-Key = %q, want the env key", got.Get("X-API-Key"))
	}
	// RUNTIME.md: {slug}-{lang}/{version}, nothing after it.
	if ua := got.Get("User-Agent"); ua != "promptrails-go/"+Version {
		t.Fatalf("User-Agent = %q, want %q", ua, "promptrails-go/"+Version)
	}
}

// cfgOptionForTest copies the test clock of a client into another.
func (c *core) cfgOptionForTest() Option {
	sleep, after, jitter := c.cfg.sleep, c.cfg.afterFunc, c.cfg.jitter
	return func(cfg *config) { cfg.sleep, cfg.afterFunc, cfg.jitter = sleep, after, jitter }
}

func TestMissingAPIKeyFailsBeforeSending(t *testing.T) {
	t.Setenv("PROMPTRAILS_API_KEY", "")
	_, ts, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {})
	client := NewClient("", WithBaseURL(ts.URL))
	_, err := client.Chat.GetSession(context.Background(), "s1")
	if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "PROMPTRAILS_API_KEY") {
		t.Fatalf("err = %v, want an ErrInvalidArgument naming the env var", err)
	}
	if n := len(ts.requests()); n != 0 {
		t.Fatalf("%d requests sent", n)
	}
}

func TestAPIKeyNeverPrinted(t *testing.T) {
	client, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		writeError(w, 401, "unauthorized", "Missing or invalid API key.")
	})
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, v := range []any{client, *client, client.Chat, client.core, *client.core, &client.core.cfg, client.core.cfg, credentialOf(client.core.cfg, "ApiKeyAuth")} {
			if out := fmt.Sprintf(format, v); strings.Contains(out, testKey) {
				t.Fatalf("Sprintf(%q, %T) shows the API key: %s", format, v, out)
			}
		}
	}
	_, err := client.Chat.GetSession(context.Background(), "s1")
	se := asKind(err, ErrAuthentication)
	if se == nil {
		t.Fatalf("err = %v", err)
	}
	for _, format := range []string{"%v", "%+v", "%#v"} {
		if out := fmt.Sprintf(format, err); strings.Contains(out, testKey) {
			t.Fatalf("error shows the API key: %s", out)
		}
	}
	if got := se.Response.Request.Header.Get("X-API-Key"); got != "[REDACTED]" {
		t.Fatalf("the error's request carries X-API-Key %q", got)
	}
}

// TestEveryMethod calls each method and checks the request it sends and the value it returns.
func TestEveryMethod(t *testing.T) {
	ctx := context.Background()
	page := map[string]any{"data": []any{sessionJSON}, "meta": map[string]any{"total": 1, "page": 1, "limit": 20, "total_pages": 1}}
	msgPage := map[string]any{"data": []any{messageJSON("m1", "user", "hi")}, "meta": map[string]any{"total": 11, "page": 2, "limit": 5, "total_pages": 3}}
	reply := messageJSON("m2", "assistant", "You said: hi")
	reply["execution_id"] = "e1"
	reply["user_message"] = messageJSON("m1", "user", "hi")
	execution := map[string]any{
		"id": "e1", "workspace_id": "w1", "session_id": "s1", "agent_id": "echo", "status": "completed",
		"input": map[string]any{"message": "hi"}, "output": map[string]any{"content": "You said: hi"}, "error": nil, "token_usage": map[string]any{"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3, "cached_tokens": 9},
		"user_message_id": "m1", "assistant_message_id": "m2", "last_event_id": "4", "created_at": "2026-11-21T10:01:00Z", "completed_at": nil,
	}
	cases := []struct {
		name, method, path, query, body string
		status                          int
		response                        any
		call                            func(c *Client) (any, error)
		check                           func(t *testing.T, v any)
	}{
		{"ListSessions", "GET", "/api/v1/chat/sessions", "limit=5&page=2", "", 200, page,
			func(c *Client) (any, error) {
				return c.Chat.ListSessions(ctx, &ListSessionsParams{Page: Int(2), Limit: Int(5)})
			},
			func(t *testing.T, v any) {
				p := v.(*Page[ChatSession])
				if len(p.Data) != 1 || p.Data[0].ID != "s1" || p.Data[0].UserID != nil || *p.Data[0].Title != "T" || p.Meta.Total != 1 {
					t.Fatalf("page = %+v", p)
				}
			}},
		{"CreateSession", "POST", "/api/v1/chat/sessions", "", `{"agent_id":"echo","title":"Support","metadata":{"channel":"web"}}`, 201, map[string]any{"data": sessionJSON},
			func(c *Client) (any, error) {
				return c.Chat.CreateSession(ctx, &CreateSessionParams{AgentID: "echo", Title: NewNullable("Support"), Metadata: map[string]any{"channel": "web"}})
			},
			func(t *testing.T, v any) {
				s := v.(*ChatSession)
				if s.ID != "s1" || s.Metadata["channel"] != "web" || s.CreatedAt.Year() != 2026 {
					t.Fatalf("session = %+v", s)
				}
			}},
		{"GetSession", "GET", "/api/v1/chat/sessions/a%2Fb", "", "", 200, map[string]any{"data": sessionJSON},
			func(c *Client) (any, error) { return c.Chat.GetSession(ctx, "a/b") },
			func(t *testing.T, v any) {
				if v.(*ChatSession).AgentID != "echo" {
					t.Fatalf("%+v", v)
				}
			}},
		{"UpdateSessionNullTitle", "PATCH", "/api/v1/chat/sessions/s1", "", `{"title":null}`, 200, map[string]any{"data": sessionJSON},
			func(c *Client) (any, error) {
				return c.Chat.UpdateSession(ctx, "s1", &UpdateSessionParams{Title: Null[string]()})
			}, nil},
		{"UpdateSessionEmptyMetadata", "PATCH", "/api/v1/chat/sessions/s1", "", `{"metadata":{}}`, 200, map[string]any{"data": sessionJSON},
			func(c *Client) (any, error) {
				return c.Chat.UpdateSession(ctx, "s1", &UpdateSessionParams{Metadata: map[string]any{}})
			}, nil},
		{"DeleteSession", "DELETE", "/api/v1/chat/sessions/s1", "", "", 204, nil,
			func(c *Client) (any, error) { return nil, c.Chat.DeleteSession(ctx, "s1") }, nil},
		{"ListMessages", "GET", "/api/v1/chat/sessions/s1/messages", "", "", 200, msgPage,
			func(c *Client) (any, error) { return c.Chat.ListMessages(ctx, "s1", nil) },
			func(t *testing.T, v any) {
				p := v.(*Page[ChatMessage])
				if p.Data[0].Role != MessageRoleUser || !p.HasNextPage() {
					t.Fatalf("page = %+v", p)
				}
			}},
		{"SendMessage", "POST", "/api/v1/chat/sessions/s1/messages", "", `{"content":"hi"}`, 200, map[string]any{"data": reply},
			func(c *Client) (any, error) { return c.Chat.SendMessage(ctx, "s1", &SendMessageParams{Content: "hi"}) },
			func(t *testing.T, v any) {
				r := v.(*ChatReply)
				if r.Content != "You said: hi" || r.ExecutionID != "e1" || r.UserMessage.Content != "hi" || r.Role != MessageRoleAssistant {
					t.Fatalf("reply = %+v", r)
				}
			}},
		{"DeleteMessage", "DELETE", "/api/v1/chat/sessions/s1/messages/m1", "", "", 204, nil,
			func(c *Client) (any, error) { return nil, c.Chat.DeleteMessage(ctx, "s1", "m1") }, nil},
		{"SubmitFeedback", "POST", "/api/v1/chat/sessions/s1/feedback", "", `{"execution_id":"e1","value":-1,"comment":"meh"}`, 200, map[string]any{"data": map[string]any{"submitted": true}},
			func(c *Client) (any, error) {
				return c.Chat.SubmitFeedback(ctx, "s1", &SubmitFeedbackParams{ExecutionID: "e1", Value: -1, Comment: NewNullable("meh")})
			},
			func(t *testing.T, v any) {
				if !v.(*Feedback).Submitted {
					t.Fatal("not submitted")
				}
			}},
		{"ExecutionsGet", "GET", "/api/v1/executions/e1", "", "", 200, map[string]any{"data": execution},
			func(c *Client) (any, error) { return c.Executions.Get(ctx, "e1") },
			func(t *testing.T, v any) {
				e := v.(*Execution)
				if e.Status != ExecutionStatusCompleted || e.TokenUsage.TotalTokens != 3 || e.TokenUsage.CachedTokens != 9 ||
					e.CompletedAt != nil || e.OutputText() != "You said: hi" || string(e.Input) != `{"message":"hi"}` {
					t.Fatalf("execution = %+v", e)
				}
			}},
		{"ExecutionsList", "GET", "/api/v1/executions", "agent_id=echo&limit=5&session_id=s1&status=waiting_approval", "", 200,
			map[string]any{"data": []any{execution}, "meta": map[string]any{"total": 1, "page": 1, "limit": 5, "pages": 1}},
			func(c *Client) (any, error) {
				return c.Executions.List(ctx, &ListExecutionsParams{AgentID: "echo", SessionID: "s1", Status: "waiting_approval", Limit: Int(5)})
			},
			func(t *testing.T, v any) {
				p := v.(*Page[Execution])
				if len(p.Data) != 1 || p.Data[0].ID != "e1" || p.HasNextPage() || p.Meta.TotalPages != 1 {
					t.Fatalf("page = %+v", p)
				}
			}},
		{"ExecutionsCancel", "POST", "/api/v1/executions/e1/cancel", "", "", 200,
			map[string]any{"data": map[string]any{"id": "e1", "status": "cancel_requested"}},
			func(c *Client) (any, error) { return c.Executions.Cancel(ctx, "e1") },
			func(t *testing.T, v any) {
				if e := v.(*Execution); e.Status != ExecutionStatusCancelRequested {
					t.Fatalf("execution = %+v", e)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			client, ts, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				if tc.response == nil {
					w.WriteHeader(tc.status)
					return
				}
				writeJSON(w, tc.status, tc.response)
			})
			v, err := tc.call(client)
			if err != nil {
				t.Fatal(err)
			}
			reqs := ts.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			r := reqs[0]
			if r.Method != tc.method || r.Path != tc.path || r.Query != tc.query {
				t.Fatalf("sent %s %s?%s, want %s %s?%s", r.Method, r.Path, r.Query, tc.method, tc.path, tc.query)
			}
			if tc.body != "" {
				var got, want any
				json.Unmarshal([]byte(r.Body), &got)
				json.Unmarshal([]byte(tc.body), &want)
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("body %s, want %s", r.Body, tc.body)
				}
				if r.Header.Get("Content-Type") != "application/json" {
					t.Fatalf("Content-Type %q", r.Header.Get("Content-Type"))
				}
			} else if r.Body != "" {
				t.Fatalf("unexpected body %q", r.Body)
			}
			if r.Header.Get("X-API-Key") != testKey || r.Header.Get("Accept") != "application/json" {
				t.Fatalf("headers %v", r.Header)
			}
			if key := r.Header.Get("Idempotency-Key"); (r.Method == "POST") != (key != "") {
				t.Fatalf("Idempotency-Key %q on %s", key, r.Method)
			}
			if tc.check != nil {
				tc.check(t, v)
			}
		})
	}
}

func TestInvalidArguments(t *testing.T) {
	client, ts, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {})
	ctx := context.Background()
	if _, err := client.Chat.GetSession(ctx, ""); asKind(err, ErrInvalidArgument) == nil || asKind(err, ErrInvalidArgument).Argument != "session_id" {
		t.Fatalf("empty path param: %v", err)
	}
	if _, err := client.Chat.SendMessage(ctx, "s1", nil); asKind(err, ErrInvalidArgument) == nil || asKind(err, ErrInvalidArgument).Argument != "params" {
		t.Fatalf("nil params: %v", err)
	}
	if err := client.Chat.DeleteMessage(ctx, "s1", ""); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("empty message id: %v", err)
	}
	stream, err := client.Chat.SendMessageStream(ctx, "", &SendMessageParams{Content: "x"})
	if !errors.Is(err, ErrInvalidArgument) || stream != nil {
		t.Fatalf("stream with empty session: %v, %v (a constructor returns nil with its error)", stream, err)
	}
	if n := len(ts.requests()); n != 0 {
		t.Fatalf("%d requests sent", n)
	}
}

func TestStatusErrors(t *testing.T) {
	cases := []struct {
		status int
		kind   error
	}{
		{400, ErrBadRequest}, {401, ErrAuthentication}, {402, ErrPaymentRequired},
		{403, ErrPermissionDenied}, {404, ErrNotFound}, {409, ErrConflict},
		{422, ErrUnprocessableEntity}, {429, ErrRateLimited}, {500, ErrInternalServer},
		{503, ErrInternalServer}, {418, ErrStatus},
	}
	kinds := []error{ErrBadRequest, ErrAuthentication, ErrPaymentRequired, ErrPermissionDenied, ErrNotFound,
		ErrConflict, ErrUnprocessableEntity, ErrRateLimited, ErrInternalServer}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			client, ts, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				writeError(w, tc.status, "some_code", "Something failed.")
			}, WithMaxRetries(0))
			_, err := client.Chat.GetSession(context.Background(), "s1")
			if !errors.Is(err, tc.kind) || !errors.Is(err, ErrStatus) {
				t.Fatalf("err %v is not %v and ErrStatus", err, tc.kind)
			}
			for _, k := range kinds {
				if k != tc.kind && errors.Is(err, k) {
					t.Fatalf("err %v is also %v", err, k)
				}
			}
			var se *Error
			if !errors.As(err, &se) || se.Kind != tc.kind {
				t.Fatalf("err %T (kind %v) is not an *Error of kind %v", err, se.Kind, tc.kind)
			}
			if errors.Is(err, ErrConnection) || errors.Is(err, ErrStream) || errors.Is(err, ErrInvalidArgument) {
				t.Fatal("a status error is of no other kind")
			}
			if se.StatusCode != tc.status || se.Code != "some_code" || se.Message != "Something failed." ||
				se.RequestID != "req_123" || se.Details["field"] != "x" || se.Response == nil || len(se.Body) == 0 {
				t.Fatalf("fields: %+v", se)
			}
			want := fmt.Sprintf("%d some_code: Something failed. (request_id: req_123)", tc.status)
			if err.Error() != want {
				t.Fatalf("message %q, want %q", err.Error(), want)
			}
			if n := len(ts.requests()); n != 1 {
				t.Fatalf("%d attempts with retries off", n)
			}
		})
	}
}

func TestNonRetryableStatusIsNotRetried(t *testing.T) {
	for _, status := range []int{400, 401, 402, 403, 404, 422} {
		client, ts, clock := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
			writeError(w, status, "x", "no")
		})
		client.Chat.SendMessage(context.Background(), "s1", &SendMessageParams{Content: "hi"})
		if n := len(ts.requests()); n != 1 || len(clock.slept()) != 0 {
			t.Fatalf("status %d: %d attempts, slept %v", status, n, clock.slept())
		}
	}
}

func TestRetryThenSuccessReusesIdempotencyKey(t *testing.T) {
	for _, status := range []int{408, 409, 429, 500, 502, 503, 504} {
		calls := 0
		client, ts, clock := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
			calls++
			if calls <= 2 {
				writeError(w, status, "busy", "Busy.")
				return
			}
			writeJSON(w, 200, map[string]any{"data": map[string]any{"submitted": true}})
		})
		fb, err := client.Chat.SubmitFeedback(context.Background(), "s1", &SubmitFeedbackParams{ExecutionID: "e", Value: 1})
		if err != nil || !fb.Submitted {
			t.Fatalf("status %d: %v", status, err)
		}
		reqs := ts.requests()
		if len(reqs) != 3 {
			t.Fatalf("status %d: %d attempts", status, len(reqs))
		}
		key := reqs[0].Header.Get("Idempotency-Key")
		if len(key) != 36 || reqs[1].Header.Get("Idempotency-Key") != key || reqs[2].Header.Get("Idempotency-Key") != key {
			t.Fatalf("keys differ across retries: %q %q %q", key, reqs[1].Header.Get("Idempotency-Key"), reqs[2].Header.Get("Idempotency-Key"))
		}
		if got := clock.slept(); !reflect.DeepEqual(got, []time.Duration{500 * time.Millisecond, time.Second}) {
			t.Fatalf("backoff %v", got)
		}
	}
}

func TestEachCallGetsItsOwnIdempotencyKey(t *testing.T) {
	client, ts, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"data": map[string]any{"submitted": true}})
	})
	p := &SubmitFeedbackParams{ExecutionID: "e", Value: 1}
	client.Chat.SubmitFeedback(context.Background(), "s1", p)
	client.Chat.SubmitFeedback(context.Background(), "s1", p)
	client.Chat.SubmitFeedback(context.Background(), "s1", p, WithIdempotencyKey("mine"))
	r := ts.requests()
	if r[0].Header.Get("Idempotency-Key") == r[1].Header.Get("Idempotency-Key") || r[2].Header.Get("Idempotency-Key") != "mine" {
		t.Fatalf("keys %q %q %q", r[0].Header.Get("Idempotency-Key"), r[1].Header.Get("Idempotency-Key"), r[2].Header.Get("Idempotency-Key"))
	}
}

func TestBackoffGrowsAndCaps(t *testing.T) {
	client, _, clock := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		writeError(w, 500, "x", "down")
	}, WithMaxRetries(6))
	_, err := client.Chat.GetSession(context.Background(), "s1")
	if !errors.Is(err, ErrInternalServer) {
		t.Fatalf("err = %v", err)
	}
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second}
	if got := clock.slept(); !reflect.DeepEqual(got, want) {
		t.Fatalf("backoff %v, want %v", got, want)
	}
}

func TestJitterStaysInRange(t *testing.T) {
	c := newCore(apiSettings, "ApiKeyAuth", "k", nil)
	for n := 0; n < 200; n++ {
		d := retryDelay(&c.cfg, n%6, nil)
		base := time.Duration(min(0.5*float64(int(1)<<(n%6)), 8) * float64(time.Second))
		if d < base*3/4 || d > base {
			t.Fatalf("delay %v outside [0.75, 1] x %v", d, base)
		}
	}
}

func TestRetryAfterHeaders(t *testing.T) {
	date := time.Now().Add(30 * time.Second).UTC().Format(http.TimeFormat)
	cases := []struct {
		name    string
		headers map[string]string
		check   func(d time.Duration) bool
	}{
		{"seconds", map[string]string{"Retry-After": "2"}, func(d time.Duration) bool { return d == 2*time.Second }},
		{"fractional", map[string]string{"Retry-After": "0.25"}, func(d time.Duration) bool { return d == 250*time.Millisecond }},
		{"ms wins", map[string]string{"retry-after-ms": "150", "Retry-After": "5"}, func(d time.Duration) bool { return d == 150*time.Millisecond }},
		{"http date", map[string]string{"Retry-After": date}, func(d time.Duration) bool { return d > 20*time.Second && d <= 30*time.Second }},
		{"too long falls back to backoff", map[string]string{"Retry-After": "120"}, func(d time.Duration) bool { return d == 500*time.Millisecond }},
		{"garbage falls back to backoff", map[string]string{"Retry-After": "soon"}, func(d time.Duration) bool { return d == 500*time.Millisecond }},
		{"zero", map[string]string{"Retry-After": "0"}, func(d time.Duration) bool { return d == 0 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			client, _, clock := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				calls++
				if calls == 1 {
					for k, v := range tc.headers {
						w.Header().Set(k, v)
					}
					writeError(w, 429, "rate_limited", "Too many requests.")
					return
				}
				writeJSON(w, 200, map[string]any{"data": sessionJSON})
			})
			if _, err := client.Chat.GetSession(context.Background(), "s1"); err != nil {
				t.Fatal(err)
			}
			if s := clock.slept(); len(s) != 1 || !tc.check(s[0]) {
				t.Fatalf("slept %v", s)
			}
		})
	}
}

func TestShouldRetryHeaderOverrides(t *testing.T) {
	client, ts, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Should-Retry", "false")
		writeError(w, 503, "x", "down")
	})
	client.Chat.GetSession(context.Background(), "s1")
	if n := len(ts.requests()); n != 1 {
		t.Fatalf("x-should-retry false: %d attempts", n)
	}
	client, ts, _ = newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Should-Retry", "true")
		writeError(w, 400, "x", "bad")
	})
	client.Chat.GetSession(context.Background(), "s1")
	if n := len(ts.requests()); n != 3 {
		t.Fatalf("x-should-retry true: %d attempts", n)
	}
}

func TestPerCallMaxRetries(t *testing.T) {
	client, ts, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		writeError(w, 429, "rate_limited", "slow down")
	}, WithMaxRetries(5))
	_, err := client.Chat.GetSession(context.Background(), "s1", WithMaxRetries(1))
	if !errors.Is(err, ErrRateLimited) || len(ts.requests()) != 2 {
		t.Fatalf("err %v after %d attempts", err, len(ts.requests()))
	}
}

func TestConnectionErrorsAreRetried(t *testing.T) {
	calls := 0
	client, ts, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 1 {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.(*net.TCPConn).SetLinger(0)
			conn.Close()
			return
		}
		writeJSON(w, 200, map[string]any{"data": sessionJSON})
	})
	if _, err := client.Chat.CreateSession(context.Background(), &CreateSessionParams{AgentID: "echo"}); err != nil {
		t.Fatal(err)
	}
	reqs := ts.requests()
	if len(reqs) != 2 || reqs[0].Header.Get("Idempotency-Key") != reqs[1].Header.Get("Idempotency-Key") {
		t.Fatalf("%d attempts", len(reqs))
	}
}

func TestConnectionErrorType(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	clock := &fakeClock{}
	client := NewClient(testKey, WithBaseURL("http://"+addr), clock.option())
	_, err := client.Chat.GetSession(context.Background(), "s1")
	var opErr *net.OpError
	if !errors.Is(err, ErrConnection) || errors.Is(err, ErrTimeout) || !errors.As(err, &opErr) {
		t.Fatalf("err = %#v", err)
	}
	if len(clock.slept()) != 2 {
		t.Fatalf("connection refused retried %d times", len(clock.slept()))
	}
	if strings.Contains(err.Error(), testKey) {
		t.Fatal("key in error")
	}
}

func TestTimeoutError(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	client, _, clock := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}, WithMaxRetries(1))
	clock.fireAtOnce = true
	_, err := client.Chat.GetSession(context.Background(), "s1")
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, ErrConnection) {
		t.Fatalf("err = %v, want an ErrTimeout", err)
	}
	if len(clock.slept()) != 1 {
		t.Fatalf("a timeout is retried: slept %v", clock.slept())
	}
}

func TestCancelledContext(t *testing.T) {
	client, ts, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		writeError(w, 503, "x", "down")
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := client.Chat.GetSession(ctx, "s1")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if n := len(ts.requests()); n != 0 {
		t.Fatalf("%d requests", n)
	}
}

func TestHeaders(t *testing.T) {
	client, ts, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"data": sessionJSON})
	}, WithHeader("X-Team", "a"), WithHeader("X-Both", "client"))
	client.Chat.GetSession(context.Background(), "s1", WithHeader("X-Both", "call"), WithHeader("X-Call", "c"))
	h := ts.requests()[0].Header
	if h.Get("X-Team") != "a" || h.Get("X-Both") != "call" || h.Get("X-Call") != "c" {
		t.Fatalf("headers %v", h)
	}
}

func TestAutoPaging(t *testing.T) {
	client, ts, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		page := r.URL.Query().Get("page")
		if page == "" {
			page = "1"
		}
		var n int
		fmt.Sscan(page, &n)
		var data []any
		for i := 0; i < 2; i++ {
			data = append(data, messageJSON(fmt.Sprintf("m%d", (n-1)*2+i), "user", "x"))
		}
		writeJSON(w, 200, map[string]any{"data": data, "meta": map[string]any{"total": 6, "page": n, "limit": 2, "total_pages": 3}})
	})
	pager := client.Chat.ListMessagesAutoPaging(context.Background(), "s1", &ListMessagesParams{Limit: Int(2)})
	var ids []string
	for m, err := range pager.All() {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	if strings.Join(ids, ",") != "m0,m1,m2,m3,m4,m5" {
		t.Fatalf("ids %v", ids)
	}
	reqs := ts.requests()
	if len(reqs) != 3 || reqs[0].Query != "limit=2" || reqs[2].Query != "limit=2&page=3" {
		t.Fatalf("requests %+v", reqs)
	}
	last, _ := client.Chat.ListMessages(context.Background(), "s1", &ListMessagesParams{Page: Int(3)})
	if next, err := last.GetNextPage(context.Background()); next != nil || err != nil {
		t.Fatalf("after the last page: %v, %v", next, err)
	}
}

func TestAutoPagingStopsOnError(t *testing.T) {
	client, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		writeError(w, 404, "not_found", "Chat session not found.")
	})
	pager := client.Chat.ListMessagesAutoPaging(context.Background(), "nope", nil)
	if pager.Next() {
		t.Fatal("Next on a failing list")
	}
	if !errors.Is(pager.Err(), ErrNotFound) {
		t.Fatalf("err = %v", pager.Err())
	}
}

func TestNullableJSON(t *testing.T) {
	type body struct {
		A Nullable[string] `json:"a,omitzero"`
		B Nullable[int64]  `json:"b,omitzero"`
		C Nullable[string] `json:"c,omitzero"`
	}
	out, _ := json.Marshal(body{A: NewNullable("x"), B: Null[int64]()})
	if string(out) != `{"a":"x","b":null}` {
		t.Fatalf("%s", out)
	}
	var back body
	json.Unmarshal(out, &back)
	if v, ok := back.A.Get(); !ok || v != "x" || !back.B.IsNull() || !back.C.IsZero() {
		t.Fatalf("%+v", back)
	}
}

func TestExtraPropertiesRoundTrip(t *testing.T) {
	var u TokenUsage
	if err := json.Unmarshal([]byte(`{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,"cached":4}`), &u); err != nil {
		t.Fatal(err)
	}
	if u.PromptTokens != 1 || u.ExtraFields()["cached"].Raw() != "4" || len(u.ExtraFields()) != 1 || u.JSON.CachedTokens.IsPresent() {
		t.Fatalf("%+v", u)
	}
	out, _ := json.Marshal(u)
	if string(out) != `{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,"cached":4}` {
		t.Fatalf("%s", out)
	}
}
