// Package bench measures kaohe at county and province scale against the raw
// limits of the JetStream server it runs on, in one run (`kaohe bench`).
//
// It generates a realistic synthetic ledger — each county (县) is one
// assessment year of ~60 units × 40 indicators and ~500 cadres with
// schemes, targets, routine and year-end scores, corrections, evaluations,
// tallies, bonuses, deductions, vetoes, grade decisions, publications,
// appeals and cadre events — as valid envelopes with correct per-subject
// hash chains, and writes it with async publishes (the raw async publish
// figure). It then measures validated appends through commands.Ledger,
// the raw synchronous publish and ordered-consumer read rates, a full
// rebuild, the time-travel and audit queries, and peak RSS, and reports
// each figure with its ratio to the raw limit it is bounded by.
//
// docs/performance.md explains the model, the figures and the targets.
package bench
