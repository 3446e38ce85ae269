// What the SDK offers for reading responses (RUNTIME.md, "Reading responses"): the
// strict switch, the validation error and done's text convenience.
package main

import (
	"errors"

	promptrails "github.com/promptrails/go-sdk"
)

func strictOption() (promptrails.Option, error) { return promptrails.WithStrictValidation(), nil }

func outputText(ev promptrails.Event) (any, bool) {
	if done, ok := ev.(*promptrails.DoneEvent); ok {
		// "" is Go's "no text" (it cannot tell an empty text from none): report none.
		if text := done.OutputText(); text != "" {
			return text, true
		}
	}
	return nil, false
}

func validationError(err error) (string, bool) {
	var invalid *promptrails.APIResponseValidationError
	if errors.As(err, &invalid) {
		return invalid.Error(), true
	}
	return "", false
}
