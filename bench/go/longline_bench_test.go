package bench

// Long lines (issue 9): parsing must stay linear in the bytes received however
// long one line is. Each pair below parses the same payload two ways, in
// 4 KiB chunks:
//
//   - LongLine: one event whose single data line holds 8 MiB;
//   - ShortLines: one event whose 8 MiB of data come as short data lines
//     (the parser joins them with "\n", so both events are 8 MiB).
//
// The typed pair does the same through Chat.SendMessageStream: one content
// event of 8 MiB, against the same bytes as many content events of ~100 bytes.
// The target is LongLine under 2x ShortLines (bench/README.md). Run:
//
//	go test -run '^$' -bench 'Line' -benchmem

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	promptrails "github.com/promptrails/go-sdk"
	ours "github.com/promptrails/go-sdk/internal/sse"
)

const longPayload = 8 << 20

// longLine is one event with one 8 MiB data line.
var longLine = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	b.WriteString("event: content\ndata: ")
	b.WriteString(strings.Repeat("x", longPayload))
	b.WriteString("\n\n")
	return b.Bytes()
})

// shortLines is one event carrying the same payload as data lines of 64 bytes.
var shortLines = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	b.WriteString("event: content\n")
	line := "data: " + strings.Repeat("x", 64) + "\n"
	for n := 0; n < longPayload; n += 64 {
		b.WriteString(line)
	}
	b.WriteString("\n")
	return b.Bytes()
})

func parseOne(b *testing.B, data []byte) {
	cs := chunks(data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		p := ours.New(0)
		n := 0
		for _, c := range cs {
			evs, err := p.Feed(c)
			if err != nil {
				b.Fatal(err)
			}
			for _, ev := range evs {
				if len(ev.Data) < longPayload {
					b.Fatalf("event of %d bytes", len(ev.Data))
				}
			}
			n += len(evs)
		}
		if n != 1 {
			b.Fatalf("%d events", n)
		}
	}
}

func BenchmarkLongLineParse(b *testing.B)   { parseOne(b, longLine()) }
func BenchmarkShortLinesParse(b *testing.B) { parseOne(b, shortLines()) }

// typedStream is an execution frame, the given content frames, a done frame.
func typedStream(contents []string) []byte {
	var b bytes.Buffer
	b.WriteString("id: 1\nevent: execution\ndata: {\"execution_id\":\"ex_1\"}\n\n")
	for i, c := range contents {
		fmt.Fprintf(&b, "id: %d\nevent: content\ndata: {\"content\":\"%s\"}\n\n", i+2, c)
	}
	fmt.Fprintf(&b, "id: %d\nevent: done\ndata: {}\n\n", len(contents)+2)
	return b.Bytes()
}

var typedLong = sync.OnceValue(func() []byte { return typedStream([]string{strings.Repeat("x", longPayload)}) })

var typedShort = sync.OnceValue(func() []byte {
	// Frames of about 100 bytes carrying the same payload.
	var contents []string
	for n := 0; n < longPayload; n += 64 {
		contents = append(contents, strings.Repeat("x", 64))
	}
	return typedStream(contents)
})

func typedOne(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		client := promptrails.NewClient("bench",
			promptrails.WithBaseURL("http://bench.local"),
			promptrails.WithHTTPClient(&http.Client{Transport: replay{data}}))
		stream, err := client.Chat.SendMessageStream(context.Background(), "s_1", &promptrails.SendMessageParams{Content: "Hello!"})
		if err != nil {
			b.Fatal(err)
		}
		total := 0
		for stream.Next() {
			if e, ok := stream.Event().(*promptrails.ContentEvent); ok {
				total += len(e.Content)
			}
		}
		if err := stream.Err(); err != nil || total < longPayload {
			b.Fatalf("%d bytes of content, err %v", total, err)
		}
		stream.Close()
	}
}

func BenchmarkLongLineTyped(b *testing.B)   { typedOne(b, typedLong()) }
func BenchmarkShortLinesTyped(b *testing.B) { typedOne(b, typedShort()) }
