package promptrails_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/promptrails/go-sdk"
)

// exampleServer plays the API for the examples (they print what they do).
func exampleServer() *httptest.Server {
	session := map[string]any{"id": "sess_1", "workspace_id": "ws_1", "agent_id": "your-agent-id", "user_id": nil,
		"title": "Support Conversation", "metadata": map[string]any{"channel": "web"},
		"created_at": "2026-11-21T10:00:00Z", "updated_at": "2026-11-21T10:00:00Z"}
	message := func(id, role, content string) map[string]any {
		return map[string]any{"id": id, "session_id": "sess_1", "role": role, "content": content,
			"metadata": map[string]any{}, "token_count": 4, "created_at": "2026-11-21T10:01:00Z"}
	}
	write := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == "POST" && r.URL.Path == "/api/v1/chat/sessions":
			write(w, 201, map[string]any{"data": session})
		case r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/messages/stream"):
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, "id: 1\nevent: execution\ndata: {\"execution_id\":\"exec_1\",\"user_message_id\":\"msg_1\"}\n\n"+
				"id: 2\nevent: content\ndata: {\"content\":\"You said: \"}\n\n"+
				"id: 3\nevent: content\ndata: {\"content\":\"Hello!\"}\n\n"+
				"id: 4\nevent: done\ndata: {\"output\":{\"content\":\"You said: Hello!\"},\"token_usage\":{\"prompt_tokens\":2,\"completion_tokens\":4,\"total_tokens\":6},\"time\":0.01}\n\n")
		case r.Method == "GET" && r.URL.Path == "/api/v1/executions/exec_1":
			write(w, 200, map[string]any{"data": map[string]any{"id": "exec_1", "status": "paused_for_review",
				"output": map[string]any{"content": "You said: Hello!"}, "cost": 0, "region": "eu-west-1"}})
		case r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/messages"):
			reply := message("msg_2", "assistant", "You said: Hi, I need help with my account.")
			reply["execution_id"] = "exec_1"
			reply["user_message"] = message("msg_1", "user", "Hi, I need help with my account.")
			write(w, 200, map[string]any{"data": reply})
		case r.Method == "GET" && strings.HasSuffix(r.URL.Path, "/messages"):
			write(w, 200, map[string]any{"data": []any{message("msg_1", "user", "Hi"), message("msg_2", "assistant", "You said: Hi")},
				"meta": map[string]any{"total": 2, "page": 1, "limit": 20, "total_pages": 1}})
		default:
			w.Header().Set("X-Request-ID", "req_42")
			write(w, 404, map[string]any{"error": map[string]any{"code": "not_found", "message": "Chat session not found.", "details": map[string]any{}}})
		}
	}))
}

func Example() {
	server := exampleServer()
	defer server.Close()
	os.Setenv("PROMPTRAILS_BASE_URL", server.URL)
	defer os.Unsetenv("PROMPTRAILS_BASE_URL")

	client := promptrails.NewClient("your-api-key")
	ctx := context.Background()

	session, err := client.Chat.CreateSession(ctx, &promptrails.CreateSessionParams{
		AgentID:  "your-agent-id",
		Title:    promptrails.NewNullable("Support Conversation"),
		Metadata: map[string]any{"channel": "web", "user_id": "external-user-123"},
	})
	if err != nil {
		panic(err)
	}
	reply, err := client.Chat.SendMessage(ctx, session.ID, &promptrails.SendMessageParams{
		Content: "Hi, I need help with my account.",
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(reply.Content)
	// Output: You said: Hi, I need help with my account.
}

func ExampleChatService_SendMessageStream() {
	server := exampleServer()
	defer server.Close()
	client := promptrails.NewClient("your-api-key", promptrails.WithBaseURL(server.URL))
	ctx := context.Background()
	sessionID := "sess_1"

	stream, err := client.Chat.SendMessageStream(ctx, sessionID, &promptrails.SendMessageParams{
		Content: "Hello!",
	})
	if err != nil {
		panic(err)
	}
	defer stream.Close()
	for stream.Next() {
		switch e := stream.Current().(type) {
		case *promptrails.ContentEvent:
			fmt.Print(e.Content)
		case *promptrails.DoneEvent:
			fmt.Printf("\n[%d tokens]\n", e.TokenUsage.TotalTokens)
		case *promptrails.ErrorEvent:
			fmt.Println("run failed:", e.Message)
		}
	}
	if err := stream.Err(); err != nil {
		panic(err)
	}
	// Output:
	// You said: Hello!
	// [6 tokens]
}

func ExampleChatService_ListMessagesAutoPaging() {
	server := exampleServer()
	defer server.Close()
	client := promptrails.NewClient("your-api-key", promptrails.WithBaseURL(server.URL))
	ctx := context.Background()

	for message, err := range client.Chat.ListMessagesAutoPaging(ctx, "sess_1", nil).All() {
		if err != nil {
			panic(err)
		}
		fmt.Printf("[%s]: %s\n", message.Role, message.Content)
	}
	// Output:
	// [user]: Hi
	// [assistant]: You said: Hi
}

func ExampleExecutionsService_Get() {
	server := exampleServer()
	defer server.Close()
	client := promptrails.NewClient("your-api-key", promptrails.WithBaseURL(server.URL))
	ctx := context.Background()

	execution, err := client.Executions.Get(ctx, "exec_1")
	if err != nil {
		panic(err)
	}
	fmt.Println(execution.OutputText())                       // output is {"content": "..."}
	fmt.Println(execution.Status, execution.Status.IsKnown()) // a status newer than this SDK
	fmt.Println(*execution.Cost, execution.JSON.Cost.IsPresent(), execution.JSON.TraceID.IsPresent())
	fmt.Println(execution.ExtraFields()["region"].Raw()) // a field the contract does not name
	// Output:
	// You said: Hello!
	// paused_for_review false
	// 0 true false
	// "eu-west-1"
}

func ExampleError() {
	server := exampleServer()
	defer server.Close()
	client := promptrails.NewClient("your-api-key", promptrails.WithBaseURL(server.URL))
	ctx := context.Background()

	_, err := client.Chat.GetSession(ctx, "no-such-session")
	if errors.Is(err, promptrails.ErrNotFound) {
		fmt.Println("no such session")
	}
	var apiErr *promptrails.Error
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code, apiErr.Message, apiErr.RequestID)
	}
	fmt.Println(err)
	// Output:
	// no such session
	// 404 not_found Chat session not found. req_42
	// 404 not_found: Chat session not found. (request_id: req_42)
}

func ExampleStream_All() {
	server := exampleServer()
	defer server.Close()
	client := promptrails.NewClient("your-api-key", promptrails.WithBaseURL(server.URL))
	ctx := context.Background()
	sessionID := "sess_1"

	stream, err := client.Chat.SendMessageStream(ctx, sessionID, &promptrails.SendMessageParams{Content: "Hello!"})
	if err != nil {
		panic(err)
	}
	defer stream.Close()
	var text strings.Builder
	for event, err := range stream.All() {
		if err != nil {
			panic(err)
		}
		fmt.Println(event.EventType())
		text.WriteString(stream.Delta()) // the piece of the reply this event carries
	}
	fmt.Println(text.String())
	// Output:
	// execution
	// content
	// content
	// done
	// You said: Hello!
}

func ExampleStream_UntilDone() {
	server := exampleServer()
	defer server.Close()
	client := promptrails.NewClient("your-api-key", promptrails.WithBaseURL(server.URL))
	ctx := context.Background()
	sessionID := "sess_1"

	stream, err := client.Chat.SendMessageStream(ctx, sessionID, &promptrails.SendMessageParams{Content: "Hello!"})
	if err != nil {
		panic(err)
	}
	result, err := stream.UntilDone()
	if err != nil {
		panic(err)
	}
	fmt.Println(result.Text)
	fmt.Println(result.OutputText)
	fmt.Println(string(result.Usage))
	// Output:
	// You said: Hello!
	// You said: Hello!
	// {"prompt_tokens":2,"completion_tokens":4,"total_tokens":6}
}

func ExampleWithResponseInto() {
	server := exampleServer()
	defer server.Close()
	client := promptrails.NewClient("your-api-key", promptrails.WithBaseURL(server.URL))
	ctx := context.Background()

	var resp *http.Response
	_, err := client.Chat.GetSession(ctx, "no-such-session", promptrails.WithResponseInto(&resp))
	fmt.Println(errors.Is(err, promptrails.ErrNotFound), resp.StatusCode, resp.Header.Get("X-Request-ID"))
	// Output:
	// true 404 req_42
}

func ExampleWithJSONSet() {
	server := exampleServer()
	defer server.Close()
	client := promptrails.NewClient("your-api-key", promptrails.WithBaseURL(server.URL))
	ctx := context.Background()

	// A field, a query parameter and a header this SDK does not know yet.
	reply, err := client.Chat.SendMessage(ctx, "sess_1", &promptrails.SendMessageParams{Content: "Hi, I need help with my account."},
		promptrails.WithJSONSet("priority", "high"),
		promptrails.WithQuery("trace", "1"),
		promptrails.WithHeader("X-Team", "support"),
		promptrails.WithMaxRetries(5),
		promptrails.WithRequestTimeout(10*time.Second))
	if err != nil {
		panic(err)
	}
	fmt.Println(reply.Content)
	// Output:
	// You said: Hi, I need help with my account.
}

func ExampleWithLogger() {
	server := exampleServer()
	defer server.Close()
	// Log every attempt (method, path, status, duration, request id) at Info;
	// headers (credentials redacted) at Debug. The time is left out here.
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "duration_ms" || a.Key == slog.MessageKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	client := promptrails.NewClient("your-api-key", promptrails.WithBaseURL(server.URL), promptrails.WithLogger(logger))

	client.Chat.GetSession(context.Background(), "no-such-session")
	// Output:
	// level=INFO method=GET path=/api/v1/chat/sessions/no-such-session status=404 request_id=req_42
}

// TestReadmeExamplesAreTested checks that every Go block of README.md is part
// of an Example above, so the README shows only code that compiles and runs.
func TestReadmeExamplesAreTested(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	source, _ := os.ReadFile("example_test.go")
	squash := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	haystack := squash(string(source))
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	if len(blocks) < 4 {
		t.Fatalf("README.md has %d Go blocks", len(blocks))
	}
	for _, b := range blocks {
		if !strings.Contains(haystack, squash(b[1])) {
			t.Errorf("README block is not in example_test.go:\n%s", b[1])
		}
	}
}

// conversationServer plays the chat API with state, for the conversation
// examples: sessions, their messages, an echo agent, streamed replies and the
// executions stream a reply left early is followed through.
func conversationServer() *httptest.Server {
	var mu sync.Mutex
	type run struct{ frames []string }
	sessions := map[string][]map[string]any{}
	runs := map[string]*run{}
	ids := 0
	next := func(prefix string) string { ids++; return fmt.Sprintf("%s_%d", prefix, ids) }
	write := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
	// exchange stores a message and its echo, and returns the reply and the run's frames.
	exchange := func(session, content string) (map[string]any, map[string]any, string, []string) {
		words := len(strings.Fields(content))
		user := map[string]any{"id": next("msg"), "session_id": session, "role": "user", "content": content,
			"metadata": map[string]any{}, "token_count": words, "created_at": "2026-11-21T10:01:00Z"}
		text := "You said: " + content
		exec := next("exec")
		reply := map[string]any{"id": next("msg"), "session_id": session, "role": "assistant", "content": text,
			"metadata": map[string]any{"execution_id": exec}, "model": "echo-1", "cost": 0.00002, "token_count": words + 2,
			"prompt_tokens": words, "completion_tokens": words + 2, "created_at": "2026-11-21T10:01:01Z"}
		sessions[session] = append(sessions[session], user, reply)
		frames := []string{fmt.Sprintf("id: 1\nevent: execution\ndata: {\"execution_id\":%q}\n\n", exec)}
		for _, piece := range strings.SplitAfter(text, " ") {
			data, _ := json.Marshal(map[string]string{"content": piece})
			frames = append(frames, fmt.Sprintf("id: %d\nevent: content\ndata: %s\n\n", len(frames)+1, data))
		}
		done, _ := json.Marshal(map[string]any{"output": map[string]string{"content": text},
			"token_usage": map[string]int{"prompt_tokens": words, "completion_tokens": words + 2, "total_tokens": 2*words + 2}})
		frames = append(frames, fmt.Sprintf("id: %d\nevent: done\ndata: %s\n\n", len(frames)+1, done))
		runs[exec] = &run{frames}
		return user, reply, exec, frames
	}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/api/v1/"), "/")
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		switch {
		case r.Method == "POST" && r.URL.Path == "/api/v1/chat/sessions":
			id := next("sess")
			sessions[id] = []map[string]any{}
			body["id"], body["workspace_id"], body["created_at"], body["updated_at"] = id, "ws_1", "2026-11-21T10:00:00Z", "2026-11-21T10:00:00Z"
			write(w, 201, map[string]any{"data": body})
		case parts[0] == "chat" && len(parts) >= 3 && sessions[parts[2]] == nil:
			write(w, 404, map[string]any{"error": map[string]any{"code": "not_found", "message": "Chat session not found."}})
		case r.Method == "GET" && parts[0] == "chat" && len(parts) == 3:
			write(w, 200, map[string]any{"data": map[string]any{"id": parts[2], "agent_id": "your-agent-id", "title": "Support Conversation",
				"metadata": map[string]any{}, "workspace_id": "ws_1", "created_at": "2026-11-21T10:00:00Z", "updated_at": "2026-11-21T10:00:00Z"}})
		case r.Method == "POST" && len(parts) == 4:
			user, reply, exec, _ := exchange(parts[2], body["content"].(string))
			answer := map[string]any{"execution_id": exec, "user_message": user}
			for k, v := range reply {
				answer[k] = v
			}
			write(w, 200, map[string]any{"data": answer})
		case r.Method == "POST" && len(parts) == 5:
			_, _, _, frames := exchange(parts[2], body["content"].(string))
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, strings.Join(frames, ""))
		case r.Method == "GET" && len(parts) == 4:
			all := sessions[parts[2]]
			page, limit := 1, 20
			fmt.Sscan(r.URL.Query().Get("page"), &page)
			fmt.Sscan(r.URL.Query().Get("limit"), &limit)
			from, to := min((page-1)*limit, len(all)), min(page*limit, len(all))
			write(w, 200, map[string]any{"data": all[from:to], "meta": map[string]any{"total": len(all), "page": page, "limit": limit,
				"total_pages": (len(all) + limit - 1) / limit}})
		case r.Method == "GET" && parts[0] == "executions" && len(parts) == 3:
			last := 0
			fmt.Sscan(r.Header.Get("Last-Event-ID"), &last)
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, strings.Join(runs[parts[1]].frames[last:], ""))
		default:
			write(w, 400, map[string]any{"error": map[string]any{"code": "bad_request", "message": r.Method + " " + r.URL.Path}})
		}
	}))
}

func ExampleChatService_Conversation() {
	server := conversationServer()
	defer server.Close()
	client := promptrails.NewClient("your-api-key", promptrails.WithBaseURL(server.URL))
	ctx := context.Background()

	conv, err := client.Chat.Conversation(ctx, promptrails.ConversationParams{
		AgentID:  "your-agent-id",
		Title:    promptrails.NewNullable("Support Conversation"),
		Metadata: map[string]any{"channel": "web"},
	})
	if err != nil {
		panic(err)
	}
	defer conv.Close()

	reply, err := conv.Send(ctx, "Hi, I need help with my account.")
	if err != nil {
		panic(err)
	}
	fmt.Println(reply)

	for chunk, err := range conv.Stream(ctx, "Tell me more") {
		if err != nil {
			panic(err)
		}
		fmt.Print(chunk)
	}
	fmt.Println()

	for _, msg := range conv.History() {
		fmt.Printf("%s: %s\n", msg.Role, msg.Content)
	}
	fmt.Println(conv.Usage()["prompt_tokens"], conv.TotalCost())
	// Output:
	// You said: Hi, I need help with my account.
	// You said: Tell me more
	// user: Hi, I need help with my account.
	// assistant: You said: Hi, I need help with my account.
	// user: Tell me more
	// assistant: You said: Tell me more
	// 10 4e-05
}

func ExampleConversation_StreamEvents() {
	server := conversationServer()
	defer server.Close()
	client := promptrails.NewClient("your-api-key", promptrails.WithBaseURL(server.URL))
	ctx := context.Background()
	conv, err := client.Chat.Conversation(ctx, promptrails.ConversationParams{AgentID: "your-agent-id"})
	if err != nil {
		panic(err)
	}
	defer conv.Close()

	for event, err := range conv.StreamEvents(ctx, "Hello!") {
		if err != nil {
			panic(err)
		}
		if e, ok := event.(*promptrails.ContentEvent); ok {
			fmt.Printf("first piece: %q\n", e.Content)
			break // leaving early is safe: the reply is still read back
		}
	}
	history := conv.History()
	fmt.Println(history[len(history)-1].Content)
	fmt.Println(history[len(history)-1].Get("model").Raw())
	// Output:
	// first piece: "You "
	// You said: Hello!
	// "echo-1"
}

func ExampleConversation_Save() {
	server := conversationServer()
	defer server.Close()
	client := promptrails.NewClient("your-api-key", promptrails.WithBaseURL(server.URL))
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "conversation")
	defer os.RemoveAll(dir)
	wd, _ := os.Getwd()
	os.Chdir(dir)
	defer os.Chdir(wd)
	conv, err := client.Chat.Conversation(ctx, promptrails.ConversationParams{AgentID: "your-agent-id"},
		promptrails.WithMaxConcurrentInvocations(1), // the default: sends run one at a time, in call order
		promptrails.WithMaxRetries(5),
		promptrails.WithTimeout(30*time.Second))
	if err != nil {
		panic(err)
	}
	defer conv.Close()
	conv.Send(ctx, "Remember me")

	if err := conv.Save("conversation.json"); err != nil {
		panic(err)
	}
	later, err := client.Chat.Load(ctx, "conversation.json")
	if err != nil {
		panic(err)
	}
	defer later.Close()
	fmt.Println(later.SessionID() == conv.SessionID(), len(later.History()))

	if err := later.Clear(ctx); err != nil { // a fresh session, same agent, title and metadata
		panic(err)
	}
	fmt.Println(later.SessionID() == conv.SessionID(), len(later.History()))

	resumed, err := client.Chat.Conversation(ctx, promptrails.ConversationParams{SessionID: conv.SessionID()})
	if err != nil {
		panic(err)
	}
	defer resumed.Close()
	fmt.Println(len(resumed.History()))
	// Output:
	// true 2
	// false 0
	// 2
}
