"""The Python target on the corpus of public specs (generator/tests/specs/): every spec
generates with no dropped operation, every operation is a method of its resource (sync,
async, raw and streamed-response), the SDKs are `mypy --strict` clean and import, and a
smoke test per spec calls the API through respx in its real wire style: OpenAI's data-only
frames ended by `[DONE]`, Anthropic's named events told apart by `type`, OpenAPI 3.2
`itemSchema` streams ended by the connection closing, Petstore's bare JSON, binary bodies and
integer paths, Stripe's form bodies, deepObject queries and basic auth.

Each smoke test runs in its own interpreter (two specs share the package name `petstore`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sdkgen.builder import build_ir
from sdkgen.cli import generate
from sdkgen.spec import load_spec

HERE = Path(__file__).resolve().parent
SPECS = sorted((HERE / "specs").glob("*.yaml"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    """Each spec's SDK: (its src folder, its package)."""
    out: dict[str, tuple[Path, str]] = {}
    for spec in SPECS:
        ir = build_ir(load_spec(spec))
        assert not ir.dropped, f"{spec.name} drops: {[str(d) for d in ir.dropped]}"
        dest = tmp_path_factory.mktemp(spec.stem)
        generate(ir, spec, "python", dest)
        out[spec.stem] = (dest / "src", ir.sdk.python_package)
    return out


def _run(src: Path, code: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(src)}
    env.pop("PROMPTRAILS_LOG", None)
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env, check=False,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-8000:]
    return proc.stdout


def test_the_corpus_is_complete() -> None:
    assert {s.stem for s in SPECS} >= {
        "openai-chat", "anthropic-messages", "petstore-3.0", "petstore-3.1", "stripe-customers",
        "oas32-itemschema", "adversarial",
    }


@pytest.mark.parametrize("spec", [s.stem for s in SPECS])
def test_every_operation_is_a_method(corpus: dict[str, tuple[Path, str]], spec: str) -> None:
    ir = build_ir(load_spec(HERE / "specs" / f"{spec}.yaml"))
    wanted = [(r.name.python_member, op.name.python_member) for r in ir.resources for op in r.operations]
    src, pkg = corpus[spec]
    client = ir.sdk.name.python_type
    out = _run(
        src,
        f"""
        import inspect, {pkg} as sdk
        wanted = {wanted!r}
        creds = {{a.option: ("u", "p") if a.kind == "basic" else "k" for a in sdk._client._IDENTITY.auth}}
        sync = sdk.{client}(**creds, base_url="http://127.0.0.1:9")
        asyn = sdk.Async{client}(**creds, base_url="http://127.0.0.1:9")
        missing = []
        for res, meth in wanted:
            for c in (sync, asyn):
                r = getattr(c, res)
                for holder in (r, r.with_raw_response, r.with_streaming_response):
                    if not callable(getattr(holder, meth, None)):
                        missing.append((type(c).__name__, res, meth))
            method = getattr(getattr(asyn, res), meth)
            if not inspect.iscoroutinefunction(method) and not method.__annotations__["return"].startswith("AsyncPager"):
                missing.append(("not async", res, meth))
        print("methods", len(wanted), "missing", missing)
        """,
    )
    assert f"methods {len(wanted)} missing []" in out, out


def test_mypy_strict(corpus: dict[str, tuple[Path, str]], tmp_path: Path) -> None:
    # Two runs: petstore-3.0 and petstore-3.1 are both the package `petstore`.
    groups: list[list[str]] = [[], []]
    seen: set[str] = set()
    for spec, (_, pkg) in sorted(corpus.items()):
        groups[pkg in seen].append(spec)
        seen.add(pkg)
    for i, group in enumerate(groups):
        if not group:
            continue
        targets = [str(corpus[s][0] / corpus[s][1]) for s in group]
        cmd = [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", "--cache-dir", str(tmp_path / f"c{i}"),
               *targets]
        proc = subprocess.run(cmd, capture_output=True, check=False, text=True, cwd=tmp_path, timeout=900)
        assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]


OPENAI = r"""
import asyncio, json, httpx, respx
from openai_subset import (
    OpenAi, AsyncOpenAi, CreateChatCompletionStreamResponseEvent, CreateChatCompletionResponse, SpeechAudioDeltaEvent,
    SpeechAudioDoneEvent, OpenAiFile, InvalidArgumentError,
)
CHUNK = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "gpt"}
chunks = [
    {**CHUNK, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]},
    {**CHUNK, "choices": [{"index": 0, "delta": {"content": "Hel"}, "finish_reason": None}]},
    {**CHUNK, "choices": [{"index": 0, "delta": {"content": "lo"}, "finish_reason": "stop"}]},
    {**CHUNK, "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}},
]
SSE = ("".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n").encode()
SPEECH = (b'data: {"type": "speech.audio.delta", "audio": "QUJD"}\n\n'
          b'data: {"type": "speech.audio.done", "usage": {"input_tokens": 4, "output_tokens": 9, "total_tokens": 13}}\n\n')
H = {"content-type": "text/event-stream"}
COMPLETION = {"id": "c1", "object": "chat.completion", "created": 1, "model": "gpt",
              "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi", "refusal": None},
                           "finish_reason": "stop", "logprobs": None}]}
with respx.mock(base_url="https://api.openai.com/v1") as m:
    chat = m.post("/chat/completions").mock(side_effect=lambda r: (
        httpx.Response(200, content=SSE, headers=H) if json.loads(r.content)["stream"]
        else httpx.Response(200, json=COMPLETION)))
    client = OpenAi("sk-test")
    args = dict(model="gpt", messages=[{"role": "user", "content": "Hi"}])
    events = list(client.chat.create_chat_completion_stream(**args))
    assert [type(e) for e in events] == [CreateChatCompletionStreamResponseEvent] * 4, events
    assert events[1].choices[0].delta.content == "Hel"
    sent = json.loads(chat.calls[0].request.content)
    assert sent == {"model": "gpt", "messages": [{"role": "user", "content": "Hi"}], "stream": True}, sent
    assert chat.calls[0].request.headers["authorization"] == "Bearer sk-test"
    assert chat.calls[0].request.headers["accept"] == "text/event-stream"
    result = client.chat.create_chat_completion_stream(**args).until_done()
    assert result.text == "Hello" and result.usage.total_tokens == 5 and result.terminal is None, result
    plain = client.chat.create_chat_completion(**args)
    assert isinstance(plain, CreateChatCompletionResponse) and plain.choices[0].message.content == "Hi"
    assert json.loads(chat.calls[-1].request.content)["stream"] is False

    async def run_async():
        async with AsyncOpenAi("sk-test") as ac:
            stream = await ac.chat.create_chat_completion_stream(**args)
            result = await stream.until_done()
            assert result.text == "Hello" and result.usage.prompt_tokens == 3
    asyncio.run(run_async())

    speech = m.post("/audio/speech").mock(side_effect=lambda r: (
        httpx.Response(200, content=SPEECH, headers=H) if json.loads(r.content)["stream_format"] == "sse"
        else httpx.Response(200, content=b"ID3-audio", headers={"content-type": "audio/mpeg"})))
    audio = client.audio.create_speech(model="tts", input="Hi", voice="alloy", response_format="mp3")
    assert audio == b"ID3-audio", audio
    assert json.loads(speech.calls[0].request.content)["stream_format"] == "audio"
    events = list(client.audio.create_speech_stream(model="tts", input="Hi", voice="alloy"))
    assert [type(e) for e in events] == [SpeechAudioDeltaEvent, SpeechAudioDoneEvent]
    done = client.audio.create_speech_stream(model="tts", input="Hi", voice="alloy").until_done()
    assert done.usage.total_tokens == 13 and isinstance(done.terminal, SpeechAudioDoneEvent)
    try:
        client.audio.create_speech(model="tts", input="Hi", voice="alloy", response_format="ogg")
    except InvalidArgumentError:
        pass
    else:
        raise AssertionError("an unlisted response_format was sent")

    upload = m.post("/files").respond(200, json={"id": "file-1", "object": "file", "bytes": 3, "created_at": 1,
                                                "filename": "a.jsonl", "purpose": "batch", "status": "uploaded"})
    f = client.files.create_file(file=("a.jsonl", b"{}\n", "application/jsonl"), purpose="batch")
    assert isinstance(f, OpenAiFile) and f.id == "file-1" and f.bytes == 3
    body = upload.calls[0].request.content
    ctype = upload.calls[0].request.headers["content-type"]
    assert ctype.startswith("multipart/form-data; boundary="), ctype
    assert b'name="file"; filename="a.jsonl"' in body and b'name="purpose"' in body and b"batch" in body

    m.get("/models/gpt%2F4").respond(200, json={"id": "gpt/4", "object": "model", "created": 1, "owned_by": "me"})
    assert client.models.retrieve_model("gpt/4").id == "gpt/4"
    raw = client.models.with_raw_response.retrieve_model("gpt/4")
    assert raw.status_code == 200 and raw.parse().owned_by == "me"
print("smoke ok")
"""

ANTHROPIC = r"""
import json, httpx, respx
from anthropic_subset import (
    Anthropic, ContentBlockDeltaEvent, ContentBlockStartEvent, ContentBlockStopEvent, ErrorEvent, Message,
    MessageDeltaEvent, MessageStartEvent, MessageStopEvent, PingEvent, StreamError, UnknownEvent,
)
def sse(name, data):
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"
MSG = {"id": "msg_1", "type": "message", "role": "assistant", "content": [], "model": "claude", "stop_reason": None,
       "stop_sequence": None, "usage": {"input_tokens": 5, "output_tokens": 1}}
OK = (sse("message_start", {"type": "message_start", "message": MSG})
      + sse("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})
      + sse("ping", {"type": "ping"})
      + sse("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello"}})
      + sse("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": " there"}})
      + sse("content_block_stop", {"type": "content_block_stop", "index": 0})
      + sse("novel_event", {"type": "novel_event", "x": 1})
      + sse("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                              "usage": {"output_tokens": 2}})
      + sse("message_stop", {"type": "message_stop"})).encode()
BAD = (sse("message_start", {"type": "message_start", "message": MSG})
       + sse("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})).encode()
H = {"content-type": "text/event-stream"}
ARGS = dict(model="claude", max_tokens=10, messages=[{"role": "user", "content": "Hi"}])
with respx.mock(base_url="https://api.anthropic.com") as m:
    route = m.post("/v1/messages").mock(side_effect=[
        httpx.Response(200, content=OK, headers=H), httpx.Response(200, content=OK, headers=H),
        httpx.Response(200, content=BAD, headers=H),
        httpx.Response(200, json={**MSG, "content": [{"type": "text", "text": "Hi!"}, {"type": "tool_use", "id": "t",
                                                                                     "name": "n", "input": {}}]}),
    ])
    client = Anthropic("key")
    events = list(client.messages.messages_post_stream(**ARGS, anthropic_version="2023-06-01"))
    assert [type(e) for e in events] == [MessageStartEvent, ContentBlockStartEvent, PingEvent, ContentBlockDeltaEvent,
                                         ContentBlockDeltaEvent, ContentBlockStopEvent, UnknownEvent, MessageDeltaEvent,
                                         MessageStopEvent], events
    assert events[6].event == "novel_event" and json.loads(events[6].data) == {"type": "novel_event", "x": 1}
    assert events[0].message.usage.input_tokens == 5 and events[3].delta.text == "Hello"
    request = route.calls[0].request
    assert request.headers["x-api-key"] == "key" and request.headers["anthropic-version"] == "2023-06-01"
    assert json.loads(request.content)["stream"] is True
    result = client.messages.messages_post_stream(**ARGS).until_done()
    assert result.text == "Hello there" and result.usage.output_tokens == 2, result
    assert isinstance(result.terminal, MessageStopEvent)
    try:
        client.messages.messages_post_stream(**ARGS).until_done()
    except StreamError as err:
        assert isinstance(err.event, ErrorEvent) and "Overloaded" in str(err), err
    else:
        raise AssertionError("an error event did not fail the run")
    message = client.messages.messages_post(**ARGS)
    assert isinstance(message, Message) and message.content[0].text == "Hi!"
    assert type(message.content[1]).__name__ == "ResponseToolUseBlock", message.content
    assert json.loads(route.calls[-1].request.content)["stream"] is False

    models = m.get("/v1/models").respond(200, json={"data": [{"type": "model", "id": "claude", "display_name": "C",
                                                               "created_at": "2025-01-01T00:00:00Z"}],
                                                      "has_more": False, "first_id": "claude", "last_id": "claude"})
    listed = client.models.models_list(limit=5, after_id="a b", anthropic_beta="x")
    assert listed.data[0].id == "claude" and listed.data[0].created_at.year == 2025
    assert models.calls[0].request.url.params["limit"] == "5"
    assert models.calls[0].request.url.params["after_id"] == "a b"
    assert models.calls[0].request.headers["anthropic-beta"] == "x"
print("smoke ok")
"""

OAS32 = r"""
import asyncio, httpx, respx
from streams import (
    Streams, AsyncStreams, AddStringEvent, AddInt64Event, AddJsonEvent, TodoEvent, KittenEvent, PuppyEvent,
    UnknownEvent, StreamError, Kitten,
)
TYPED = (b"event: addString\ndata: Hello \n\nevent: addInt64\ndata: 9007199254740993\n\n"
         b"event: addJson\ndata: {\"foo\": 1}\n\nevent: addString\ndata: world\n\nevent: other\ndata: x\n\n")
TODOS = b'data: {"id": 1, "title": "a", "dueBy": "2026-01-02", "isComplete": false}\n\ndata: {"id": 2, "title": null}\n\n'
PETS = b'event: Kitten\ndata: {"name": "Tom", "lives": 9}\n\nevent: Puppy\ndata: {"name": "Rex", "goodBoy": true}\n\n'
H = {"content-type": "text/event-stream"}
with respx.mock(base_url="https://streams.example.com") as m:
    m.get("/events").respond(200, content=TYPED, headers=H)
    m.get("/todos/stream").respond(200, content=TODOS, headers=H)
    m.get("/pets/stream").respond(200, content=PETS, headers=H)
    c = Streams()
    ev = list(c.events.stream_typed_data())
    assert [type(e) for e in ev] == [AddStringEvent, AddInt64Event, AddJsonEvent, AddStringEvent, UnknownEvent], ev
    assert ev[0].data == "Hello " and ev[1].data == "9007199254740993" and ev[2].foo == 1
    result = c.events.stream_typed_data().until_done()
    assert result.text == "Hello world" and result.terminal is None
    todos = list(c.todos.stream_todos())
    assert [t.id for t in todos] == [1, 2] and todos[0].due_by.isoformat() == "2026-01-02" and todos[1].title is None
    pets = list(c.todos.stream_pets())
    assert [type(p) for p in pets] == [KittenEvent, PuppyEvent] and pets[0].data.lives == 9, pets

    async def run_async():
        async with AsyncStreams() as ac:
            stream = await ac.events.stream_typed_data()
            assert (await stream.until_done()).text == "Hello world"
    asyncio.run(run_async())
    # A known event whose JSON is malformed is a StreamError, never a crash.
    m.get("/events").respond(200, content=b"event: addJson\ndata: {oops\n\n", headers=H)
    try:
        list(c.events.stream_typed_data())
    except StreamError as err:
        assert err.data == "{oops"
    else:
        raise AssertionError("malformed JSON passed")
print("smoke ok")
"""

PETSTORE = r"""
import json, httpx, respx
from petstore import Petstore, Pet, ApiResponse, NotFoundError, InvalidArgumentError
PET = {"id": 10, "name": "doggie", "photoUrls": ["u"], "status": "available", "category": {"id": 1, "name": "Dogs"},
       "tags": [{"id": 1, "name": "t"}]}
with respx.mock(base_url="https://petstore3.swagger.io/api/v3") as m:
    add = m.post("/pet").respond(200, json=PET)
    by_id = m.get("/pet/10").respond(200, json=PET)
    m.get("/pet/11").respond(404, json={"message": "Pet not found"})
    by_status = m.get("/pet/findByStatus").respond(200, json=[PET, {**PET, "id": 11}])
    upload = m.post("/pet/10/uploadImage").respond(200, json={"code": 200, "type": "ok", "message": "3 bytes"})
    client = Petstore(petstore_auth="tok", api_key="key", base_url="https://petstore3.swagger.io/api/v3")
    pet = client.pet.add_pet(name="doggie", photo_urls=["u"], status="available")
    assert isinstance(pet, Pet) and pet.id == 10 and pet.category.name == "Dogs" and pet.photo_urls == ["u"]
    assert json.loads(add.calls[0].request.content) == {"name": "doggie", "photoUrls": ["u"], "status": "available"}
    assert add.calls[0].request.headers["authorization"] == "Bearer tok"
    got = client.pet.get_pet_by_id(10)
    assert got.name == "doggie" and got._request_id is None
    assert "authorization" in by_id.calls[0].request.headers or by_id.calls[0].request.headers.get("api_key") == "key"
    try:
        client.pet.get_pet_by_id(11)
    except NotFoundError as err:
        assert err.message == "Pet not found"
    else:
        raise AssertionError("no 404")
    try:
        client.pet.get_pet_by_id("10")
    except InvalidArgumentError:
        pass
    else:
        raise AssertionError("a string for an integer path parameter was sent")
    pets = client.pet.find_pets_by_status(status="available")
    assert [p.id for p in pets] == [10, 11] and all(isinstance(p, Pet) for p in pets)
    assert by_status.calls[0].request.url.params["status"] == "available"
    answer = client.pet.upload_file(10, body=b"abc", additional_metadata="x")
    assert isinstance(answer, ApiResponse) and answer.message == "3 bytes"
    req = upload.calls[0].request
    assert req.content == b"abc" and req.headers["content-type"] == "application/octet-stream"
    assert req.url.params["additionalMetadata"] == "x"
print("smoke ok")
"""

PETSTORE_30_EXTRA = r"""
import json, httpx, respx
from petstore import Petstore
with respx.mock(base_url="https://petstore3.swagger.io/api/v3") as m:
    tags = m.get("/pet/findByTags").respond(200, json=[])
    inv = m.get("/store/inventory").respond(200, json={"available": 3, "sold": 1})
    login = m.get("/user/login").respond(200, json="logged in user session:123")
    many = m.post("/user/createWithList").respond(200, json={"id": 1, "username": "a"})
    order = m.get("/store/order/5").respond(200, json={"id": 5, "petId": 1, "quantity": 2, "status": "placed"})
    delete = m.delete("/pet/10").respond(200)
    client = Petstore(api_key="key", petstore_auth="tok", base_url="https://petstore3.swagger.io/api/v3")
    assert client.pet.find_pets_by_tags(tags=["a", "b"]) == []
    assert tags.calls[0].request.url.params.get_list("tags") == ["a", "b"]
    assert client.store.get_inventory() == {"available": 3, "sold": 1}
    assert inv.calls[0].request.headers["api_key"] == "key"
    assert client.user.login_user(username="u", password="p") == "logged in user session:123"
    assert client.user.create_users_with_list_input(body=[{"username": "a"}]).username == "a"
    assert json.loads(many.calls[0].request.content) == [{"username": "a"}]
    assert client.store.get_order_by_id(5).quantity == 2
    assert "authorization" not in order.calls[0].request.headers  # an operation without security sends no credentials
    assert client.pet.delete_pet(10, api_key="k2") is None
    assert delete.calls[0].request.headers["api_key"] == "k2"
print("smoke ok")
"""

STRIPE = r"""
import json, urllib.parse, httpx, respx, os
from stripe_subset import Stripe, Customer, DeletedCustomer, AuthenticationError
CUSTOMER = {"id": "cus_1", "object": "customer", "created": 1, "livemode": False, "email": "a@b.c",
            "address": {"city": "Paris", "country": "FR"}, "discount": None}
with respx.mock(base_url="https://api.stripe.com") as m:
    create = m.post("/v1/customers").respond(200, json=CUSTOMER)
    listing = m.get("/v1/customers").respond(200, json={"object": "list", "data": [CUSTOMER], "has_more": False,
                                                        "url": "/v1/customers"})
    one = m.get("/v1/customers/cus_1").respond(200, json=CUSTOMER)
    gone = m.get("/v1/customers/cus_2").respond(200, json={"id": "cus_2", "object": "customer", "deleted": True})
    m.get("/v1/customers/cus_3").respond(401, json={"error": {"message": "Invalid API Key", "type": "invalid_request_error"}})
    client = Stripe("sk_test")
    c = client.default.post_customers(email="a@b.c", address={"city": "Paris", "country": "FR"}, expand=["discount"])
    assert isinstance(c, Customer) and c.email == "a@b.c"
    req = create.calls[0].request
    assert req.headers["content-type"] == "application/x-www-form-urlencoded" and req.headers["authorization"] == "Bearer sk_test"
    form = urllib.parse.parse_qsl(req.content.decode())
    assert ("email", "a@b.c") in form and ("address[city]", "Paris") in form and ("expand[]", "discount") in form, form
    page = client.default.get_customers(created={"gte": 5}, expand=["data.discount"], limit=3)
    assert page.data[0].id == "cus_1"
    q = urllib.parse.parse_qsl(listing.calls[0].request.url.query.decode())
    assert ("created[gte]", "5") in q and ("expand[]", "data.discount") in q and ("limit", "3") in q, q
    client.default.get_customers(created=7)
    assert ("created", "7") in urllib.parse.parse_qsl(listing.calls[1].request.url.query.decode())
    assert isinstance(client.default.get_customers_customer("cus_1"), Customer)
    assert isinstance(client.default.get_customers_customer("cus_2"), DeletedCustomer)
    basic = Stripe(basic_auth=("sk_user", ""))
    basic.default.get_customers_customer("cus_1")
    assert one.calls[-1].request.headers["authorization"].startswith("Basic ")
    try:
        client.default.get_customers_customer("cus_3")
    except AuthenticationError as err:
        assert "Invalid API Key" in str(err) and "sk_test" not in repr(err.request.headers)
    else:
        raise AssertionError("no 401")
    os.environ["STRIPE_USERNAME"], os.environ["STRIPE_PASSWORD"] = "envuser", "pw"
    Stripe().default.get_customers_customer("cus_1")
    assert one.calls[-1].request.headers["authorization"] == "Basic ZW52dXNlcjpwdw=="
print("smoke ok")
"""

ADVERSARIAL = r"""
import json, httpx, respx
import pkg_import_os as sdk
BASE = sdk._client._IDENTITY.default_base_url
H = {"content-type": "text/event-stream"}
FIRST = b'id: 1\nevent: execution\ndata: {"execution_id": "e 1"}\n\nid: 2\nevent: message\ndata: {"execution_id": "e 1"}\n\n'
REST = b'id: 2\nevent: message\ndata: {"execution_id": "e 1"}\n\nid: 3\nevent: done */\ndata: {"execution_id": "e 1"}\n\n'
with respx.mock(base_url=BASE, assert_all_called=False) as m:
    route = m.get(url__regex=r".*/events/.*").mock(side_effect=[
        httpx.Response(200, stream=httpx.ByteStream(FIRST), headers=H),
        httpx.Response(200, content=REST, headers=H),
    ])
    client = sdk.StreamClient(api_key="secret-key-123", _sleep=lambda s: None)
    events = list(client.tag_drop.stream_events("e 1"))
    assert [e.event for e in events] == ["execution", "message", "done */"], events
    assert route.calls[1].request.headers["last-event-id"] == "2"
    assert "api_key+%2A%2F=secret-key-123" in str(route.calls[0].request.url)  # the query scheme: `api_key */`
    route.side_effect = None
    route.return_value = httpx.Response(200, content=REST, headers=H)
    raw = client.tag_drop.with_raw_response.stream_events("e 1")
    assert "secret-key-123" not in str(raw.http_response.request.url) and "redacted" in str(raw.http_response.request.url)
    assert [e.event for e in raw.parse()] == ["message", "done */"]
    result = client.tag_drop.stream_events("e 1").until_done()  # the output: the `done */` event's execution_id
    assert result.output == "e 1" and type(result.terminal).__name__ == "DoneEvent" and result.text == ""
    pet = m.get(url__regex=r".*/pets/7(\?.*)?$").respond(200, json={"id": 1})
    client.pet.get_item(7, class_="c", timeout_2=1.5)
    params = pet.calls[0].request.url.params
    assert params["class"] == "c" and params["timeout"] == "1.5"
print("smoke ok")
"""

SMOKES = {
    "openai-chat": OPENAI,
    "anthropic-messages": ANTHROPIC,
    "oas32-itemschema": OAS32,
    "petstore-3.0": PETSTORE + PETSTORE_30_EXTRA,
    "petstore-3.1": PETSTORE,
    "stripe-customers": STRIPE,
    "adversarial": ADVERSARIAL,
}


@pytest.mark.parametrize("spec", sorted(SMOKES))
def test_smoke(corpus: dict[str, tuple[Path, str]], spec: str) -> None:
    src, _ = corpus[spec]
    for part in SMOKES[spec].split('print("smoke ok")\n')[:-1]:
        assert "smoke ok" in _run(src, part + 'print("smoke ok")\n')


def test_smokes_cover_every_streaming_spec() -> None:
    streaming = [s.stem for s in SPECS if build_ir(load_spec(s)).streams]
    assert set(streaming) <= set(SMOKES), streaming


def test_no_run_leaves_a_traceback_or_a_dropped_piece(tmp_path: Path) -> None:
    """The CLI on every corpus spec: exit 0, nothing dropped, no traceback."""
    for spec in SPECS:
        proc = subprocess.run([sys.executable, "-m", "sdkgen", "generate", "--spec", str(spec), "--lang", "python",
                               "--out", str(tmp_path / spec.stem), "--quiet"], capture_output=True, check=False, text=True,
                              timeout=300)
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
        manifest = json.loads((tmp_path / spec.stem / ".sdkgen-manifest.json").read_text())
        assert manifest["lang"] == "python" and manifest["files"]
