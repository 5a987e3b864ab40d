// Package jetstream is kaohe's ledger store: the events of package events on
// one NATS JetStream stream, the embedded server that runs it by default,
// the checks of an external server, the data directory's lock and the
// service's nkey authentication. Package events holds what the ledger is
// (catalogue, envelope, chain, roster, signatures) and imports the standard
// library only; this package is where NATS comes in, as projections/sqlite
// is where SQLite does.
//
// The stream, its headers and how it is read are documented in
// events/doc.go, beside the envelope, so that one page describes the stored
// ledger for a reader with any NATS client.
package jetstream
