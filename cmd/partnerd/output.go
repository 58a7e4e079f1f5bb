package main

import (
	"encoding/json"
	"fmt"
	"io"
)

// printLines prints one JSON object per item on stdout, or none, saying
// so on stderr: stdout holds only JSON lines.
func printLines[T any](stdout, stderr io.Writer, none string, items []T, render func(T) any) error {
	if len(items) == 0 {
		fmt.Fprintln(stderr, none)
		return nil
	}
	enc := json.NewEncoder(stdout)
	for _, item := range items {
		if err := enc.Encode(render(item)); err != nil {
			return err
		}
	}
	return nil
}
