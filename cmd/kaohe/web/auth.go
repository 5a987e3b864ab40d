package web

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nkeys"

	"github.com/kaohe/kaohe/events"
)

// LoginPrefix is the domain-separation line of a login signature: the
// signed bytes are LoginPrefix + challenge. It differs from
// events.SignaturePrefix, so a login signature is never a command's.
const LoginPrefix = "kaohe-login-v1\n"

const (
	sessionCookie = "kaohe_session"
	challengeTTL  = 2 * time.Minute
	// maxChallengesPerKey bounds the open challenges of one key: a new one
	// replaces the oldest. Challenges are given to the roster's keys only,
	// so all of them together stay bounded, however many requests come
	// (before, anyone could ask for any key's challenges, each kept two
	// minutes and each request scanning them all). 64: one office key may
	// log in on many desks at once (the bench logs 50 clients in).
	maxChallengesPerKey = 64
)

// sessions holds open challenges and logged-in sessions in memory: a
// restart logs everyone out, which is all a short-lived session needs.
type sessions struct {
	ttl        time.Duration
	now        func() time.Time
	mu         sync.Mutex
	challenges map[string]challenge // by challenge text
	byToken    map[string]session
}

type challenge struct {
	key     string
	expires time.Time
}

type session struct {
	key      string // the official's public key the login proved
	official string // its id then (for logs; the roster decides each request)
	expires  time.Time
}

func newSessions(ttl time.Duration, now func() time.Time) *sessions {
	return &sessions{ttl: ttl, now: now, challenges: map[string]challenge{}, byToken: map[string]session{}}
}

func random(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// challenge gives a fresh challenge for key, good once within
// challengeTTL, and forgets key's oldest when it holds
// maxChallengesPerKey.
func (s *sessions) challenge(key string) string {
	c := random(24)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var mine []string
	for k, v := range s.challenges {
		switch {
		case now.After(v.expires): // forget the expired ones
			delete(s.challenges, k)
		case v.key == key:
			mine = append(mine, k)
		}
	}
	if len(mine) >= maxChallengesPerKey {
		slices.SortFunc(mine, func(a, b string) int { return s.challenges[a].expires.Compare(s.challenges[b].expires) })
		for _, k := range mine[:len(mine)-maxChallengesPerKey+1] {
			delete(s.challenges, k)
		}
	}
	s.challenges[c] = challenge{key: key, expires: now.Add(challengeTTL)}
	return c
}

// login checks a signed challenge (used up either way) and opens a session.
func (s *sessions) login(key, chal, sig64 string, official string) (string, string) {
	s.mu.Lock()
	c, ok := s.challenges[chal]
	delete(s.challenges, chal)
	s.mu.Unlock()
	if !ok || c.key != key || s.now().After(c.expires) {
		return "", "unknown or expired challenge for this key: ask for a new one"
	}
	kp, err := nkeys.FromPublicKey(key)
	if err != nil {
		return "", "not an nkey public user key"
	}
	sig, err := base64.StdEncoding.DecodeString(sig64)
	if err != nil || kp.Verify([]byte(LoginPrefix+chal), sig) != nil {
		return "", "the signature does not match the challenge and key"
	}
	token := random(32)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for k, v := range s.byToken {
		if now.After(v.expires) {
			delete(s.byToken, k)
		}
	}
	s.byToken[token] = session{key: key, official: official, expires: now.Add(s.ttl)}
	return token, ""
}

func (s *sessions) get(r *http.Request) (session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return session{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.byToken[c.Value]
	if !ok || s.now().After(sess.expires) {
		return session{}, false
	}
	return sess, true
}

func (s *sessions) logout(r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.mu.Lock()
		delete(s.byToken, c.Value)
		s.mu.Unlock()
	}
}

// who is the request's official: the session's key as the roster gives it
// now (a revoked or replaced key is no official any more).
func (s *Server) who(r *http.Request) (events.Official, bool) {
	sess, ok := s.sessions.get(r)
	if !ok {
		return events.Official{}, false
	}
	ro, err := s.b.Roster(r.Context())
	if err != nil {
		return events.Official{}, false
	}
	return ro.OfficialByKey(sess.key)
}

type challengeRequest struct {
	Key string `json:"key"`
}

type challengeReply struct {
	Challenge string `json:"challenge"`
	Prefix    string `json:"prefix"` // sign Prefix + Challenge
}

func (s *Server) apiChallenge(w http.ResponseWriter, r *http.Request) {
	var req challengeRequest
	if !readJSON(w, r, &req) {
		return
	}
	if !nkeys.IsValidPublicUserKey(req.Key) {
		writeJSON(w, http.StatusBadRequest, apiError{Error: "key: not an nkey public user key (U…)", Field: "key"})
		return
	}
	ro, err := s.b.Roster(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if _, ok := ro.OfficialByKey(req.Key); !ok {
		s.deny(w, r, "key "+req.Key+" is no current official's key on the roster")
		return
	}
	writeJSON(w, http.StatusOK, challengeReply{Challenge: s.sessions.challenge(req.Key), Prefix: LoginPrefix})
}

type loginRequest struct {
	Key       string `json:"key"`
	Challenge string `json:"challenge"`
	Sig       string `json:"sig"` // standard base64 ed25519 signature of Prefix + Challenge
}

// meReply is who the session is.
type meReply struct {
	Official string       `json:"official"`
	Name     string       `json:"name"`
	Role     events.Role  `json:"role"`
	Actor    events.Actor `json:"actor"` // what its commands carry
	Key      string       `json:"key"`
	Home     string       `json:"home,omitempty"` // its page for the year asked
}

func meOf(o events.Official) meReply {
	return meReply{Official: o.ID, Name: o.Name, Role: o.Role, Actor: o.Actor(), Key: o.Key}
}

func (s *Server) apiLogin(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if !readJSON(w, r, &req) {
		return
	}
	ro, err := s.b.Roster(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	o, ok := ro.OfficialByKey(req.Key)
	if !ok {
		s.sessions.logout(r)
		s.deny(w, r, "key "+req.Key+" is no current official's key on the roster")
		return
	}
	token, why := s.sessions.login(req.Key, req.Challenge, req.Sig, o.ID)
	if why != "" {
		s.deny(w, r, why)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: s.cfg.Secure,
		SameSite: http.SameSiteStrictMode, MaxAge: int(s.cfg.SessionTTL.Seconds())})
	s.log.Info("login", "official", o.ID, "role", o.Role)
	writeJSON(w, http.StatusOK, meOf(o))
}

func (s *Server) apiLogout(w http.ResponseWriter, r *http.Request) {
	s.sessions.logout(r)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, MaxAge: -1})
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) {
	o, ok := s.who(r)
	if !ok {
		writeJSON(w, http.StatusUnauthorized, apiError{Error: "not logged in: POST /api/auth/challenge, then /api/auth/session"})
		return
	}
	me := meOf(o)
	if y := r.URL.Query().Get("year"); y != "" {
		me.Home = homeOf(o, y)
	}
	writeJSON(w, http.StatusOK, me)
}

// homeOf is an official's page for a year.
func homeOf(o events.Official, year string) string {
	switch o.Role {
	case events.RoleOffice, events.RoleCommittee:
		return "/office/" + year
	case events.RoleInspector:
		return "/inspect/" + year
	case events.RoleUnit:
		return "/unit/" + year + "/" + o.Actor().ID
	case events.RoleAdmin:
		return "/" + year
	}
	return "/dept/" + year
}
