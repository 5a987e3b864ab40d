package jetstream

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

// EmbeddedOptions configures the in-process NATS server. The zero value is the
// production setting: fsync on every write, no network listener.
type EmbeddedOptions struct {
	// SyncInterval is how often the file store fsyncs. Zero (the default)
	// means SyncAlways: every acknowledged event is on disk before the ack,
	// which a ledger needs. A positive interval is faster but can lose up to
	// that much acknowledged data on power failure (benchmarks only).
	SyncInterval time.Duration

	// Port: 0 (default) opens no listener, clients connect in process;
	// -1 listens on a random loopback port (tests, bench); >0 on that port.
	Port int
	// Host for the listener; default 127.0.0.1.
	Host string

	// User and Password of the application account. Empty: "kaohe" and a
	// random password (only this process can connect).
	User     string
	Password string

	// ServiceKey, when set, replaces the password: nkey authentication,
	// this key the service user, Official deciding which other keys are
	// officials allowed to call kaohe's service (service_auth.go).
	ServiceKey nkeys.KeyPair
	Official   func(pub string) bool
}

// DeniedAPISubjects are the JetStream API subjects the application user may
// not publish to. DenyDelete/DenyPurge on the stream stop message delete and
// purge, but not deleting or reconfiguring the whole stream; these close
// that. Stream create ($JS.API.STREAM.CREATE.>) stays allowed.
func DeniedAPISubjects() []string {
	return []string{
		"$JS.API.STREAM.DELETE.>",
		"$JS.API.STREAM.PURGE.>",
		"$JS.API.STREAM.MSG.DELETE.>",
		"$JS.API.STREAM.UPDATE.>",
		"$JS.API.ACCOUNT.PURGE.>",
	}
}

// Embedded is a NATS server with JetStream running inside this process.
type Embedded struct {
	srv      *server.Server
	user     string
	password string
	key      nkeys.KeyPair // the service key, nil with a password
}

// ErrEmbeddedNotReady is returned when the embedded server does not come up.
var ErrEmbeddedNotReady = errors.New("events: embedded NATS server not ready")

// StartEmbedded runs a JetStream server storing its data under dir.
func StartEmbedded(dir string, opts EmbeddedOptions) (*Embedded, error) {
	if dir == "" {
		return nil, errors.New("events: embedded server needs a data directory")
	}
	user, password := opts.User, opts.Password
	if user == "" {
		user = "kaohe"
	}
	var err error
	if password == "" {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("events: embedded password: %w", err)
		}
		password = hex.EncodeToString(b[:])
	}
	so := &server.Options{
		ServerName: "kaohe-embedded",
		JetStream:  true,
		StoreDir:   dir,
		NoLog:      true,
		NoSigs:     true,
		Users: []*server.User{{
			Username: user,
			Password: password,
			Permissions: &server.Permissions{
				Publish: &server.SubjectPermission{
					Allow: []string{">"},
					Deny:  DeniedAPISubjects(),
				},
				Subscribe: &server.SubjectPermission{Allow: []string{">"}},
			},
		}},
	}
	var service string
	if opts.ServiceKey != nil {
		if service, err = opts.ServiceKey.PublicKey(); err != nil {
			return nil, fmt.Errorf("events: service key: %w", err)
		}
		so.Users = nil
		so.AlwaysEnableNonce = true
		so.CustomClientAuthentication = &nkeyAuth{service: service, official: opts.Official}
	}
	if opts.SyncInterval > 0 {
		so.SyncInterval = opts.SyncInterval
	} else {
		so.SyncAlways = true
	}
	switch {
	case opts.Port == 0:
		so.DontListen = true
	default:
		so.Host = opts.Host
		if so.Host == "" {
			so.Host = "127.0.0.1"
		}
		so.Port = opts.Port
	}
	srv, err := server.NewServer(so)
	if err != nil {
		return nil, fmt.Errorf("events: embedded server: %w", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		return nil, ErrEmbeddedNotReady
	}
	return &Embedded{srv: srv, user: user, password: password, key: opts.ServiceKey}, nil
}

// Connect opens a connection as the application user (publish on the
// destructive stream APIs denied). Extra options are applied after ours.
func (e *Embedded) Connect(opts ...nats.Option) (*nats.Conn, error) {
	all := []nats.Option{nats.UserInfo(e.user, e.password), nats.Name("kaohe")}
	if e.key != nil {
		pub, _ := e.key.PublicKey()
		all[0] = nats.Nkey(pub, e.key.Sign)
	}
	url := nats.DefaultURL
	if e.srv.Addr() == nil {
		// No listener: an in-process pipe.
		all = append(all, nats.InProcessServer(e.srv))
	} else {
		url = e.srv.ClientURL()
	}
	all = append(all, opts...)
	nc, err := nats.Connect(url, all...)
	if err != nil {
		return nil, fmt.Errorf("events: connect to embedded server: %w", err)
	}
	return nc, nil
}

// ClientURL is the nats:// URL of the listener, or "" when the server does
// not listen (Port 0).
func (e *Embedded) ClientURL() string {
	if e.srv.Addr() == nil {
		return ""
	}
	return e.srv.ClientURL()
}

// Port is the listening port, 0 when not listening.
func (e *Embedded) Port() int {
	if e.srv.Addr() == nil {
		return 0
	}
	if a, ok := e.srv.Addr().(*net.TCPAddr); ok {
		return a.Port
	}
	return 0
}

// Shutdown stops the server and waits until it has stopped (the store files
// are closed afterwards, so the directory can be reopened).
func (e *Embedded) Shutdown() {
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
}
