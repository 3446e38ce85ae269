"""The scripted agents are pure and deterministic; their outputs are documented in the README."""

from __future__ import annotations

import pytest

from promptrails_mock.agents import (
    BUILTIN_AGENTS,
    STORY,
    AgentInput,
    AgentSettings,
    Failure,
    HistoryItem,
    Reply,
    count_tokens,
    script_for,
    split_words,
)

SETTINGS = AgentSettings(frame_delay=0.005, slow_delay=1.0)


def events(agent: str, given: AgentInput) -> list[tuple[str, dict[str, object]]]:
    return [(step.event, step.data) for step in script_for(agent, given, SETTINGS).steps]


def test_echo_hello() -> None:
    script = script_for("echo", AgentInput("Hello!"), SETTINGS)
    assert [(s.event, s.data) for s in script.steps] == [
        ("content", {"content": "You said: "}),
        ("content", {"content": "Hello!"}),
    ]
    assert script.outcome == Reply("You said: Hello!", "mock-echo-1", 1, 3, 0.000007)
    assert script.outcome.token_usage == {"prompt_tokens": 1, "completion_tokens": 3, "total_tokens": 4}


def test_echo_groups_two_words_per_delta() -> None:
    deltas = [d["content"] for _, d in events("echo", AgentInput("Hello there friend"))]
    assert deltas == ["You said: ", "Hello there", " friend"]


def test_thinker_hello_one_tool_round() -> None:
    script = script_for("thinker", AgentInput("Hello!"), SETTINGS)
    assert [(s.event, s.data) for s in script.steps] == [
        ("thinking", {"content": "Let me search for that."}),
        ("tool_start", {"id": "call_1", "name": "search"}),
        ("tool_end", {"id": "call_1", "name": "search", "summary": '3 results for "Hello!"'}),
        ("content", {"content": "I searched"}),
        ("content", {"content": ' for "Hello!"'}),
        ("content", {"content": " and found"}),
        ("content", {"content": " 3 results."}),
    ]
    reply = script.outcome
    assert isinstance(reply, Reply)
    assert reply.output == 'I searched for "Hello!" and found 3 results.'
    assert reply.tool_calls == [{"id": "call_1", "name": "search", "arguments": {"query": "Hello!"}}]
    assert reply.tool_results == [{"id": "call_1", "name": "search", "summary": '3 results for "Hello!"'}]


@pytest.mark.parametrize("given", [AgentInput("What is 2 plus 2?"), AgentInput("Sum", metadata={"tool_rounds": 2})])
def test_thinker_second_round_on_a_question_or_metadata(given: AgentInput) -> None:
    script = script_for("thinker", given, SETTINGS)
    kinds = [s.event for s in script.steps]
    assert kinds[:6] == ["thinking", "tool_start", "tool_end", "thinking", "tool_start", "tool_end"]
    assert set(kinds[6:]) == {"content"}
    reply = script.outcome
    assert isinstance(reply, Reply)
    assert reply.output.endswith("The numbers check out.")
    assert [c["name"] for c in reply.tool_calls or []] == ["search", "calculator"]
    assert [r["summary"] for r in reply.tool_results or []] == ['3 results for "' + given.content + '"', "2 + 2 = 4"]


def test_storyteller_many_deltas() -> None:
    script = script_for("storyteller", AgentInput("Hello!"), SETTINGS)
    deltas = [s.data["content"] for s in script.steps]
    assert len(deltas) >= 50
    assert all(s.event == "content" for s in script.steps)
    reply = script.outcome
    assert isinstance(reply, Reply)
    assert "".join(deltas) == reply.output == f"A story about Hello!: {STORY}"


def test_faulty_fails_after_some_content() -> None:
    script = script_for("faulty", AgentInput("Hello!"), SETTINGS)
    assert [(s.event, s.data) for s in script.steps] == [
        ("content", {"content": "Let me check "}),
        ("content", {"content": "that for you..."}),
    ]
    assert script.outcome == Failure("Tool 'lookup_order' timed out.", "agent_failed")


def test_slow_replies_like_echo_with_long_pauses() -> None:
    slow = script_for("slow", AgentInput("Hello!"), SETTINGS)
    echo = script_for("echo", AgentInput("Hello!"), SETTINGS)
    assert [(s.event, s.data) for s in slow.steps] == [(s.event, s.data) for s in echo.steps]
    assert isinstance(slow.outcome, Reply) and slow.outcome.model == "mock-slow-1"
    assert {s.delay for s in slow.steps} == {1.0} and slow.final_delay == 1.0
    assert {s.delay for s in echo.steps} == {0.005}


def test_delay_ms_from_message_metadata_then_session_metadata() -> None:
    from_message = script_for(
        "slow", AgentInput("x", metadata={"delay_ms": 250}, session_metadata={"delay_ms": 9}), SETTINGS
    )
    from_session = script_for("echo", AgentInput("x", session_metadata={"delay_ms": 40}), SETTINGS)
    ignored = script_for("slow", AgentInput("x", metadata={"delay_ms": "soon"}), SETTINGS)
    assert {s.delay for s in from_message.steps} == {0.25}
    assert {s.delay for s in from_session.steps} == {0.04}
    assert {s.delay for s in ignored.steps} == {1.0}
    capped = script_for("echo", AgentInput("x", metadata={"delay_ms": 10**9}), SETTINGS)
    assert {s.delay for s in capped.steps} == {10.0}


def test_extra_token_usage_from_message_metadata_then_session_metadata() -> None:
    from_message = script_for(
        "thinker",
        AgentInput(
            "x",
            metadata={"extra_token_usage": {"cached_tokens": 2, "reasoning_tokens": 0}},
            session_metadata={"extra_token_usage": {"cached_tokens": 9}},
        ),
        SETTINGS,
    ).outcome
    from_session = script_for(
        "storyteller", AgentInput("x", session_metadata={"extra_token_usage": {"cached_tokens": 9}}), SETTINGS
    ).outcome
    assert isinstance(from_message, Reply) and isinstance(from_session, Reply)
    assert list(from_message.token_usage.items()) == [
        ("prompt_tokens", 1),
        ("completion_tokens", 8),
        ("total_tokens", 9),
        ("cached_tokens", 2),
        ("reasoning_tokens", 0),
    ]
    assert from_session.token_usage["cached_tokens"] == 9
    plain = script_for("echo", AgentInput("x"), SETTINGS).outcome
    assert isinstance(plain, Reply) and set(plain.token_usage) == {"prompt_tokens", "completion_tokens", "total_tokens"}


def test_extra_token_usage_keeps_only_new_non_negative_integer_counters() -> None:
    metadata = {
        "extra_token_usage": {
            "total_tokens": 100,
            "prompt_tokens": 7,
            "negative": -1,
            "fraction": 1.5,
            "flag": True,
            "text": "3",
            "": 4,
            "kept": 3,
        }
    }
    reply = script_for("echo", AgentInput("Hello!", metadata=metadata), SETTINGS).outcome
    assert isinstance(reply, Reply)
    assert reply.token_usage == {"prompt_tokens": 1, "completion_tokens": 3, "total_tokens": 4, "kept": 3}
    not_an_object = script_for("echo", AgentInput("x", metadata={"extra_token_usage": [1]}), SETTINGS).outcome
    assert isinstance(not_an_object, Reply) and "kept" not in not_an_object.token_usage


def test_prompt_tokens_count_the_history() -> None:
    history = [HistoryItem("user", "one two"), HistoryItem("assistant", "You said: one two")]
    reply = script_for("echo", AgentInput("three", history), SETTINGS).outcome
    assert isinstance(reply, Reply)
    assert (reply.prompt_tokens, reply.completion_tokens) == (2 + 4 + 1, 3)


def test_scripts_are_deterministic() -> None:
    for agent in BUILTIN_AGENTS:
        given = AgentInput("Is this stable?", (HistoryItem("user", "hi"),), {"k": 1})
        assert script_for(agent, given, SETTINGS) == script_for(agent, given, SETTINGS)


def test_unknown_agent() -> None:
    with pytest.raises(KeyError):
        script_for("nope", AgentInput("x"), SETTINGS)


@pytest.mark.parametrize("text", ["Hello!", "  lead and trail  ", "a\nb\tc", "   ", "x", "one two three four five"])
def test_split_words_keeps_every_character(text: str) -> None:
    assert "".join(split_words(text, 2)) == text
    assert "".join(split_words(text, 1)) == text


def test_count_tokens() -> None:
    assert count_tokens("You said: Hello!") == 3
    assert count_tokens("   ") == 0


@pytest.mark.parametrize("content", ["Tell me a story about load.", "", "   ", "a\tb\nc  d", "x" * 100, "é ü 😀"])
def test_storyteller_deltas_are_its_reply_one_word_each(content: str) -> None:
    script = script_for("storyteller", AgentInput(content), SETTINGS)
    reply = script.outcome
    assert isinstance(reply, Reply)
    deltas = [s.data["content"] for s in script.steps]
    assert deltas == split_words(reply.output, 1)
    assert reply.output.endswith(STORY) and "".join(deltas) == reply.output


def test_steps_are_a_sequence_made_as_read() -> None:
    steps = script_for("thinker", AgentInput("Hello!"), SETTINGS).steps
    listed = list(steps)
    assert len(steps) == len(listed) == 7
    assert list(steps) == listed, "read again, the same steps"
    assert [steps[i] for i in range(-7, 7)] == listed + listed
    assert steps[2:5] == listed[2:5] and steps[::-1] == listed[::-1]
    assert steps[3].event == "content" and steps[0].event == "thinking"
    with pytest.raises(IndexError):
        steps[7]
    with pytest.raises(IndexError):
        steps[-8]
