// The Go benchmarks: a module of their own, so the SDK (go-sdk/) stays
// stdlib-only. Its path sits under the SDK's path on purpose: Go admits an
// import of an internal/ package by import path, so this module can measure
// the SDK's own SSE parser (github.com/promptrails/go-sdk/internal/sse).
module github.com/promptrails/go-sdk/bench

go 1.24

require (
	github.com/promptrails/go-sdk v0.0.0
	github.com/tmaxmax/go-sse v0.11.0
)

replace github.com/promptrails/go-sdk => ../../go-sdk
