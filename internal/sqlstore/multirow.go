package sqlstore

import (
	"fmt"
	"strings"
)

// rowChunks are the row counts the multi-row statements carry, largest
// first: a batch of any size is a few statements, and each statement's
// text, cached by the writer, is one of four per kind.
var rowChunks = [...]int{64, 16, 4, 1}

// execRows runs head, VALUES rows of width parameters each, and tail,
// for all of args (row after row), in as few statements as rowChunks
// allows, and returns the rows they affected.
func (t *txn) execRows(head string, width int, tail string, args []any) (int64, error) {
	if len(args)%width != 0 {
		return 0, fmt.Errorf("multi-row statement: %d arguments for rows of %d", len(args), width)
	}
	row := "(" + placeholders(width) + ")"
	var affected int64
	for rows := len(args) / width; rows > 0; {
		k := rowChunks[len(rowChunks)-1]
		for _, c := range rowChunks {
			if c <= rows {
				k = c
				break
			}
		}
		q := head + " VALUES " + strings.TrimSuffix(strings.Repeat(row+", ", k), ", ") + tail
		res, err := t.exec(q, args[:k*width]...)
		if err != nil {
			return affected, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return affected, err
		}
		affected += n
		args, rows = args[k*width:], rows-k
	}
	return affected, nil
}
