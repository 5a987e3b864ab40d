// Package commands is the only way to write to the kaohe ledger. Each command
// (a JSON object: see docs/commands.md) is checked against the year's scheme,
// the actor's role, deadlines and publication state before any event is
// appended; a rejected command writes nothing and returns an *Error naming the
// field. Appends use optimistic concurrency: each written aggregate's last
// sequence and the year's lifecycle and scheme (or, when one event cannot
// carry them all, the end of the stream after a snapshot of every state
// decided on) are expected by the server; on a conflict the affected state
// is re-read and the whole submission is decided again. A command file of
// any size is read as a stream (Decoder), checked whole and then written in
// atomic batches (Ledger.SubmitFile).
//
// On a ledger with a roster of officials (kaohe.org.official.<id>) every
// command must be signed by an official whose key is current (Sign, SignAs
// on the client's side; identity.go checks): the actor and role come from
// the roster, the signer's roster entry is guarded at the append like a
// state decided on, and each event carries the signature (events.Signature).
// Roster commands (RegisterOfficial …, official.go) are an admin's.
package commands
