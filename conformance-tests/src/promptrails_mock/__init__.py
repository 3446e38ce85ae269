"""promptrails-mock: a stateful mock of the PromptRails chat API.

The server implements every operation of the repository's ``openapi.yaml`` on an
embedded SQLite database, validates every request and response against that
document, and offers a fault-control API under ``/__mock/`` so SDK tests can
program status errors, connection resets, cut streams and delays.

Start it with the ``promptrails-mock`` command, or from tests with
:class:`promptrails_mock.testing.MockServer`.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
