"""Deterministic scripted agents. Pure: no I/O, no clock, no randomness.

Given the conversation history and the new user message, an agent returns a
:class:`Script`: the frames to emit (each with the pause before it), and the
outcome, either a :class:`Reply` (becomes the ``done`` frame and the stored
assistant message) or a :class:`Failure` (becomes the ``error`` frame).

Agents (the ids sessions are created with):

``echo``
    Replies ``You said: <input>``: a ``"You said: "`` delta, then the input two
    words per delta.
``thinker``
    ``thinking``, ``tool_start``/``tool_end`` of a ``search`` tool, and a second
    round with a ``calculator`` tool when the input contains ``?`` (or message
    metadata ``{"tool_rounds": 2}``), then the reply two words per delta. Stores
    ``tool_calls`` and ``tool_results`` on the assistant message.
``storyteller``
    A fixed story about the input, one word per delta (more than 50 deltas).
``faulty``
    Two content deltas, then an ``error`` frame; the run fails.
``slow``
    Same reply as ``echo``, but pauses ``slow_delay`` (1 s by default) before
    every frame after ``execution``.

Pauses: every agent pauses before each frame; ``delay_ms`` (a number >= 0, at most
10000) in the message metadata, or else in the session metadata, sets that pause
for any agent.
Tokens are whitespace-separated words: prompt = history + input, completion = reply.
Extra counters: ``extra_token_usage`` (an object of counter names to integers >= 0)
in the message metadata, or else in the session metadata, adds those counters to
the run's ``token_usage`` (TokenUsage allows more integer counters) for any agent
that completes; entries naming a standard counter or not holding an integer from
0 to 2**63 - 1 are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, overload

__all__ = [
    "BUILTIN_AGENTS",
    "STORY",
    "AgentInput",
    "AgentSettings",
    "Failure",
    "HistoryItem",
    "Reply",
    "Script",
    "Step",
    "Steps",
    "count_tokens",
    "script_for",
    "split_words",
]

BUILTIN_AGENTS: tuple[str, ...] = ("echo", "thinker", "storyteller", "faulty", "slow")

STORY = (
    "Once upon a time, in a quiet valley, there lived a curious robot named Pip. "
    "Every morning Pip climbed the old hill to count the clouds, and every evening "
    "it wrote their shapes into a small blue notebook. One day a cloud looked exactly "
    "like a question mark. Pip asked the wind what it meant, and the wind only laughed. "
    "So Pip kept counting and kept writing, and in time it learned that some questions "
    "are meant to be carried, not answered. The end."
)

FAULTY_ERROR = "Tool 'lookup_order' timed out."
FAULTY_CODE = "agent_failed"

_PROMPT_PRICE = 0.000001
_COMPLETION_PRICE = 0.000002
_MAX_COUNTER = 2**63 - 1  # counters are 64-bit integers in every SDK
_STANDARD_COUNTERS = frozenset({"prompt_tokens", "completion_tokens", "total_tokens"})


@dataclass(frozen=True)
class AgentSettings:
    """Pauses, in seconds. ``frame_delay`` for every agent, ``slow_delay`` for ``slow``."""

    frame_delay: float = 0.005
    slow_delay: float = 1.0
    max_delay: float = 10.0


@dataclass(frozen=True)
class HistoryItem:
    role: str
    content: str


@dataclass(frozen=True)
class AgentInput:
    """What an agent sees: the new message, the history before it, and metadata."""

    content: str
    history: Sequence[HistoryItem] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)
    session_metadata: Mapping[str, Any] = field(default_factory=dict)


class Step(NamedTuple):
    """One frame to emit after pausing ``delay`` seconds (a tuple: a run's script makes about a hundred)."""

    delay: float
    event: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Reply:
    output: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost: float
    tool_calls: list[dict[str, Any]] | None = None
    tool_results: list[dict[str, Any]] | None = None
    extra_usage: tuple[tuple[str, int], ...] = ()

    @property
    def token_usage(self) -> dict[str, int]:
        """The standard counters, then the extra ones (``extra_token_usage``) in the order given."""
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            **dict(self.extra_usage),
        }


@dataclass(frozen=True)
class Failure:
    message: str
    code: str


class Steps(Sequence[Step]):
    """A script's steps: ``head`` (made already), then one ``content`` step per delta, each made as it is read.

    A run reads its script one step a frame; a story of a hundred deltas made up front was a hundred
    tuples and dicts per request, most of a request's cost for the agent (and, a thousand runs at once,
    work for the garbage collector), all before the run's first frame.
    """

    __slots__ = ("_delay", "_deltas", "_head")

    def __init__(self, head: Sequence[Step], deltas: Sequence[str], delay: float) -> None:
        self._head = tuple(head)
        self._deltas = tuple(deltas)
        self._delay = delay

    def __len__(self) -> int:
        return len(self._head) + len(self._deltas)

    @overload
    def __getitem__(self, index: int) -> Step: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Step]: ...
    def __getitem__(self, index: int | slice) -> Step | Sequence[Step]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        if index < len(self._head):
            return self._head[index]
        return Step(self._delay, "content", {"content": self._deltas[index - len(self._head)]})

    def __iter__(self) -> Iterator[Step]:
        yield from self._head
        delay = self._delay
        for delta in self._deltas:
            yield Step(delay, "content", {"content": delta})

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Steps):
            return NotImplemented
        return list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # steps hold dicts

    def __repr__(self) -> str:
        return f"Steps({list(self)!r})"


@dataclass(frozen=True)
class Script:
    agent: str
    steps: Sequence[Step]
    final_delay: float
    outcome: Reply | Failure


def count_tokens(text: str) -> int:
    """Whitespace-separated words: the mock's deterministic token count."""
    return len(text.split())


def split_words(text: str, per_chunk: int) -> list[str]:
    """Split ``text`` into chunks of ``per_chunk`` words whose concatenation is exactly ``text``."""
    pieces = re.findall(r"\s*\S+", text)
    if not pieces:
        return [text] if text else []
    pieces[-1] += text[len("".join(pieces)) :]
    return ["".join(pieces[i : i + per_chunk]) for i in range(0, len(pieces), per_chunk)]


def _clip(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _delay(agent: str, given: AgentInput, settings: AgentSettings) -> float:
    for source in (given.metadata, given.session_metadata):
        value = source.get("delay_ms") if isinstance(source, Mapping) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
            # Compare before converting: an int too large for a float (10**400) is just "long".
            return min(value, settings.max_delay * 1000.0) / 1000.0
    return settings.slow_delay if agent == "slow" else settings.frame_delay


def _extra_usage(given: AgentInput) -> tuple[tuple[str, int], ...]:
    """``extra_token_usage`` from the message metadata, or else the session's: valid entries only."""
    for source in (given.metadata, given.session_metadata):
        value = source.get("extra_token_usage") if isinstance(source, Mapping) else None
        if isinstance(value, Mapping):
            return tuple(
                (name, count)
                for name, count in value.items()
                if isinstance(name, str)
                and name
                and name not in _STANDARD_COUNTERS
                and isinstance(count, int)
                and not isinstance(count, bool)
                and 0 <= count <= _MAX_COUNTER
            )
    return ()


def _reply(agent: str, given: AgentInput, output: str, **tools: Any) -> Reply:
    prompt = sum(count_tokens(item.content) for item in given.history) + count_tokens(given.content)
    completion = count_tokens(output)
    cost = round(prompt * _PROMPT_PRICE + completion * _COMPLETION_PRICE, 8)
    return Reply(output, f"mock-{agent}-1", prompt, completion, cost, extra_usage=_extra_usage(given), **tools)


def _echo(agent: str, given: AgentInput, delay: float) -> Script:
    deltas = ["You said: ", *split_words(given.content, 2)]
    return Script(agent, Steps((), deltas, delay), delay, _reply(agent, given, "".join(deltas)))


def _thinker(given: AgentInput, delay: float) -> Script:
    topic = _clip(given.content)
    rounds = given.metadata.get("tool_rounds") if isinstance(given.metadata, Mapping) else None
    second = "?" in given.content or (isinstance(rounds, int) and not isinstance(rounds, bool) and rounds >= 2)
    search_summary = f'3 results for "{topic}"'
    steps = [
        Step(delay, "thinking", {"content": "Let me search for that."}),
        Step(delay, "tool_start", {"id": "call_1", "name": "search"}),
        Step(delay, "tool_end", {"id": "call_1", "name": "search", "summary": search_summary}),
    ]
    calls: list[dict[str, Any]] = [{"id": "call_1", "name": "search", "arguments": {"query": given.content}}]
    results: list[dict[str, Any]] = [{"id": "call_1", "name": "search", "summary": search_summary}]
    output = f'I searched for "{topic}" and found 3 results.'
    if second:
        steps += [
            Step(delay, "thinking", {"content": "The results mention numbers; let me check them."}),
            Step(delay, "tool_start", {"id": "call_2", "name": "calculator"}),
            Step(delay, "tool_end", {"id": "call_2", "name": "calculator", "summary": "2 + 2 = 4"}),
        ]
        calls.append({"id": "call_2", "name": "calculator", "arguments": {"expression": "2 + 2"}})
        results.append({"id": "call_2", "name": "calculator", "summary": "2 + 2 = 4"})
        output += " The numbers check out."
    reply = _reply("thinker", given, output, tool_calls=calls, tool_results=results)
    return Script("thinker", Steps(steps, split_words(output, 2), delay), delay, reply)


# The story's words, split once: a story is "A story about <topic>:" and then these (each word with the
# space before it), exactly what split_words(output, 1) gives.
_STORY_WORDS = tuple(split_words(" " + STORY, 1))


def _storyteller(given: AgentInput, delay: float) -> Script:
    head = f"A story about {_clip(given.content)}:"
    deltas = [*split_words(head, 1), *_STORY_WORDS]
    return Script("storyteller", Steps((), deltas, delay), delay, _reply("storyteller", given, f"{head} {STORY}"))


def _faulty(given: AgentInput, delay: float) -> Script:
    steps = Steps((), ["Let me check ", "that for you..."], delay)
    return Script("faulty", steps, delay, Failure(FAULTY_ERROR, FAULTY_CODE))


def script_for(agent: str, given: AgentInput, settings: AgentSettings = AgentSettings()) -> Script:
    """The script of built-in ``agent`` for ``given``. Raises KeyError for an unknown agent."""
    if agent not in BUILTIN_AGENTS:
        raise KeyError(agent)
    delay = _delay(agent, given, settings)
    if agent in ("echo", "slow"):
        return _echo(agent, given, delay)
    if agent == "thinker":
        return _thinker(given, delay)
    if agent == "storyteller":
        return _storyteller(given, delay)
    return _faulty(given, delay)
