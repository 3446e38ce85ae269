package promptrails

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The Go code of the documented SDK calls (docs/sdk-calls.md, the vendor's
// call shapes kept verbatim) must compile and run unchanged: it is extracted
// at test time, pasted into a function with client, ctx and sessionID
// defined, and run as a program against the mock server (or, without
// PROMPTRAILS_MOCK_CMD, a test server).

const seedDefault = "../docs/sdk-calls.md"

var goBlock = regexp.MustCompile("(?s)```go\n(.*?)```")

func TestSeedGoSnippetRunsUnchanged(t *testing.T) {
	path := os.Getenv("PROMPTRAILS_SEED_FILE")
	if path == "" {
		path = seedDefault
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the documented calls are needed (docs/sdk-calls.md, or PROMPTRAILS_SEED_FILE): %v", err)
	}
	blocks := goBlock.FindAllStringSubmatch(string(raw), -1)
	if len(blocks) != 1 {
		t.Fatalf("%d ```go blocks in %s, want 1", len(blocks), path)
	}
	snippet := blocks[0][1]

	baseURL, key, sessionID := "", "", "session-id"
	if mockURL != "" || mockStartErr != nil {
		baseURL = requireMock(t)
		key = "promptrails-dev-key"
		control(t, "POST", "/__mock/sessions", map[string]any{"id": sessionID, "agent_id": "echo"})
		t.Cleanup(func() {
			NewClient(key, WithBaseURL(baseURL)).Chat.DeleteSession(t.Context(), sessionID)
		})
	} else {
		_, ts, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/api/v1/chat/sessions/session-id/messages/stream" || r.Header.Get("X-API-Key") != testKey {
				http.NotFound(w, r)
				return
			}
			sseFrames(w, frame("1", "execution", execFrame), frame("2", "content", `{"content":"You said: "}`),
				frame("3", "content", `{"content":"Hello!"}`), frame("4", "done", `{"output":{"content":"You said: Hello!"},"token_usage":{"total_tokens":3}}`))
		})
		baseURL, key = ts.URL, testKey
	}

	dir := t.TempDir()
	sdk, _ := filepath.Abs(".")
	gomod := "module seedcheck\n\ngo 1.24\n\nrequire github.com/promptrails/go-sdk v0.0.0\n\nreplace github.com/promptrails/go-sdk => " + sdk + "\n"
	program := `package main

import (
	"context"
	"fmt"
	"os"

	"github.com/promptrails/go-sdk"
)

func main() {
	client := promptrails.NewClient(os.Getenv("SEED_API_KEY"), promptrails.WithBaseURL(os.Getenv("SEED_BASE_URL")))
	ctx := context.Background()
	sessionID := os.Getenv("SEED_SESSION_ID")
	seed(client, ctx, sessionID)
}

func seed(client *promptrails.Client, ctx context.Context, sessionID string) {
` + snippet + `}
`
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte(program), 0o644)
	cmd := exec.Command("go", "run", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SEED_API_KEY="+key, "SEED_BASE_URL="+baseURL, "SEED_SESSION_ID="+sessionID, "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the seed's Go code failed: %v\n%s\n--- program ---\n%s", err, out, program)
	}
	if got := strings.TrimSpace(string(out)); got != "You said: Hello!" {
		t.Fatalf("the seed printed %q", got)
	}
}
