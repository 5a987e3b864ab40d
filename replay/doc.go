// Package replay rebuilds results from the event stream: full rebuilds,
// results as of a time or sequence, what-if replays for appeals (exclude or
// add events), diffs between two results, and verification of hash chains
// and publication digests (Merkle roots over a year's events).
package replay
