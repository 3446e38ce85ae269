package promptrails

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// Reading responses (RUNTIME.md): every evidenced shape reads without error in
// both modes; what departs from the contract reads tolerantly by default and
// is an *APIResponseValidationError in strict mode.

// modes runs f once tolerant and once strict.
func modes(t *testing.T, f func(t *testing.T, strict bool, opts ...Option)) {
	t.Run("tolerant", func(t *testing.T) { f(t, false) })
	t.Run("strict", func(t *testing.T) { f(t, true, WithStrictValidation()) })
}

// streamOf serves the frames and collects what the stream gives.
func streamOf(t *testing.T, opts []Option, frames ...string) ([]Event, error) {
	t.Helper()
	client, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		sseFrames(w, frames...)
	}, opts...)
	stream, err := client.Chat.SendMessageStream(context.Background(), "s1", &SendMessageParams{Content: "x"})
	if err != nil {
		return nil, err
	}
	return collect(t, stream)
}

func TestEvidencedDoneShapes(t *testing.T) {
	cases := []struct {
		data, text string
		check      func(e *DoneEvent) bool
	}{
		{`{}`, "", func(e *DoneEvent) bool {
			return e.Output == nil && !e.JSON.Output.IsPresent() && !e.JSON.TokenUsage.IsPresent() && !e.JSON.Time.IsPresent()
		}},
		{`{"output":{"content":"Hello world"},"token_usage":{"total_tokens":42}}`, "Hello world", func(e *DoneEvent) bool {
			return e.TokenUsage.TotalTokens == 42 && e.JSON.TokenUsage.Valid() && !e.TokenUsage.JSON.PromptTokens.IsPresent() && e.Time == 0
		}},
		{`{"output":"Hello world","token_usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3},"time":0.5}`, "Hello world",
			func(e *DoneEvent) bool { return e.Time == 0.5 && e.TokenUsage.CompletionTokens == 2 }},
		{`{"output":null}`, "", func(e *DoneEvent) bool { return e.Output == nil && e.JSON.Output.IsNull() }},
		{`{"output":{"content":"a","steps":[1,2]},"token_usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,` +
			`"cached_tokens":4,"cache_creation_tokens":5,"reasoning_tokens":6,"audio_tokens":7}}`, "a",
			func(e *DoneEvent) bool {
				u := e.TokenUsage
				return u.CachedTokens == 4 && u.CacheCreationTokens == 5 && u.ReasoningTokens == 6 &&
					u.ExtraFields()["audio_tokens"].Raw() == "7" && string(e.Output) == `{"content":"a","steps":[1,2]}`
			}},
		{`{"output":{"result":42}}`, "", func(e *DoneEvent) bool { return string(e.Output) == `{"result":42}` }},
		{`{"output":[1,"x"],"token_usage":{}}`, "", func(e *DoneEvent) bool { return string(e.Output) == `[1,"x"]` }},
	}
	modes(t, func(t *testing.T, strict bool, opts ...Option) {
		for _, c := range cases {
			events, err := streamOf(t, opts, frame("1", "execution", execFrame), frame("2", "done", c.data))
			if err != nil || len(events) != 2 {
				t.Fatalf("%s: %d events, err %v", c.data, len(events), err)
			}
			e := events[1].(*DoneEvent)
			if e.OutputText() != c.text || !c.check(e) || e.RawJSON() != c.data {
				t.Fatalf("%s: %+v (text %q)", c.data, e, e.OutputText())
			}
		}
	})
}

func TestEvidencedEventVariants(t *testing.T) {
	modes(t, func(t *testing.T, strict bool, opts ...Option) {
		events, err := streamOf(t, opts,
			frame("1", "execution", `{"execution_id":"e1"}`),
			frame("2", "tool_start", `{"id":"t1","name":"lookup"}`),
			frame("3", "tool_end", `{"id":"t1","name":"lookup"}`),
			frame("4", "error", `{"error":"session not found"}`))
		if err != nil || len(events) != 4 {
			t.Fatalf("%d events, err %v", len(events), err)
		}
		if e := events[0].(*ExecutionEvent); e.ExecutionID != "e1" || e.UserMessageID != "" || e.JSON.UserMessageID.IsPresent() {
			t.Fatalf("%+v", e)
		}
		if e := events[2].(*ToolEndEvent); e.Summary != "" || e.JSON.Summary.IsPresent() || e.Name != "lookup" {
			t.Fatalf("%+v", e)
		}
		// An error frame naming its message "error" reads it as Message too.
		if e := events[3].(*ErrorEvent); e.Message != "session not found" || e.Error != "session not found" || e.Code != "" {
			t.Fatalf("%+v", e)
		}
		events, err = streamOf(t, opts, frame("1", "execution", execFrame), frame("2", "error", `{"message":"boom","code":"agent_failed"}`))
		if e := events[1].(*ErrorEvent); err != nil || e.Message != "boom" || e.Code != "agent_failed" || e.JSON.Error.IsPresent() {
			t.Fatalf("%+v %v", e, err)
		}
	})
}

func TestEventMismatchesAreToleratedOrStrict(t *testing.T) {
	cases := []struct {
		event, data, path string
		tolerant          func(e Event) bool
	}{
		{"content", `{"text":"x"}`, "content", func(e Event) bool {
			c := e.(*ContentEvent)
			return c.Content == "" && !c.JSON.Content.IsPresent() && c.ExtraFields()["text"].Raw() == `"x"`
		}},
		{"content", `{"content":5}`, "content", func(e Event) bool {
			c := e.(*ContentEvent)
			return c.Content == "" && c.JSON.Content.IsInvalid() && c.JSON.Content.Raw() == "5" && c.ExtraFields()["content"].Raw() == "5"
		}},
		{"content", `{"content":null}`, "content", func(e Event) bool {
			c := e.(*ContentEvent)
			return c.Content == "" && c.JSON.Content.IsNull()
		}},
		{"done", `{"token_usage":{"total_tokens":"many"}}`, "token_usage.total_tokens", func(e Event) bool {
			d := e.(*DoneEvent)
			return d.TokenUsage.TotalTokens == 0 && d.TokenUsage.JSON.TotalTokens.IsInvalid() && d.JSON.TokenUsage.Valid()
		}},
		{"done", `{"token_usage":[1,2]}`, "token_usage", func(e Event) bool {
			d := e.(*DoneEvent)
			return d.JSON.TokenUsage.IsInvalid() && d.JSON.TokenUsage.Raw() == "[1,2]"
		}},
		{"done", `{"time":"soon"}`, "time", func(e Event) bool { return e.(*DoneEvent).JSON.Time.IsInvalid() }},
		{"execution", `{}`, "execution_id", func(e Event) bool { return e.(*ExecutionEvent).ExecutionID == "" }},
	}
	modes(t, func(t *testing.T, strict bool, opts ...Option) {
		for _, c := range cases {
			events, err := streamOf(t, opts, frame("1", "execution", execFrame), frame("2", c.event, c.data), frame("3", "done", `{}`))
			if !strict {
				if err != nil || len(events) < 2 || !c.tolerant(events[1]) {
					t.Fatalf("%s %s: %d events, err %v", c.event, c.data, len(events), err)
				}
				continue
			}
			se := asKind(err, ErrStream)
			ve := asKind(errors.Unwrap(err), ErrResponseValidation)
			if se == nil || ve == nil || !errors.Is(err, ErrResponseValidation) || ve.Path != c.path || se.Data != c.data || len(events) != 1 {
				t.Fatalf("%s %s: %d events, err %v (%#v)", c.event, c.data, len(events), err, ve)
			}
			if ve.StatusCode != 200 || ve.Response == nil || string(ve.Body) != c.data {
				t.Fatalf("%+v", ve)
			}
		}
	})
	// Unknown fields and unknown events are fine in strict mode too.
	events, err := streamOf(t, []Option{WithStrictValidation()}, frame("1", "execution", `{"execution_id":"e1","trace":"x"}`),
		frame("2", "brand_new", `[1]`), frame("3", "done", `{"output":{"content":"x"},"extra":true}`))
	if err != nil || len(events) != 3 {
		t.Fatalf("%d events, err %v", len(events), err)
	}
}

// listServer answers list pages from pages (1-based), each with its meta.
func listServer(t *testing.T, pages [][]any, meta func(page int) map[string]any, opts ...Option) (*Client, *testServer) {
	t.Helper()
	client, ts, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		n := 1
		fmt.Sscan(r.URL.Query().Get("page"), &n)
		var data []any
		if n <= len(pages) {
			data = pages[n-1]
		}
		body := map[string]any{"data": data}
		if data == nil {
			body["data"] = []any{}
		}
		if m := meta(n); m != nil {
			body["meta"] = m
		}
		writeJSON(w, 200, body)
	}, opts...)
	return client, ts
}

func messagesPages(sizes ...int) [][]any {
	var pages [][]any
	k := 0
	for _, n := range sizes {
		var page []any
		for i := 0; i < n; i++ {
			page = append(page, messageJSON(fmt.Sprintf("m%d", k), "user", "x"))
			k++
		}
		pages = append(pages, page)
	}
	return pages
}

func collectIDs(t *testing.T, pager *Pager[ChatMessage]) (string, error) {
	t.Helper()
	var ids []string
	for m, err := range pager.All() {
		if err != nil {
			return strings.Join(ids, ","), err
		}
		ids = append(ids, m.ID)
	}
	return strings.Join(ids, ","), nil
}

func TestEvidencedListMeta(t *testing.T) {
	pages := messagesPages(2, 2, 1)
	for name, meta := range map[string]func(n int) map[string]any{
		"pages":       func(n int) map[string]any { return map[string]any{"total": 5, "page": n, "limit": 2, "pages": 3} },
		"total_pages": func(n int) map[string]any { return map[string]any{"total": 5, "page": n, "limit": 2, "total_pages": 3} },
		"both": func(n int) map[string]any {
			return map[string]any{"total": 5, "page": n, "limit": 2, "pages": 3, "total_pages": 3}
		},
	} {
		t.Run(name, func(t *testing.T) {
			modes(t, func(t *testing.T, strict bool, opts ...Option) {
				client, ts := listServer(t, pages, meta, opts...)
				ids, err := collectIDs(t, client.Chat.ListMessagesAutoPaging(context.Background(), "s1", &ListMessagesParams{Limit: Int(2)}))
				if err != nil || ids != "m0,m1,m2,m3,m4" || len(ts.requests()) != 3 {
					t.Fatalf("ids %s, %d requests, err %v", ids, len(ts.requests()), err)
				}
				page, _ := client.Chat.ListMessages(context.Background(), "s1", nil)
				if page.Meta.Pages != 3 || page.Meta.TotalPages != 3 || !page.Meta.JSON.Pages.Valid() {
					t.Fatalf("%+v", page.Meta)
				}
				out, _ := json.Marshal(page.Meta)
				if !strings.Contains(string(out), `"pages":3`) || !strings.Contains(string(out), `"total_pages":3`) {
					t.Fatalf("%s", out)
				}
			})
		})
	}
	// Every key of the meta may be absent, in both modes.
	modes(t, func(t *testing.T, strict bool, opts ...Option) {
		// Only the total: pages go on while page * limit < total.
		onlyTotal := func(n int) map[string]any { return map[string]any{"total": 5} }
		client, ts := listServer(t, pages, onlyTotal, opts...)
		ids, err := collectIDs(t, client.Chat.ListMessagesAutoPaging(context.Background(), "s1", &ListMessagesParams{Limit: Int(2)}))
		if err != nil || ids != "m0,m1,m2,m3,m4" || len(ts.requests()) != 3 {
			t.Fatalf("only total: ids %s, %d requests, err %v", ids, len(ts.requests()), err)
		}
		// ... which also stops when the last page is full.
		client, ts = listServer(t, messagesPages(2, 2), func(int) map[string]any { return map[string]any{"total": 4} }, opts...)
		if ids, err := collectIDs(t, client.Chat.ListMessagesAutoPaging(context.Background(), "s1", &ListMessagesParams{Limit: Int(2)})); err != nil || ids != "m0,m1,m2,m3" || len(ts.requests()) != 2 {
			t.Fatalf("only total, full last page: ids %s, %d requests, err %v", ids, len(ts.requests()), err)
		}
		// No count and no total: pages go on while they come back full ...
		noCount := func(n int) map[string]any { return map[string]any{"page": n, "limit": 2} }
		client, ts = listServer(t, pages, noCount, opts...)
		if ids, err := collectIDs(t, client.Chat.ListMessagesAutoPaging(context.Background(), "s1", &ListMessagesParams{Limit: Int(2)})); err != nil || ids != "m0,m1,m2,m3,m4" || len(ts.requests()) != 3 {
			t.Fatalf("no count: ids %s, %d requests, err %v", ids, len(ts.requests()), err)
		}
		// ... and stop at an empty page after a full one.
		client, ts = listServer(t, messagesPages(2, 2), noCount, opts...)
		if ids, err := collectIDs(t, client.Chat.ListMessagesAutoPaging(context.Background(), "s1", &ListMessagesParams{Limit: Int(2)})); err != nil || ids != "m0,m1,m2,m3" || len(ts.requests()) != 3 {
			t.Fatalf("no count, empty last page: ids %s, %d requests, err %v", ids, len(ts.requests()), err)
		}
		// An empty meta: the limit asked for (or the API's default, 20) decides.
		client, ts = listServer(t, messagesPages(20, 3), func(int) map[string]any { return map[string]any{} }, opts...)
		if ids, err := collectIDs(t, client.Chat.ListMessagesAutoPaging(context.Background(), "s1", nil)); err != nil || strings.Count(ids, ",") != 22 || len(ts.requests()) != 2 {
			t.Fatalf("empty meta: ids %s, %d requests, err %v", ids, len(ts.requests()), err)
		}
	})
	// No meta at all: read in tolerant mode; the contract requires the key.
	client, ts := listServer(t, messagesPages(20, 3), func(int) map[string]any { return nil })
	if ids, err := collectIDs(t, client.Chat.ListMessagesAutoPaging(context.Background(), "s1", nil)); err != nil || strings.Count(ids, ",") != 22 || len(ts.requests()) != 2 {
		t.Fatalf("no meta: ids %s, %d requests, err %v", ids, len(ts.requests()), err)
	}
	client, _ = listServer(t, pages, func(int) map[string]any { return nil }, WithStrictValidation())
	_, err := client.Chat.ListMessages(context.Background(), "s1", nil)
	ve := asKind(err, ErrResponseValidation)
	if ve == nil || ve.Path != "meta" {
		t.Fatalf("strict, no meta: err = %v", err)
	}
	// A meta key of the wrong type is a mismatch in strict mode only.
	for _, strict := range []bool{false, true} {
		opts := []Option{}
		if strict {
			opts = append(opts, WithStrictValidation())
		}
		client, _ = listServer(t, pages, func(int) map[string]any { return map[string]any{"total": "five", "pages": 3} }, opts...)
		page, err := client.Chat.ListMessages(context.Background(), "s1", nil)
		if strict != errors.As(err, &ve) || (!strict && (!page.Meta.JSON.Total.IsInvalid() || !page.HasNextPage())) {
			t.Fatalf("strict %v: %v", strict, err)
		}
	}
}

func TestEvidencedSendShapes(t *testing.T) {
	user := messageJSON("m1", "user", "hi")
	assistant := messageJSON("m2", "assistant", "You said: hi")
	flat := messageJSON("m2", "assistant", "You said: hi")
	flat["execution_id"] = "e1"
	flat["user_message"] = user
	for _, c := range []struct {
		name   string
		status int
		body   any
		execID string
	}{
		{"message 200", 200, flat, "e1"},
		{"message 201", 201, flat, "e1"},
		{"pair 201", 201, map[string]any{"user_message": user, "assistant_message": assistant}, ""},
		{"pair 200", 200, map[string]any{"user_message": user, "assistant_message": assistant}, ""},
		{"pair with execution", 201, map[string]any{"user_message": user, "assistant_message": assistant, "execution_id": "e1"}, "e1"},
		{"bare message", 200, assistant, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			modes(t, func(t *testing.T, strict bool, opts ...Option) {
				client, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
					writeJSON(w, c.status, map[string]any{"data": c.body})
				}, opts...)
				r, err := client.Chat.SendMessage(context.Background(), "s1", &SendMessageParams{Content: "hi"})
				if err != nil || r.Content != "You said: hi" || r.ID != "m2" || r.Role != MessageRoleAssistant || r.ExecutionID != c.execID {
					t.Fatalf("%+v, %v", r, err)
				}
				if c.body.(map[string]any)["user_message"] != nil && r.UserMessage.Content != "hi" {
					t.Fatalf("user message %+v", r.UserMessage)
				}
			})
		})
	}
}

func TestAsynchronousSendShape(t *testing.T) {
	// {user_message, assistant_message: null, execution_id}: a server running
	// the agent asynchronously. The reply's message fields stay absent; the
	// execution id leads to the run's stream.
	modes(t, func(t *testing.T, strict bool, opts ...Option) {
		client, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 201, map[string]any{"data": map[string]any{"user_message": messageJSON("m1", "user", "hi"), "assistant_message": nil, "execution_id": "e1"}})
		}, opts...)
		r, err := client.Chat.SendMessage(context.Background(), "s1", &SendMessageParams{Content: "hi"})
		if err != nil || r.ExecutionID != "e1" || r.Content != "" || r.JSON.Content.IsPresent() || r.UserMessage.Content != "hi" ||
			!r.JSON.AssistantMessage.IsNull() {
			t.Fatalf("%+v, %v", r, err)
		}
	})
}

func TestEvidencedExecutions(t *testing.T) {
	full := map[string]any{
		"id": "e1", "workspace_id": "w1", "session_id": "s1", "agent_id": "echo", "agent_version_id": nil,
		"status": "waiting_approval", "input": map[string]any{"message": "Hello!"}, "output": map[string]any{"content": "Hi"},
		"error": nil, "cost": 0.01, "duration_ms": 12, "trace_id": "tr", "metadata": map[string]any{"k": "v"},
		"token_usage": map[string]any{"total_tokens": 6}, "created_at": "2026-11-21T10:01:00Z", "started_at": "2026-11-21T10:01:00Z",
		"approval_expires_at": "2026-11-21T11:01:00Z", "new_field": []any{1},
	}
	for _, c := range []struct {
		name  string
		data  map[string]any
		check func(e *Execution) bool
	}{
		{"full", full, func(e *Execution) bool {
			return e.Status == ExecutionStatusWaitingApproval && string(e.Input) == `{"message":"Hello!"}` && e.OutputText() == "Hi" &&
				*e.DurationMs == 12 && *e.TraceID == "tr" && e.ApprovalExpiresAt.Hour() == 11 && e.TokenUsage.TotalTokens == 6 &&
				e.ExtraFields()["new_field"].Raw() == "[1]" && e.AgentVersionID == nil && e.JSON.AgentVersionID.IsNull()
		}},
		{"only id and status", map[string]any{"id": "e1", "status": "cancel_requested"}, func(e *Execution) bool {
			return e.Status == ExecutionStatusCancelRequested && e.Input == nil && e.CreatedAt.IsZero() && !e.JSON.CreatedAt.IsPresent()
		}},
		{"text under text", map[string]any{"id": "e1", "status": "completed", "output": map[string]any{"text": "Hi", "content": 1}}, func(e *Execution) bool {
			return e.OutputText() == "Hi"
		}},
		{"null input and output", map[string]any{"id": "e1", "status": "completed", "input": nil, "output": nil}, func(e *Execution) bool {
			return e.Input == nil && e.JSON.Input.IsNull() && e.OutputText() == "" && e.JSON.Output.IsNull()
		}},
		{"string input and output", map[string]any{"id": "e1", "status": "completed", "input": "Hello!", "output": "Hi"}, func(e *Execution) bool {
			return string(e.Input) == `"Hello!"` && e.OutputText() == "Hi" && string(e.Output) == `"Hi"`
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			modes(t, func(t *testing.T, strict bool, opts ...Option) {
				client, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path == "/api/v1/executions" {
						writeJSON(w, 200, map[string]any{"data": []any{c.data}, "meta": map[string]any{"total": 1, "page": 1, "limit": 20, "pages": 1}})
						return
					}
					writeJSON(w, 200, map[string]any{"data": c.data})
				}, opts...)
				e, err := client.Executions.Get(context.Background(), "e1")
				if err != nil || !c.check(e) {
					t.Fatalf("%+v, %v", e, err)
				}
				page, err := client.Executions.List(context.Background(), &ListExecutionsParams{Status: "completed"})
				if err != nil || len(page.Data) != 1 || !c.check(&page.Data[0]) {
					t.Fatalf("%+v, %v", page, err)
				}
			})
		})
	}
	// A status nobody listed yet: kept in tolerant mode, refused in strict mode.
	modes(t, func(t *testing.T, strict bool, opts ...Option) {
		client, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, map[string]any{"data": map[string]any{"id": "e1", "status": "paused_for_lunch", "input": 7}})
		}, opts...)
		e, err := client.Executions.Get(context.Background(), "e1")
		ve := asKind(err, ErrResponseValidation)
		switch {
		case !strict && (err != nil || e.Status != "paused_for_lunch" || e.Status.IsKnown() || string(e.Input) != "7"):
			t.Fatalf("%+v, %v", e, err)
		case strict && (ve == nil || e != nil || ve.Path != "data.status" || !strings.Contains(ve.Error(), "paused_for_lunch")):
			t.Fatalf("err = %v", err)
		}
	})
}

func TestResponseMismatches(t *testing.T) {
	for _, c := range []struct {
		data     any
		path     string
		tolerant func(s *ChatSession) bool
	}{
		{map[string]any{"id": "s1", "workspace_id": "w1", "agent_id": "a", "updated_at": "2026-11-21T10:00:00Z"}, "data.created_at",
			func(s *ChatSession) bool { return s.CreatedAt.IsZero() && !s.JSON.CreatedAt.IsPresent() }},
		{map[string]any{"id": 5, "workspace_id": "w1", "agent_id": "a", "created_at": "2026-11-21T10:00:00Z", "updated_at": "2026-11-21T10:00:00Z"}, "data.id",
			func(s *ChatSession) bool { return s.ID == "" && s.JSON.ID.IsInvalid() && s.JSON.ID.Raw() == "5" }},
		{map[string]any{"id": "s1", "workspace_id": nil, "agent_id": "a", "created_at": "2026-11-21T10:00:00Z", "updated_at": "2026-11-21T10:00:00Z"}, "data.workspace_id",
			func(s *ChatSession) bool { return s.WorkspaceID == "" && s.JSON.WorkspaceID.IsNull() }},
		{map[string]any{"id": "s1", "workspace_id": "w1", "agent_id": "a", "created_at": "2026-11-21T10:00:00Z", "updated_at": "2026-11-21T10:00:00Z", "metadata": "x"}, "data.metadata",
			func(s *ChatSession) bool { return s.Metadata == nil && s.JSON.Metadata.IsInvalid() }},
	} {
		modes(t, func(t *testing.T, strict bool, opts ...Option) {
			client, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 200, map[string]any{"data": c.data})
			}, opts...)
			s, err := client.Chat.GetSession(context.Background(), "s1")
			ve := asKind(err, ErrResponseValidation)
			switch {
			case !strict && (err != nil || !c.tolerant(s)):
				t.Fatalf("%v: %+v, %v", c.data, s, err)
			case strict && (ve == nil || s != nil || ve.Path != c.path || ve.StatusCode != 200 || errors.Is(err, ErrStatus) || len(ve.Body) == 0):
				t.Fatalf("%v: err = %v", c.data, err)
			}
		})
	}
}

func TestUnusableResponses(t *testing.T) {
	// Only what makes a response unusable is an error, in both modes.
	for _, body := range []string{`not json`, `{"data":`, `{}`, `{"data":null}`, `{"data":[1]}`, `{"data":"x"}`, `[]`} {
		modes(t, func(t *testing.T, strict bool, opts ...Option) {
			client, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(200)
				io.WriteString(w, body)
			}, opts...)
			_, err := client.Chat.GetSession(context.Background(), "s1")
			ve := asKind(err, ErrResponseValidation)
			if ve == nil || !strings.Contains(err.Error(), "cannot read the 200 response") {
				t.Fatalf("%s: err = %v", body, err)
			}
		})
	}
	for _, body := range []string{`{"meta":{}}`, `{"data":{},"meta":{}}`, `{"data":[1],"meta":{}}`, `{"data":[{"id":"m"},"x"]}`} {
		client, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, body)
		})
		if _, err := client.Chat.ListMessages(context.Background(), "s1", nil); err == nil || !strings.Contains(err.Error(), "cannot read") {
			t.Fatalf("%s: err = %v", body, err)
		}
	}
}

func TestEvidencedErrorBodies(t *testing.T) {
	for _, c := range []struct {
		body, ctype, code, message string
	}{
		{`{"error":{"code":"not_found","message":"Chat session not found.","details":{"id":"s1"}}}`, "application/json", "not_found", "Chat session not found."},
		{`{"error":"session not found"}`, "application/json", "", "session not found"},
		{`{"message":"session not found"}`, "application/json", "", "session not found"},
		{`{"error":{"message":"m"}}`, "application/json", "", "m"},
		{`<html>Bad gateway</html>`, "text/html", "", "Not Found"},
		{``, "", "", "Not Found"},
		{`{"error":42}`, "application/json", "", "Not Found"},
	} {
		modes(t, func(t *testing.T, strict bool, opts ...Option) {
			client, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				if c.ctype != "" {
					w.Header().Set("Content-Type", c.ctype)
				}
				w.WriteHeader(404)
				io.WriteString(w, c.body)
			}, opts...)
			_, err := client.Chat.GetSession(context.Background(), "s1")
			nf := asKind(err, ErrNotFound)
			if nf == nil || nf.Code != c.code || nf.Message != c.message || string(nf.Body) != c.body {
				t.Fatalf("%s: err = %#v", c.body, err)
			}
			if c.code == "not_found" && nf.Details["id"] != "s1" {
				t.Fatalf("details %v", nf.Details)
			}
		})
	}
}

func TestModelMetadataAndRoundTrip(t *testing.T) {
	raw := `{"id":"m1","session_id":"s1","role":"robot","content":"hi","model":null,"token_count":"ten",` +
		`"created_at":"2026-11-21T10:01:00Z","tool_calls":[{"id":"t","name":"n","arguments":{"a":1}}],"brand_new":{"x":[1]}}`
	var m ChatMessage
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatal(err)
	}
	switch {
	case m.Role != "robot" || m.Role.IsKnown() || !m.JSON.Role.Valid():
		t.Fatalf("role %q", m.Role)
	case m.Model != nil || !m.JSON.Model.IsNull() || !m.JSON.Model.IsPresent():
		t.Fatal("model")
	case m.TokenCount != nil || !m.JSON.TokenCount.IsInvalid() || m.JSON.TokenCount.Raw() != `"ten"` || m.ExtraFields()["token_count"].Raw() != `"ten"`:
		t.Fatal("token_count")
	case m.Metadata != nil || m.JSON.Metadata.IsPresent() || m.JSON.Metadata.String() != "<absent>":
		t.Fatal("metadata")
	case string(m.ToolCalls) != `[{"id":"t","name":"n","arguments":{"a":1}}]`:
		t.Fatalf("tool calls %+v", m.ToolCalls)
	case m.ExtraFields()["brand_new"].Raw() != `{"x":[1]}` || m.RawJSON() != raw:
		t.Fatal("extra")
	}
	// Encoding gives back what the server sent: absent stays absent, null
	// stays null, a value of another type stays that value, extras follow.
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var want, got any
	json.Unmarshal([]byte(raw), &want)
	json.Unmarshal(out, &got)
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("round trip:\n got  %s\n want %s", out, raw)
	}
	// A change made in code is written; a model built in code writes its
	// required fields and the optional ones it sets.
	m.Content, m.Metadata = "changed", map[string]any{"k": "v"}
	out, _ = json.Marshal(m)
	if !strings.Contains(string(out), `"content":"changed"`) || !strings.Contains(string(out), `"metadata":{"k":"v"}`) {
		t.Fatalf("%s", out)
	}
	out, _ = json.Marshal(ChatMessage{ID: "m", Role: MessageRoleUser, Cost: Float(0)})
	if string(out) != `{"id":"m","session_id":"","role":"user","content":"","cost":0,"created_at":"0001-01-01T00:00:00Z"}` {
		t.Fatalf("%s", out)
	}
	// A null (for a model held by value) is no change, as encoding/json does.
	if err := json.Unmarshal([]byte(`null`), &m); err != nil || m.Content != "changed" {
		t.Fatalf("%v %q", err, m.Content)
	}
	if err := json.Unmarshal([]byte(`[1]`), &m); err == nil {
		t.Fatal("an array read as a model")
	}
}

func TestContractChecks(t *testing.T) {
	// A hand-written table with what the spec of this SDK does not have:
	// arrays and maps of models, a recursive model, nullable values, typed
	// extras, enums, aliases, flatten.
	shapes := shapeTable{objects: map[string]*objectShape{
		"Root": {fields: []fieldShape{
			{wire: "root", required: true, value: valueShape{kind: kindObject, model: "Node"}},
			{wire: "parent", value: valueShape{kind: kindObject, nullable: true, model: "Node"}},
			{wire: "by_name", value: valueShape{kind: kindObject, values: &valueShape{kind: kindObject, model: "Node"}}},
			{wire: "level", value: valueShape{kind: kindInteger, enum: []string{"1", "-1"}}},
			{wire: "count", aliases: []string{"n"}, required: true, value: valueShape{kind: kindInteger}},
			{wire: "inner", value: valueShape{kind: kindObject, model: "Inner"}},
			{wire: "any"},
		}, flatten: 5, aliased: true},
		"Inner": {fields: []fieldShape{{wire: "level", value: valueShape{kind: kindInteger}}}, flatten: -1},
		"Node": {
			fields: []fieldShape{
				{wire: "name", required: true, value: valueShape{kind: kindString}},
				{wire: "note", value: valueShape{kind: kindString, nullable: true}},
				{wire: "kind", value: valueShape{kind: kindString, enum: []string{`"leaf"`, `"branch"`}}},
				{wire: "children", required: true, value: valueShape{kind: kindArray, items: &valueShape{kind: kindObject, model: "Node"}}},
			},
			extra:   &valueShape{kind: kindNumber},
			flatten: -1,
		},
	}}
	for _, c := range []struct{ data, want string }{
		{`{"root":{"name":"a","children":[]},"count":1}`, ""},
		{`{"root":{"name":"a","children":[]},"n":1}`, ""},
		{`{"root":{"name":"a","children":[]},"inner":{"level":1},"count":1,"any":[null]}`, ""},
		{`{"root":{"name":"a","note":null,"kind":"leaf","children":[{"name":"b","children":[]}],"size":1},"parent":null,` +
			`"by_name":{"x":{"name":"x","children":[]}},"count":1.0,"level":-1}`, ""},
		{`{"root":{"name":"a","children":[]}}`, `count: missing required field`},
		{`{"root":{"name":"a","children":[]},"n":"1"}`, `count: is a string, not an integer`},
		{`{"root":{"name":"a","children":[]},"count":1.5}`, `count: is a number, not an integer`},
		{`{"root":{"name":"a","children":[]},"count":1,"level":2}`, `level: 2 is not one of the values the contract lists (1, -1)`},
		{`{"root":{"name":"a","children":[]},"count":1,"inner":{"level":"x"}}`, `level: is a string, not an integer`},
		{`{"root":{"name":"a","children":[]},"count":1,"level":1,"inner":{"level":"x"}}`, `inner.level: is a string, not an integer`},
		{`{"root":{"name":"a","children":[]},"count":1,"inner":{"level":2},"level":"y"}`, `level: is a string, not an integer`},
		{`{"root":{"name":"a","kind":"trunk","children":[]},"count":1}`, `root.kind: "trunk" is not one of the values the contract lists ("leaf", "branch")`},
		{`{"root":{"name":"a","children":[{"name":"b","children":[{"name":"c"}]}]},"count":1}`, `root.children[0].children[0].children: missing required field`},
		{`{"root":{"name":"a","children":[null]},"count":1}`, `root.children[0]: must not be null`},
		{`{"root":{"name":"a","children":{}},"count":1}`, `root.children: is an object, not an array`},
		{`{"root":{"name":"a","children":[],"size":null},"count":1}`, `root.size: must not be null`},
		{`{"root":{"name":"a","children":[],"size":"big"},"count":1}`, `root.size: is a string, not a number`},
		{`{"root":{"name":"a","children":[]},"parent":{"name":"p"},"count":1}`, `parent.children: missing required field`},
		{`{"root":{"name":"a","children":[]},"by_name":{"x":{"children":[]}},"count":1}`, `by_name.x.name: missing required field`},
		{`{"root":{"name":"a","children":[]},"by_name":[],"count":1}`, `by_name: is an array, not an object`},
		{`{"root":"a","count":1}`, `root: is a string, not an object`},
		{`[]`, `the data is an array, not an object`},
		{` 7`, `the data is a number, not an object`},
		{`{"root":`, `invalid JSON: unexpected end of JSON input`},
	} {
		m := shapes.check("", "Root", c.data)
		if (c.want == "" && m != nil) || (c.want != "" && (m == nil || m.Error() != c.want)) {
			t.Errorf("%s: %v, want %q", c.data, m, c.want)
		}
	}
}

// FuzzObjectReader checks the tolerant reader against encoding/json: for any
// JSON object, each declared field's raw value is the one encoding/json sees
// under that key (the last of duplicates), and every other key is an extra
// field; a decoded string field equals what encoding/json decodes.
func FuzzObjectReader(f *testing.F) {
	for _, seed := range []string{
		`{"content": "word2 "}`, `{"content":null}`, `{"content":5}`, `{"text":"x"}`, `{}`, `[]`, `null`, ` {"content" : "a\"b" } `,
		`{"content":"a","content":"b"}`, `{"c\u006fntent":"x"}`, `{"Content":"x"}`, "{\"content\":\"\xff\"}", `{"content":"\ud800"}`,
		`{"output":{"content":"x"},"token_usage":{"total_tokens":1.0},"time":1e400}`, `{"message":"m","error":"e","code":null}`,
		`{"a":[{"b":"}"}],"content":"]"}`, `{"content":"x"}x`, `{"content"`,
	} {
		f.Add(seed)
	}
	shape := &objectShape{fields: []fieldShape{{wire: "content"}, {wire: "output"}, {wire: "message", aliases: []string{"error"}}}, flatten: -1, aliased: true}
	f.Fuzz(func(t *testing.T, data string) {
		o, err := readObject(data, shape, false)
		var generic map[string]json.RawMessage
		gerr := json.Unmarshal([]byte(data), &generic)
		if (err == nil) != (gerr == nil && generic != nil) {
			t.Fatalf("%q: reader %v, encoding/json %v", data, err, gerr)
		}
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for i, f := range shape.fields {
			want, ok := generic[f.wire]
			if !ok && f.wire == "message" {
				want, ok = generic["error"]
			}
			if got := o.vals[i]; (got != "") != ok || (ok && !jsonEqual(got, string(want))) {
				t.Fatalf("%q: %s = %q, encoding/json %q", data, f.wire, got, want)
			}
			seen[f.wire] = true
		}
		extras := map[string]string{}
		for _, e := range o.extra {
			extras[e.key] = e.val
		}
		for k, v := range generic {
			if !seen[k] && !jsonEqual(extras[k], string(v)) {
				t.Fatalf("%q: extra %q = %q, encoding/json %q", data, k, extras[k], v)
			}
		}
		var e ContentEvent
		if err := e.decodeJSON(data, false); err != nil {
			t.Fatalf("%q: %v", data, err)
		}
		var plain struct{ Content *string }
		if json.Unmarshal(generic["content"], &plain.Content) == nil && plain.Content != nil {
			if e.Content != *plain.Content || !e.JSON.Content.Valid() {
				t.Fatalf("%q: content %q, encoding/json %q", data, e.Content, *plain.Content)
			}
		} else if e.Content != "" || e.JSON.Content.Valid() {
			t.Fatalf("%q: content %q from a non-string", data, e.Content)
		}
	})
}

// jsonEqual reports whether two raw JSON values are the same text, but for
// insignificant white space.
func jsonEqual(a, b string) bool {
	var x, y bytes.Buffer
	return json.Compact(&x, []byte(a)) == nil && json.Compact(&y, []byte(b)) == nil && x.String() == y.String()
}

// treeNode is written as the generator writes models, with what the spec of
// this SDK does not have: a model holding lists, maps and pointers of itself.
type treeNode struct {
	Name     string
	Children []treeNode
	Parent   *treeNode
	ByName   map[string]treeNode
	JSON     struct {
		Name, Children, Parent, ByName JSONField
		jsonObject
	}
}

var shapeOfTreeNode = &objectShape{fields: []fieldShape{{wire: "name"}, {wire: "children"}, {wire: "parent"}, {wire: "by_name"}}, flatten: -1}

func (m *treeNode) decodeJSON(raw string, valid bool) error {
	o, err := readObject(raw, shapeOfTreeNode, valid)
	if err != nil {
		return err
	}
	*m = treeNode{}
	decodeString(o, 0, &m.Name, &m.JSON.Name)
	decodeValue(o, 1, &m.Children, &m.JSON.Children)
	decodeValue(o, 2, &m.Parent, &m.JSON.Parent)
	decodeValue(o, 3, &m.ByName, &m.JSON.ByName)
	m.JSON.jsonObject = o.meta(raw)
	return nil
}

func TestNestedModelsDecodeThroughTheReader(t *testing.T) {
	var n treeNode
	raw := `{"name":"root","children":[{"name":"a","children":[null,{"name":"b"}]},{"name":"c","parent":{"name":"root"}}],` +
		`"by_name":{"x":{"name":"x","by_name":{"y":{"name":"y"}}}},"parent":null}`
	if err := n.decodeJSON(raw, false); err != nil {
		t.Fatal(err)
	}
	if n.Children[0].Children[1].Name != "b" || n.Children[0].Children[0].Name != "" || n.Children[1].Parent.Name != "root" ||
		n.ByName["x"].ByName["y"].Name != "y" || n.Parent != nil || !n.JSON.Parent.IsNull() || n.Children[1].RawJSONForTest() != `{"name":"c","parent":{"name":"root"}}` {
		t.Fatalf("%+v", n)
	}
	// A list holding a value that is not an object: the list reads as absent,
	// and stays raw.
	if err := n.decodeJSON(`{"children":[{"name":"a"},7],"by_name":[]}`, false); err != nil {
		t.Fatal(err)
	}
	if n.Children != nil || !n.JSON.Children.IsInvalid() || n.ByName != nil || !n.JSON.ByName.IsInvalid() {
		t.Fatalf("%+v", n)
	}
	// Deep nesting decodes (each level is checked for JSON validity only once).
	deep := strings.Repeat(`{"name":"n","children":[`, 3000) + `{"name":"leaf"}` + strings.Repeat(`]}`, 3000)
	if err := n.decodeJSON(deep, false); err != nil {
		t.Fatal(err)
	}
	depth := 0
	for cur := &n; len(cur.Children) > 0; cur = &cur.Children[0] {
		depth++
	}
	if depth != 3000 {
		t.Fatalf("depth %d", depth)
	}
}

func (m treeNode) RawJSONForTest() string { return m.JSON.raw }

func TestNormalisationsKeepEncodingJSONRules(t *testing.T) {
	// Flatten: the inner object fills only what the outer one lacks, its own
	// duplicate keys read as encoding/json reads them (the last wins), and its
	// unknown keys become extra fields unless the outer object has them.
	var r ChatReply
	raw := `{"id":"outer","assistant_message":{"id":"inner","content":"a","content":"b","x":1,"y":2},"y":3}`
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		t.Fatal(err)
	}
	if r.ID != "outer" || r.Content != "b" || r.ExtraFields()["x"].Raw() != "1" || r.ExtraFields()["y"].Raw() != "3" || r.AssistantMessage.ID != "inner" {
		t.Fatalf("%+v", r)
	}
	// Aliases: the first alias present, as the server sent it before any alias
	// was applied; a field present keeps its own value.
	var e ErrorEvent
	if err := json.Unmarshal([]byte(`{"error":"from error"}`), &e); err != nil || e.Message != "from error" || e.JSON.Message.Raw() != `"from error"` {
		t.Fatalf("%+v %v", e, err)
	}
	if err := json.Unmarshal([]byte(`{"message":"m","error":"e"}`), &e); err != nil || e.Message != "m" || e.Error != "e" {
		t.Fatalf("%+v %v", e, err)
	}
	var p PageInfo
	if err := json.Unmarshal([]byte(`{"pages":2,"total_pages":3}`), &p); err != nil || p.Pages != 2 || p.TotalPages != 3 {
		t.Fatalf("%+v %v", p, err)
	}
}
