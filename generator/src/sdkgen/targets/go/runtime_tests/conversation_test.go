// The conversation runtime (conversation.go) against a stub chat server and a
// hand-made binding: what the mock cannot show (a server answering before
// its run ends, stored messages changed under the conversation, a stream left
// before it names its run, an API without some operations), and the gate's
// order.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// chatStub is a chat server: sessions of messages; a reply is "re: <text>",
// streamed as start (naming the run), a delta per word, end.
type chatStub struct {
	mu       sync.Mutex
	sessions map[string][]string // id -> stored messages (JSON)
	fields   map[string]string   // id -> the session's fields (JSON object)
	runs     map[string][]string // run -> its frames
	n        int
	// async: the send answers before the run ends (the reply is stored when
	// the run's stream is read); noise: streams start with an event naming
	// no run; runsFail: the runs' streams answer 500.
	async, noise, runsFail bool
}

func (c *chatStub) message(session, role, text string, cost float64) string {
	c.n++
	return fmt.Sprintf(`{"id":"m%d","session":%q,"role":%q,"text":%q,"in":%d,"out":%d,"cost":%g}`,
		c.n, session, role, text, len(strings.Fields(text)), 2*len(strings.Fields(text)), cost)
}

// run stores the exchange and returns its run id and frames.
func (c *chatStub) run(session, text string) (string, []string) {
	reply := "re: " + text
	c.n++
	run := fmt.Sprint("r", c.n)
	frames := []string{}
	if c.noise {
		frames = append(frames, "id: 1\nevent: noise\ndata: {}\n\n")
	}
	frames = append(frames, fmt.Sprintf("id: %d\nevent: start\ndata: {\"run\":%q}\n\n", len(frames)+1, run))
	for _, w := range strings.SplitAfter(reply, " ") {
		frames = append(frames, fmt.Sprintf("id: %d\nevent: delta\ndata: {\"t\":%q}\n\n", len(frames)+1, w))
	}
	frames = append(frames, fmt.Sprintf("id: %d\nevent: end\ndata: {\"usage\":{\"in\":1,\"total\":9}}\n\n", len(frames)+1))
	c.runs[run] = frames
	c.sessions[session] = append(c.sessions[session], c.message(session, "user", text, 0), c.message(session, "assistant", reply, 0.5))
	return run, frames
}

func (c *chatStub) handler(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	body, _ := io.ReadAll(r.Body)
	var in map[string]any
	json.Unmarshal(body, &in)
	text, _ := in["text"].(string)
	switch {
	case r.Method == "POST" && len(parts) == 1 && parts[0] == "sessions":
		c.n++
		id := fmt.Sprint("s", c.n)
		c.sessions[id] = nil
		c.fields[id] = string(body)
		fmt.Fprintf(w, `{"sid":%q,"fields":%s}`, id, body)
	case len(parts) >= 2 && parts[0] == "sessions" && c.sessions[parts[1]] == nil && c.fields[parts[1]] == "":
		w.WriteHeader(404)
	case r.Method == "GET" && len(parts) == 2:
		io.WriteString(w, c.fields[parts[1]])
	case r.Method == "DELETE" && len(parts) == 2:
		delete(c.sessions, parts[1])
		delete(c.fields, parts[1])
	case r.Method == "GET" && len(parts) == 3 && parts[2] == "messages":
		from, _ := strconv.Atoi(r.URL.Query().Get("from"))
		all := c.sessions[parts[1]]
		fmt.Fprintf(w, "[%s]", strings.Join(all[min(from, len(all)):], ","))
	case r.Method == "POST" && len(parts) == 3 && parts[2] == "messages":
		run, _ := c.run(parts[1], text)
		if c.async {
			// The run goes on: its reply is not stored yet.
			all := c.sessions[parts[1]]
			c.sessions[parts[1]] = all[:len(all)-1]
			c.runs[run+"-pending"] = []string{parts[1], all[len(all)-1]}
			fmt.Fprintf(w, `{"reply":null,"run":%q}`, run)
			return
		}
		all := c.sessions[parts[1]]
		fmt.Fprintf(w, `{"reply":%s,"run":%q}`, all[len(all)-1], run)
	case r.Method == "POST" && len(parts) == 3 && parts[2] == "stream":
		_, frames := c.run(parts[1], text)
		rtSSE(w, frames...)
	case r.Method == "GET" && len(parts) == 3 && parts[0] == "runs":
		if c.runsFail {
			w.WriteHeader(500)
			return
		}
		if p := c.runs[parts[1]+"-pending"]; p != nil {
			c.sessions[p[0]] = append(c.sessions[p[0]], p[1]) // the run ends: its reply is stored
			delete(c.runs, parts[1]+"-pending")
		}
		last, _ := strconv.Atoi(r.Header.Get("Last-Event-ID"))
		rtSSE(w, c.runs[parts[1]][last:]...)
	default:
		w.WriteHeader(400)
	}
}

var stubSpec = &streamSpec{
	dispatch: dispatchEvent, decode: rtDecode, terminal: map[string]bool{"end": true},
	text:  &valuePath{event: "delta", path: []any{"t"}},
	usage: &valuePath{event: "end", path: []any{"usage"}},
	resumeFrom: func(ev Event) *request {
		run, ok := jsonAt(ev.(*rtEvent).data, []any{"run"})
		if ev.EventType() != "start" || !ok {
			return nil
		}
		id, _ := parseString(run)
		return &request{method: "GET", path: "/runs/" + id + "/stream", accept: "text/event-stream", lastEventIDHeader: "Last-Event-ID"}
	},
}

// stubBinding binds the conversation to the stub's operations (what the
// generated code does for an API).
func stubBinding(c *core) *conversationBinding {
	return &conversationBinding{
		textField: "text", sessionIDField: "sid", createFields: []string{"agent", "title"},
		usageFields: [][2]string{{"prompt", "in"}, {"completion", "out"}}, costField: "cost",
		create: func(ctx context.Context, body json.RawMessage, opts []Option) (string, error) {
			var out json.RawMessage
			err := getJSON(ctx, c, &request{method: "POST", path: "/sessions", body: body, bodyKind: bodyJSON, opts: opts}, &out, false, nil)
			return string(out), err
		},
		get: func(ctx context.Context, id string, opts []Option) (string, error) {
			var out json.RawMessage
			err := getJSON(ctx, c, &request{method: "GET", path: "/sessions/" + id, opts: opts}, &out, false, nil)
			return string(out), err
		},
		send: func(ctx context.Context, id, text string, opts []Option) (*sentReply, error) {
			var out struct {
				Reply *struct{ Text string }
				Run   string
			}
			a, err := c.do(ctx, &request{method: "POST", path: "/sessions/" + id + "/messages", body: map[string]string{"text": text}, bodyKind: bodyJSON, opts: opts})
			if err != nil {
				return nil, err
			}
			json.Unmarshal(a.body, &out)
			r := &sentReply{raw: string(a.body), runID: out.Run, hasText: out.Reply != nil}
			if out.Reply != nil {
				r.text = out.Reply.Text
			}
			r.follow = func(ctx context.Context, opts []Option) (*Stream, error) {
				return newStream(ctx, c, stubSpec, &request{method: "GET", path: "/runs/" + out.Run + "/stream", opts: opts, lastEventIDHeader: "Last-Event-ID"})
			}
			return r, nil
		},
		stream: func(ctx context.Context, id, text string, opts []Option) (*Stream, error) {
			return newStream(ctx, c, stubSpec, &request{method: "POST", path: "/sessions/" + id + "/stream", body: map[string]string{"text": text}, bodyKind: bodyJSON, opts: opts})
		},
		history: func(ctx context.Context, id string, from int, opts []Option) ([]string, error) {
			var out []json.RawMessage
			if err := getJSON(ctx, c, &request{method: "GET", path: "/sessions/" + id + "/messages?from=" + strconv.Itoa(from), opts: opts}, &out, false, nil); err != nil {
				return nil, err
			}
			raws := make([]string, len(out))
			for i, m := range out {
				raws[i] = string(m)
			}
			return raws, nil
		},
		delete: func(ctx context.Context, id string, opts []Option) error {
			return c.call(ctx, &request{method: "DELETE", path: "/sessions/" + id, opts: opts})
		},
	}
}

func newChatStub(t *testing.T, opts ...Option) (*chatStub, *core, *rtServer) {
	stub := &chatStub{sessions: map[string][]string{}, fields: map[string]string{}, runs: map[string][]string{}}
	c, ts, _ := rtCore(t, rtSettings(), stub.handler, append([]Option{WithMaxRetries(0)}, opts...)...)
	return stub, c, ts
}

type stubParams struct {
	Agent string `json:"agent"`
	Title string `json:"title,omitempty"`
}

func (s *chatStub) stored(id string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.sessions[id]...)
}

func rawsOf(h []ConversationMessage) []string {
	out := make([]string, len(h))
	for i, m := range h {
		out[i] = m.RawJSON()
	}
	return out
}

func TestConversationSendsStreamsAndTotals(t *testing.T) {
	stub, c, _ := newChatStub(t)
	ctx := context.Background()
	conv, err := openConversation(ctx, c, stubBinding, "", &stubParams{Agent: "a", Title: "t"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conv.Close()
	reply, err := conv.Send(ctx, "hello you")
	if err != nil || reply.String() != "re: hello you" || reply.ExecutionID == "" || reply.Cost != 0.5 ||
		reply.Usage["completion"] != 6 || reply.UserMessage.Content != "hello you" || reply.Message.Role != "assistant" {
		t.Fatalf("%+v %v", reply, err)
	}
	text := ""
	for chunk, err := range conv.Stream(ctx, "one two three") {
		if err != nil {
			t.Fatal(err)
		}
		text += chunk
	}
	if text != "re: one two three" {
		t.Fatalf("%q", text)
	}
	h := conv.History()
	if fmt.Sprint(rawsOf(h)) != fmt.Sprint(stub.stored(conv.SessionID())) || len(h) != 4 {
		t.Fatalf("%v", h)
	}
	// The totals are the stored messages' (their words in, twice as many out,
	// 0.5 per reply): the end events' counters are not added.
	if u := conv.Usage(); u["prompt"] != 2+3+3+4 || u["completion"] != 2*(2+3+3+4) || len(u) != 2 || conv.TotalCost() != 1.0 {
		t.Fatalf("%v %v", u, conv.TotalCost())
	}
}

// A server that answers before its run ended: the reply is the run's, read
// from its stream, and the history waits for the stored reply.
func TestConversationFollowsARunTheServerAnsweredFirst(t *testing.T) {
	stub, c, ts := newChatStub(t)
	stub.async = true
	ctx := context.Background()
	conv, err := openConversation(ctx, c, stubBinding, "", &stubParams{Agent: "a"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conv.Close()
	reply, err := conv.Send(ctx, "are you there")
	if err != nil || reply.Content != "re: are you there" || reply.Message == nil || reply.Message.Content != "re: are you there" {
		t.Fatalf("%+v %v", reply, err)
	}
	if !strings.Contains(fmt.Sprint(ts.requests()), "/runs/"+reply.ExecutionID+"/stream") || len(conv.History()) != 2 {
		t.Fatalf("%v", conv.History())
	}
}

// Stored messages changed under the conversation (one deleted elsewhere): the
// next reading sees the last one it holds differ, and reads them all again.
func TestConversationRereadsChangedHistory(t *testing.T) {
	stub, c, _ := newChatStub(t)
	ctx := context.Background()
	conv, _ := openConversation(ctx, c, stubBinding, "", &stubParams{Agent: "a"}, nil)
	defer conv.Close()
	conv.Send(ctx, "first")
	conv.Send(ctx, "second")
	stub.mu.Lock()
	id := conv.SessionID()
	stub.sessions[id] = stub.sessions[id][2:]
	stub.mu.Unlock()
	if _, err := conv.Send(ctx, "third"); err != nil {
		t.Fatal(err)
	}
	if h := conv.History(); fmt.Sprint(rawsOf(h)) != fmt.Sprint(stub.stored(id)) || len(h) != 4 || h[0].Content != "second" {
		t.Fatalf("%v", h)
	}
	// Messages stored by someone else are read by Sync.
	stub.mu.Lock()
	stub.sessions[id] = append(stub.sessions[id], stub.message(id, "user", "from elsewhere", 0))
	stub.mu.Unlock()
	if err := conv.Sync(ctx); err != nil || len(conv.History()) != 5 {
		t.Fatalf("%v %v", conv.History(), err)
	}
}

// A stream left before the event naming its run: the conversation reads on
// to that event, then follows the run from the last event it read.
func TestConversationLeftBeforeTheRunIsNamed(t *testing.T) {
	stub, c, ts := newChatStub(t)
	stub.noise = true
	ctx := context.Background()
	conv, _ := openConversation(ctx, c, stubBinding, "", &stubParams{Agent: "a"}, nil)
	defer conv.Close()
	for ev, err := range conv.StreamEvents(ctx, "quick one") {
		if err != nil || ev.EventType() != "noise" {
			t.Fatalf("%v %v", ev, err)
		}
		break
	}
	if h := conv.History(); len(h) != 2 || h[1].Content != "re: quick one" {
		t.Fatalf("%v", h)
	}
	var follow rtRequest
	for _, r := range ts.requests() {
		if strings.HasPrefix(r.path, "/runs/") {
			follow = r
		}
	}
	if follow.header.Get("Last-Event-ID") != "2" {
		t.Fatalf("followed with %+v", follow)
	}
	if conv.Err() != nil {
		t.Fatal(conv.Err())
	}
}

// An API whose streams cannot resume: the stream left early is read to its
// end instead.
func TestConversationWithoutAResumeRoute(t *testing.T) {
	_, c, ts := newChatStub(t)
	noRoute := *stubSpec
	noRoute.resumeFrom = nil
	bind := func(c *core) *conversationBinding {
		b := stubBinding(c)
		b.stream = func(ctx context.Context, id, text string, opts []Option) (*Stream, error) {
			return newStream(ctx, c, &noRoute, &request{method: "POST", path: "/sessions/" + id + "/stream", body: map[string]string{"text": text}, bodyKind: bodyJSON, opts: opts})
		}
		return b
	}
	ctx := context.Background()
	conv, _ := openConversation(ctx, c, bind, "", &stubParams{Agent: "a"}, nil)
	defer conv.Close()
	for range conv.Stream(ctx, "no route here") {
		break
	}
	if h := conv.History(); len(h) != 2 || conv.Err() != nil || strings.Contains(fmt.Sprint(ts.requests()), "/runs/") {
		t.Fatalf("%v %v", h, conv.Err())
	}
}

// When the run cannot be followed, History does not wait forever, Err says
// why, and the next call reads the stored messages again.
func TestConversationFollowFailure(t *testing.T) {
	stub, c, _ := newChatStub(t)
	stub.runsFail = true
	ctx := context.Background()
	conv, _ := openConversation(ctx, c, stubBinding, "", &stubParams{Agent: "a"}, nil)
	defer conv.Close()
	for range conv.Stream(ctx, "left early") {
		break
	}
	conv.History()
	if !errors.Is(conv.Err(), ErrInternalServer) {
		t.Fatalf("err = %v", conv.Err())
	}
	stub.runsFail = false
	if _, err := conv.Send(ctx, "next"); err != nil {
		t.Fatal(err)
	}
	if h := conv.History(); len(h) != 4 || conv.Err() != nil {
		t.Fatalf("%v %v", h, conv.Err())
	}
}

// An API without a streaming send, a delete or a session read.
func TestConversationWithoutOptionalOperations(t *testing.T) {
	stub, c, _ := newChatStub(t)
	bare := func(c *core) *conversationBinding {
		b := stubBinding(c)
		b.stream, b.delete, b.get = nil, nil, nil
		return b
	}
	ctx := context.Background()
	first, _ := openConversation(ctx, c, stubBinding, "", &stubParams{Agent: "a", Title: "kept"}, nil)
	defer first.Close()
	first.Send(ctx, "hi")
	conv, err := openConversation(ctx, c, bare, first.SessionID(), &stubParams{}, []ConversationOption{WithDeleteOnClose()})
	if err != nil || len(conv.History()) != 2 {
		t.Fatalf("%v %v", conv, err)
	}
	for _, err := range conv.Stream(ctx, "x") {
		if !errors.Is(err, ErrInvalidArgument) {
			t.Fatal(err)
		}
	}
	if err := conv.Delete(ctx); !errors.Is(err, ErrInvalidArgument) {
		t.Fatal(err)
	}
	// Without a way to read the session, Clear creates one without fields.
	if err := conv.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	stub.mu.Lock()
	fields := stub.fields[conv.SessionID()]
	stub.mu.Unlock()
	if fields != "{}" {
		t.Fatalf("fields %s", fields)
	}
	if err := conv.Close(); err != nil {
		t.Fatal(err)
	}
	// With a session read, Clear keeps the session's fields.
	again, _ := openConversation(ctx, c, stubBinding, first.SessionID(), &stubParams{}, nil)
	defer again.Close()
	again.Clear(ctx)
	stub.mu.Lock()
	fields = stub.fields[again.SessionID()]
	stub.mu.Unlock()
	if fields != `{"agent":"a","title":"kept"}` {
		t.Fatalf("fields %s", fields)
	}
}

func TestConversationSaveAndLoad(t *testing.T) {
	_, c, _ := newChatStub(t)
	ctx := context.Background()
	conv, _ := openConversation(ctx, c, stubBinding, "", &stubParams{Agent: "a", Title: "t"}, nil)
	defer conv.Close()
	conv.Send(ctx, "saved words")
	path := filepath.Join(t.TempDir(), "c.json")
	if err := conv.Save(path); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	var doc map[string]json.RawMessage
	json.Unmarshal(data, &doc)
	var usage map[string]int64
	json.Unmarshal(doc["usage"], &usage)
	if string(doc["version"]) != "1" || string(doc["agent"]) != `"a"` || string(doc["title"]) != `"t"` ||
		fmt.Sprint(usage) != "map[completion:10 prompt:5]" || string(doc["total_cost"]) != "0.5" || len(doc) != 7 {
		t.Fatalf("%s", data)
	}
	loaded, err := loadConversation(ctx, c, stubBinding, path, nil)
	if err != nil || fmt.Sprint(rawsOf(loaded.History())) != fmt.Sprint(rawsOf(conv.History())) || loaded.SessionID() != conv.SessionID() {
		t.Fatalf("%v %v", loaded, err)
	}
	loaded.Close()
	if _, err := loadConversation(ctx, c, stubBinding, path, []ConversationOption{WithMaxConcurrentInvocations(-1)}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatal(err)
	}
}

// The gate serves waiters in the order they came; one whose context ends
// leaves the queue; a slot given back twice counts once.
func TestInvocationGateOrder(t *testing.T) {
	g := newInvocationGate(1)
	first, err := g.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var order []int
	var mu sync.Mutex
	var wg sync.WaitGroup
	cancelled, cancel := context.WithCancel(context.Background())
	for i := 0; i < 4; i++ {
		ctx := context.Background()
		if i == 2 {
			ctx = cancelled
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			release, err := g.acquire(ctx)
			if err != nil {
				if i != 2 || !errors.Is(err, context.Canceled) {
					t.Error(i, err)
				}
				return
			}
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			release()
			release()
		}()
		for {
			g.mu.Lock()
			n := len(g.waiters)
			g.mu.Unlock()
			if n == i+1 {
				break
			}
		}
	}
	cancel()
	for {
		g.mu.Lock()
		n := len(g.waiters)
		g.mu.Unlock()
		if n == 3 {
			break
		}
	}
	first()
	first()
	wg.Wait()
	if fmt.Sprint(order) != "[0 1 3]" || g.free != 1 {
		t.Fatalf("order %v, %d free", order, g.free)
	}
}
