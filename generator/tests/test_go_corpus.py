"""The Go target on the corpus of public specs (generator/tests/specs/) and our own openapi.yaml:
every spec generates with no dropped operation, gofmt- and `go vet`-clean, with a method per
IR operation; and a smoke test per spec runs the generated client against an httptest stub
that answers in that API's real style: OpenAI's data-only chunks ended by `data: [DONE]`,
bearer auth, a bare JSON object, multipart upload, binary audio and its SSE variant;
Anthropic's `event:` names with the `type` inside the data and `x-api-key`; OpenAPI 3.2
`itemSchema` streams (text data, JSON data, a stream ended by the connection closing);
Petstore's integer path parameters, inline arrays, octet-stream upload and API key header;
Stripe's form bodies, deepObject queries, basic auth and a response union.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sdkgen.builder import build_ir
from sdkgen.cli import generate
from sdkgen.spec import load_spec

HERE = Path(__file__).resolve().parent
SPECS = HERE / "specs"
ROOT = HERE.parent.parent
GO = shutil.which("go")
CORPUS = sorted(SPECS.glob("*.yaml")) + [ROOT / "openapi.yaml"]
ENV = {**os.environ, "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local"}

pytestmark = pytest.mark.skipif(GO is None, reason="the Go toolchain is not installed")


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=ENV, check=False, timeout=600)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed in {cwd}:\n{proc.stdout}\n{proc.stderr}"
    return proc


def _generated(tmp: Path, spec: Path) -> tuple[object, Path]:
    ir = build_ir(load_spec(spec))
    assert not ir.dropped, [str(d) for d in ir.dropped]
    out = tmp / spec.stem
    generate(ir, spec, "go", out)
    return ir, out


@pytest.mark.parametrize("spec", CORPUS, ids=[p.stem for p in CORPUS])
def test_spec_generates_and_vets(spec: Path, tmp_path: Path) -> None:
    ir, out = _generated(tmp_path, spec)
    proc = subprocess.run(["gofmt", "-l", "."], cwd=out, capture_output=True, text=True, check=False)
    assert proc.stdout == "", f"not gofmt-clean: {proc.stdout}"
    _run(["go", "vet", "./..."], out)
    sources = "".join(p.read_text() for p in out.glob("*_service.go"))
    api = (out / "api.md").read_text()
    for resource in ir.resources:  # type: ignore[attr-defined]
        for op in resource.operations:
            sig = f"func (s *{resource.name.go_type}Service) {op.name.go_member}("
            assert sig in sources, f"{op.key}: no method {sig}"
            assert f"### {resource.name.go_type}Service.{op.name.go_member}\n" in api, f"{op.key} is not in api.md"
    for stream in ir.streams.values():  # type: ignore[attr-defined]
        for ev in stream.events:
            assert f"`*{ev.name.go_type}`" in api, f"event {ev.event!r} is not in api.md"


SMOKE: dict[str, str] = {}

SMOKE["openai-chat"] = r'''
package openai_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	openai "example.com/openai-subset"
)

func chunk(content string) string {
	return `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"` +
		content + `"},"finish_reason":null}]}` + "\n\n"
}

func user(text string) openai.ChatCompletionRequestMessage {
	return openai.ChatCompletionRequestMessage{ChatCompletionRequestUserMessage: &openai.ChatCompletionRequestUserMessage{
		Role: "user", Content: &openai.ChatCompletionRequestUserMessageContent{String: openai.String(text)}}}
}

func TestOpenAI(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("Authorization") != "Bearer sk-test" {
			w.WriteHeader(401)
			io.WriteString(w, `{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`)
			return
		}
		var req map[string]any
		json.Unmarshal(body, &req)
		switch r.URL.Path {
		case "/chat/completions":
			if req["stream"] == true {
				if r.Header.Get("Accept") != "text/event-stream" {
					t.Errorf("Accept %q", r.Header.Get("Accept"))
				}
				w.Header().Set("Content-Type", "text/event-stream")
				io.WriteString(w, chunk("Hel")+chunk("lo")+
					`data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}`+"\n\n"+
					"data: [DONE]\n\n")
				return
			}
			if req["stream"] != false || req["model"] != "gpt-4o" {
				t.Errorf("plain call body %s", body)
			}
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Request-ID", "req_1")
			io.WriteString(w, `{"id":"c1","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"Hello","refusal":null},"finish_reason":"stop","logprobs":null}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}`)
		case "/models/gpt-4o":
			io.WriteString(w, `{"id":"gpt-4o","object":"model","created":1686935002,"owned_by":"openai"}`)
		case "/models":
			io.WriteString(w, `{"object":"list","data":[{"id":"gpt-4o","object":"model","created":1,"owned_by":"openai"}]}`)
		case "/audio/speech":
			if req["stream_format"] == "sse" {
				w.Header().Set("Content-Type", "text/event-stream")
				io.WriteString(w, "data: {\"type\":\"speech.audio.delta\",\"audio\":\"AAAA\"}\n\n"+
					"data: {\"type\":\"speech.audio.done\",\"usage\":{\"input_tokens\":4,\"output_tokens\":9,\"total_tokens\":13}}\n\n")
				return
			}
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write([]byte{0x49, 0x44, 0x33})
		case "/files":
			_, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
			form, err := multipart.NewReader(bytes.NewReader(body), params["boundary"]).ReadForm(1 << 20)
			if err != nil || form.Value["purpose"][0] != "batch" || form.File["file"][0].Filename != "file" {
				t.Errorf("multipart %v %v", form, err)
			}
			f, _ := form.File["file"][0].Open()
			content, _ := io.ReadAll(f)
			if string(content) != `{"custom_id":"1"}` {
				t.Errorf("file %q", content)
			}
			io.WriteString(w, `{"id":"file-1","object":"file","bytes":17,"created_at":1,"filename":"file","purpose":"batch","status":"processed"}`)
		default:
			w.WriteHeader(404)
			io.WriteString(w, `{"error":{"message":"not found","type":"invalid_request_error","param":null,"code":null}}`)
		}
	}))
	defer server.Close()
	client := openai.NewClient("sk-test", openai.WithBaseURL(server.URL), openai.WithMaxRetries(0))
	ctx := context.Background()
	params := &openai.CreateChatCompletionParams{Model: "gpt-4o", Messages: []openai.ChatCompletionRequestMessage{user("Hi")}}

	var resp *http.Response
	completion, err := client.Chat.CreateChatCompletion(ctx, params, openai.WithResponseInto(&resp))
	if err != nil || *completion.Choices[0].Message.Content != "Hello" || resp.Header.Get("X-Request-ID") != "req_1" {
		t.Fatalf("%+v, %v", completion, err)
	}

	stream, err := client.Chat.CreateChatCompletionStream(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	text := ""
	for ev, err := range stream.All() {
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := ev.(*openai.CreateChatCompletionStreamResponseEvent); !ok {
			t.Fatalf("event %T", ev)
		}
		n++
		text += stream.Delta()
	}
	var usage struct{ TotalTokens int `json:"total_tokens"` }
	json.Unmarshal(stream.Usage(), &usage)
	if n != 3 || text != "Hello" || usage.TotalTokens != 5 {
		t.Fatalf("%d events, text %q, usage %s", n, text, stream.Usage())
	}

	model, err := client.Models.RetrieveModel(ctx, "gpt-4o")
	if err != nil || model.ID != "gpt-4o" || model.OwnedBy != "openai" {
		t.Fatalf("%+v, %v", model, err)
	}
	list, err := client.Models.ListModels(ctx)
	if err != nil || len(list.Data) != 1 || list.Data[0].ID != "gpt-4o" {
		t.Fatalf("%+v, %v", list, err)
	}
	if _, err := client.Models.RetrieveModel(ctx, "nope"); !errors.Is(err, openai.ErrNotFound) {
		t.Fatalf("err = %v", err)
	}

	speech := &openai.CreateSpeechParams{Model: "tts-1", Input: "Hi", Voice: &openai.VoiceIdsOrCustomVoice{String: openai.String("alloy")}}
	audio, err := client.Audio.CreateSpeech(ctx, speech)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(audio.Body)
	audio.Body.Close()
	if string(data) != "ID3" {
		t.Fatalf("audio %q", data)
	}
	result, err := func() (*openai.StreamResult, error) {
		s, err := client.Audio.CreateSpeechStream(ctx, speech)
		if err != nil {
			return nil, err
		}
		return s.UntilDone()
	}()
	if err != nil || !strings.Contains(string(result.Usage), `"total_tokens":13`) {
		t.Fatalf("%+v, %v", result, err)
	}

	file, err := client.Files.CreateFile(ctx, &openai.CreateFileParams{Purpose: "batch", File: strings.NewReader(`{"custom_id":"1"}`)})
	if err != nil || file.ID != "file-1" {
		t.Fatalf("%+v, %v", file, err)
	}

	t.Setenv("OPENAI_API_KEY", "")
	if _, err := openai.NewClient("", openai.WithBaseURL(server.URL)).Models.ListModels(ctx); !errors.Is(err, openai.ErrInvalidArgument) ||
		!strings.Contains(err.Error(), "OPENAI_API_KEY") {
		t.Fatalf("err = %v", err)
	}
	if _, err := openai.NewClient("wrong", openai.WithBaseURL(server.URL)).Models.ListModels(ctx); !errors.Is(err, openai.ErrAuthentication) {
		t.Fatalf("err = %v", err)
	}
}
'''

SMOKE["anthropic-messages"] = r'''
package anthropic_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"example.com/anthropic-subset"
)

const messageStream = "event: message_start\n" +
	`data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"output_tokens":1}}}` + "\n\n" +
	"event: content_block_start\n" + `data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}` + "\n\n" +
	"event: ping\n" + `data: {"type": "ping"}` + "\n\n" +
	"event: content_block_delta\n" + `data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}` + "\n\n" +
	"event: content_block_delta\n" + `data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"!"}}` + "\n\n" +
	"event: content_block_stop\n" + `data: {"type":"content_block_stop","index":0}` + "\n\n" +
	"event: message_delta\n" + `data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}` + "\n\n" +
	"event: message_stop\n" + `data: {"type":"message_stop"}` + "\n\n"

func TestAnthropic(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("x-api-key") != "sk-ant" {
			w.WriteHeader(401)
			io.WriteString(w, `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`)
			return
		}
		switch {
		case r.URL.Path == "/v1/messages" && strings.Contains(string(body), `"stream":true`):
			w.Header().Set("Content-Type", "text/event-stream")
			if strings.Contains(string(body), "overload") {
				io.WriteString(w, "event: error\n"+`data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`+"\n\n")
				return
			}
			io.WriteString(w, messageStream)
		case r.URL.Path == "/v1/messages":
			io.WriteString(w, `{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":"Hello!"}],"model":"claude-sonnet-4-5","stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":25,"output_tokens":15}}`)
		default:
			w.WriteHeader(404)
			io.WriteString(w, `{"type":"error","error":{"type":"not_found_error","message":"Not found"}}`)
		}
	}))
	defer server.Close()
	client := anthropic.NewClient("sk-ant", anthropic.WithBaseURL(server.URL), anthropic.WithMaxRetries(0))
	ctx := context.Background()
	params := func(text string) *anthropic.MessagesPostParams {
		return &anthropic.MessagesPostParams{Model: "claude-sonnet-4-5", MaxTokens: 1024,
			Messages: []anthropic.InputMessage{{Role: "user", Content: &anthropic.InputMessageContent{String: anthropic.String(text)}}}}
	}

	msg, err := client.Messages.MessagesPost(ctx, params("Hi"))
	if err != nil || msg.ID != "msg_1" || msg.Content[0].ResponseTextBlock == nil || msg.Content[0].ResponseTextBlock.Text != "Hello!" {
		t.Fatalf("%+v, %v", msg, err)
	}

	stream, err := client.Messages.MessagesPostStream(ctx, params("Hi"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	text := ""
	for stream.Next() {
		ev := stream.Current()
		names = append(names, ev.EventType())
		text += stream.Delta()
		if d, ok := ev.(*anthropic.ContentBlockDeltaEvent); ok && d.Delta.TextContentBlockDelta == nil {
			t.Fatalf("delta %+v", d.Delta)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	want := "message_start content_block_start ping content_block_delta content_block_delta content_block_stop message_delta message_stop"
	if strings.Join(names, " ") != want || text != "Hello!" || !strings.Contains(string(stream.Usage()), `"output_tokens":15`) {
		t.Fatalf("%v %q %s", names, text, stream.Usage())
	}

	// An error event ends the stream as a failed run.
	stream, err = client.Messages.MessagesPostStream(ctx, params("overload"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = stream.UntilDone()
	var e *anthropic.Error
	if !errors.As(err, &e) || !errors.Is(err, anthropic.ErrStream) {
		t.Fatalf("err = %v", err)
	}
	if ev, ok := e.Event.(*anthropic.ErrorEvent); !ok || ev.Error == nil {
		t.Fatalf("event %#v", e.Event)
	}
	if _, err := anthropic.NewClient("bad", anthropic.WithBaseURL(server.URL)).Messages.MessagesPost(ctx, params("x")); !errors.Is(err, anthropic.ErrAuthentication) ||
		!strings.Contains(err.Error(), "invalid x-api-key") {
		t.Fatalf("err = %v", err)
	}
}
'''

SMOKE["oas32-itemschema"] = r'''
package streams_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"example.com/streams"
)

func TestItemSchemaStreams(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		switch r.URL.Path {
		case "/events":
			io.WriteString(w, "event: addString\ndata: Hello, \n\nevent: addJson\ndata: {\"foo\": 3}\n\nevent: addInt64\ndata: 7\n\nevent: addString\ndata: world\n\n")
		case "/todos/stream":
			io.WriteString(w, "data: {\"id\":1,\"title\":\"a\",\"isComplete\":false}\n\ndata: {\"id\":2,\"title\":\"b\",\"isComplete\":true}\n\n")
		case "/pets/stream":
			io.WriteString(w, "event: Kitten\ndata: {\"name\":\"Tom\",\"age\":1}\n\nevent: Puppy\ndata: {\"name\":\"Rex\"}\n\n")
		case "/broken":
		}
	}))
	defer server.Close()
	client := streams.NewClient(streams.WithBaseURL(server.URL), streams.WithMaxRetries(0))
	ctx := context.Background()

	stream, err := client.Events.StreamTypedData(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	text := ""
	for ev, err := range stream.All() {
		if err != nil {
			t.Fatal(err)
		}
		text += stream.Delta()
		switch e := ev.(type) {
		case *streams.AddStringEvent:
			got = append(got, "s:"+e.Data)
		case *streams.AddJSONEvent:
			if e.Foo != 3 {
				t.Fatalf("%+v", e)
			}
			got = append(got, "json")
		case *streams.AddInt64Event:
			got = append(got, "i:"+e.Data)
		}
	}
	// The connection closing ends these streams cleanly.
	if stream.Err() != nil || strings.Join(got, ",") != "s:Hello, ,json,i:7,s:world" || text != "Hello, world" {
		t.Fatalf("%v %q %v", got, text, stream.Err())
	}

	todos, err := client.Todos.StreamTodos(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for todos.Next() {
		ids = append(ids, todos.Current().(*streams.TodoEvent).ID)
	}
	if todos.Err() != nil || len(ids) != 2 || ids[1] != 2 {
		t.Fatalf("%v %v", ids, todos.Err())
	}

	pets, err := client.Todos.StreamPets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	result, err := pets.UntilDone()
	if err != nil || result.Text != "" {
		t.Fatalf("%+v %v", result, err)
	}
	pets, _ = client.Todos.StreamPets(ctx)
	for pets.Next() {
		if k, ok := pets.Current().(*streams.KittenEvent); ok && (k.Data == nil || k.Data.Kitten == nil || k.Data.Kitten.Name != "Tom") {
			t.Fatalf("kitten %+v", k.Data)
		}
	}
	if pets.Err() != nil {
		t.Fatal(pets.Err())
	}
	_ = errors.Is
}
'''

SMOKE["petstore-3.0"] = r'''
package petstore_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"example.com/petstore"
)

func TestPetstore(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == "GET" && r.URL.Path == "/pet/10":
			if r.Header.Get("api_key") != "special-key" {
				w.WriteHeader(401)
				return
			}
			io.WriteString(w, `{"id":10,"name":"doggie","category":{"id":1,"name":"Dogs"},"photoUrls":["u"],"tags":[{"id":0,"name":"t"}],"status":"available"}`)
		case r.Method == "GET" && r.URL.Path == "/pet/findByStatus":
			if r.URL.Query().Get("status") != "sold" || r.Header.Get("Authorization") != "Bearer tok" {
				t.Errorf("query %q auth %q", r.URL.RawQuery, r.Header.Get("Authorization"))
			}
			io.WriteString(w, `[{"id":1,"name":"a","photoUrls":[]},{"id":2,"name":"b","photoUrls":[]}]`)
		case r.Method == "GET" && r.URL.Path == "/pet/findByTags":
			if r.URL.RawQuery != "tags=a&tags=b" {
				t.Errorf("query %q", r.URL.RawQuery)
			}
			io.WriteString(w, `[]`)
		case r.Method == "POST" && r.URL.Path == "/pet/10/uploadImage":
			if string(body) != "PNG" || r.Header.Get("Content-Type") != "application/octet-stream" || r.URL.Query().Get("additionalMetadata") != "m" {
				t.Errorf("upload %q %q", body, r.Header.Get("Content-Type"))
			}
			io.WriteString(w, `{"code":200,"type":"unknown","message":"ok"}`)
		case r.Method == "GET" && r.URL.Path == "/store/inventory":
			io.WriteString(w, `{"available":3,"sold":1}`)
		case r.Method == "DELETE" && r.URL.Path == "/store/order/5":
			w.WriteHeader(200)
		default:
			w.WriteHeader(404)
			io.WriteString(w, `{"code":404,"type":"error","message":"Pet not found"}`)
		}
	}))
	defer server.Close()
	client := petstore.NewClient("special-key", petstore.WithBaseURL(server.URL), petstore.WithPetstoreAuth("tok"), petstore.WithMaxRetries(0))
	ctx := context.Background()

	// A bare object (no {data} envelope), an integer path parameter.
	pet, err := client.Pet.GetPetByID(ctx, 10)
	if err != nil || pet.Name != "doggie" || *pet.ID != 10 || pet.Category.Name == nil || *pet.Category.Name != "Dogs" {
		t.Fatalf("%+v, %v", pet, err)
	}
	if _, err := client.Pet.GetPetByID(ctx, 11); !errors.Is(err, petstore.ErrNotFound) {
		t.Fatalf("err = %v", err)
	}
	pets, err := client.Pet.FindPetsByStatus(ctx, &petstore.FindPetsByStatusParams{Status: "sold"})
	if err != nil || len(pets) != 2 || pets[1].Name != "b" {
		t.Fatalf("%+v, %v", pets, err)
	}
	if _, err := client.Pet.FindPetsByTags(ctx, &petstore.FindPetsByTagsParams{Tags: []string{"a", "b"}}); err != nil {
		t.Fatal(err)
	}
	reply, err := client.Pet.UploadFile(ctx, 10, stringsReader("PNG"), &petstore.UploadFileParams{AdditionalMetadata: "m"})
	if err != nil || reply.Message != "ok" {
		t.Fatalf("%+v, %v", reply, err)
	}
	inventory, err := client.Store.GetInventory(ctx)
	if err != nil || inventory["available"] != 3 {
		t.Fatalf("%v, %v", inventory, err)
	}
	if err := client.Store.DeleteOrder(ctx, 5); err != nil {
		t.Fatal(err)
	}
	// An operation needing the OAuth token, without one: refused before sending.
	bare := petstore.NewClient("special-key", petstore.WithBaseURL(server.URL))
	t.Setenv("PETSTORE_PETSTORE_AUTH", "")
	if _, err := bare.Pet.FindPetsByStatus(ctx, nil); !errors.Is(err, petstore.ErrInvalidArgument) {
		t.Fatalf("err = %v", err)
	}
}

type reader struct{ s string }

func (r *reader) Read(p []byte) (int, error) {
	if r.s == "" {
		return 0, io.EOF
	}
	n := copy(p, r.s)
	r.s = r.s[n:]
	return n, nil
}

func stringsReader(s string) io.Reader { return &reader{s} }
'''

SMOKE["stripe-customers"] = r'''
package stripe_test

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"example.com/stripe-subset"
)

const customer = `{"id":"cus_1","object":"customer","created":1,"livemode":false,"balance":0,"email":"a@b.c","invoice_prefix":"X","name":"Jenny"}`

func TestStripe(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == "POST" && r.URL.Path == "/v1/customers":
			if r.Header.Get("Authorization") != "Basic "+base64.StdEncoding.EncodeToString([]byte("sk_test:")) {
				t.Errorf("auth %q", r.Header.Get("Authorization"))
			}
			form, _ := url.ParseQuery(string(body))
			if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || form.Get("name") != "Jenny" ||
				form.Get("address[city]") != "Paris" || form.Get("metadata[tier]") != "gold" || form.Get("expand[0]") != "default_source" {
				t.Errorf("form %q", body)
			}
			io.WriteString(w, customer)
		case r.Method == "GET" && r.URL.Path == "/v1/customers":
			if r.URL.Query().Get("created[gte]") != "100" || r.URL.Query().Get("limit") != "3" {
				t.Errorf("query %q", r.URL.RawQuery)
			}
			io.WriteString(w, `{"object":"list","url":"/v1/customers","has_more":false,"data":[`+customer+`]}`)
		case r.Method == "GET" && r.URL.Path == "/v1/customers/cus_2":
			io.WriteString(w, `{"id":"cus_2","object":"customer","deleted":true}`)
		case r.Method == "GET" && r.URL.Path == "/v1/customers/cus_1":
			io.WriteString(w, customer)
		default:
			w.WriteHeader(404)
			io.WriteString(w, `{"error":{"type":"invalid_request_error","message":"No such customer"}}`)
		}
	}))
	defer server.Close()
	client := stripe.NewClient("", stripe.WithBasicAuth("sk_test", ""), stripe.WithBaseURL(server.URL), stripe.WithMaxRetries(0))
	ctx := context.Background()

	c, err := client.Default.PostCustomers(ctx, &stripe.PostCustomersParams{
		Name:     stripe.String("Jenny"),
		Address:  &stripe.PostCustomersRequestAddress{PostCustomersRequestAddressOption1: &stripe.PostCustomersRequestAddressOption1{Line1: "1 rue", City: stripe.String("Paris")}},
		Metadata: map[string]string{"tier": "gold"},
		Expand:   []string{"default_source"},
	})
	if err != nil || c.ID != "cus_1" || c.Name == nil || *c.Name != "Jenny" {
		t.Fatalf("%+v, %v", c, err)
	}
	list, err := client.Default.GetCustomers(ctx, &stripe.GetCustomersParams{
		Created: &stripe.GetCustomersCreated{GetCustomersCreatedOption1: &stripe.GetCustomersCreatedOption1{Gte: stripe.Int(100)}},
		Limit:   stripe.Int(3),
	})
	if err != nil || len(list.Data) != 1 || list.Data[0].ID != "cus_1" {
		t.Fatalf("%+v, %v", list, err)
	}
	got, err := client.Default.GetCustomersCustomer(ctx, "cus_1", nil)
	if err != nil || got.Customer == nil || got.Customer.ID != "cus_1" || got.DeletedCustomer != nil {
		t.Fatalf("%+v, %v", got, err)
	}
	gone, err := client.Default.GetCustomersCustomer(ctx, "cus_2", nil)
	if err != nil || gone.DeletedCustomer == nil || gone.Customer != nil {
		t.Fatalf("%+v, %v", gone, err)
	}
}
'''


@pytest.mark.parametrize("name", sorted(SMOKE))
def test_smoke(name: str, tmp_path: Path) -> None:
    _, out = _generated(tmp_path, SPECS / f"{name}.yaml")
    (out / "smoke_test.go").write_text(SMOKE[name])
    _run(["go", "vet", "./..."], out)
    _run(["go", "test", "-count=1", "-run", "Test", "."], out)


def test_every_streaming_spec_has_a_smoke_test() -> None:
    for spec in sorted(SPECS.glob("*.yaml")):
        ir = build_ir(load_spec(spec))
        if ir.streams and spec.stem != "adversarial":
            assert spec.stem in SMOKE, f"{spec.name} streams but has no smoke test"
            for stream in ir.streams.values():
                for op in stream.operations:
                    key = op.split(":")[0]
                    assert re.search(r"\b" + re.escape(_method(ir, op)) + r"\(", SMOKE[spec.stem]), (spec.stem, key)


def _method(ir: object, key: str) -> str:
    op = next(o for o in ir.operations if o.key == key)  # type: ignore[attr-defined]
    return str(op.name.go_member)
