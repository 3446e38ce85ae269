package promptrails

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// Key hygiene (issue 9): the key is checked at construction, and it never
// shows through any fmt verb, error, header the SDK exposes, or log line.

func TestMalformedAPIKeyIsRefusedAtConstruction(t *testing.T) {
	for _, c := range []struct {
		key, reason string
	}{
		{"sk-live-abc123\n", "line break"},
		{"sk-live-abc123\r\n", "line break"},
		{"sk-live\tabc123", "control character"},
		{"sk-live-abc\x00123", "control character"},
		{"sk-live-abc\x7f123", "control character"},
		{"sk-live-abcé123", "non-ASCII"},
		{"sk-live-ключ123", "non-ASCII"},
		{"sk-live-abc\u200b123", "non-ASCII"},
	} {
		for _, fromEnv := range []bool{false, true} {
			if fromEnv && strings.ContainsRune(c.key, 0) {
				continue // no environment variable can hold a NUL
			}
			_, ts, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {})
			var client *Client
			if fromEnv {
				t.Setenv("PROMPTRAILS_API_KEY", c.key)
				client = NewClient("", WithBaseURL(ts.URL))
			} else {
				client = NewClient(c.key, WithBaseURL(ts.URL))
			}
			_, err := client.Chat.GetSession(context.Background(), "s1")
			stream, serr := client.Chat.SendMessageStream(context.Background(), "s1", &SendMessageParams{Content: "x"})
			inv := asKind(err, ErrInvalidArgument)
			if inv == nil || inv.Argument != "apiKey" || !strings.Contains(err.Error(), c.reason) || !errors.As(serr, &inv) || stream.Next() {
				t.Fatalf("%q (env %v): err = %v, stream err = %v", c.key, fromEnv, err, serr)
			}
			if n := len(ts.requests()); n != 0 {
				t.Fatalf("%q: %d requests sent", c.key, n)
			}
			secret := strings.TrimSpace(c.key)
			for _, surface := range fmtSurfaces(err, client, *client) {
				if strings.Contains(surface, secret) || strings.Contains(surface, "abc123") {
					t.Fatalf("%q: the key shows: %s", c.key, surface)
				}
			}
		}
	}
}

func TestBadHeaderValueIsAnInvalidArgument(t *testing.T) {
	client, ts, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {})
	for _, opt := range []Option{WithHeader("X-Trace", "a\nb"), WithHeader("Bad Name", "x"), WithIdempotencyKey("k\r")} {
		_, err := client.Chat.CreateSession(context.Background(), &CreateSessionParams{AgentID: "a"}, opt)
		inv := asKind(err, ErrInvalidArgument)
		if inv == nil || inv.Argument != "headers" {
			t.Fatalf("err = %v", err)
		}
	}
	if n := len(ts.requests()); n != 0 {
		t.Fatalf("%d requests sent (a bad header is not a connection error to retry)", n)
	}
}

// fmtSurfaces is every way fmt can print the values (and what their pointers
// point to).
func fmtSurfaces(values ...any) []string {
	var out []string
	for _, v := range values {
		for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			out = append(out, fmt.Sprintf(format, v))
			if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && !rv.IsNil() {
				out = append(out, fmt.Sprintf(format, rv.Elem().Interface()))
			}
		}
	}
	return out
}

// exposed collects what user code can reach from v without unsafe: v and
// every value behind its exported fields, map entries, slice items,
// interfaces, pointers and the errors it wraps, each printed with every fmt
// verb, and every string and byte slice on the way.
func exposed(v any) []string {
	var out []string
	seen := map[uintptr]bool{}
	var walk func(rv reflect.Value, depth int)
	walk = func(rv reflect.Value, depth int) {
		if !rv.IsValid() || depth > 12 {
			return
		}
		if rv.CanInterface() {
			x := rv.Interface()
			out = append(out, fmtSurfaces(x)...)
			if err, ok := x.(error); ok && err != nil {
				out = append(out, err.Error())
				switch u := err.(type) {
				case interface{ Unwrap() error }:
					walk(reflect.ValueOf(u.Unwrap()), depth+1)
				case interface{ Unwrap() []error }:
					for _, e := range u.Unwrap() {
						walk(reflect.ValueOf(e), depth+1)
					}
				}
			}
		}
		switch rv.Kind() {
		case reflect.Pointer, reflect.Map, reflect.Slice:
			if rv.IsNil() {
				return
			}
			if rv.Kind() == reflect.Pointer {
				if seen[rv.Pointer()] {
					return
				}
				seen[rv.Pointer()] = true
			}
		}
		switch rv.Kind() {
		case reflect.Pointer, reflect.Interface:
			walk(rv.Elem(), depth+1)
		case reflect.Struct:
			for i := 0; i < rv.NumField(); i++ {
				if rv.Type().Field(i).IsExported() {
					walk(rv.Field(i), depth+1)
				}
			}
		case reflect.Map:
			iter := rv.MapRange()
			for iter.Next() {
				walk(iter.Key(), depth+1)
				walk(iter.Value(), depth+1)
			}
		case reflect.Slice, reflect.Array:
			if rv.Type().Elem().Kind() == reflect.Uint8 {
				out = append(out, string(rv.Bytes()))
				return
			}
			for i := 0; i < rv.Len() && i < 64; i++ {
				walk(rv.Index(i), depth+1)
			}
		case reflect.String:
			out = append(out, rv.String())
		}
	}
	walk(reflect.ValueOf(v), 0)
	return out
}

func TestAPIKeyNeverVisible(t *testing.T) {
	const key = "sk-live-SECRET-9f8e7d6c"
	var logs bytes.Buffer
	log.SetOutput(&logs)
	defer log.SetOutput(io.Discard)
	prevSlog := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	defer slog.SetDefault(prevSlog)

	var seenKeys []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seenKeys = append(seenKeys, "other:"+r.Header.Get("X-API-Key"))
		writeJSON(w, 200, map[string]any{"data": sessionJSON})
	}))
	defer other.Close()
	handler := func(w http.ResponseWriter, r *http.Request) {
		seenKeys = append(seenKeys, r.Header.Get("X-API-Key"))
		switch r.URL.Path {
		case "/api/v1/chat/sessions/ok":
			writeJSON(w, 200, map[string]any{"data": sessionJSON})
		case "/api/v1/chat/sessions/missing":
			writeError(w, 404, "not_found", "Chat session not found.")
		case "/api/v1/chat/sessions/busy":
			writeError(w, 503, "unavailable", "Try again.")
		case "/api/v1/chat/sessions/odd":
			writeJSON(w, 200, map[string]any{"data": map[string]any{"id": 7}})
		case "/api/v1/chat/sessions/away":
			http.Redirect(w, r, other.URL+"/api/v1/chat/sessions/ok", http.StatusTemporaryRedirect)
		case "/api/v1/chat/sessions/here":
			http.Redirect(w, r, "/api/v1/chat/sessions/ok", http.StatusTemporaryRedirect)
		case "/api/v1/chat/sessions/s1/messages/stream":
			sseFrames(w, runFrames...)
		case "/api/v1/chat/sessions/failing/messages/stream":
			sseFrames(w, frame("1", "execution", execFrame), frame("2", "error", `{"message":"boom"}`))
		case "/api/v1/chat/sessions/broken/messages/stream":
			sseFrames(w, frame("1", "execution", execFrame), frame("2", "content", `{"content":`))
		case "/api/v1/chat/sessions/denied/messages/stream":
			writeError(w, 401, "unauthorized", "Missing or invalid API key.")
		}
	}
	// Over HTTP/1 and HTTP/2 (TLS).
	plain := httptest.NewServer(http.HandlerFunc(handler))
	defer plain.Close()
	h2 := httptest.NewUnstartedServer(http.HandlerFunc(handler))
	h2.EnableHTTP2 = true
	h2.StartTLS()
	defer h2.Close()
	refused, _ := net.Listen("tcp", "127.0.0.1:0")
	deadURL := "http://" + refused.Addr().String()
	refused.Close()

	ctx := context.Background()
	var surfaces []any
	for _, server := range []*httptest.Server{plain, h2} {
		clock := &fakeClock{}
		opts := []Option{WithBaseURL(server.URL), WithHTTPClient(server.Client()), clock.option(), WithHeader("X-Team", "t")}
		client := NewClient(key, opts...)
		strict := NewClient(key, append(opts, WithStrictValidation())...)
		dead := NewClient(key, WithBaseURL(deadURL), clock.option())
		surfaces = append(surfaces, client, client.Chat, client.Executions, opts, strict)
		record := func(v any, err error) {
			surfaces = append(surfaces, v, err)
		}
		record(client.Chat.GetSession(ctx, "ok"))
		record(client.Chat.GetSession(ctx, "missing"))
		record(client.Chat.GetSession(ctx, "busy")) // retried twice, then the error
		record(strict.Chat.GetSession(ctx, "odd"))
		record(client.Chat.GetSession(ctx, "away"))
		record(client.Chat.GetSession(ctx, "here"))
		record(dead.Chat.GetSession(ctx, "ok"))
		record(client.Chat.ListSessions(ctx, nil))
		for _, session := range []string{"s1", "failing", "broken", "denied"} {
			stream, err := client.Chat.SendMessageStream(ctx, session, &SendMessageParams{Content: "x"})
			record(stream, err)
			for stream.Next() {
				surfaces = append(surfaces, stream.Current())
			}
			surfaces = append(surfaces, stream.Err())
			stream.Close()
		}
		stream, err := dead.Chat.SendMessageStream(ctx, "s1", &SendMessageParams{Content: "x"})
		record(stream, err)
	}

	var n int
	for _, v := range surfaces {
		for _, s := range exposed(v) {
			n++
			if strings.Contains(s, key) || strings.Contains(s, "SECRET") {
				t.Fatalf("the API key shows on a surface of %T:\n%s", v, s)
			}
		}
	}
	if strings.Contains(logs.String(), "SECRET") {
		t.Fatalf("the API key shows in the logs:\n%s", logs.String())
	}
	// The calls did send the key, to our server only.
	sent := strings.Join(seenKeys, ",")
	if !strings.Contains(sent, key) || strings.Contains(sent, "other:"+key) || !strings.Contains(sent, "other:,") {
		t.Fatalf("keys the servers saw: %s", sent)
	}
	t.Logf("%d surfaces checked", n)
}
