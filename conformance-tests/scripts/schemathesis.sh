#!/usr/bin/env bash
# Fuzz the mock server with schemathesis 4.x against openapi.yaml (make test-schemathesis).
#
# Starts promptrails-mock (:memory:, a free port, control API on), runs every schemathesis
# phase (examples, coverage, fuzzing, stateful) on every operation, with schema-valid and
# schema-violating data (--mode all: the negative cases must get a 4xx), with all checks
# (no 5xx, status codes, content types, headers and bodies conforming to the
# contract, invalid data rejected, valid data accepted, auth enforced, 405s),
# then checks the mock's own response validator saw no violation either.
# Exits non-zero on any failure.
#
# Streaming operations are included: scripts/schemathesis_hooks.py decodes each
# event's JSON `data`, so schemathesis checks every frame against ChatStreamFrame.
#
# One check is excluded, ensure_resource_availability ("created resource not
# found"): schemathesis reuses short Idempotency-Key values, and a create repeated
# with a key it already used replays the first 201, naming a session another step
# may have deleted since. That is the contract working, not a bug.
#
# Environment: MAX_EXAMPLES (default 20), SEED (default random), VENV (default .venv).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VENV="${VENV:-$REPO/.venv}"
PY="$VENV/bin/python"
SCHEMATHESIS="$VENV/bin/schemathesis"
MAX_EXAMPLES="${MAX_EXAMPLES:-20}"
API_KEY="schemathesis-key"

LOG="$(mktemp -t promptrails-mock-schemathesis.XXXXXX)"
REPORT_DIR="$(mktemp -d -t schemathesis-report.XXXXXX)"
"$PY" -m promptrails_mock --port 0 --db :memory: --api-key "$API_KEY" --spec "$REPO/openapi.yaml" \
    --control --frame-delay-ms 0 --slow-delay-ms 5 --log-level warning >"$LOG" 2>&1 &
SERVER_PID=$!

cleanup() {
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$LOG" "$REPORT_DIR"
}
trap cleanup EXIT

URL=""
for _ in $(seq 1 300); do
    URL="$(sed -n 's/^promptrails-mock listening on //p' "$LOG" | head -n 1)"
    [ -n "$URL" ] && break
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "schemathesis.sh: the mock server exited:" >&2
        cat "$LOG" >&2
        exit 1
    fi
    sleep 0.1
done
if [ -z "$URL" ]; then
    echo "schemathesis.sh: the mock server did not start within 30 s:" >&2
    cat "$LOG" >&2
    exit 1
fi
echo "schemathesis.sh: mock server at $URL"

# Fixtures the configuration points some operations at: a session of the key's workspace, and one run of it.
read -r PROMPTRAILS_ST_SESSION_ID PROMPTRAILS_ST_EXECUTION_ID < <("$PY" - "$URL" "$API_KEY" <<'PYEOF'
import sys
import httpx
url, key = sys.argv[1], sys.argv[2]
session = httpx.post(f"{url}/__mock/sessions", json={"api_key": key, "id": "schemathesis-session", "agent_id": "echo"})
session.raise_for_status()
reply = httpx.post(
    f"{url}/api/v1/chat/sessions/schemathesis-session/messages", json={"content": "Hello!"}, headers={"X-API-Key": key}
)
reply.raise_for_status()
print("schemathesis-session", reply.json()["data"]["execution_id"])
PYEOF
)
export PROMPTRAILS_ST_SESSION_ID PROMPTRAILS_ST_EXECUTION_ID

SEED_ARGS=()
if [ -n "${SEED:-}" ]; then
    SEED_ARGS=(--seed "$SEED")
fi

status=0
# From a scratch directory: schemathesis keeps a crash cache (.schemathesis/) in its working directory.
cd "$REPORT_DIR"
SCHEMATHESIS_HOOKS="$HERE/schemathesis_hooks.py" "$SCHEMATHESIS" \
    --config-file "$HERE/schemathesis.toml" \
    run "$REPO/openapi.yaml" \
    --url "$URL" \
    --header "X-API-Key: $API_KEY" \
    --mode all \
    --checks all \
    --exclude-checks ensure_resource_availability \
    --max-examples "$MAX_EXAMPLES" \
    --request-timeout 30 \
    --report-dir "$REPORT_DIR" \
    --no-color \
    "${SEED_ARGS[@]}" || status=$?

# The mock validates every response it sends; a violation there fails the run too.
violations="$("$PY" - "$URL" <<'PYEOF'
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + "/__mock/violations", timeout=30) as response:
    body = json.load(response)
print(json.dumps(body["data"], indent=2) if body["data"] else "")
PYEOF
)"
if [ -n "$violations" ]; then
    echo "schemathesis.sh: the mock sent responses that violate openapi.yaml:" >&2
    echo "$violations" >&2
    status=1
fi
if grep -q "Traceback" "$LOG"; then
    echo "schemathesis.sh: the mock server logged an exception:" >&2
    cat "$LOG" >&2
    status=1
fi

if [ "$status" -eq 0 ]; then
    echo "schemathesis.sh: passed"
else
    echo "schemathesis.sh: FAILED (exit $status)" >&2
fi
exit "$status"
