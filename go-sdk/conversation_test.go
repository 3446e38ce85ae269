package promptrails

// End-to-end tests of the conversation (RUNTIME.md, "Conversations") against
// the mock server (PROMPTRAILS_MOCK_CMD, see e2e_test.go).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// storedTotals sums the stored messages' counters and cost, read with the
// plain API: what the conversation's totals must equal.
func storedTotals(t *testing.T, client *Client, session string) (map[string]int64, float64, []ChatMessage) {
	t.Helper()
	usage := map[string]int64{"prompt_tokens": 0, "completion_tokens": 0}
	cost := 0.0
	var all []ChatMessage
	for m, err := range client.Chat.ListMessagesAutoPaging(context.Background(), session, nil).All() {
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, m)
		if m.PromptTokens != nil {
			usage["prompt_tokens"] += *m.PromptTokens
		}
		if m.CompletionTokens != nil {
			usage["completion_tokens"] += *m.CompletionTokens
		}
		if m.Cost != nil {
			cost += *m.Cost
		}
	}
	return usage, cost, all
}

// checkTotals checks the conversation's history and totals against what the
// server stored.
func checkTotals(t *testing.T, client *Client, conv *Conversation) {
	t.Helper()
	usage, cost, stored := storedTotals(t, client, conv.SessionID())
	history := conv.History()
	if len(history) != len(stored) {
		t.Fatalf("history has %d messages, the server %d", len(history), len(stored))
	}
	for i, m := range history {
		if m.Content != stored[i].Content || m.Role != string(stored[i].Role) || m.RawJSON() != stored[i].RawJSON() {
			t.Fatalf("message %d: %q/%q, stored %q/%q", i, m.Role, m.Content, stored[i].Role, stored[i].Content)
		}
	}
	if got := conv.Usage(); fmt.Sprint(got) != fmt.Sprint(usage) {
		t.Fatalf("usage %v, stored messages sum to %v", got, usage)
	}
	if got := conv.TotalCost(); fmt.Sprintf("%.9f", got) != fmt.Sprintf("%.9f", cost) || cost == 0 {
		t.Fatalf("total cost %v, stored messages sum to %v", got, cost)
	}
}

func TestE2EConversationSend(t *testing.T) {
	client, _, _ := mockClient(t)
	ctx := context.Background()
	conv, err := client.Chat.Conversation(ctx, ConversationParams{
		AgentID: "echo", Title: NewNullable("Support"), Metadata: map[string]any{"channel": "web"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer conv.Close()
	session, err := client.Chat.GetSession(ctx, conv.SessionID())
	if err != nil || session.AgentID != "echo" || *session.Title != "Support" || session.Metadata["channel"] != "web" {
		t.Fatalf("%+v %v", session, err)
	}
	reply, err := conv.Send(ctx, "Hi, I need help")
	if err != nil {
		t.Fatal(err)
	}
	if reply.String() != "You said: Hi, I need help" || fmt.Sprint(reply) != reply.Content || reply.ExecutionID == "" {
		t.Fatalf("%+v", reply)
	}
	if reply.Message == nil || reply.Message.Role != "assistant" || reply.UserMessage == nil || reply.UserMessage.Content != "Hi, I need help" {
		t.Fatalf("stored pair %v / %v", reply.UserMessage, reply.Message)
	}
	if reply.Usage["completion_tokens"] != 6 || reply.Cost <= 0 || reply.Message.Get("model").Raw() != `"mock-echo-1"` {
		t.Fatalf("usage %v cost %v", reply.Usage, reply.Cost)
	}
	var typed ChatReply
	if err := json.Unmarshal(reply.Raw, &typed); err != nil || typed.ExecutionID != reply.ExecutionID {
		t.Fatalf("raw %s: %v", reply.Raw, err)
	}
	var msg ChatMessage
	if err := reply.Message.Decode(&msg); err != nil || msg.Content != reply.Content || msg.Cost == nil {
		t.Fatalf("%+v %v", msg, err)
	}
	if _, err := conv.Invoke(ctx, "And again"); err != nil {
		t.Fatal(err)
	}
	checkTotals(t, client, conv)
	if h := conv.History(); h[2].String() != "user: And again" || !h[1].Get("cost").Valid() || h[0].Get("nope").IsPresent() {
		t.Fatalf("%v", h)
	}
}

func TestE2EConversationStream(t *testing.T) {
	client, _, _ := mockClient(t)
	ctx := context.Background()
	conv, err := client.Chat.Conversation(ctx, ConversationParams{AgentID: "echo"})
	if err != nil {
		t.Fatal(err)
	}
	defer conv.Close()
	var chunks []string
	for chunk, err := range conv.Stream(ctx, "Hello there my friend") {
		if err != nil {
			t.Fatal(err)
		}
		chunks = append(chunks, chunk)
	}
	if strings.Join(chunks, "") != "You said: Hello there my friend" || len(chunks) < 3 {
		t.Fatalf("chunks %q", chunks)
	}
	var names []string
	for ev, err := range conv.StreamEvents(ctx, "Once more") {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, ev.EventType())
	}
	if names[0] != "execution" || names[len(names)-1] != "done" {
		t.Fatalf("events %v", names)
	}
	h := conv.History()
	if len(h) != 4 || h[1].Content != "You said: Hello there my friend" || h[3].Content != "You said: Once more" {
		t.Fatalf("%v", h)
	}
	checkTotals(t, client, conv)

	// A range ranges once: the message is sent once.
	seq := conv.Stream(ctx, "only once")
	for range seq {
	}
	for _, err := range seq {
		if !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("second range: %v", err)
		}
	}
	if n := len(conv.History()); n != 6 {
		t.Fatalf("%d messages", n)
	}
}

func TestE2EConversationFailedRun(t *testing.T) {
	client, _, _ := mockClient(t)
	ctx := context.Background()
	conv, err := client.Chat.Conversation(ctx, ConversationParams{AgentID: "faulty"})
	if err != nil {
		t.Fatal(err)
	}
	defer conv.Close()
	var text string
	var last error
	for chunk, err := range conv.Stream(ctx, "Where is my order?") {
		text += chunk
		last = err
	}
	failed := asKind(last, ErrStream)
	if failed == nil || failed.Event == nil || failed.Event.EventType() != "error" || text == "" {
		t.Fatalf("text %q, err %v", text, last)
	}
	var events []Event
	for ev, err := range conv.StreamEvents(ctx, "Again?") {
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, ev)
	}
	if e, ok := events[len(events)-1].(*ErrorEvent); !ok || e.Message == "" {
		t.Fatalf("last event %#v", events[len(events)-1])
	}
	// The send operation answers 502: an error, and the history stays the server's.
	_, err = conv.Send(ctx, "A third time")
	if bad := asKind(err, ErrStatus); bad == nil || bad.StatusCode != 502 {
		t.Fatalf("send: %v", err)
	}
	_, _, stored := storedTotals(t, client, conv.SessionID())
	if err := conv.Sync(ctx); err != nil || len(conv.History()) != len(stored) {
		t.Fatalf("%d messages, %d stored, %v", len(conv.History()), len(stored), err)
	}
}

// A stream left early leaves the history as the server stored it: the
// conversation follows the run through the executions stream, from the last
// event delivered, then reads the stored messages.
func TestE2EConversationStreamLeftEarly(t *testing.T) {
	client, key, _ := mockClient(t)
	ctx := context.Background()
	conv, err := client.Chat.Conversation(ctx, ConversationParams{AgentID: "storyteller"})
	if err != nil {
		t.Fatal(err)
	}
	defer conv.Close()
	n := 0
	for chunk, err := range conv.Stream(ctx, "a robot") {
		if err != nil || chunk == "" {
			t.Fatalf("%q %v", chunk, err)
		}
		if n++; n == 3 {
			break
		}
	}
	h := conv.History()
	if len(h) != 2 || h[0].Content != "a robot" || !strings.HasSuffix(h[1].Content, "The end.") || len(strings.Fields(h[1].Content)) < 50 {
		t.Fatalf("history after leaving early: %v", h)
	}
	gets := mockRequests(t, key, "GET", "/api/v1/executions/*/stream")
	// execution (1), then three content frames (2, 3, 4) were delivered.
	if len(gets) != 1 || gets[0].Headers["last-event-id"] != "4" {
		t.Fatalf("the run was not followed from the last event delivered: %+v", gets)
	}
	// The same with the typed events, left at the first.
	for range conv.StreamEvents(ctx, "a cat") {
		break
	}
	if h := conv.History(); len(h) != 4 || !strings.HasSuffix(h[3].Content, "The end.") {
		t.Fatalf("%v", h)
	}
	checkTotals(t, client, conv)
	// A send right after a stream left early waits for that run (in order).
	for range conv.Stream(ctx, "a dog") {
		break
	}
	if _, err := conv.Send(ctx, "and then?"); err != nil {
		t.Fatal(err)
	}
	if h := conv.History(); len(h) != 8 || h[6].Content != "and then?" {
		t.Fatalf("%v", h)
	}
	checkTotals(t, client, conv)
}

func TestE2EConversationClear(t *testing.T) {
	client, _, _ := mockClient(t)
	ctx := context.Background()
	conv, err := client.Chat.Conversation(ctx, ConversationParams{AgentID: "echo", Title: NewNullable("T"), Metadata: map[string]any{"k": "v"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conv.Close()
	if _, err := conv.Send(ctx, "remember this"); err != nil {
		t.Fatal(err)
	}
	old := conv.SessionID()
	if err := conv.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if conv.SessionID() == old || len(conv.History()) != 0 || conv.TotalCost() != 0 || conv.Usage()["prompt_tokens"] != 0 {
		t.Fatalf("after clear: %s %v %v", conv.SessionID(), conv.History(), conv.Usage())
	}
	fresh, err := client.Chat.GetSession(ctx, conv.SessionID())
	if err != nil || fresh.AgentID != "echo" || *fresh.Title != "T" || fresh.Metadata["k"] != "v" {
		t.Fatalf("%+v %v", fresh, err)
	}
	if _, _, stored := storedTotals(t, client, old); len(stored) != 2 {
		t.Fatalf("the old session has %d messages", len(stored))
	}
	reply, err := conv.Send(ctx, "what did I say?")
	if err != nil || reply.Message.Get("prompt_tokens").Raw() != "4" { // the new session knows nothing before: 4 words
		t.Fatalf("%v %v", reply, err)
	}
	checkTotals(t, client, conv)
}

func TestE2EConversationSaveAndLoad(t *testing.T) {
	client, key, _ := mockClient(t)
	ctx := context.Background()
	conv, err := client.Chat.Conversation(ctx, ConversationParams{AgentID: "echo", Title: NewNullable("Saved"), Metadata: map[string]any{"n": 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer conv.Close()
	for _, text := range []string{"one", "two"} {
		if _, err := conv.Send(ctx, text); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "conv.json")
	if err := conv.Save(path); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	var doc struct {
		Version   int              `json:"version"`
		SessionID string           `json:"session_id"`
		AgentID   string           `json:"agent_id"`
		Title     string           `json:"title"`
		Metadata  map[string]any   `json:"metadata"`
		Usage     map[string]int64 `json:"usage"`
		TotalCost float64          `json:"total_cost"`
		History   []ChatMessage    `json:"history"`
	}
	if err := json.Unmarshal(data, &doc); err != nil || doc.Version != 1 || doc.SessionID != conv.SessionID() || doc.AgentID != "echo" ||
		doc.Title != "Saved" || doc.Metadata["n"] != 1.0 || len(doc.History) != 4 || doc.TotalCost != conv.TotalCost() ||
		fmt.Sprint(doc.Usage) != fmt.Sprint(conv.Usage()) {
		t.Fatalf("%s (%v)", data, err)
	}
	if strings.Contains(string(data), key) || strings.Contains(string(data), mockURL) {
		t.Fatal("the document holds the key or the base URL")
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", info.Mode())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("left behind: %v", entries)
	}

	loaded, err := client.Chat.Load(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer loaded.Close()
	if loaded.SessionID() != conv.SessionID() || fmt.Sprint(loaded.History()) != fmt.Sprint(conv.History()) ||
		fmt.Sprint(loaded.Usage()) != fmt.Sprint(conv.Usage()) || loaded.TotalCost() != conv.TotalCost() {
		t.Fatalf("loaded %s %v %v", loaded.SessionID(), loaded.History(), loaded.Usage())
	}
	gets := len(mockRequests(t, key, "GET", "/api/v1/chat/sessions/*/messages"))
	if _, err := loaded.Send(ctx, "three"); err != nil {
		t.Fatal(err)
	}
	// The loaded history is the server's: one read of what came after it.
	if n := len(mockRequests(t, key, "GET", "/api/v1/chat/sessions/*/messages")); n != gets+1 {
		t.Fatalf("%d reads of the messages after a send (want 1): the loaded history did not match", n-gets)
	}
	checkTotals(t, client, loaded)
	// Clear on a loaded conversation keeps the saved fields.
	if err := loaded.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if s, err := client.Chat.GetSession(ctx, loaded.SessionID()); err != nil || *s.Title != "Saved" || s.AgentID != "echo" {
		t.Fatalf("%+v %v", s, err)
	}

	// Without the history, Load reads it from the server.
	if err := conv.Save(path, WithoutHistory()); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(path)
	before := len(mockRequests(t, key, "GET", "/api/v1/chat/sessions/*/messages"))
	again, err := client.Chat.Load(ctx, path)
	if err != nil || strings.Contains(string(data), "history") {
		t.Fatalf("%s %v", data, err)
	}
	defer again.Close()
	if len(again.History()) != 6 || len(mockRequests(t, key, "GET", "/api/v1/chat/sessions/*/messages")) != before+1 {
		t.Fatalf("%v", again.History())
	}

	// What is not a saved conversation is refused, saying why.
	for name, content := range map[string]string{
		"missing":    "",
		"text":       "not json",
		"list":       "[]",
		"version":    `{"version":2,"session_id":"s"}`,
		"no session": `{"version":1}`,
		"history":    `{"version":1,"session_id":"s","history":{}}`,
		"message":    `{"version":1,"session_id":"s","history":[1]}`,
		"usage":      `{"version":1,"session_id":"s","history":[],"usage":[]}`,
	} {
		p := filepath.Join(dir, name)
		if name != "missing" {
			os.WriteFile(p, []byte(content), 0o600)
		}
		c, err := client.Chat.Load(ctx, p)
		if bad := asKind(err, ErrInvalidArgument); c != nil || bad == nil || bad.Argument != "path" {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if err := conv.Save(filepath.Join(dir, "no-such-dir", "x.json")); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("save into a missing directory: %v", err)
	}
}

// loggedCall is one entry of the mock's request log.
type loggedCall struct {
	Seq    int    `json:"seq"`
	Method string `json:"method"`
	Path   string `json:"path"`
	Body   string `json:"body"`
}

// inFlight is a RoundTripper counting the sends in flight at once, and
// holding each until hold lets it go (nil: at once).
type inFlight struct {
	base      http.RoundTripper
	now, most atomic.Int32
	hold      func()
}

func (c *inFlight) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != "POST" || !strings.HasSuffix(req.URL.Path, "/messages") {
		return c.base.RoundTrip(req)
	}
	n := c.now.Add(1)
	for {
		m := c.most.Load()
		if n <= m || c.most.CompareAndSwap(m, n) {
			break
		}
	}
	if c.hold != nil {
		c.hold()
	}
	defer c.now.Add(-1)
	return c.base.RoundTrip(req)
}

// Sends to one conversation run one at a time, in the order they were
// called: the transport never sees two in flight, the server receives each
// after the previous reply was read back, and stores them in call order.
func TestE2EConversationConcurrentSendsAreSerialised(t *testing.T) {
	counter := &inFlight{base: http.DefaultTransport}
	client, key, _ := mockClient(t, WithHTTPClient(&http.Client{Transport: counter}))
	ctx := context.Background()
	conv, err := client.Chat.Conversation(ctx, ConversationParams{AgentID: "echo", Metadata: map[string]any{"delay_ms": 5}})
	if err != nil {
		t.Fatal(err)
	}
	defer conv.Close()
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = conv.Send(ctx, fmt.Sprint("message ", i))
		}()
		// Call i+1 starts once call i holds the slot or waits for it: the call order is known.
		waitFor(t, func() bool {
			conv.gate.mu.Lock()
			defer conv.gate.mu.Unlock()
			return conv.gate.free == 0 && len(conv.gate.waiters) == i
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if counter.most.Load() != 1 {
		t.Fatalf("%d sends in flight at once", counter.most.Load())
	}
	h := conv.History()
	for i := 0; i < n; i++ {
		if h[2*i].Content != fmt.Sprint("message ", i) || h[2*i+1].Content != fmt.Sprint("You said: message ", i) {
			t.Fatalf("history not in call order: %v", h)
		}
	}
	var log []loggedCall
	q := url.Values{"path": {"/api/v1/chat/sessions/*/messages"}, "api_key": {key}, "limit": {"1000"}}
	json.Unmarshal(control(t, "GET", "/__mock/requests?"+q.Encode(), nil), &log)
	var order []string
	for _, e := range log {
		order = append(order, e.Method)
	}
	// Each send (POST) reaches the server after the previous one's messages were read back (GET).
	if strings.Join(order, ",") != "POST,GET,POST,GET,POST,GET,POST,GET" {
		t.Fatalf("the server saw %v", order)
	}
	checkTotals(t, client, conv)

	// With two invocations allowed, two sends are in flight at once, never three.
	both := make(chan struct{})
	var arrived atomic.Int32
	counter.now.Store(0)
	counter.most.Store(0)
	counter.hold = func() {
		if arrived.Add(1) == 2 {
			close(both)
		}
		select {
		case <-both:
		case <-time.After(10 * time.Second):
		}
	}
	two, err := client.Chat.Conversation(ctx, ConversationParams{AgentID: "echo"}, WithMaxConcurrentInvocations(2))
	if err != nil {
		t.Fatal(err)
	}
	defer two.Close()
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = two.Send(ctx, fmt.Sprint("parallel ", i))
		}()
	}
	wg.Wait()
	select {
	case <-both:
	default:
		t.Fatal("two sends were never in flight together")
	}
	if counter.most.Load() != 2 || errs[0] != nil || errs[1] != nil || errs[2] != nil {
		t.Fatalf("%d in flight at most, %v", counter.most.Load(), errs[:3])
	}
	if len(two.History()) != 6 {
		t.Fatalf("%v", two.History())
	}
	checkTotals(t, client, two)
}

// waitFor polls cond (a state another goroutine reaches) for up to 10 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the state was never reached")
		}
	}
}

func TestE2EConversationResume(t *testing.T) {
	client, _, _ := mockClient(t)
	ctx := context.Background()
	first, err := client.Chat.Conversation(ctx, ConversationParams{AgentID: "echo", Title: NewNullable("Resumed")})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if _, err := first.Send(ctx, "before"); err != nil {
		t.Fatal(err)
	}
	resumed, err := client.Chat.Conversation(ctx, ConversationParams{SessionID: first.SessionID()})
	if err != nil {
		t.Fatal(err)
	}
	defer resumed.Close()
	if fmt.Sprint(resumed.History()) != fmt.Sprint(first.History()) || resumed.TotalCost() != first.TotalCost() {
		t.Fatalf("%v", resumed.History())
	}
	if _, err := resumed.Send(ctx, "after"); err != nil {
		t.Fatal(err)
	}
	checkTotals(t, client, resumed)
	if err := resumed.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if s, err := client.Chat.GetSession(ctx, resumed.SessionID()); err != nil || s.AgentID != "echo" || *s.Title != "Resumed" {
		t.Fatalf("%+v %v", s, err)
	}
	// Mistakes: both ways of opening, a session that does not exist, an unknown agent.
	if c, err := client.Chat.Conversation(ctx, ConversationParams{SessionID: first.SessionID(), AgentID: "echo"}); c != nil || !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("%v", err)
	}
	if c, err := client.Chat.Conversation(ctx, ConversationParams{SessionID: "no-such-session"}); c != nil || !errors.Is(err, ErrNotFound) {
		t.Fatalf("%v", err)
	}
	if c, err := client.Chat.Conversation(ctx, ConversationParams{AgentID: "nope"}); c != nil || !errors.Is(err, ErrUnprocessableEntity) {
		t.Fatalf("%v", err)
	}
	if c, err := client.Chat.Conversation(ctx, ConversationParams{AgentID: "echo"}, WithMaxConcurrentInvocations(0)); c != nil || !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("%v", err)
	}
}

func TestE2EConversationCloseAndDelete(t *testing.T) {
	client, _, _ := mockClient(t)
	ctx := context.Background()
	conv, err := client.Chat.Conversation(ctx, ConversationParams{AgentID: "storyteller", Metadata: map[string]any{"delay_ms": 20}},
		WithDeleteOnClose(), WithMaxRetries(1), WithTimeout(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	id := conv.SessionID()
	// Close from inside the loop: the open stream is closed, the loop ends.
	events := 0
	for _, err := range conv.StreamEvents(ctx, "a long story") {
		if err != nil {
			t.Fatal(err)
		}
		if events++; events == 2 {
			if err := conv.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if events != 2 {
		t.Fatalf("%d events after Close", events)
	}
	if _, err := client.Chat.GetSession(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the session outlived Close with WithDeleteOnClose: %v", err)
	}
	if _, err := conv.Send(ctx, "x"); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("send after close: %v", err)
	}
	for _, err := range conv.Stream(ctx, "x") {
		if !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("stream after close: %v", err)
		}
	}
	if err := conv.Close(); err != nil {
		t.Fatal(err)
	}

	other, err := client.Chat.Conversation(ctx, ConversationParams{AgentID: "echo"})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Send(ctx, "anyone?"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("send to a deleted session: %v", err)
	}
	// Clear starts over on a new session: it does not read the deleted one first.
	if err := other.Clear(ctx); err != nil {
		t.Fatalf("clear after the session was deleted: %v", err)
	}
	if reply, err := other.Send(ctx, "hello again"); err != nil || reply.String() != "You said: hello again" {
		t.Fatalf("send after clear: %v %v", reply, err)
	}
	checkTotals(t, client, other)
}

// A history longer than a page: the conversation reads the messages after
// the last it holds across the page boundary.
func TestE2EConversationLongHistory(t *testing.T) {
	client, _, _ := mockClient(t)
	ctx := context.Background()
	conv, err := client.Chat.Conversation(ctx, ConversationParams{AgentID: "echo", Metadata: map[string]any{"delay_ms": 0}})
	if err != nil {
		t.Fatal(err)
	}
	defer conv.Close()
	for i := 0; i < 51; i++ {
		if _, err := conv.Send(ctx, fmt.Sprint("m", i)); err != nil {
			t.Fatal(err)
		}
	}
	if len(conv.History()) != 102 {
		t.Fatalf("%d messages", len(conv.History()))
	}
	checkTotals(t, client, conv)
	resumed, err := client.Chat.Conversation(ctx, ConversationParams{SessionID: conv.SessionID()})
	if err != nil || fmt.Sprint(resumed.History()) != fmt.Sprint(conv.History()) {
		t.Fatalf("%v", err)
	}
	resumed.Close()
}
