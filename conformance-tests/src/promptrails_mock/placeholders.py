"""The documentation's placeholder values, served by the development workspace.

The vendor's documented snippets (``docs/sdk-calls.md``) and the SDK READMEs use
``your-api-key``, ``your-agent-id`` and ``session-id``. So that they run as
written against ``make serve``, the **development workspace** (the workspace of
the first configured key, ``promptrails-dev-key`` by default) always serves them:

* the key ``your-api-key`` opens it too (unless it is a configured key itself);
* the agent id ``your-agent-id`` is accepted there, and behaves like ``echo``
  (a control-API alias of the same id, server-wide, takes precedence);
* it has a session ``session-id`` (agent ``your-agent-id``), created at every
  start of the server and after every control-API reset when it is missing
  (a file database keeps it, with its history, across restarts). The control
  API may re-create it: ``POST /__mock/sessions`` with the id ``session-id`` for
  the development workspace replaces it, where any other existing id is a 409.

Workspaces made through the control API (``POST /__mock/workspaces``, what every
test uses) never serve them: a test sets up the placeholders it needs itself.
"""

from __future__ import annotations

__all__ = [
    "PLACEHOLDER_AGENT",
    "PLACEHOLDER_AGENT_LIKE",
    "PLACEHOLDER_API_KEY",
    "PLACEHOLDER_SESSION",
    "PLACEHOLDER_SESSION_TITLE",
]

PLACEHOLDER_API_KEY = "your-api-key"
PLACEHOLDER_AGENT = "your-agent-id"
PLACEHOLDER_AGENT_LIKE = "echo"
PLACEHOLDER_SESSION = "session-id"
PLACEHOLDER_SESSION_TITLE = "Example session"
