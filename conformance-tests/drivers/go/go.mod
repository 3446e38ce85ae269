module github.com/promptrails/conformance-driver

go 1.24

require github.com/promptrails/go-sdk v0.0.0

replace github.com/promptrails/go-sdk => ../../../go-sdk
