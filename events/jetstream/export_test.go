package jetstream

import (
	"context"

	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"
)

// The store's tests are package jetstream_test, so they can share
// storetest's helpers (storetest imports this package; an internal test
// importing it would be a cycle). These are the few internals they check.

// StreamOf is the store's stream handle.
func StreamOf(s *Store) natsjs.Stream { return s.stream }

// PublishBatch sends msgs as one raw atomic batch (publishBatch), for tests
// of the server's batch semantics underneath Append.
func PublishBatch(ctx context.Context, s *Store, msgs []*nats.Msg) error {
	_, err := s.publishBatch(ctx, msgs)
	return err
}

// VersionAtLeast is versionAtLeast.
var VersionAtLeast = versionAtLeast

// InProcessLogin is how the application user reaches e in process, for
// tests that open a store on a server they configured themselves.
func InProcessLogin(e *Embedded) []nats.Option {
	return []nats.Option{nats.InProcessServer(e.srv), nats.UserInfo(e.user, e.password)}
}

// Password is the application user's password on e.
func Password(e *Embedded) string { return e.password }

// The server's error codes for a failed sequence expectation.
const (
	ErrCodeWrongLastSeq         = errCodeWrongLastSeq
	ErrCodeWrongLastSeqConstant = errCodeWrongLastSeqConstant
)
