package jetstream

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// Checks made when connecting to an external server (Config.URL): the
// embedded server is of our version and configures its user itself.

// checkServerVersion refuses a server older than MinServerVersion: without
// atomic batches a multi-event append would fail on every write.
func checkServerVersion(url, version string) error {
	if !versionAtLeast(version, MinServerVersion) {
		return &ServerVersionError{URL: url, Version: version}
	}
	return nil
}

// versionAtLeast compares the major.minor.patch of two server versions
// ("2.12.1", "2.12.0-RC.2"; a pre-release counts as its release). An
// unreadable version is not at least anything.
func versionAtLeast(have, want string) bool {
	h, ok1 := versionParts(have)
	w, ok2 := versionParts(want)
	if !ok1 || !ok2 {
		return false
	}
	for i := range h {
		if h[i] != w[i] {
			return h[i] > w[i]
		}
	}
	return true
}

func versionParts(v string) ([3]int, bool) {
	var out [3]int
	v = strings.TrimPrefix(v, "v")
	if i := strings.IndexAny(v, "-+ "); i >= 0 {
		v = v[:i]
	}
	parts := strings.Split(v, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return out, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return out, false
		}
		out[i] = n
	}
	return out, true
}

// probeTimeout bounds the wait for one probe's answer. A permitted JetStream
// API request is answered at once (here: stream not found); a refused one
// gets a permissions violation as fast; silence counts as refused.
const probeTimeout = 2 * time.Second

// probeDestructive finds which of the stream-destroying JetStream APIs the
// connection's user may publish to. It never touches the ledger: every
// probe names a stream that does not exist (a fresh random name), so a
// permitted request is answered "stream not found" and changes nothing. A
// refused one gets no reply; the server reports it asynchronously as
// -ERR 'Permissions Violation for Publish to "<subject>"', which nats.go
// hands to the connection's error handler (ErrPermissionViolation).
//
// It answers for deny rules on wildcards ($JS.API.STREAM.DELETE.> as
// DeniedAPISubjects lists them): a deny of only the ledger's own name
// would still show here as permitted, which errs on the loud side.
func probeDestructive(ctx context.Context, nc *nats.Conn) []string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil
	}
	probe := "KAOHE_PERMISSION_PROBE_" + hex.EncodeToString(b[:])
	apis := []string{"$JS.API.STREAM.DELETE.", "$JS.API.STREAM.PURGE.", "$JS.API.STREAM.MSG.DELETE.", "$JS.API.STREAM.UPDATE."}

	var mu sync.Mutex
	refused := map[string]chan struct{}{}
	for _, api := range apis {
		refused[api+probe] = make(chan struct{})
	}
	prev := nc.ErrorHandler()
	nc.SetErrorHandler(func(c *nats.Conn, sub *nats.Subscription, err error) {
		if errors.Is(err, nats.ErrPermissionViolation) && strings.Contains(err.Error(), probe) {
			mu.Lock()
			for subj, ch := range refused {
				if strings.Contains(err.Error(), `"`+subj+`"`) {
					close(ch)
					delete(refused, subj)
				}
			}
			mu.Unlock()
			return // the refusal we asked for, not worth printing
		}
		if prev != nil {
			prev(c, sub, err)
		}
	})
	defer nc.SetErrorHandler(prev)

	allowed := make([]bool, len(apis))
	var wg sync.WaitGroup
	for i, api := range apis {
		subj := api + probe
		mu.Lock()
		gone := refused[subj]
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			rctx, cancel := context.WithTimeout(ctx, probeTimeout)
			defer cancel()
			go func() {
				select {
				case <-gone: // refused: stop waiting for a reply
					cancel()
				case <-rctx.Done():
				}
			}()
			if _, err := nc.RequestWithContext(rctx, subj, nil); err == nil {
				allowed[i] = true
			}
		}()
	}
	wg.Wait()
	var out []string
	for i, api := range apis {
		if allowed[i] {
			out = append(out, api+">")
		}
	}
	return out
}
