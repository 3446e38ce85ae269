import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// ---- Errors ----------------------------------------------------------------

func TestErrorKinds(t *testing.T) {
	all := []error{ErrConnection, ErrTimeout, ErrStatus, ErrBadRequest, ErrAuthentication, ErrPaymentRequired,
		ErrPermissionDenied, ErrNotFound, ErrConflict, ErrUnprocessableEntity, ErrRateLimited, ErrInternalServer,
		ErrResponseValidation, ErrStream, ErrInvalidArgument}
	broader := map[error][]error{ErrTimeout: {ErrConnection}}
	for _, k := range statusKinds {
		broader[k] = []error{ErrStatus}
	}
	broader[ErrInternalServer] = []error{ErrStatus}
	for _, kind := range all {
		err := error(&Error{Kind: kind, Message: "m"})
		for _, other := range all {
			want := other == kind
			for _, b := range broader[kind] {
				want = want || other == b
			}
			if errors.Is(err, other) != want {
				t.Errorf("errors.Is(%v error, %v) = %v", kind, other, !want)
			}
		}
	}
	cause := &net.OpError{Op: "dial", Err: errors.New("refused")}
	err := fmt.Errorf("wrapped: %w", connectionError("connection error", cause))
	var e *Error
	var op *net.OpError
	if !errors.As(err, &e) || !errors.As(err, &op) || e.Error() != "connection error: dial: refused" {
		t.Fatalf("%v", err)
	}
	for s, kind := range map[int]error{400: ErrBadRequest, 404: ErrNotFound, 418: ErrStatus, 429: ErrRateLimited, 502: ErrInternalServer} {
		if got := kindOfStatus(s); got != kind {
			t.Errorf("status %d: kind %v", s, got)
		}
	}
}

func TestStatusErrorBodies(t *testing.T) {
	for body, want := range map[string][2]string{
		`{"error":{"code":"not_found","message":"No such thing.","details":{"id":"x"}}}`: {"not_found", "No such thing."},
		`{"error":"plain text"}`:                        {"", "plain text"},
		`{"message":"top level"}`:                       {"", "top level"},
		`{"type":"error","error":{"message":"nested"}}`: {"", "nested"},
		`<html>oops</html>`:                             {"", "Not Found"},
	} {
		resp := &http.Response{StatusCode: 404, Status: "404 Not Found", Header: http.Header{"X-Request-Id": {"req_9"}}}
		err := newStatusError(resp, []byte(body))
		var e *Error
		if !errors.As(err, &e) || e.Code != want[0] || e.Message != want[1] || e.RequestID != "req_9" || string(e.Body) != body {
			t.Errorf("%s: %+v", body, e)
		}
	}
	e := newStatusError(&http.Response{StatusCode: 409, Status: "409 Conflict", Header: http.Header{}}, []byte(`{"error":{"code":"c","message":"m"}}`))
	if e.Error() != "409 c: m" {
		t.Fatalf("%q", e.Error())
	}
}

// ---- Credentials -------------------------------------------------------------

func TestCredentialSchemes(t *testing.T) {
	query := authScheme{key: "q", location: "query", param: "api_key", env: []string{"RT_Q"}, how: "use WithQ"}
	cookie := authScheme{key: "c", location: "cookie", param: "session", env: []string{"RT_C"}, how: "use WithC"}
	bearer := authScheme{key: "b", location: "header", param: "Authorization", prefix: "Bearer ", env: []string{"RT_B"}, how: "use WithB"}
	basic := authScheme{key: "basic", basic: true, location: "header", param: "Authorization", prefix: "Basic ", env: []string{"RT_USER", "RT_PASS"}, how: "use WithBasicAuth"}
	s := rtSettings(rtHeaderKey, query, cookie, bearer, basic)
	for _, env := range []string{"RT_API_KEY", "RT_Q", "RT_C", "RT_B", "RT_USER", "RT_PASS"} {
		t.Setenv(env, "")
	}
	c, ts, _ := rtCore(t, s, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"name":"x"}`) },
		withCredential("q", "qv"), withCredential("c", "cv"), withCredential("b", "bv"), withCredential("basic", "u:p"))
	ctx := context.Background()
	for _, sec := range [][][]string{{{"key"}}, {{"q"}}, {{"c"}}, {{"b"}}, {{"basic"}}, {{"nothing"}, {"key", "q"}}, {{}}} {
		if err := c.call(ctx, &request{method: "GET", path: "/x", security: sec}); err != nil {
			t.Fatalf("%v: %v", sec, err)
		}
	}
	r := ts.requests()
	if r[0].header.Get("X-Key") != rtSecret || r[1].query != "api_key=qv" || r[2].header.Get("Cookie") != "session=cv" ||
		r[3].header.Get("Authorization") != "Bearer bv" || r[4].header.Get("Authorization") != "Basic "+base64.StdEncoding.EncodeToString([]byte("u:p")) {
		t.Fatalf("%+v", r)
	}
	if r[5].header.Get("X-Key") != rtSecret || r[5].query != "api_key=qv" || r[6].header.Get("X-Key") != "" {
		t.Fatalf("alternatives: %+v", r[5:])
	}
	// A missing credential: refused before sending, naming how to give it.
	bare := newCore(s, "key", "", []Option{WithBaseURL(ts.URL)})
	err := bare.call(ctx, &request{method: "GET", path: "/x", security: [][]string{{"key"}, {"b"}}})
	if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "RT_API_KEY") || len(ts.requests()) != 7 {
		t.Fatalf("err = %v", err)
	}
	// From the environment.
	t.Setenv("RT_USER", "eu")
	t.Setenv("RT_PASS", "ep")
	env := newCore(s, "key", "", []Option{WithBaseURL(ts.URL)})
	if err := env.call(ctx, &request{method: "GET", path: "/x", security: [][]string{{"basic"}}}); err != nil {
		t.Fatal(err)
	}
	if got := ts.requests()[7].header.Get("Authorization"); got != "Basic "+base64.StdEncoding.EncodeToString([]byte("eu:ep")) {
		t.Fatalf("basic from env: %q", got)
	}
}

func TestCredentialsNeverShow(t *testing.T) {
	query := authScheme{key: "q", location: "query", param: "api_key", how: "use WithQ"}
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, _, _ := rtCore(t, rtSettings(rtHeaderKey, query), func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-ID", "req_1")
		w.WriteHeader(401)
		io.WriteString(w, `{"error":{"code":"unauthorized","message":"bad key `+r.URL.Query().Get("api_key")+`"}}`)
	}, withCredential("q", rtSecret), WithLogger(logger), WithMaxRetries(0))
	err := c.call(context.Background(), &request{method: "GET", path: "/x", security: [][]string{{"key", "q"}}})
	var e *Error
	if !errors.As(err, &e) || e.Response.Request.Header.Get("X-Key") != "[REDACTED]" ||
		e.Response.Request.URL.Query().Get("api_key") != "[REDACTED]" {
		t.Fatalf("%v", err)
	}
	// (The server echoed the key into its message: that is the server's text, the
	// SDK adds none.) Every surface of the SDK's own:
	for _, v := range []any{c, *c, c.cfg, &c.cfg, e.Response.Request, e.Response.Request.URL.String()} {
		for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
			if out := fmt.Sprintf(format, v); strings.Contains(out, rtSecret) {
				t.Fatalf("Sprintf(%q, %T) shows the key: %s", format, v, out)
			}
		}
	}
	if strings.Contains(logs.String(), rtSecret) || !strings.Contains(logs.String(), "X-Key: [REDACTED]") {
		t.Fatalf("logs:\n%s", logs.String())
	}
	// A credential no header can carry: refused, never shown.
	bad, _, _ := rtCore(t, rtSettings(rtHeaderKey), func(w http.ResponseWriter, r *http.Request) {}, WithAPIKeyForTest("k\n"))
	err = bad.call(context.Background(), &request{method: "GET", path: "/x", security: [][]string{{"key"}}})
	if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "line break") || strings.Contains(err.Error(), "k\n") {
		t.Fatalf("err = %v", err)
	}
}

// WithAPIKeyForTest sets the primary test credential (the generated SDK has its
// own option; these tests use only the runtime).
func WithAPIKeyForTest(key string) Option { return withCredential("key", key) }

func TestRedirectToAnotherHostDropsCredentials(t *testing.T) {
	var got http.Header
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		io.WriteString(w, `{}`)
	}))
	defer other.Close()
	c, _, _ := rtCore(t, rtSettings(rtHeaderKey), func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, strings.Replace(other.URL, "127.0.0.1", "localhost", 1)+"/y", http.StatusFound)
	})
	if err := c.call(context.Background(), &request{method: "GET", path: "/x", security: [][]string{{"key"}}}); err != nil {
		t.Fatal(err)
	}
	if got == nil || got.Get("X-Key") != "" {
		t.Fatalf("redirected request headers: %v", got)
	}
}

// ---- Options ----------------------------------------------------------------

func TestOptionsApplyInOrder(t *testing.T) {
	c, ts, _ := rtCore(t, rtSettings(rtHeaderKey), func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"name":"a"}`) },
		WithHeader("X-Client", "c"), WithHeader("X-Both", "client"), WithHeader("X-Declared", "client"), WithQuery("q", "client"))
	r := &request{method: "POST", path: "/x", security: [][]string{{"key"}}, headers: [][2]string{{"X-Declared", "declared"}}, query: url.Values{"declared": {"1"}, "q": {"declared"}},
		body: map[string]any{"a": 1, "b": 2}, bodyKind: bodyJSON, bodySet: []jsonSetting{{"stream", true}}, idempotent: true,
		opts: []Option{WithHeader("X-Both", "call"), WithHeaderDel("User-Agent"), WithQuery("extra", "e"),
			WithJSONSet("b", "two"), WithJSONSet("nested.deep.x", 1), WithIdempotencyKey("idem-1")}}
	var item struct{ Name string }
	if err := getJSON(context.Background(), c, r, &item, false, nil); err != nil || item.Name != "a" {
		t.Fatalf("%v %+v", err, item)
	}
	got := ts.requests()[0]
	h := got.header
	if h.Get("X-Client") != "c" || h.Get("X-Both") != "call" || h.Get("X-Declared") != "declared" || h.Get("User-Agent") != "" ||
		h.Get("Idempotency-Key") != "idem-1" || h.Get("X-Key") != rtSecret {
		t.Fatalf("headers %v", h)
	}
	if q, _ := url.ParseQuery(got.query); q.Get("q") != "client" || q.Get("declared") != "1" || q.Get("extra") != "e" {
		t.Fatalf("query %q", got.query)
	}
	if got.body != `{"a":1,"b":"two","stream":true,"nested":{"deep":{"x":1}}}` {
		t.Fatalf("body %s", got.body)
	}
	// WithJSONSet on a body that is not JSON is refused before sending.
	err := c.call(context.Background(), &request{method: "POST", path: "/x", bodyKind: bodyForm, body: map[string]any{"a": 1}, opts: []Option{WithJSONSet("b", 1)}})
	if !errors.Is(err, ErrInvalidArgument) || len(ts.requests()) != 1 {
		t.Fatalf("err = %v", err)
	}
	// A client derived with WithOptions shares the HTTP client and adds its options.
	derived := c.with([]Option{WithHeader("X-Derived", "d"), WithMaxRetries(7)})
	if derived.cfg.httpClient != c.cfg.httpClient || derived.cfg.maxRetries != 7 || c.cfg.maxRetries != DefaultMaxRetries {
		t.Fatalf("derived %+v", derived.cfg)
	}
	derived.call(context.Background(), &request{method: "GET", path: "/x"})
	if h := ts.requests()[1].header; h.Get("X-Derived") != "d" || h.Get("X-Client") != "c" {
		t.Fatalf("derived headers %v", h)
	}
	c.call(context.Background(), &request{method: "GET", path: "/x"})
	if h := ts.requests()[2].header; h.Get("X-Derived") != "" {
		t.Fatalf("the parent got the derived header: %v", h)
	}
}

func TestWithResponseInto(t *testing.T) {
	c, _, _ := rtCore(t, rtSettings(), func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-ID", "req_"+r.URL.Path[1:])
		if r.URL.Path == "/missing" {
			w.WriteHeader(404)
		}
		io.WriteString(w, `{"name":"a"}`)
	}, WithMaxRetries(0))
	var resp *http.Response
	var item struct{ Name string }
	if err := getJSON(context.Background(), c, &request{method: "GET", path: "/ok", opts: []Option{WithResponseInto(&resp)}}, &item, false, nil); err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("X-Request-ID") != "req_ok" || string(body) != `{"name":"a"}` {
		t.Fatalf("%v %s", resp, body)
	}
	resp = nil
	err := c.call(context.Background(), &request{method: "GET", path: "/missing", opts: []Option{WithResponseInto(&resp)}})
	if !errors.Is(err, ErrNotFound) || resp == nil || resp.StatusCode != 404 || resp.Header.Get("X-Request-ID") != "req_missing" {
		t.Fatalf("%v %v", err, resp)
	}
	// No answer: nothing to store.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	resp = nil
	down := c.with([]Option{WithBaseURL("http://" + addr)})
	if err := down.call(context.Background(), &request{method: "GET", path: "/x", opts: []Option{WithResponseInto(&resp)}}); !errors.Is(err, ErrConnection) || resp != nil {
		t.Fatalf("%v %v", err, resp)
	}
}

// ---- Encoding ----------------------------------------------------------------

func TestFormAndMultipartBodies(t *testing.T) {
	c, ts, _ := rtCore(t, rtSettings(), func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{}`) })
	ctx := context.Background()
	body := map[string]any{"name": "Jenny", "address": map[string]any{"city": "Paris", "zip": 75}, "tags": []any{"a", "b"}, "gone": nil}
	if err := c.call(ctx, &request{method: "POST", path: "/f", bodyKind: bodyForm, body: body, bodySet: []jsonSetting{{"stream", true}}}); err != nil {
		t.Fatal(err)
	}
	got := ts.requests()[0]
	form, _ := url.ParseQuery(got.body)
	if got.header.Get("Content-Type") != "application/x-www-form-urlencoded" || form.Get("name") != "Jenny" || form.Get("address[city]") != "Paris" ||
		form.Get("address[zip]") != "75" || form.Get("tags[1]") != "b" || !form.Has("gone") || form.Get("stream") != "true" {
		t.Fatalf("form %s", got.body)
	}
	file := strings.NewReader("file contents")
	if err := c.call(ctx, &request{method: "POST", path: "/m", bodyKind: bodyMultipart, body: map[string]any{"purpose": "batch", "meta": map[string]any{"a": 1}, "ids": []any{1, 2}},
		files: []filePart{{"file", file}}}); err != nil {
		t.Fatal(err)
	}
	got = ts.requests()[1]
	_, params, _ := mime.ParseMediaType(got.header.Get("Content-Type"))
	mf, err := multipart.NewReader(strings.NewReader(got.body), params["boundary"]).ReadForm(1 << 20)
	if err != nil || mf.Value["purpose"][0] != "batch" || mf.Value["meta"][0] != `{"a":1}` || strings.Join(mf.Value["ids"], ",") != "1,2" {
		t.Fatalf("multipart %v %v", mf, err)
	}
	f, _ := mf.File["file"][0].Open()
	data, _ := io.ReadAll(f)
	if string(data) != "file contents" || mf.File["file"][0].Filename != "file" {
		t.Fatalf("file %q %q", data, mf.File["file"][0].Filename)
	}
	if err := c.call(ctx, &request{method: "PUT", path: "/raw", bodyKind: bodyRaw, contentType: "application/octet-stream", rawBody: bytes.NewReader([]byte{1, 2})}); err != nil {
		t.Fatal(err)
	}
	if got := ts.requests()[2]; got.body != "\x01\x02" || got.header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("raw %+v", got)
	}
}

func TestQueryStyles(t *testing.T) {
	for _, c := range []struct {
		style   string
		explode int
		value   any
		want    string
	}{
		{"", explodeDefault, int64(3), "p=3"},
		{"", explodeDefault, true, "p=true"},
		{"", explodeDefault, 1.5, "p=1.5"},
		{"", explodeDefault, []string{"a", "b"}, "p=a&p=b"},
		{"form", explodeNo, []string{"a", "b"}, "p=a%2Cb"},
		{"pipeDelimited", explodeDefault, []int64{1, 2}, "p=1%7C2"},
		{"spaceDelimited", explodeNo, []int64{1, 2}, "p=1+2"},
		{"deepObject", explodeYes, map[string]any{"gte": 100, "lt": 200}, "p%5Bgte%5D=100&p%5Blt%5D=200"},
		{"deepObject", explodeYes, []string{"x"}, "p%5B%5D=x"},
		{"form", explodeYes, map[string]any{"a": 1}, "a=1"},
		{"form", explodeNo, map[string]any{"a": 1, "b": 2}, "p=a%2C1%2Cb%2C2"},
	} {
		q := url.Values{}
		if err := addQuery(q, "p", c.style, c.explode, c.value); err != nil || q.Encode() != c.want {
			t.Errorf("%s %d %v: %q (%v), want %q", c.style, c.explode, c.value, q.Encode(), err, c.want)
		}
	}
	if got := paramString([]string{"a", "b"}); got != "a,b" {
		t.Fatalf("%q", got)
	}
	if got := paramString(int64(-4)); got != "-4" {
		t.Fatalf("%q", got)
	}
}

func TestSetJSONKeepsOrder(t *testing.T) {
	for _, c := range [][4]string{
		{`{"b":1,"a":2}`, "a", `3`, `{"b":1,"a":3}`},
		{`{"b":1}`, "c", `"x"`, `{"b":1,"c":"x"}`},
		{`{"o":{"x":1},"z":0}`, "o.y", `true`, `{"o":{"x":1,"y":true},"z":0}`},
		{`{"o":5}`, "o.y", `1`, `{"o":{"y":1}}`},
		{``, "a.b", `null`, `{"a":{"b":null}}`},
	} {
		var v any
		json.Unmarshal([]byte(c[2]), &v)
		got, err := setJSON([]byte(c[0]), strings.Split(c[1], "."), v)
		if err != nil || string(got) != c[3] {
			t.Errorf("%s set %s: %s (%v), want %s", c[0], c[1], got, err, c[3])
		}
	}
	if _, err := setJSON([]byte(`[1]`), []string{"a"}, 1); err == nil {
		t.Fatal("set a key in an array")
	}
}

func TestMarshalParams(t *testing.T) {
	type params struct {
		Req   string
		Opt   *int64
		Null  Nullable[string]
		Unset Nullable[string]
		Query string
	}
	fields := []paramField{{"req", true}, {"opt", false}, {"null", false}, {"unset", false}}
	b, err := marshalParams(params{Req: "", Null: Null[string](), Query: "q"}, fields)
	if err != nil || string(b) != `{"req":"","null":null}` {
		t.Fatalf("%s %v", b, err)
	}
	b, _ = marshalParams(params{Req: "r", Opt: Ptr(int64(0)), Null: NewNullable("v")}, fields)
	if string(b) != `{"req":"r","opt":0,"null":"v"}` {
		t.Fatalf("%s", b)
	}
}

// The body encoder escapes strings exactly as encoding/json does: every byte,
// invalid UTF-8, the HTML characters and the JavaScript line separators.
func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	cases := []string{"", "plain", `quote " backslash \ slash /`, "<a href='x'>&amp;</a>", "\u2028 \u2029 line seps",
		"\xff\xfe broken \xc3", "tab\tnl\ncr\rbs\bff\f", "é 日本 🙂", "\x00\x01\x1f\x7f"}
	var all []byte
	for b := 0; b < 256; b++ {
		all = append(all, byte(b))
	}
	cases = append(cases, string(all))
	for i := 0; i < 2000; i++ { // random byte strings, many of them invalid UTF-8
		b := make([]byte, i%37)
		for j := range b {
			b[j] = byte((i*131 + j*17 + j*j) % 256)
		}
		cases = append(cases, string(b))
	}
	for _, c := range cases {
		want, _ := json.Marshal(c)
		if got := appendJSONString(nil, c); string(got) != string(want) {
			t.Fatalf("%q: got %s, want %s", c, got, want)
		}
	}
	// Named string types and Marshalers in Params structs keep encoding/json's way.
	type kind string
	type params struct {
		K kind
		N Nullable[string]
	}
	b, err := marshalParams(&params{K: "<x>", N: NewNullable("é\n")}, []paramField{{"k&", true}, {"n", true}})
	want, _ := json.Marshal(map[string]any{"k&": "<x>", "n": "é\n"})
	if err != nil || string(b) != string(want) {
		t.Fatalf("%s %v, want %s", b, err, want)
	}
}

// The decoder's shortcuts (an empty object, a date-time) read what
// encoding/json reads, and refuse what it refuses.
func TestDecodeShortcutsMatchEncodingJSON(t *testing.T) {
	for _, raw := range []string{`{}`, ` { } `, `{"a":1}`, `{"a":{}}`} {
		var got, want map[string]any
		if err := decodeInto(raw, &got); err != nil || json.Unmarshal([]byte(raw), &want) != nil || fmt.Sprint(got) != fmt.Sprint(want) || got == nil {
			t.Fatalf("%s: %v %v %v", raw, got, want, err)
		}
	}
	for _, raw := range []string{`"2026-11-21T10:01:00Z"`, `"2026-11-21T10:01:00.123456+02:00"`, `"2026-11-21 10:01:00"`, `"not a time"`, `17`, `"2026-13-01T00:00:00Z"`} {
		var got, want time.Time
		gerr, werr := decodeInto(raw, &got), json.Unmarshal([]byte(raw), &want)
		if (gerr == nil) != (werr == nil) || !got.Equal(want) {
			t.Fatalf("%s: %v (%v), encoding/json %v (%v)", raw, got, gerr, want, werr)
		}
	}
}

// Every way a response leaves the SDK shows it redacted, its body readable:
// a status error, WithResponseInto, an unusable answer, a stream, a raw call.
func TestResponsesLeaveRedacted(t *testing.T) {
	c, _, _ := rtCore(t, rtSettings(rtHeaderKey), func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/missing":
			w.WriteHeader(404)
			io.WriteString(w, `{"error":"no"}`)
		case "/text":
			io.WriteString(w, `not json`)
		case "/stream":
			rtSSE(w, "event: end\ndata: {}\n\n")
		default:
			io.WriteString(w, `{"name":"a"}`)
		}
	}, WithMaxRetries(0))
	ctx := context.Background()
	sec := [][]string{{"key"}}
	check := func(what string, resp *http.Response, body string) {
		t.Helper()
		if resp == nil || resp.Request.Header.Get("X-Key") != "[REDACTED]" {
			t.Fatalf("%s: the response's request is not redacted: %v", what, resp)
		}
		if body != "-" {
			if got, _ := io.ReadAll(resp.Body); string(got) != body {
				t.Fatalf("%s: body %q, want %q", what, got, body)
			}
		}
	}
	var e *Error
	err := c.call(ctx, &request{method: "GET", path: "/missing", security: sec})
	if !errors.As(err, &e) {
		t.Fatal(err)
	}
	check("status error", e.Response, `{"error":"no"}`)
	var resp *http.Response
	var item struct{ Name string }
	if err := getJSON(ctx, c, &request{method: "GET", path: "/ok", security: sec, opts: []Option{WithResponseInto(&resp)}}, &item, false, nil); err != nil {
		t.Fatal(err)
	}
	check("WithResponseInto", resp, `{"name":"a"}`)
	err = getJSON(ctx, c, &request{method: "GET", path: "/text", security: sec}, &item, false, nil)
	if !errors.As(err, &e) || e.Kind != ErrResponseValidation {
		t.Fatal(err)
	}
	check("unusable answer", e.Response, "not json")
	s, err := newStream(ctx, c, &streamSpec{dispatch: dispatchEvent, decode: rtDecode, terminal: map[string]bool{"end": true}},
		&request{method: "GET", path: "/stream", security: sec, opts: []Option{WithResponseInto(&resp)}})
	if err != nil {
		t.Fatal(err)
	}
	check("stream", resp, "-")
	s.Close()
	raw, err := getRaw(ctx, c, &request{method: "GET", path: "/ok", security: sec})
	if err != nil {
		t.Fatal(err)
	}
	check("raw call", raw, `{"name":"a"}`)
	raw.Body.Close()
}

// ---- Responses ---------------------------------------------------------------

func TestBareAndWrappedResponses(t *testing.T) {
	c, _, _ := rtCore(t, rtSettings(), func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/bare":
			io.WriteString(w, `{"name":"bare","n":1}`)
		case "/wrapped":
			io.WriteString(w, `{"data":{"name":"wrapped"}}`)
		case "/list":
			io.WriteString(w, `[{"name":"a"},{"name":"b"}]`)
		case "/number":
			io.WriteString(w, `42`)
		case "/empty":
			io.WriteString(w, `{}`)
		case "/text":
			io.WriteString(w, `plain text`)
		}
	}, WithMaxRetries(0))
	ctx := context.Background()
	var item struct{ Name string }
	if err := getJSON(ctx, c, &request{method: "GET", path: "/bare"}, &item, false, &valueShape{kind: kindObject, model: "Item"}); err != nil || item.Name != "bare" {
		t.Fatalf("%v %+v", err, item)
	}
	if err := getJSON(ctx, c, &request{method: "GET", path: "/wrapped"}, &item, true, nil); err != nil || item.Name != "wrapped" {
		t.Fatalf("%v %+v", err, item)
	}
	// A bare body read as wrapped is not usable: an error, never an empty value.
	if err := getJSON(ctx, c, &request{method: "GET", path: "/bare"}, &item, true, nil); !errors.Is(err, ErrResponseValidation) {
		t.Fatalf("err = %v", err)
	}
	var list []struct{ Name string }
	if err := getJSON(ctx, c, &request{method: "GET", path: "/list"}, &list, false, nil); err != nil || len(list) != 2 {
		t.Fatalf("%v %+v", err, list)
	}
	var n int64
	if err := getJSON(ctx, c, &request{method: "GET", path: "/number"}, &n, false, &valueShape{kind: kindInteger}); err != nil || n != 42 {
		t.Fatalf("%v %d", err, n)
	}
	strict := []Option{WithStrictValidation()}
	err := getJSON(ctx, c, &request{method: "GET", path: "/empty", opts: strict}, &item, false, &valueShape{kind: kindObject, model: "Item"})
	var e *Error
	if !errors.As(err, &e) || e.Kind != ErrResponseValidation || e.Path != "name" {
		t.Fatalf("strict: %v", err)
	}
	if text, err := getText(ctx, c, &request{method: "GET", path: "/text"}); err != nil || text != "plain text" {
		t.Fatalf("%q %v", text, err)
	}
	resp, err := getRaw(ctx, c, &request{method: "GET", path: "/text"})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(data) != "plain text" {
		t.Fatalf("%q", data)
	}
}

func TestUnionVariants(t *testing.T) {
	s := rtSettings().shapes
	for raw, want := range map[string]int{`{"kind":"other"}`: 1, `{"kind":"item","name":"x"}`: 0, `{"kind":"nope"}`: -1} {
		if got := unionVariant(s, "Tagged", raw); got != want {
			t.Errorf("Tagged %s: %d, want %d", raw, got, want)
		}
	}
	for raw, want := range map[string]int{`"s"`: 0, `{"name":"x"}`: 1, `{"kind":"other"}`: 2, `{"zzz":1}`: 1, `7`: -1} {
		if got := unionVariant(s, "Loose", raw); got != want {
			t.Errorf("Loose %s: %d, want %d", raw, got, want)
		}
	}
	if m := s.checkValue("", &valueShape{union: "Tagged"}, `{"kind":"item"}`); m == nil || m.Error() != "name: missing required field" {
		t.Fatalf("%v", m)
	}
	if m := s.checkValue("v", &valueShape{union: "Loose"}, `7`); m == nil || !strings.Contains(m.Error(), "matches no variant") {
		t.Fatalf("%v", m)
	}
}

func TestJSONAt(t *testing.T) {
	raw := `{"choices":[{"delta":{"content":"Hi"}}],"usage":null,"n":1}`
	for _, c := range []struct {
		path []any
		want string
		ok   bool
	}{
		{[]any{"choices", 0, "delta", "content"}, `"Hi"`, true},
		{[]any{"choices", 1}, "", false},
		{[]any{"usage"}, "", false},
		{[]any{"n", "x"}, "", false},
		{nil, raw, true},
	} {
		if got, ok := jsonAt(raw, c.path); got != c.want || ok != c.ok {
			t.Errorf("%v: %q %v", c.path, got, ok)
		}
	}
}

// ---- Streams -----------------------------------------------------------------

func TestStreamStyles(t *testing.T) {
	frame := func(event, data string) string {
		if event == "" {
			return "data: " + data + "\n\n"
		}
		return "event: " + event + "\ndata: " + data + "\n\n"
	}
	cases := []struct {
		name   string
		spec   *streamSpec
		frames []string
		events string
		text   string
		usage  string
		err    error
	}{
		{"data-only chunks ended by a sentinel",
			&streamSpec{dispatch: dispatchSingle, single: "message", sentinel: "[DONE]", hasSentinel: true, decode: rtDecode,
				text: &valuePath{event: "message", path: []any{"choices", 0, "delta", "content"}}, usage: &valuePath{event: "message", path: []any{"usage"}}},
			[]string{frame("", `{"choices":[{"delta":{"content":"Hel"}}]}`), frame("", `{"choices":[{"delta":{"content":"lo"}}],"usage":null}`),
				frame("", `{"choices":[],"usage":{"total":5}}`), frame("", "[DONE]"), frame("", `{"after":"done"}`)},
			"message,message,message", "Hello", `{"total":5}`, nil},
		{"without its sentinel it did not end",
			&streamSpec{dispatch: dispatchSingle, single: "message", sentinel: "[DONE]", hasSentinel: true, decode: rtDecode},
			[]string{frame("", `{}`)}, "message", "", "", ErrStream},
		{"events named by a property of the data",
			&streamSpec{dispatch: dispatchProperty, property: "type", decode: rtDecode, terminal: map[string]bool{"stop": true},
				text: &valuePath{event: "delta", path: []any{"delta", "text"}}},
			[]string{frame("start", `{"type":"start"}`), frame("delta", `{"type":"delta","delta":{"text":"Hi"}}`), frame("x", `{"type":"stop"}`)},
			"start,delta,stop", "Hi", "", nil},
		{"a frame naming no event",
			&streamSpec{dispatch: dispatchProperty, property: "type", decode: rtDecode},
			[]string{frame("", `{"no_type":1}`)}, "", "", "", ErrStream},
		{"text data, ended by the connection closing",
			&streamSpec{dispatch: dispatchEvent, eofEnds: true, decode: rtDecode, text: &valuePath{event: "add", text: true}},
			[]string{frame("add", "Hello, "), frame("other", "1"), frame("add", "world")},
			"add,other,add", "Hello, world", "", nil},
		{"a malformed event",
			&streamSpec{dispatch: dispatchEvent, eofEnds: true, decode: rtDecode},
			[]string{frame("bad", `{"x":`)}, "", "", "", ErrStream},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, ts, _ := rtCore(t, rtSettings(), func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Request-ID", "req_s")
				rtSSE(w, tc.frames...)
			}, WithMaxRetries(1))
			s, err := newStream(context.Background(), c, tc.spec, &request{method: "GET", path: "/s"})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			events, text, err := rtDrainText(s)
			if rtNames(events) != tc.events || text != tc.text || string(s.Usage()) != tc.usage {
				t.Fatalf("events %q text %q usage %s", rtNames(events), text, s.Usage())
			}
			if tc.err == nil && err != nil || tc.err != nil && !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if s.RequestID() != "req_s" {
				t.Fatalf("request id %q", s.RequestID())
			}
			if tc.name == "without its sentinel it did not end" && len(ts.requests()) != 1 {
				t.Fatalf("%d requests: a started stream without a resume route is never re-sent", len(ts.requests()))
			}
		})
	}
}

func TestStreamResumesWithTheRoute(t *testing.T) {
	calls := 0
	c, ts, _ := rtCore(t, rtSettings(rtHeaderKey), func(w http.ResponseWriter, r *http.Request) {
		calls++
		switch calls {
		case 1:
			rtSSE(w, "id: 1\nevent: start\ndata: {\"run\":\"r1\"}\n\n", "id: 2\nevent: delta\ndata: {\"t\":\"a\"}\n\n")
		default:
			rtSSE(w, "id: 2\nevent: delta\ndata: {\"t\":\"a\"}\n\n", "id: 3\nevent: delta\ndata: {\"t\":\"b\"}\n\n", "id: 4\nevent: end\ndata: {}\n\n")
		}
	})
	spec := &streamSpec{dispatch: dispatchEvent, decode: rtDecode, terminal: map[string]bool{"end": true},
		text: &valuePath{event: "delta", path: []any{"t"}},
		resumeFrom: func(ev Event) *request {
			if ev.EventType() != "start" {
				return nil
			}
			return &request{method: "GET", path: "/runs/r1/stream", accept: "text/event-stream", security: [][]string{{"key"}}, lastEventIDHeader: "Last-Event-ID"}
		}}
	var logs bytes.Buffer
	s, err := newStream(context.Background(), c, spec, &request{method: "POST", path: "/send", security: [][]string{{"key"}}, idempotent: true,
		opts: []Option{WithLogger(slog.New(slog.NewTextHandler(&logs, nil))), WithJSONSet("extra", 1)}})
	if err != nil {
		t.Fatal(err)
	}
	events, text, err := rtDrainText(s)
	if err != nil || rtNames(events) != "start,delta,delta,end" || text != "ab" {
		t.Fatalf("%q %q %v", rtNames(events), text, err)
	}
	r := ts.requests()
	// The resume has the call's options, but not its body's: a GET with no body.
	if len(r) != 2 || r[1].path != "/runs/r1/stream" || r[1].header.Get("Last-Event-ID") != "2" || r[1].header.Get("X-Key") != rtSecret ||
		r[0].body != `{"extra":1}` || r[1].body != "" {
		t.Fatalf("%+v", r)
	}
	if !strings.Contains(logs.String(), "resuming the stream with GET /runs/r1/stream, Last-Event-ID 2") || strings.Contains(logs.String(), rtSecret) {
		t.Fatalf("logs:\n%s", logs.String())
	}
}

func TestUntilDone(t *testing.T) {
	spec := &streamSpec{dispatch: dispatchEvent, decode: rtDecode, terminal: map[string]bool{"done": true, "error": true},
		failure: map[string]bool{"error": true}, text: &valuePath{event: "content", path: []any{"content"}},
		output: &valuePath{event: "done", path: []any{"output"}, textKeys: []string{"content"}}, usage: &valuePath{event: "done", path: []any{"usage"}}}
	c, _, _ := rtCore(t, rtSettings(), func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			rtSSE(w, "event: content\ndata: {\"content\":\"x\"}\n\n", "event: error\ndata: {\"message\":\"boom\"}\n\n")
			return
		}
		rtSSE(w, "event: content\ndata: {\"content\":\"Hi\"}\n\n", "event: done\ndata: {\"output\":{\"content\":\"Hi!\"},\"usage\":{\"total\":3}}\n\n")
	})
	s, _ := newStream(context.Background(), c, spec, &request{method: "GET", path: "/ok"})
	res, err := s.UntilDone()
	if err != nil || res.Text != "Hi" || res.OutputText != "Hi!" || string(res.Output) != `{"content":"Hi!"}` || string(res.Usage) != `{"total":3}` {
		t.Fatalf("%+v %v", res, err)
	}
	s, _ = newStream(context.Background(), c, spec, &request{method: "GET", path: "/fail"})
	res, err = s.UntilDone()
	var e *Error
	if res != nil || !errors.As(err, &e) || e.Kind != ErrStream || e.Event.EventType() != "error" || e.Data != `{"message":"boom"}` {
		t.Fatalf("%+v %v", res, err)
	}
}

func TestNilStream(t *testing.T) {
	var s *Stream
	if s.Next() || s.Current() != nil || !errors.Is(s.Err(), ErrStream) || s.Close() != nil || s.Delta() != "" || s.RequestID() != "" {
		t.Fatal("a nil stream")
	}
	if _, err := s.UntilDone(); !errors.Is(err, ErrStream) {
		t.Fatal(err)
	}
	c, _, _ := rtCore(t, rtSettings(), func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(404) }, WithMaxRetries(0))
	s, err := newStream(context.Background(), c, &streamSpec{decode: rtDecode}, &request{method: "GET", path: "/s"})
	if s != nil || !errors.Is(err, ErrNotFound) {
		t.Fatalf("%v %v: a failed open returns nil and the error", s, err)
	}
}

// ---- Logging -----------------------------------------------------------------

func TestLogging(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	calls := 0
	c, _, _ := rtCore(t, rtSettings(rtHeaderKey), func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.Header().Set("X-Request-ID", fmt.Sprint("req_", calls))
		if calls == 1 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(503)
			return
		}
		io.WriteString(w, `{}`)
	}, WithLogger(logger))
	if err := c.call(context.Background(), &request{method: "GET", path: "/things/1", security: [][]string{{"key"}}, query: url.Values{"q": {"v"}}}); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	for _, want := range []string{"GET /things/1 -> 503 in ", "request_id req_1", "retrying GET /things/1 in 0 ms: 503", "GET /things/1 -> 200 in ", "status=200"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, rtSecret) || strings.Contains(out, "request headers") || strings.Contains(out, "q=v") {
		t.Fatalf("info logs too much:\n%s", out)
	}
	// The environment switch, and nothing without it.
	t.Setenv("RT_LOG", "debug")
	if l := envLogger("RT_LOG"); l == nil || !l.Enabled(context.Background(), slog.LevelDebug) {
		t.Fatal("RT_LOG=debug")
	}
	t.Setenv("RT_LOG", "")
	if envLogger("RT_LOG") != nil {
		t.Fatal("logging without RT_LOG")
	}
	quiet, _, _ := rtCore(t, rtSettings(), func(w http.ResponseWriter, r *http.Request) {})
	if quiet.cfg.logger != nil {
		t.Fatal("a logger without WithLogger or RT_LOG")
	}
}

// ---- Pages -------------------------------------------------------------------

func TestPageRequestID(t *testing.T) {
	c, _, _ := rtCore(t, rtSettings(), func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-ID", "req_p")
		io.WriteString(w, `{"items":[{"name":"a"}],"info":{"total":1,"page":1,"limit":10}}`)
	})
	page := &Page[struct{ Name string }]{}
	if err := getPage(context.Background(), c, &request{method: "GET", path: "/l"}, page, "items", "info", nil, ""); err != nil {
		t.Fatal(err)
	}
	if page.RequestID() != "req_p" || len(page.Data) != 1 || page.Data[0].Name != "a" || page.Meta.Total != 1 {
		t.Fatalf("%+v", page)
	}
}

// ---- Timeouts ----------------------------------------------------------------

func TestRequestTimeoutIsPerCall(t *testing.T) {
	c, _, _ := rtCore(t, rtSettings(), func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{}`) }, WithTimeout(time.Minute))
	p, err := c.prepare(&request{method: "GET", path: "/x", opts: []Option{WithRequestTimeout(time.Second), WithMaxRetries(5)}})
	if err != nil || p.cfg.timeout != time.Second || p.cfg.maxRetries != 5 || c.cfg.timeout != time.Minute {
		t.Fatalf("%v %v", err, p.cfg)
	}
}
