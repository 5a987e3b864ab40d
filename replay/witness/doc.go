// Package witness keeps kaohe's stream as a transparency log and remembers
// it outside the stream.
//
// The tree is RFC 6962's, computed with golang.org/x/mod/sumdb/tlog (the Go
// checksum database's implementation): leaf i is tlog.RecordHash of the
// stored bytes of the message at stream sequence i+1. A checkpoint (origin,
// tree size, root) is written in the C2SP tlog-checkpoint format and signed
// as a C2SP signed note (golang.org/x/mod/sumdb/note), so any standard
// witness can cosign it. Every checkpoint kaohe publishes is also appended
// to a witness file outside the stream (File); verify checks that each
// checkpoint extends the one before and that the stream still matches the
// newest one.
package witness
