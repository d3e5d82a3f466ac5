package postgres

import "github.com/jackc/pgx/v5"

// bulkRows are the rows a batch adds to the log and to submissions, sent as
// one INSERT … SELECT FROM unnest(…) per table instead of one statement per
// row: the database's work per statement, not per row, is most of what a
// batch costs. A refused row cannot be told from the others in such a
// statement; the writer then runs the batch again with one statement per
// row (wtx.merge false) to find whose it was.
type bulkRows struct {
	hashIdx  []int64
	hashVal  [][]byte
	leafIdx  []int64
	leafData [][]byte
	subs     struct {
		seq, size, leaf []int64
		id, device, day []string
		digest, rd      [][]byte
		rsize           []*int64
		body            [][]byte
	}
}

// The merged inserts, in the order they are sent: hashes and leaves before
// the submissions that point at them, all before the single statements
// (lookups point at leaves and submissions).
const (
	bulkHashesSQL = "INSERT INTO log_hashes (idx, hash) SELECT * FROM unnest($1::bigint[], $2::bytea[])"
	bulkLeavesSQL = "INSERT INTO log_leaves (idx, data) SELECT * FROM unnest($1::bigint[], $2::bytea[])"
	bulkSubsSQL   = `INSERT INTO submissions (seq, id, digest, size, reid_digest, reid_size, device, day, body, leaf)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::bytea[], $4::bigint[], $5::bytea[], $6::bigint[], $7::text[], $8::text[], $9::bytea[], $10::bigint[])`
)

// queue queues the merged inserts on b, empties r, and returns how many
// statements it queued.
func (r *bulkRows) queue(b *pgx.Batch) int {
	n := 0
	if len(r.hashIdx) > 0 {
		b.Queue(bulkHashesSQL, r.hashIdx, r.hashVal)
		n++
	}
	if len(r.leafIdx) > 0 {
		b.Queue(bulkLeavesSQL, r.leafIdx, r.leafData)
		n++
	}
	if s := &r.subs; len(s.seq) > 0 {
		b.Queue(bulkSubsSQL, s.seq, s.id, s.digest, s.size, s.rd, s.rsize, s.device, s.day, s.body, s.leaf)
		n++
	}
	*r = bulkRows{}
	return n
}
