package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	promptrails "github.com/promptrails/go-sdk"
)

// The conversation operations (CONFORMANCE.md): conversations live in the
// driver by name, as do the files they were saved to.
var (
	conversations = map[string]*promptrails.Conversation{}
	savedFiles    = map[string]string{}
	filesDir      string
)

// forgetConversations closes every open conversation (a new client starts afresh).
func forgetConversations() {
	for _, conv := range conversations {
		conv.Close()
	}
	clear(conversations)
	clear(savedFiles)
}

func wireMessage(m promptrails.ConversationMessage) map[string]any {
	var id any
	_ = json.Unmarshal([]byte(m.Get("id").Raw()), &id)
	return map[string]any{"id": id, "role": m.Role, "content": m.Content}
}

func wireReply(r *promptrails.ConversationReply) map[string]any {
	return map[string]any{"text": r.String(), "execution_id": idOrNil(r.ExecutionID)}
}

func conversationCall(ctx context.Context, op string, args map[string]any) (outcome, error) {
	name, err := str(args, "name")
	if err != nil {
		return outcome{}, err
	}
	switch op {
	case "conversation.open":
		params := promptrails.ConversationParams{}
		var opts []promptrails.ConversationOption
		for key, v := range args {
			switch key {
			case "name":
			case "session_id":
				params.SessionID, _ = v.(string)
			case "agent_id":
				params.AgentID, _ = v.(string)
			case "title":
				if s, ok := v.(string); ok {
					params.Title = promptrails.NewNullable(s)
				} else {
					params.Title = promptrails.Null[string]()
				}
			case "metadata":
				params.Metadata, _ = v.(map[string]any)
			case "max_concurrent_invocations":
				opts = append(opts, promptrails.WithMaxConcurrentInvocations(integer(v)))
			default:
				return outcome{}, problem("conversation.open: unknown argument %s", key)
			}
		}
		conv, err := client.Chat.Conversation(ctx, params, opts...)
		if err != nil {
			return outcome{callErr: err}, nil
		}
		conversations[name] = conv
		return outcome{result: map[string]any{"session_id": conv.SessionID()}}, nil
	case "conversation.load":
		from, err := str(args, "from")
		if err != nil {
			return outcome{}, err
		}
		path, ok := savedFiles[from]
		if !ok {
			return outcome{}, problem("nothing was saved as %q", from)
		}
		conv, err := client.Chat.Load(ctx, path)
		if err != nil {
			return outcome{callErr: err}, nil
		}
		conversations[name] = conv
		return outcome{result: map[string]any{"session_id": conv.SessionID()}}, nil
	}
	conv, ok := conversations[name]
	if !ok {
		return outcome{}, problem("no conversation named %q", name)
	}
	switch op {
	case "conversation.send":
		content, err := str(args, "content")
		if err != nil {
			return outcome{}, err
		}
		var opts []promptrails.Option
		if metadata, ok := args["metadata"].(map[string]any); ok {
			opts = append(opts, promptrails.WithJSONSet("metadata", metadata))
		}
		reply, err := conv.Send(ctx, content, opts...)
		if err != nil {
			return outcome{callErr: err}, nil
		}
		return outcome{result: wireReply(reply)}, nil
	case "conversation.send_concurrent":
		list, _ := args["contents"].([]any)
		replies := make([]any, len(list))
		errs := make([]error, len(list))
		var wg sync.WaitGroup
		for i, item := range list {
			text, _ := item.(string)
			wg.Add(1)
			go func() {
				defer wg.Done()
				reply, err := conv.Send(ctx, text)
				if err != nil {
					errs[i] = err
					return
				}
				replies[i] = wireReply(reply)
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return outcome{callErr: err}, nil
			}
		}
		return outcome{result: replies}, nil
	case "conversation.stream":
		content, err := str(args, "content")
		if err != nil {
			return outcome{}, err
		}
		take := integer(args["take"])
		chunks := []string{}
		text := ""
		for chunk, err := range conv.Stream(ctx, content) {
			if err != nil {
				return outcome{callErr: err}, nil
			}
			chunks = append(chunks, chunk)
			text += chunk
			if len(chunks) == take {
				break // leave the stream early
			}
		}
		return outcome{result: map[string]any{"chunks": chunks, "text": text}}, nil
	case "conversation.stream_events":
		content, err := str(args, "content")
		if err != nil {
			return outcome{}, err
		}
		take := integer(args["take"])
		out := outcome{stream: true, events: []event{}}
		for ev, err := range conv.StreamEvents(ctx, content) {
			if err != nil {
				out.callErr = err
				break
			}
			wired, werr := wireEvent(ev)
			if werr != nil {
				return out, werr
			}
			out.events = append(out.events, wired)
			if len(out.events) == take {
				break // leave the stream early
			}
		}
		return out, nil
	case "conversation.history":
		items := []any{}
		for _, m := range conv.History() {
			items = append(items, wireMessage(m))
		}
		return outcome{result: items}, nil
	case "conversation.totals":
		return outcome{result: map[string]any{"usage": conv.Usage(), "total_cost": conv.TotalCost()}}, nil
	case "conversation.clear":
		if err := conv.Clear(ctx); err != nil {
			return outcome{callErr: err}, nil
		}
		return outcome{result: map[string]any{"session_id": conv.SessionID()}}, nil
	case "conversation.save":
		if filesDir == "" {
			dir, err := os.MkdirTemp("", "conformance-go-")
			if err != nil {
				return outcome{}, err
			}
			filesDir = dir
		}
		path := filepath.Join(filesDir, fmt.Sprintf("%s-%d.json", name, len(savedFiles)))
		var opts []promptrails.SaveOption
		if with, ok := args["include_history"].(bool); ok && !with {
			opts = append(opts, promptrails.WithoutHistory())
		}
		if err := conv.Save(path, opts...); err != nil {
			return outcome{callErr: err}, nil
		}
		savedFiles[name] = path
		data, err := os.ReadFile(path)
		if err != nil {
			return outcome{}, err
		}
		var doc any
		if err := json.Unmarshal(data, &doc); err != nil {
			return outcome{}, problem("the saved file is not JSON: %v", err)
		}
		return outcome{result: doc}, nil
	case "conversation.delete":
		return outcome{callErr: conv.Delete(ctx)}, nil
	case "conversation.close":
		return outcome{callErr: conv.Close()}, nil
	}
	return outcome{}, problem("unknown operation %q", op)
}
