package desk

import (
	"bytes"
	"runtime"
	"sort"
	"sync"
)

// searchIndex holds the folded search text of the inbox's testimonies in a
// few large blocks, each text followed by a zero byte, rather than as one
// string per testimony. A search is then one bytes.Index scan per block,
// run on every processor at once, with each hit mapped back to its
// testimony by offset; searching testimony by testimony costs three to four
// times that scan at 100,000, because each call restarts the scan's
// first-byte heuristics, which Hangul (whose first bytes repeat) defeats.
// It also keeps the heap small: a hundred large allocations instead of one
// per testimony.
//
// It is not safe for concurrent use: the inbox adds under its lock and
// searches under its read lock.
type searchIndex struct {
	blocks []*searchBlock
	texts  int
}

// searchBlock is one block of text. owners[i]'s text starts at starts[i]
// and ends at the zero byte before starts[i+1] (or the block's end).
type searchBlock struct {
	text   []byte
	starts []int32
	owners []*testimony
}

// searchBlockSize is the size of a block; a longer text has one of its own.
const searchBlockSize = 4 << 20

// add adds t's folded text. A text added again for the same testimony
// (its file changed and was imported again) comes with a new *testimony;
// the old one's text stays and is no longer found, since the inbox no
// longer lists it (see inboxData).
func (x *searchIndex) add(t *testimony, text string) {
	need := len(text) + 1
	var b *searchBlock
	if n := len(x.blocks); n > 0 && cap(x.blocks[n-1].text)-len(x.blocks[n-1].text) >= need {
		b = x.blocks[n-1]
	} else {
		b = &searchBlock{text: make([]byte, 0, max(searchBlockSize, need))}
		x.blocks = append(x.blocks, b)
	}
	b.starts = append(b.starts, int32(len(b.text)))
	b.owners = append(b.owners, t)
	start := len(b.text)
	b.text = append(b.text, text...)
	// A zero byte ends each text, so no text may hold one: otherwise a
	// query could match across two testimonies.
	for i := start; i < len(b.text); i++ {
		if b.text[i] == 0 {
			b.text[i] = ' '
		}
	}
	b.text = append(b.text, 0)
	x.texts++
}

// search calls hit, from several goroutines but never two at once, for
// each testimony whose text contains any of queries (folded, non-empty),
// once per testimony.
func (x *searchIndex) search(queries []string, hit func(*testimony)) {
	qs := make([][]byte, 0, len(queries))
	for _, q := range queries {
		if q != "" && !bytes.Contains([]byte(q), []byte{0}) {
			qs = append(qs, []byte(q))
		}
	}
	if len(qs) == 0 {
		return
	}
	var mu sync.Mutex
	work := make(chan *searchBlock)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(x.blocks)) {
		wg.Go(func() {
			var found []*testimony
			for b := range work {
				found = b.search(qs, found[:0])
				mu.Lock()
				for _, t := range found {
					hit(t)
				}
				mu.Unlock()
			}
		})
	}
	for _, b := range x.blocks {
		work <- b
	}
	close(work)
	wg.Wait()
}

// search appends to found the owners of b's texts that contain any of qs.
func (b *searchBlock) search(qs [][]byte, found []*testimony) []*testimony {
	matched := make([]bool, len(b.owners))
	for _, q := range qs {
		for pos := 0; pos < len(b.text); {
			i := bytes.Index(b.text[pos:], q)
			if i < 0 {
				break
			}
			// The text the match starts in; the match cannot run past it,
			// since q holds no zero byte. Go on from the next text.
			k := sort.Search(len(b.starts), func(k int) bool { return int(b.starts[k]) > pos+i }) - 1
			matched[k] = true
			if k+1 == len(b.starts) {
				break
			}
			pos = int(b.starts[k+1])
		}
	}
	for k, m := range matched {
		if m {
			found = append(found, b.owners[k])
		}
	}
	return found
}
