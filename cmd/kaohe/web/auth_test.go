package web

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nkeys"
)

// A login challenge is good once, for its key, within two minutes; a
// session ends after its TTL; a signature over anything but
// "kaohe-login-v1\n" + the challenge (a command's bytes) does not log in.
// loginKeys are two keys and a sessions store on a clock that now sets.
func loginKeys(now *time.Time) (s *sessions, kp nkeys.KeyPair, pub string, other nkeys.KeyPair, otherPub string) {
	s = newSessions(30*time.Minute, func() time.Time { return *now })
	kp, _ = nkeys.CreateUser()
	pub, _ = kp.PublicKey()
	other, _ = nkeys.CreateUser()
	otherPub, _ = other.PublicKey()
	return
}

// signed is k's signature of text, as a login sends it.
func signed(k nkeys.KeyPair, text string) string {
	b, _ := k.Sign([]byte(text))
	return base64.StdEncoding.EncodeToString(b)
}

func TestLoginChallenges(t *testing.T) {
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	s, kp, pub, other, otherPub := loginKeys(&now)
	sign := signed

	c := s.challenge(pub)
	if _, why := s.login(pub, c, sign(kp, "kaohe-command-v1\n"+c), "o"); why == "" {
		t.Error("a signature with the command prefix logged in")
	}
	c = s.challenge(pub)
	if _, why := s.login(otherPub, c, sign(other, LoginPrefix+c), "o"); why == "" {
		t.Error("another key used a challenge given for pub")
	}
	c = s.challenge(pub)
	token, why := s.login(pub, c, sign(kp, LoginPrefix+c), "o")
	if why != "" || token == "" {
		t.Fatalf("a good login: %q", why)
	}
	if _, why := s.login(pub, c, sign(kp, LoginPrefix+c), "o"); why == "" {
		t.Error("a challenge was good twice")
	}
	c = s.challenge(pub)
	now = now.Add(challengeTTL + time.Second)
	if _, why := s.login(pub, c, sign(kp, LoginPrefix+c), "o"); why == "" {
		t.Error("an expired challenge logged in")
	}

	req, _ := http.NewRequest("GET", "/", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: token})
	if _, ok := s.get(req); !ok {
		t.Fatal("the session is not found")
	}
	now = now.Add(30 * time.Minute)
	if _, ok := s.get(req); ok {
		t.Error("a session outlived its TTL")
	}
}

// The unit's history chart has a point per year with composite and rank.
func TestHistorySVG(t *testing.T) {
	svg := historySVG("t1", []yearPoint{{2022, 48.6, "48.60", 1, 4}, {2023, 52.1, "52.10", 2, 4}})
	for _, want := range []string{`class="composite"`, "48.60 · #1/4", "52.10 · #2/4", ">2023<"} {
		if !strings.Contains(svg, want) {
			t.Errorf("chart lacks %q:\n%s", want, svg)
		}
	}
}

// One key holds at most maxChallengesPerKey open challenges: asking again
// forgets its oldest, so a flood of requests for one key keeps 64, and
// the newest still logs in. Another key's challenges are not touched.
func TestOneKeyHoldsAtMost64Challenges(t *testing.T) {
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	s, kp, pub, other, otherPub := loginKeys(&now)
	sign := func(k nkeys.KeyPair, c string) string { return signed(k, LoginPrefix+c) }
	theirs := s.challenge(otherPub)
	var cs []string
	for range 1000 {
		now = now.Add(time.Millisecond)
		cs = append(cs, s.challenge(pub))
	}
	if n := len(s.challenges); n != maxChallengesPerKey+1 {
		t.Fatalf("%d open challenges after 1,000 for one key and one for another, want %d", n, maxChallengesPerKey+1)
	}
	if _, why := s.login(pub, cs[len(cs)-maxChallengesPerKey-1], sign(kp, cs[len(cs)-maxChallengesPerKey-1]), "o"); why == "" {
		t.Error("a challenge pushed out by newer ones logged in")
	}
	if _, why := s.login(pub, cs[len(cs)-1], sign(kp, cs[len(cs)-1]), "o"); why != "" {
		t.Errorf("the newest challenge: %s", why)
	}
	if _, why := s.login(otherPub, theirs, sign(other, theirs), "o2"); why != "" {
		t.Errorf("the other key's challenge: %s", why)
	}
}
