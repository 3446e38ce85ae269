package promptrails

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
)

const execFrame = `{"execution_id":"e1","user_message_id":"m1"}`
const doneFrame = `{"output":{"content":"Hi!"},"token_usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3},"time":0.1}`

// collect reads a stream to its end.
func collect(t *testing.T, s *Stream) ([]Event, error) {
	t.Helper()
	defer s.Close()
	var out []Event
	for s.Next() {
		out = append(out, s.Current())
	}
	return out, s.Err()
}

func eventIDs(events []Event) string {
	var ids []string
	for _, e := range events {
		switch e := e.(type) {
		case *ExecutionEvent:
			ids = append(ids, e.EventID)
		case *ContentEvent:
			ids = append(ids, e.EventID)
		case *DoneEvent:
			ids = append(ids, e.EventID)
		case *ErrorEvent:
			ids = append(ids, e.EventID)
		case *UnknownEvent:
			ids = append(ids, e.EventID)
		default:
			ids = append(ids, "?")
		}
	}
	return strings.Join(ids, ",")
}

func TestStreamTypedEvents(t *testing.T) {
	client, ts, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		sseFrames(w,
			": comment\r\n",
			"id: 1\r\nevent: execution\r\ndata: "+execFrame+"\r\n\r\n",
			frame("2", "thinking", `{"content":"hmm"}`),
			frame("3", "tool_start", `{"id":"t1","name":"lookup"}`),
			frame("4", "tool_end", `{"id":"t1","name":"lookup","summary":"ok"}`),
			frame("5", "brand_new", `{"x":1}`),
			"id: 6\nevent: content\ndata: {\"content\":\ndata: \"Hi!\"}\n\n",
			frame("7", "done", doneFrame),
			frame("8", "content", `{"content":"after the end"}`))
	})
	stream, err := client.Chat.SendMessageStream(context.Background(), "s1", &SendMessageParams{Content: "Hello!"})
	if err != nil {
		t.Fatal(err)
	}
	events, err := collect(t, stream)
	if err != nil {
		t.Fatal(err)
	}
	if got := eventIDs(events); got != "1,?,?,?,5,6,7" {
		t.Fatalf("ids %s", got)
	}
	if e := events[0].(*ExecutionEvent); e.ExecutionID != "e1" || e.UserMessageID != "m1" {
		t.Fatalf("%+v", e)
	}
	if e := events[2].(*ToolStartEvent); e.ID != "t1" || e.Name != "lookup" || e.EventType() != "tool_start" {
		t.Fatalf("%+v", e)
	}
	if e := events[4].(*UnknownEvent); e.Name != "brand_new" || e.Data != `{"x":1}` {
		t.Fatalf("%+v", e)
	}
	if e := events[5].(*ContentEvent); e.Content != "Hi!" {
		t.Fatalf("multi-line data: %+v", e)
	}
	if e := events[6].(*DoneEvent); e.OutputText() != "Hi!" || string(e.Output) != `{"content":"Hi!"}` || e.TokenUsage.TotalTokens != 3 || e.Time != 0.1 {
		t.Fatalf("%+v", e)
	}
	r := ts.requests()[0]
	if r.Header.Get("Accept") != "text/event-stream" || r.Header.Get("Idempotency-Key") == "" || r.Body != `{"content":"Hello!"}` {
		t.Fatalf("request %+v", r)
	}
}

func TestStreamErrorEventEndsNormally(t *testing.T) {
	client, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		sseFrames(w, frame("1", "execution", execFrame), frame("2", "error", `{"message":"tool failed","code":"agent_failed"}`))
	})
	stream, _ := client.Chat.SendMessageStream(context.Background(), "s1", &SendMessageParams{Content: "x"})
	events, err := collect(t, stream)
	if err != nil {
		t.Fatal(err)
	}
	e, ok := events[1].(*ErrorEvent)
	if !ok || e.Message != "tool failed" || e.Code != "agent_failed" {
		t.Fatalf("%#v", events[1])
	}
}

func TestStreamMalformedKnownEvent(t *testing.T) {
	// Data that is not a JSON object is unusable in both modes: a StreamError
	// carrying the raw data, and no resume.
	for name, data := range map[string]string{"bad json": `{"content":`, "an array": `[{"content":"x"}]`, "null": `null`, "a string": `"x"`} {
		for _, strict := range []bool{false, true} {
			t.Run(fmt.Sprint(name, strict), func(t *testing.T) {
				opts := []Option{}
				if strict {
					opts = append(opts, WithStrictValidation())
				}
				client, ts, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
					sseFrames(w, frame("1", "execution", execFrame), frame("2", "content", data), frame("3", "done", doneFrame))
				}, opts...)
				stream, _ := client.Chat.SendMessageStream(context.Background(), "s1", &SendMessageParams{Content: "x"})
				events, err := collect(t, stream)
				se := asKind(err, ErrStream)
				if len(events) != 1 || se == nil || se.Data != data || errors.Is(err, ErrResponseValidation) {
					t.Fatalf("events %d, err %#v", len(events), err)
				}
				if n := len(ts.requests()); n != 1 {
					t.Fatalf("%d requests: a malformed event is not resumed", n)
				}
			})
		}
	}
}

func TestStreamOversizedEvent(t *testing.T) {
	client, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		sseFrames(w, frame("1", "execution", execFrame))
		big := strings.Repeat("x", 1<<20)
		for i := 0; i < 17; i++ {
			io.WriteString(w, "data: "+big+"\n")
		}
	})
	stream, _ := client.Chat.SendMessageStream(context.Background(), "s1", &SendMessageParams{Content: "x"})
	_, err := collect(t, stream)
	se := asKind(err, ErrStream)
	if se == nil || !strings.Contains(err.Error(), "size cap") {
		t.Fatalf("err = %v", err)
	}
}

func TestStreamOpenErrorsAreTyped(t *testing.T) {
	client, ts, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		writeError(w, 404, "not_found", "Chat session not found.")
	})
	stream, err := client.Chat.SendMessageStream(context.Background(), "nope", &SendMessageParams{Content: "x"})
	nf := asKind(err, ErrNotFound)
	if nf == nil || nf.Code != "not_found" {
		t.Fatalf("err = %v", err)
	}
	// A failed call returns no stream; code that ignores the error (as the
	// docs' snippet does) sees none and an error saying so, never a panic.
	if stream != nil {
		t.Fatalf("a failed open returned a stream: %v", stream)
	}
	defer stream.Close()
	if stream.Next() || stream.Current() != nil || !errors.Is(stream.Err(), ErrStream) || !strings.Contains(stream.Err().Error(), "the call that opens it failed") {
		t.Fatalf("stream after a failed open: %v", stream.Err())
	}
	for ev, err := range stream.All() {
		if ev != nil || !errors.Is(err, ErrStream) {
			t.Fatalf("All after a failed open: %v, %v", ev, err)
		}
	}
	if n := len(ts.requests()); n != 1 {
		t.Fatalf("%d attempts", n)
	}
}

func TestStreamOpenIsRetriedWithTheSameKey(t *testing.T) {
	calls := 0
	client, ts, clock := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 1 {
			w.Header().Set("Retry-After", "1")
			writeError(w, 429, "rate_limited", "slow")
			return
		}
		sseFrames(w, frame("1", "execution", execFrame), frame("2", "done", doneFrame))
	})
	stream, err := client.Chat.SendMessageStream(context.Background(), "s1", &SendMessageParams{Content: "x"})
	if err != nil {
		t.Fatal(err)
	}
	events, err := collect(t, stream)
	if err != nil || len(events) != 2 {
		t.Fatalf("%d events, %v", len(events), err)
	}
	reqs := ts.requests()
	if reqs[0].Header.Get("Idempotency-Key") != reqs[1].Header.Get("Idempotency-Key") || len(clock.slept()) != 1 {
		t.Fatal("the retried open must reuse the key")
	}
}

// resumeServer serves a stream POST that is cut after `cut` frames, and the
// executions stream honouring Last-Event-ID.
func resumeServer(frames []string, cuts map[int]int) (http.HandlerFunc, *[]string) {
	var mu sync.Mutex
	var lastIDs []string
	conn := 0
	return func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n := conn
		conn++
		mu.Unlock()
		start := 0
		if r.Method == "GET" {
			if r.URL.Path != "/api/v1/executions/e1/stream" {
				http.NotFound(w, r)
				return
			}
			mu.Lock()
			lastIDs = append(lastIDs, r.Header.Get("Last-Event-ID"))
			mu.Unlock()
			var last int
			for i := range frames {
				if r.Header.Get("Last-Event-ID") == strings.Fields(frames[i])[1] {
					last = i + 1
				}
			}
			start = last
			// A sloppy server replays one frame already delivered.
			if start > 0 {
				start--
			}
		}
		end := len(frames)
		if c, ok := cuts[n]; ok {
			end = min(start+c, len(frames))
		}
		sseFrames(w, frames[start:end]...)
	}, &lastIDs
}

var fiveFrames = []string{
	frame("1", "execution", execFrame), frame("2", "content", `{"content":"a"}`),
	frame("3", "content", `{"content":"b"}`), frame("4", "content", `{"content":"c"}`), frame("5", "done", doneFrame),
}

func TestStreamResumesAfterCut(t *testing.T) {
	handler, lastIDs := resumeServer(fiveFrames, map[int]int{0: 2, 1: 2})
	client, ts, clock := newTestClient(t, handler)
	stream, _ := client.Chat.SendMessageStream(context.Background(), "s1", &SendMessageParams{Content: "x"})
	events, err := collect(t, stream)
	if err != nil {
		t.Fatal(err)
	}
	if got := eventIDs(events); got != "1,2,3,4,5" {
		t.Fatalf("ids %s", got)
	}
	if strings.Join(*lastIDs, ",") != "2,3" {
		t.Fatalf("Last-Event-ID sent %v", *lastIDs)
	}
	reqs := ts.requests()
	if len(reqs) != 3 || reqs[0].Method != "POST" || reqs[1].Method != "GET" || reqs[1].Header.Get("Idempotency-Key") != "" {
		t.Fatalf("requests %+v", reqs)
	}
	if len(clock.slept()) != 2 {
		t.Fatalf("resume backoff %v", clock.slept())
	}
}

func TestStreamCutBeforeFirstEventResendsTheSameRequest(t *testing.T) {
	handler, _ := resumeServer(fiveFrames, map[int]int{0: 0})
	client, ts, _ := newTestClient(t, handler)
	stream, _ := client.Chat.SendMessageStream(context.Background(), "s1", &SendMessageParams{Content: "x"})
	events, err := collect(t, stream)
	if err != nil || eventIDs(events) != "1,2,3,4,5" {
		t.Fatalf("%s, %v", eventIDs(events), err)
	}
	reqs := ts.requests()
	if len(reqs) != 2 || reqs[1].Method != "POST" || reqs[0].Header.Get("Idempotency-Key") != reqs[1].Header.Get("Idempotency-Key") {
		t.Fatalf("requests %+v", reqs)
	}
}

func TestStreamGivesUpWhenResumesKeepEndingEarly(t *testing.T) {
	handler, _ := resumeServer(fiveFrames, map[int]int{0: 2, 1: 1, 2: 1, 3: 1})
	client, _, clock := newTestClient(t, handler, WithMaxRetries(2))
	stream, _ := client.Chat.SendMessageStream(context.Background(), "s1", &SendMessageParams{Content: "x"})
	events, err := collect(t, stream)
	se := asKind(err, ErrStream)
	if se == nil || !strings.Contains(err.Error(), "without a terminal event") {
		t.Fatalf("err = %v", err)
	}
	// Each resume replays one already-delivered frame and nothing new.
	if eventIDs(events) != "1,2" || len(clock.slept()) != 2 {
		t.Fatalf("events %s, sleeps %v", eventIDs(events), clock.slept())
	}
}

func TestStreamResumeFailsWithTypedError(t *testing.T) {
	calls := 0
	client, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls++
		if r.Method == "POST" {
			sseFrames(w, frame("1", "execution", execFrame))
			return
		}
		writeError(w, 404, "not_found", "Execution not found.")
	})
	stream, _ := client.Chat.SendMessageStream(context.Background(), "s1", &SendMessageParams{Content: "x"})
	_, err := collect(t, stream)
	nf := asKind(err, ErrNotFound)
	if nf == nil || calls != 2 {
		t.Fatalf("err = %v after %d calls", err, calls)
	}
}

func TestStreamIdleTimeoutResumes(t *testing.T) {
	stall := make(chan struct{})
	defer close(stall)
	client, _, clock := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" {
			sseFrames(w, fiveFrames[0], fiveFrames[1])
			select {
			case <-stall:
			case <-r.Context().Done():
			}
			return
		}
		if r.Header.Get("Last-Event-ID") != "2" {
			http.Error(w, "bad Last-Event-ID", 400)
			return
		}
		sseFrames(w, fiveFrames[2:]...)
	})
	stream, _ := client.Chat.SendMessageStream(context.Background(), "s1", &SendMessageParams{Content: "x"})
	defer stream.Close()
	var ids []string
	for stream.Next() {
		ids = append(ids, eventIDs([]Event{stream.Current()}))
		if len(ids) == 2 {
			clock.lastTimer().fire() // the server stays silent longer than the idle timeout
		}
	}
	if err := stream.Err(); err != nil || strings.Join(ids, ",") != "1,2,3,4,5" {
		t.Fatalf("ids %v, err %v", ids, err)
	}
}

func TestStreamIdleTimeoutErrorWhenRetriesRunOut(t *testing.T) {
	stall := make(chan struct{})
	defer close(stall)
	client, _, clock := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		sseFrames(w, fiveFrames[0])
		select {
		case <-stall:
		case <-r.Context().Done():
		}
	}, WithMaxRetries(0))
	stream, _ := client.Chat.SendMessageStream(context.Background(), "s1", &SendMessageParams{Content: "x"})
	defer stream.Close()
	if !stream.Next() {
		t.Fatal(stream.Err())
	}
	clock.lastTimer().fire()
	if stream.Next() || !errors.Is(stream.Err(), ErrTimeout) {
		t.Fatalf("err = %v", stream.Err())
	}
}

func TestExecutionsStreamResumesItself(t *testing.T) {
	var lastIDs []string
	calls := 0
	client, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls++
		lastIDs = append(lastIDs, r.Header.Get("Last-Event-ID"))
		if calls == 1 {
			sseFrames(w, fiveFrames[3])
			return
		}
		sseFrames(w, fiveFrames[4])
	})
	stream, err := client.Executions.Stream(context.Background(), "e1", &StreamExecutionParams{LastEventID: "3"})
	if err != nil {
		t.Fatal(err)
	}
	events, err := collect(t, stream)
	if err != nil || eventIDs(events) != "4,5" || strings.Join(lastIDs, ",") != "3,4" {
		t.Fatalf("events %s, Last-Event-IDs %v, err %v", eventIDs(events), lastIDs, err)
	}
}

func TestStreamCloseStopsIteration(t *testing.T) {
	stall := make(chan struct{})
	defer close(stall)
	client, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		sseFrames(w, fiveFrames[0])
		select {
		case <-stall:
		case <-r.Context().Done():
		}
	})
	stream, _ := client.Chat.SendMessageStream(context.Background(), "s1", &SendMessageParams{Content: "x"})
	if !stream.Next() {
		t.Fatal(stream.Err())
	}
	stream.Close()
	if stream.Next() || stream.Err() != nil {
		t.Fatalf("after Close: %v", stream.Err())
	}
	stream.Close()
}

func TestStreamContextCancelled(t *testing.T) {
	stall := make(chan struct{})
	defer close(stall)
	client, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		sseFrames(w, fiveFrames[0])
		select {
		case <-stall:
		case <-r.Context().Done():
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	stream, _ := client.Chat.SendMessageStream(ctx, "s1", &SendMessageParams{Content: "x"})
	defer stream.Close()
	stream.Next()
	cancel()
	if stream.Next() || !errors.Is(stream.Err(), context.Canceled) {
		t.Fatalf("err = %v", stream.Err())
	}
}

func TestStreamFrameWithoutOwnIDIsDelivered(t *testing.T) {
	// A frame with no id line has no id of its own: it is delivered (with
	// EventID ""), never skipped as a repeat of the id an earlier frame left
	// in the parser's last event ID.
	client, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		sseFrames(w,
			frame("1", "execution", execFrame),
			frame("2", "content", `{"content":"a"}`),
			": keep-alive\n\n",
			"event: citation\n: a comment\ndata: {\"x\":1}\n\n",
			"event: content\ndata: {\"content\":\"b\"}\n\n",
			frame("3", "done", doneFrame))
	})
	stream, _ := client.Chat.SendMessageStream(context.Background(), "s1", &SendMessageParams{Content: "x"})
	events, err := collect(t, stream)
	if err != nil {
		t.Fatal(err)
	}
	if got := eventIDs(events); got != "1,2,,,3" {
		t.Fatalf("ids %q", got)
	}
	if e := events[2].(*UnknownEvent); e.Name != "citation" || e.Data != `{"x":1}` || e.EventID != "" {
		t.Fatalf("%+v", e)
	}
	if e := events[3].(*ContentEvent); e.Content != "b" || e.EventID != "" {
		t.Fatalf("%+v", e)
	}
}

func TestStreamResumeAfterFramesWithoutOwnID(t *testing.T) {
	// Frames without an id are not de-duplicated and do not move Last-Event-ID:
	// the resume asks for what follows the last frame that had an id.
	var lastIDs []string
	client, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" {
			sseFrames(w, frame("1", "execution", execFrame), frame("2", "content", `{"content":"a"}`),
				"event: content\ndata: {\"content\":\"b\"}\n\n")
			return
		}
		lastIDs = append(lastIDs, r.Header.Get("Last-Event-ID"))
		sseFrames(w, frame("2", "content", `{"content":"a"}`), "event: citation\ndata: {}\n\n", frame("3", "done", doneFrame))
	})
	stream, _ := client.Chat.SendMessageStream(context.Background(), "s1", &SendMessageParams{Content: "x"})
	events, err := collect(t, stream)
	if err != nil {
		t.Fatal(err)
	}
	if got := eventIDs(events); got != "1,2,,,3" || strings.Join(lastIDs, ",") != "2" {
		t.Fatalf("ids %q, Last-Event-IDs %v", got, lastIDs)
	}
}

func TestStreamResumesFromTheFirstEventCarryingTheExecutionID(t *testing.T) {
	// An unknown event (with or without an id) arrives before execution: the
	// resume parameters come from the first event that carries them.
	for name, first := range map[string]string{
		"with id":    frame("0", "hello", `{"execution_id":"not-this-one"}`),
		"without id": "event: hello\ndata: {}\n\n",
	} {
		t.Run(name, func(t *testing.T) {
			var lastIDs []string
			client, ts, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method == "POST" {
					sseFrames(w, first, fiveFrames[0], fiveFrames[1])
					return
				}
				if r.URL.Path != "/api/v1/executions/e1/stream" {
					http.NotFound(w, r)
					return
				}
				lastIDs = append(lastIDs, r.Header.Get("Last-Event-ID"))
				sseFrames(w, fiveFrames[2:]...)
			})
			stream, _ := client.Chat.SendMessageStream(context.Background(), "s1", &SendMessageParams{Content: "x"})
			events, err := collect(t, stream)
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != 6 || events[0].EventType() != "hello" || eventIDs(events[1:]) != "1,2,3,4,5" {
				t.Fatalf("events %s", eventIDs(events))
			}
			if reqs := ts.requests(); len(reqs) != 2 || strings.Join(lastIDs, ",") != "2" {
				t.Fatalf("%d requests, Last-Event-IDs %v", len(reqs), lastIDs)
			}
		})
	}
}

func TestIDSetIsASetOfStrings(t *testing.T) {
	// The run of consecutive numbers must not change what the set holds: the
	// same answers as a map of the strings, for numeric ids in and out of
	// order, with gaps, leading zeros, signs, and at the edge of 19 digits.
	ids := []string{"0", "1", "2", "3", "01", "001", "5", "4", "6", "+7", "7", "-1", "a", "", "10", "9", "8",
		"9999999999999999998", "9999999999999999999", "10000000000000000000", "18446744073709551616", "1e3", " 11", "11"}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 2000; round++ {
		var set idSet
		want := map[string]bool{}
		n := rng.IntN(40)
		for i := 0; i < n; i++ {
			var id string
			if rng.IntN(3) == 0 {
				id = ids[rng.IntN(len(ids))]
			} else {
				id = strconv.Itoa(rng.IntN(30))
			}
			if got := set.has(id); got != want[id] {
				t.Fatalf("round %d: has(%q) = %v, want %v", round, id, got, want[id])
			}
			if !want[id] {
				set.add(id)
				want[id] = true
			}
		}
	}
	var run idSet
	for i := 1; i <= 200_000; i++ {
		run.add(strconv.Itoa(i))
	}
	if run.others != nil || len(run.runs) != 1 || !run.has("1") || !run.has("200000") || run.has("0") || run.has("200001") || run.has("01") {
		t.Fatalf("%d runs, %d others", len(run.runs), len(run.others))
	}
	// Gaps cost one run each; filling a gap merges its neighbours.
	var gaps idSet
	for i := 1; i <= 1000; i += 2 {
		gaps.add(strconv.Itoa(i))
	}
	if len(gaps.runs) != 500 || gaps.others != nil {
		t.Fatalf("%d runs, %d others", len(gaps.runs), len(gaps.others))
	}
	for i := 2; i <= 1000; i += 2 {
		gaps.add(strconv.Itoa(i))
	}
	if len(gaps.runs) != 1 || gaps.runs[0] != (idRun{1, 1000}) {
		t.Fatalf("%d runs: %v", len(gaps.runs), gaps.runs[:min(3, len(gaps.runs))])
	}
}

func TestLongStreamKeepsBoundedDeliveredIDs(t *testing.T) {
	// 20,000 frames numbered 1, 2, 3...: the delivered-id set stays one run.
	var b strings.Builder
	b.WriteString(frame("1", "execution", execFrame))
	for i := 2; i < 20_000; i++ {
		b.WriteString(frame(strconv.Itoa(i), "content", `{"content":"x"}`))
	}
	b.WriteString(frame("20000", "done", `{}`))
	body := b.String()
	client, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		sseFrames(w, body)
	})
	stream, err := client.Chat.SendMessageStream(context.Background(), "s1", &SendMessageParams{Content: "x"})
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	n := 0
	for stream.Next() {
		n++
	}
	if stream.Err() != nil || n != 20_000 {
		t.Fatalf("%d events, err %v", n, stream.Err())
	}
	if len(stream.delivered.runs) != 1 || stream.delivered.others != nil {
		t.Fatalf("delivered ids: %d runs, %d others", len(stream.delivered.runs), len(stream.delivered.others))
	}
}
