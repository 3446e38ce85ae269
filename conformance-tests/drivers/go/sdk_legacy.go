//go:build !sdkreading

// The build for a Go SDK without strict validation (see sdk_reading.go).
package main

import (
	"errors"

	promptrails "github.com/promptrails/go-sdk"
)

func strictOption() (promptrails.Option, error) {
	return nil, errors.New("strict mode: the Go SDK has no WithStrictValidation / APIResponseValidationError / DoneEvent.OutputText (built without -tags sdkreading)")
}

func outputText(promptrails.Event) (any, bool) { return nil, false }

func validationError(error) (string, bool) { return "", false }
