package engine

import "github.com/kaohe/kaohe/projections/scheme"

// block hands out values of T from chunks allocated together. A county
// year's results are tens of thousands of small structs (an indicator's
// result, a part's, a vote rate's …); allocating them a chunk at a time
// instead of one by one is most of what scoring saves on the allocator
// and the collector. A block belongs to one scoring (the engine value):
// its chunks hold that scoring's results only, which are kept or dropped
// whole.
type block[T any] struct{ free []T }

const blockChunk = 128

// one is a new zero T.
func (b *block[T]) one() *T {
	if len(b.free) == 0 {
		b.free = make([]T, blockChunk)
	}
	p := &b.free[0]
	b.free = b.free[1:]
	return p
}

// slice is an empty slice (not nil) with room for n. Its capacity is n
// exactly, so an append past n moves it rather than writing into the next
// one's room.
func (b *block[T]) slice(n int) []T {
	if n == 0 {
		return []T{}
	}
	if n > blockChunk/4 {
		return make([]T, 0, n)
	}
	if len(b.free) < n {
		b.free = make([]T, blockChunk)
	}
	s := b.free[:0:n]
	b.free = b.free[n:]
	return s
}

// blocks are a scoring's chunks, one per kind of small struct it makes:
// the results' own and its scratch (subjects, gradees, adjusted).
type blocks struct {
	components block[ComponentResult]
	indicators block[IndicatorResult]
	parts      block[PartResult]
	ballots    block[BallotRow]
	values     block[Value]
	compPtrs   block[*ComponentResult]
	indPtrs    block[*IndicatorResult]
	partPtrs   block[*PartResult]
	ballotPtrs block[*BallotRow]
	votes      block[VoteRate]
	votePtrs   block[*VoteRate]
	cadres     block[CadreResult]
	grades     block[GradeResult]
	hits       block[RuleHit]
	adjusts    block[AdjustResult]
	subjects   block[subject]
	gradees    block[gradee]
	adjusteds  block[adjusted]
	poolPtrs   block[*pool]
	keys       block[scheme.Dec]
	pointLists block[componentPoints]
}
