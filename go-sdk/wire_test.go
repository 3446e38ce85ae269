package promptrails

import (
	"encoding/json"
	"reflect"
	"testing"
)

// roundTrip decodes raw into a T, encodes it again and returns both as generic JSON.
func roundTrip[T any](t *testing.T, raw string) (want, got any) {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(raw), &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	return want, got
}

// A response model re-encodes what the server sent: an optional nullable
// field the server sent as null stays null (not dropped).
func TestResponseModelKeepsExplicitNulls(t *testing.T) {
	user := `{"id":"m1","session_id":"s1","role":"user","content":"hi","metadata":{},` +
		`"tool_calls":null,"tool_results":null,"model":null,"cost":null,"token_count":1,` +
		`"prompt_tokens":null,"completion_tokens":null,"created_at":"2026-11-21T10:01:00Z"}`
	if want, got := roundTrip[ChatMessage](t, user); !reflect.DeepEqual(want, got) {
		t.Fatalf("re-encoded %v\nserver sent %v", got, want)
	}
	assistant := `{"id":"m2","session_id":"s1","role":"assistant","content":"4","metadata":{"execution_id":"e1"},` +
		`"tool_calls":[{"id":"c1","name":"calc","arguments":{"x":1}}],"tool_results":[],"model":"m","cost":0.5,` +
		`"token_count":2,"prompt_tokens":1,"completion_tokens":1,"created_at":"2026-11-21T10:01:00Z",` +
		`"execution_id":"e1","user_message":` + user + `}`
	if want, got := roundTrip[ChatReply](t, assistant); !reflect.DeepEqual(want, got) {
		t.Fatalf("re-encoded %v\nserver sent %v", got, want)
	}
}

// An optional field that is not nullable is still left out when absent.
func TestOptionalNonNullableFieldsStayOmitted(t *testing.T) {
	out, _ := json.Marshal(TokenUsage{TotalTokens: 3})
	if string(out) != `{"total_tokens":3}` {
		t.Fatalf("%s", out)
	}
	out, _ = json.Marshal(ErrorEvent{Message: "boom"})
	if string(out) != `{"message":"boom"}` {
		t.Fatalf("%s", out)
	}
}

// Request bodies keep their three states: left out, a value, null.
func TestParamsStillLeaveOutUnsetFields(t *testing.T) {
	out, _ := json.Marshal(CreateSessionParams{AgentID: "echo"})
	if string(out) != `{"agent_id":"echo"}` {
		t.Fatalf("%s", out)
	}
	out, _ = json.Marshal(UpdateSessionParams{Title: Null[string]()})
	if string(out) != `{"title":null}` {
		t.Fatalf("%s", out)
	}
}
