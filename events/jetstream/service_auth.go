package jetstream

import (
	"encoding/base64"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
)

// The server is the only writer (docs/operations.md, "Who may connect").
// With EmbeddedOptions.ServiceKey set, the embedded server takes no
// password: every connection proves an nkey by signing the server's nonce,
// and the key decides what it may do:
//   - the service key (kaohe's own user, serve and the kaohe commands
//     sharing its data directory) publishes anywhere but the destructive
//     stream APIs: the events on kaohe.>, the JetStream API;
//   - an official's current key on the roster (EmbeddedOptions.Official)
//     may only publish requests to kaohe's service (ServiceSubjects) and
//     receive the replies on its own inbox, _INBOX.<its key>.>: it cannot
//     append an event, touch the stream, or read another official's
//     replies;
//   - any other key, a wrong signature or no key at all is refused.
// The roster is asked on every connection, so an official added, rotated
// or revoked a moment ago is known without a restart.

// ServicePrefix is the first token of kaohe's service subjects. It is not
// under kaohe.>, the stream's subjects: a request is never an event.
const ServicePrefix = "kaohesvc"

// ServiceSubjects covers every endpoint of kaohe's service.
const ServiceSubjects = ServicePrefix + ".>"

// InboxPrefix is the reply inbox prefix of the official with key pub: only
// a connection proving pub may subscribe below it.
func InboxPrefix(pub string) string { return "_INBOX." + pub }

// OfficialPermissions are what an official's connection may do.
func OfficialPermissions(pub string) *server.Permissions {
	return &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: []string{ServiceSubjects}},
		Subscribe: &server.SubjectPermission{Allow: []string{InboxPrefix(pub) + ".>"}},
	}
}

// servicePermissions are the service user's: everything but destroying
// the ledger.
func servicePermissions() *server.Permissions {
	return &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: []string{">"}, Deny: DeniedAPISubjects()},
		Subscribe: &server.SubjectPermission{Allow: []string{">"}},
	}
}

// nkeyAuth is the embedded server's authenticator (see the top).
type nkeyAuth struct {
	service  string
	official func(pub string) bool
}

// Check verifies the connection's nonce signature, then maps its key.
func (a *nkeyAuth) Check(c server.ClientAuthentication) bool {
	if c.Kind() != server.CLIENT {
		return false
	}
	o := c.GetOpts()
	if o == nil || o.Nkey == "" || o.Sig == "" || !nkeys.IsValidPublicUserKey(o.Nkey) {
		return false
	}
	sig, err := base64.RawURLEncoding.DecodeString(o.Sig)
	if err != nil {
		if sig, err = base64.StdEncoding.DecodeString(o.Sig); err != nil {
			return false
		}
	}
	pk, err := nkeys.FromPublicKey(o.Nkey)
	if err != nil || pk.Verify(c.GetNonce(), sig) != nil {
		return false // not the holder of that key
	}
	switch {
	case o.Nkey == a.service:
		c.RegisterUser(&server.User{Username: o.Nkey, Permissions: servicePermissions()})
		return true
	case a.official != nil && !strings.HasPrefix(o.Nkey, "_") && a.official(o.Nkey):
		c.RegisterUser(&server.User{Username: o.Nkey, Permissions: OfficialPermissions(o.Nkey)})
		return true
	}
	return false
}
