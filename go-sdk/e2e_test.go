package promptrails

// End-to-end tests against the mock server (conformance-tests/). They run when
// PROMPTRAILS_MOCK_CMD names the server's command (`make test-go` sets it to
// ../.venv/bin/promptrails-mock); when it is set and the server does not start,
// every test fails.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

var (
	mockURL      string
	mockStartErr error
)

func TestMain(m *testing.M) {
	var stop func()
	if cmd := strings.Fields(os.Getenv("PROMPTRAILS_MOCK_CMD")); len(cmd) > 0 {
		stop, mockURL, mockStartErr = startMock(cmd)
	}
	code := m.Run()
	if stop != nil {
		stop()
	}
	os.Exit(code)
}

func startMock(cmd []string) (func(), string, error) {
	args := append(cmd[1:], "--port", "0", "--db", ":memory:", "--strict", "--control", "--frame-delay-ms", "1", "--log-level", "warning")
	proc := exec.Command(cmd[0], args...)
	stdout, err := proc.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	var stderr bytes.Buffer
	proc.Stderr = &stderr
	if err := proc.Start(); err != nil {
		return nil, "", fmt.Errorf("starting %v: %w", cmd, err)
	}
	stop := func() {
		proc.Process.Kill()
		proc.Wait()
	}
	found := make(chan string, 1)
	go func() {
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			if rest, ok := strings.CutPrefix(scanner.Text(), "promptrails-mock listening on "); ok {
				found <- strings.TrimSpace(rest)
				break
			}
		}
		close(found)
		io.Copy(io.Discard, stdout)
	}()
	select {
	case url, ok := <-found:
		if ok {
			return stop, url, nil
		}
	case <-time.After(60 * time.Second):
	}
	stop()
	return nil, "", fmt.Errorf("the mock server %v did not start: %s", cmd, stderr.String())
}

// requireMock returns the mock's URL, failing when it should be there but is not.
func requireMock(t *testing.T) string {
	t.Helper()
	if mockStartErr != nil {
		t.Fatal(mockStartErr)
	}
	if mockURL == "" {
		t.Skip("PROMPTRAILS_MOCK_CMD is not set: end-to-end test not run (make test-go sets it)")
	}
	t.Cleanup(func() {
		control(t, "DELETE", "/__mock/faults", nil)
		if v := control(t, "GET", "/__mock/violations", nil); string(v) != "[]" {
			t.Errorf("the mock saw contract violations: %s", v)
		}
	})
	return mockURL
}

// control calls the mock's control API and returns the `data` of its answer.
func control(t *testing.T, method, path string, body any) json.RawMessage {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, mockURL+path, r)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	json.Unmarshal(raw, &env)
	return env.Data
}

// mockClient returns a client on a fresh workspace of the mock, with a fake clock.
func mockClient(t *testing.T, opts ...Option) (*Client, string, *fakeClock) {
	url := requireMock(t)
	var ws struct {
		APIKey string `json:"api_key"`
	}
	json.Unmarshal(control(t, "POST", "/__mock/workspaces", map[string]any{}), &ws)
	clock := &fakeClock{}
	all := append([]Option{WithBaseURL(url), clock.option()}, opts...)
	return NewClient(ws.APIKey, all...), ws.APIKey, clock
}

type logged struct {
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers"`
	Status  *int              `json:"status"`
}

// mockRequests lists the requests of one workspace (API key) the mock received
// (its log redacts the key, and filters by it).
func mockRequests(t *testing.T, key, method, path string) []logged {
	var out []logged
	q := url.Values{"method": {method}, "path": {path}, "api_key": {key}, "limit": {"1000"}}
	json.Unmarshal(control(t, "GET", "/__mock/requests?"+q.Encode(), nil), &out)
	return out
}

func TestE2ESessionsAndMessages(t *testing.T) {
	client, _, _ := mockClient(t)
	ctx := context.Background()
	session, err := client.Chat.CreateSession(ctx, &CreateSessionParams{
		AgentID: "echo", Title: NewNullable("Support Conversation"),
		Metadata: map[string]any{"channel": "web", "user_id": "external-user-123"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if session.Title == nil || *session.Title != "Support Conversation" || session.Metadata["channel"] != "web" {
		t.Fatalf("%+v", session)
	}
	got, err := client.Chat.GetSession(ctx, session.ID)
	if err != nil || got.ID != session.ID || got.AgentID != "echo" {
		t.Fatalf("%+v, %v", got, err)
	}
	updated, err := client.Chat.UpdateSession(ctx, session.ID, &UpdateSessionParams{Title: Null[string]()})
	if err != nil || updated.Title != nil || updated.Metadata["channel"] != "web" {
		t.Fatalf("%+v, %v", updated, err)
	}
	reply, err := client.Chat.SendMessage(ctx, session.ID, &SendMessageParams{Content: "Hi, I need help with my account."})
	if err != nil {
		t.Fatal(err)
	}
	if reply.Content != "You said: Hi, I need help with my account." || reply.Role != MessageRoleAssistant ||
		reply.ExecutionID == "" || reply.UserMessage.Content != "Hi, I need help with my account." {
		t.Fatalf("%+v", reply)
	}
	fb, err := client.Chat.SubmitFeedback(ctx, session.ID, &SubmitFeedbackParams{ExecutionID: reply.ExecutionID, Value: 1})
	if err != nil || !fb.Submitted {
		t.Fatalf("%+v, %v", fb, err)
	}
	exec, err := client.Executions.Get(ctx, reply.ExecutionID)
	if err != nil || exec.Status != ExecutionStatusCompleted || exec.OutputText() != reply.Content {
		t.Fatalf("%+v, %v", exec, err)
	}
	for i := 0; i < 2; i++ {
		if _, err := client.Chat.SendMessage(ctx, session.ID, &SendMessageParams{Content: fmt.Sprint("more ", i)}); err != nil {
			t.Fatal(err)
		}
	}
	var contents []string
	for m, err := range client.Chat.ListMessagesAutoPaging(ctx, session.ID, &ListMessagesParams{Limit: Int(2)}).All() {
		if err != nil {
			t.Fatal(err)
		}
		contents = append(contents, m.Content)
	}
	if len(contents) != 6 || contents[0] != "Hi, I need help with my account." || contents[5] != "You said: more 1" {
		t.Fatalf("messages %q", contents)
	}
	page, err := client.Chat.ListSessions(ctx, &ListSessionsParams{Page: Int(1), Limit: Int(20)})
	if err != nil || len(page.Data) != 1 || page.Meta.Total != 1 {
		t.Fatalf("%+v, %v", page, err)
	}
	if err := client.Chat.DeleteMessage(ctx, session.ID, reply.UserMessage.ID); err != nil {
		t.Fatal(err)
	}
	if err := client.Chat.DeleteSession(ctx, session.ID); err != nil {
		t.Fatal(err)
	}
	_, err = client.Chat.GetSession(ctx, session.ID)
	nf := asKind(err, ErrNotFound)
	if nf == nil || nf.Code != "not_found" || nf.RequestID == "" {
		t.Fatalf("after delete: %v", err)
	}
}

func TestE2EErrors(t *testing.T) {
	client, _, _ := mockClient(t)
	ctx := context.Background()
	_, err := client.Chat.CreateSession(ctx, &CreateSessionParams{AgentID: "nope"})
	unp := asKind(err, ErrUnprocessableEntity)
	if unp == nil || unp.Code != "unknown_agent" {
		t.Fatalf("unknown agent: %v", err)
	}
	_, err = client.Chat.ListSessions(ctx, &ListSessionsParams{Limit: Int(1000)})
	bad := asKind(err, ErrBadRequest)
	if bad == nil {
		t.Fatalf("limit 1000: %v", err)
	}
	_, err = NewClient("wrong-key", WithBaseURL(mockURL)).Chat.ListSessions(ctx, nil)
	auth := asKind(err, ErrAuthentication)
	if auth == nil || strings.Contains(err.Error(), "wrong-key") {
		t.Fatalf("bad key: %v", err)
	}
	stream, err := client.Chat.SendMessageStream(ctx, "missing-session", &SendMessageParams{Content: "x"})
	nf := asKind(err, ErrNotFound)
	if nf == nil || stream != nil {
		t.Fatalf("stream on a missing session: %v", err)
	}
}

func newSession(t *testing.T, client *Client, agent string) string {
	t.Helper()
	s, err := client.Chat.CreateSession(context.Background(), &CreateSessionParams{AgentID: agent})
	if err != nil {
		t.Fatal(err)
	}
	return s.ID
}

// readStream collects a stream's events, checking ids never repeat and the
// content deltas add up to the done event's output.
func readStream(t *testing.T, stream *Stream) []Event {
	t.Helper()
	defer stream.Close()
	var events []Event
	seen := map[string]bool{}
	var text strings.Builder
	for stream.Next() {
		e := stream.Current()
		events = append(events, e)
		id := eventIDs([]Event{e})
		if id != "?" {
			if seen[id] {
				t.Fatalf("frame %s delivered twice", id)
			}
			seen[id] = true
		}
		switch e := e.(type) {
		case *ContentEvent:
			text.WriteString(e.Content)
		case *DoneEvent:
			if e.OutputText() != text.String() {
				t.Fatalf("output %s, deltas %q", e.Output, text.String())
			}
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	return events
}

func TestE2EStreams(t *testing.T) {
	client, _, _ := mockClient(t)
	ctx := context.Background()
	for _, agent := range []string{"echo", "thinker", "storyteller"} {
		stream, err := client.Chat.SendMessageStream(ctx, newSession(t, client, agent), &SendMessageParams{Content: "Hello!"})
		if err != nil {
			t.Fatal(err)
		}
		events := readStream(t, stream)
		first, ok := events[0].(*ExecutionEvent)
		if !ok {
			t.Fatalf("%s: first event %T", agent, events[0])
		}
		if _, ok := events[len(events)-1].(*DoneEvent); !ok {
			t.Fatalf("%s: last event %T", agent, events[len(events)-1])
		}
		if agent == "thinker" {
			kinds := map[string]bool{}
			for _, e := range events {
				kinds[e.EventType()] = true
			}
			if !kinds["thinking"] || !kinds["tool_start"] || !kinds["tool_end"] {
				t.Fatalf("thinker events %v", kinds)
			}
		}
		// The executions stream replays what came after a Last-Event-ID.
		replay, err := client.Executions.Stream(ctx, first.ExecutionID, &StreamExecutionParams{LastEventID: first.EventID})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(readStream(t, replay)); n != len(events)-1 {
			t.Fatalf("%s: replay after the first frame gave %d events, want %d", agent, n, len(events)-1)
		}
	}
	stream, _ := client.Chat.SendMessageStream(ctx, newSession(t, client, "faulty"), &SendMessageParams{Content: "Hello!"})
	events := readStream(t, stream)
	if e, ok := events[len(events)-1].(*ErrorEvent); !ok || e.Message == "" {
		t.Fatalf("faulty: last event %#v", events[len(events)-1])
	}
}

func TestE2ERateLimitedWithRetryAfter(t *testing.T) {
	client, key, clock := mockClient(t)
	session := newSession(t, client, "echo")
	control(t, "POST", "/__mock/faults", map[string]any{
		"method": "POST", "path": "/api/v1/chat/sessions/*/messages", "count": 1,
		"action": "status", "status": 429, "headers": map[string]any{"Retry-After": "3"},
	})
	reply, err := client.Chat.SendMessage(context.Background(), session, &SendMessageParams{Content: "hi"})
	if err != nil || reply.Content != "You said: hi" {
		t.Fatalf("%v", err)
	}
	if got := clock.slept(); len(got) != 1 || got[0] != 3*time.Second {
		t.Fatalf("slept %v, want the Retry-After of 3s", got)
	}
	reqs := mockRequests(t, key, "POST", "/api/v1/chat/sessions/*/messages")
	if len(reqs) != 2 || reqs[0].Headers["idempotency-key"] == "" || reqs[0].Headers["idempotency-key"] != reqs[1].Headers["idempotency-key"] {
		t.Fatalf("attempts %+v", reqs)
	}
}

func TestE2EServiceUnavailableTwiceThenSuccess(t *testing.T) {
	client, key, clock := mockClient(t)
	session := newSession(t, client, "echo")
	control(t, "POST", "/__mock/faults", map[string]any{
		"method": "GET", "path": "/api/v1/chat/sessions/*", "count": 2, "action": "status", "status": 503,
	})
	if _, err := client.Chat.GetSession(context.Background(), session); err != nil {
		t.Fatal(err)
	}
	if n := len(mockRequests(t, key, "GET", "/api/v1/chat/sessions/*")); n != 3 || len(clock.slept()) != 2 {
		t.Fatalf("%d attempts, slept %v", n, clock.slept())
	}
	// With one retry the same fault is an *InternalServerError.
	control(t, "POST", "/__mock/faults", map[string]any{
		"method": "GET", "path": "/api/v1/chat/sessions/*", "count": 2, "action": "status", "status": 503,
	})
	_, err := client.Chat.GetSession(context.Background(), session, WithMaxRetries(1))
	ise := asKind(err, ErrInternalServer)
	if ise == nil || ise.StatusCode != 503 {
		t.Fatalf("err = %v", err)
	}
}

func TestE2EResetAfterProcessingDoesNotDuplicate(t *testing.T) {
	client, key, _ := mockClient(t)
	session := newSession(t, client, "echo")
	control(t, "POST", "/__mock/faults", map[string]any{
		"method": "POST", "path": "/api/v1/chat/sessions/*/messages", "count": 1, "action": "reset", "when": "after",
	})
	reply, err := client.Chat.SendMessage(context.Background(), session, &SendMessageParams{Content: "only once"})
	if err != nil || reply.Content != "You said: only once" {
		t.Fatalf("%v", err)
	}
	page, err := client.Chat.ListMessages(context.Background(), session, nil)
	if err != nil || len(page.Data) != 2 {
		t.Fatalf("%d messages after a reset and a retry (want 2), %v", len(page.Data), err)
	}
	reqs := mockRequests(t, key, "POST", "/api/v1/chat/sessions/*/messages")
	if len(reqs) != 2 || reqs[0].Headers["idempotency-key"] != reqs[1].Headers["idempotency-key"] {
		t.Fatalf("attempts %+v", reqs)
	}
}

func TestE2EStreamCutIsResumed(t *testing.T) {
	for _, k := range []int{0, 1, 3} {
		t.Run(fmt.Sprint("after ", k), func(t *testing.T) {
			client, key, _ := mockClient(t)
			session := newSession(t, client, "storyteller")
			control(t, "POST", "/__mock/faults", map[string]any{
				"method": "POST", "path": "/api/v1/chat/sessions/*/messages/stream", "count": 1,
				"action": "cut_stream", "after_frames": k,
			})
			stream, err := client.Chat.SendMessageStream(context.Background(), session, &SendMessageParams{Content: "Tell me a story"})
			if err != nil {
				t.Fatal(err)
			}
			events := readStream(t, stream)
			if _, ok := events[len(events)-1].(*DoneEvent); !ok {
				t.Fatalf("last event %T", events[len(events)-1])
			}
			for i, e := range events {
				if want := fmt.Sprint(i + 1); eventIDs([]Event{e}) != want {
					t.Fatalf("event %d has id %s: frames lost or reordered", i, eventIDs([]Event{e}))
				}
			}
			posts := mockRequests(t, key, "POST", "/api/v1/chat/sessions/*/messages/stream")
			gets := mockRequests(t, key, "GET", "/api/v1/executions/*/stream")
			if k == 0 {
				// Nothing reached the caller: the same request is sent again, same key.
				if len(posts) != 2 || posts[0].Headers["idempotency-key"] != posts[1].Headers["idempotency-key"] || len(gets) != 0 {
					t.Fatalf("posts %+v gets %+v", posts, gets)
				}
			} else if len(posts) != 1 || len(gets) != 1 || gets[0].Headers["last-event-id"] != fmt.Sprint(k) {
				t.Fatalf("posts %+v gets %+v", posts, gets)
			}
			msgs, _ := client.Chat.ListMessages(context.Background(), session, nil)
			if len(msgs.Data) != 2 {
				t.Fatalf("%d messages stored", len(msgs.Data))
			}
		})
	}
}

// variant makes the mock answer the requests matching method and path in the
// given evidenced shapes of the real wire format.
func variant(t *testing.T, method, path string, variants ...string) {
	t.Helper()
	control(t, "POST", "/__mock/faults", map[string]any{"method": method, "path": path, "count": 20, "action": "variant", "variants": variants})
}

func TestE2EEvidencedVariants(t *testing.T) {
	const sends = "/api/v1/chat/sessions/*/messages"
	const streams = "/api/v1/chat/sessions/*/messages/stream"
	for _, strict := range []bool{false, true} {
		t.Run(fmt.Sprint("strict=", strict), func(t *testing.T) {
			var opts []Option
			if strict {
				opts = append(opts, WithStrictValidation())
			}
			client, _, _ := mockClient(t, opts...)
			ctx := context.Background()
			session := newSession(t, client, "echo")

			variant(t, "POST", sends, "send_201")
			reply, err := client.Chat.SendMessage(ctx, session, &SendMessageParams{Content: "Hello!"})
			if err != nil || reply.Content != "You said: Hello!" || reply.Role != MessageRoleAssistant || reply.UserMessage.Content != "Hello!" {
				t.Fatalf("send_201: %+v, %v", reply, err)
			}
			control(t, "DELETE", "/__mock/faults", nil)
			for i := 0; i < 2; i++ {
				if _, err := client.Chat.SendMessage(ctx, session, &SendMessageParams{Content: fmt.Sprint("more ", i)}); err != nil {
					t.Fatal(err)
				}
			}
			for _, v := range []string{"meta_pages_only", "meta_total_pages_only", "meta_no_page_count"} {
				variant(t, "GET", sends, v)
				n := 0
				for _, err := range client.Chat.ListMessagesAutoPaging(ctx, session, &ListMessagesParams{Limit: Int(4)}).All() {
					if err != nil {
						t.Fatalf("%s: %v", v, err)
					}
					n++
				}
				if n != 6 {
					t.Fatalf("%s: %d messages of 6", v, n)
				}
				control(t, "DELETE", "/__mock/faults", nil)
			}

			variant(t, "GET", "/api/v1/chat/sessions/*", "error_string")
			_, err = client.Chat.GetSession(ctx, "no-such-session")
			nf := asKind(err, ErrNotFound)
			if nf == nil || nf.Message == "" || nf.Message == "Not Found" || nf.Code != "" {
				t.Fatalf("error_string: %#v", err)
			}
			control(t, "DELETE", "/__mock/faults", nil)

			stream, err := client.Chat.SendMessageStream(ctx, session, &SendMessageParams{Content: "Hello!"})
			if err != nil {
				t.Fatal(err)
			}
			events := readStream(t, stream)
			execID := events[0].(*ExecutionEvent).ExecutionID
			variant(t, "GET", "/api/v1/executions/**", "execution_sparse")
			if e, err := client.Executions.Get(ctx, execID); err != nil || e.ID != execID || e.JSON.CreatedAt.IsPresent() {
				t.Fatalf("execution_sparse: %+v, %v", e, err)
			}
			control(t, "DELETE", "/__mock/faults", nil)
			variant(t, "GET", "/api/v1/executions/**", "execution_unknown_status")
			e, err := client.Executions.Get(ctx, execID)
			ve := asKind(err, ErrResponseValidation)
			if strict && (ve == nil || ve.Path != "data.status") || !strict && (err != nil || e.Status.IsKnown()) {
				t.Fatalf("execution_unknown_status: %+v, %v", e, err)
			}
			control(t, "DELETE", "/__mock/faults", nil)

			for _, c := range []struct {
				agent    string
				variants []string
				check    func(events []Event) bool
			}{
				{"echo", []string{"done_empty"}, func(ev []Event) bool { d := ev[len(ev)-1].(*DoneEvent); return d.RawJSON() == "{}" }},
				{"echo", []string{"done_output_string"}, func(ev []Event) bool {
					d := ev[len(ev)-1].(*DoneEvent)
					return d.OutputText() == "You said: Hello!" && string(d.Output) == `"You said: Hello!"`
				}},
				{"echo", []string{"done_output_null"}, func(ev []Event) bool { return ev[len(ev)-1].(*DoneEvent).JSON.Output.IsNull() }},
				{"echo", []string{"done_partial_usage"}, func(ev []Event) bool {
					d := ev[len(ev)-1].(*DoneEvent)
					return d.TokenUsage.TotalTokens > 0 && !d.TokenUsage.JSON.PromptTokens.IsPresent() && !d.JSON.Time.IsPresent()
				}},
				{"faulty", []string{"error_frame_error"}, func(ev []Event) bool {
					e := ev[len(ev)-1].(*ErrorEvent)
					return e.Message == "Tool 'lookup_order' timed out." && e.Error == e.Message
				}},
				{"thinker", []string{"tool_end_no_summary", "execution_frame_no_user_message_id"}, func(ev []Event) bool {
					ok := !ev[0].(*ExecutionEvent).JSON.UserMessageID.IsPresent()
					for _, e := range ev {
						if te, is := e.(*ToolEndEvent); is {
							ok = ok && !te.JSON.Summary.IsPresent() && te.Name != ""
						}
					}
					return ok
				}},
			} {
				variant(t, "POST", streams, c.variants...)
				s, err := client.Chat.SendMessageStream(ctx, newSession(t, client, c.agent), &SendMessageParams{Content: "Hello!"})
				if err != nil {
					t.Fatalf("%v: %v", c.variants, err)
				}
				events, err := collect(t, s)
				if err != nil || len(events) < 2 || !c.check(events) {
					t.Fatalf("%v: %d events, %v", c.variants, len(events), err)
				}
				control(t, "DELETE", "/__mock/faults", nil)
			}
		})
	}
}
