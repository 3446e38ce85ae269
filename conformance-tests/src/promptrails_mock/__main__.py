"""``python -m promptrails_mock`` runs the server, like the ``promptrails-mock`` command."""

from __future__ import annotations

from promptrails_mock.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
