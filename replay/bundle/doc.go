// Package bundle writes and checks an appeal's evidence bundle (证据包): one
// self-contained file holding the facts behind one unit's published result,
// provably the published ones, that anyone can check offline — without the
// ledger, without a network, with only SHA-256 and ed25519 if need be.
//
// A bundle is a gzip-compressed tar archive (docs/bundle.md specifies every
// entry byte for byte). It holds the year's scheme as recorded; the stored
// bytes of every event needed to recompute the unit's category (its units'
// subjects, the year's own subject with the grade decisions and the
// publications, the offices, the scheme — or the whole year when the
// category rests on units of another) and of the roster that says who
// signed them; the canonical results document of the latest publication
// (whose SHA-256 is the published digest); the signed checkpoints of the
// stream, the consistency proofs between them and an inclusion proof of
// every event in the newest one; and a guide in Chinese and English. A
// MANIFEST lists the SHA-256 of every entry, signed by the office official
// who made the bundle.
//
// Make writes a bundle from the ledger; Verify checks one from its bytes
// alone, recomputing the category with the real engine
// (projections/engine), and names the first entry that does not hold.
package bundle
