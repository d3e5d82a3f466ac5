package stats

import "container/heap"

// Cell suppression as a flow network.
//
// Every table this package shows is a set of counts bound by sums that
// the reader sees (a row adds up to its row total, the categories to N, N
// and "no answer" to the number of responses). Such a table is a
// circulation in a small directed graph: each count is the flow on an
// edge, and each sum is the conservation of flow at a node. A one-way
// table of categories c1..cm with "no answer" c0 is
//
//	X ──total──▶ S ──N──▶ S' ──c1..cm──▶ X,   S ──c0──▶ X
//
// and a cross-table adds row nodes and column nodes between them (see
// crossNet). A reader knows the shown counts exactly, and of a hidden one
// only the interval its display states: "<k" is 1..k-1 (zeros are shown),
// "x" (hidden to protect another cell) is k or more.
//
// A hidden count can be pinned to one value by what is shown exactly when
// no other table agrees with everything shown but differs in that count.
// Tables that agree with the shown sums differ by circulations, and every
// circulation is a sum of cycles that move each count in one direction
// (conformal decomposition); so a hidden count on edge u→v can differ by
// one iff there is a cycle through it in the residual graph: a path v⇝u
// (to raise it) or u⇝v (to lower it) over hidden edges that can move one
// step inside their intervals, never over a shown edge. This is exact for
// these tables, whose constraint matrices are network matrices: the
// brute-force adversary in the tests checks it against enumeration.
//
// Secondary suppression hides, for each pinned small count, the cheapest
// set of shown edges that closes such a cycle (a shortest path where a
// shown edge costs its count, margins much more, and edges known from
// other tables cannot be hidden at all), and repeats until no small count
// is pinned. Hiding never pins anything, so this ends.

// infinite is the upper bound of a count hidden as "x".
const infinite = 1 << 40

// edge is one count of a table.
type edge struct {
	from, to int
	v        int // the count: it never leaves the package
	hidden   bool
	primary  bool // hidden because it is below k
	// lo and hi are what a reader can tell of a hidden count.
	lo, hi int
	// fixed edges are never hidden by secondary suppression: the number
	// of responses, and counts another table already shows.
	fixed bool
	// cost is the price of hiding it as secondary.
	cost int
}

// network is a table as a circulation.
type network struct {
	nodes int
	edges []*edge
}

func (n *network) add(from, to, v int) *edge {
	e := &edge{from: from, to: to, v: v, cost: v}
	n.edges = append(n.edges, e)
	return e
}

// hidePrimary hides e as below k: a reader learns 1 ≤ e ≤ k-1.
func (e *edge) hidePrimary(k int) {
	e.hidden, e.primary, e.lo, e.hi = true, true, 1, k-1
}

// hideSecondary hides e to protect another count: a reader learns e ≥ k,
// since every count from 1 to k-1 shows as "<k" and every 0 as "0".
func (e *edge) hideSecondary(k int) {
	e.hidden, e.primary, e.lo, e.hi = true, false, k, infinite
}

// arc is one step of a residual path: over edge e, forward or back.
type arc struct {
	to      int
	e       int
	forward bool
}

// arcs returns the steps out of each node. With shown, a shown edge that
// may be hidden as secondary gives the steps it would allow once hidden
// (for k); without, only hidden edges give steps.
func (n *network) arcs(shown bool, k int) [][]arc {
	out := make([][]arc, n.nodes)
	for i, e := range n.edges {
		lo, hi := e.lo, e.hi
		switch {
		case e.hidden:
		case shown && !e.fixed && e.v >= k:
			lo, hi = k, infinite
		default:
			continue
		}
		if e.v < hi {
			out[e.from] = append(out[e.from], arc{to: e.to, e: i, forward: true})
		}
		if e.v > lo {
			out[e.to] = append(out[e.to], arc{to: e.from, e: i, forward: false})
		}
	}
	return out
}

// path returns the cheapest path from a to b that does not use edge skip,
// over hidden edges (cost 0) and, with shown, over edges that may be
// hidden (their cost). It returns the edges of the path, and false if
// there is none.
func (n *network) path(a, b, skip int, shown bool, k int) ([]int, bool) {
	out := n.arcs(shown, k)
	dist := make([]int, n.nodes)
	via := make([]int, n.nodes) // edge index into the node, -1 at a
	for i := range dist {
		dist[i] = -1
	}
	dist[a], via[a] = 0, -1
	from := make([]int, n.nodes)
	q := &queue{{node: a}}
	done := make([]bool, n.nodes)
	for q.Len() > 0 {
		it := heap.Pop(q).(item)
		if done[it.node] {
			continue
		}
		done[it.node] = true
		if it.node == b {
			var edges []int
			for x := b; x != a; x = from[x] {
				edges = append(edges, via[x])
			}
			return edges, true
		}
		for _, s := range out[it.node] {
			if s.e == skip || done[s.to] {
				continue
			}
			c := 0
			if !n.edges[s.e].hidden {
				c = n.edges[s.e].cost
			}
			if d := dist[it.node] + c; dist[s.to] < 0 || d < dist[s.to] {
				dist[s.to], via[s.to], from[s.to] = d, s.e, it.node
				heap.Push(q, item{node: s.to, dist: d})
			}
		}
	}
	return nil, false
}

// pinned reports whether a reader can tell the hidden count i exactly.
func (n *network) pinned(i int) bool {
	e := n.edges[i]
	if e.v < e.hi {
		if _, ok := n.path(e.to, e.from, i, false, 0); ok {
			return false
		}
	}
	if e.v > e.lo {
		if _, ok := n.path(e.from, e.to, i, false, 0); ok {
			return false
		}
	}
	return true
}

// disableSecondary turns secondary suppression off. Only the tests set it,
// to show that their adversary then recovers hidden counts.
var disableSecondary = false

// protect hides every count from 1 to k-1 (except fixed ones, whose
// state another table decided), then hides more until no count below k
// can be pinned. It reports false if that is impossible: the table must
// then be withheld.
func (n *network) protect(k int) bool {
	for _, e := range n.edges {
		if !e.fixed && !e.hidden && e.v > 0 && e.v < k {
			e.hidePrimary(k)
		}
	}
	if disableSecondary {
		return true
	}
	for changed := true; changed; {
		changed = false
		for i, e := range n.edges {
			if !e.hidden || !e.primary || !n.pinned(i) {
				continue
			}
			if !n.unpin(i, k) {
				return false
			}
			changed = true
		}
	}
	return true
}

// unpin hides the cheapest shown edges that close a cycle through the
// pinned count i.
func (n *network) unpin(i, k int) bool {
	e := n.edges[i]
	var best []int
	bestCost := -1
	try := func(a, b int) {
		p, ok := n.path(a, b, i, true, k)
		if !ok {
			return
		}
		c := 0
		for _, j := range p {
			if !n.edges[j].hidden {
				c += n.edges[j].cost
			}
		}
		if bestCost < 0 || c < bestCost {
			best, bestCost = p, c
		}
	}
	if e.v < e.hi {
		try(e.to, e.from)
	}
	if e.v > e.lo {
		try(e.from, e.to)
	}
	if bestCost < 0 {
		return false
	}
	for _, j := range best {
		if !n.edges[j].hidden {
			n.edges[j].hideSecondary(k)
		}
	}
	return true
}

type item struct{ node, dist int }

type queue []item

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if q[i].dist != q[j].dist {
		return q[i].dist < q[j].dist
	}
	return q[i].node < q[j].node
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(item)) }
func (q *queue) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}
