// What the SDK offers for reading responses (RUNTIME.md, "Reading responses"): the
// done event's text convenience.
package main

import promptrails "github.com/promptrails/go-sdk"

func outputText(ev promptrails.Event) (any, bool) {
	if done, ok := ev.(*promptrails.DoneEvent); ok {
		// "" is Go's "no text" (it cannot tell an empty text from none): report none.
		if text := done.OutputText(); text != "" {
			return text, true
		}
	}
	return nil, false
}
