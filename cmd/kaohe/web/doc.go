// Package web is kaohe's HTTP face, started by kaohe serve --http: the
// pages each user works in (公示 for the public, the office's dashboard, a
// department's score sheet, a unit's own result and appeals, the
// inspector's audit) and the JSON API behind them (/api/…, described by
// /api/openapi.json), with /healthz, /readyz and /metrics.
//
// It decides nothing. Every read runs the same subcommand, with the same
// read policy, as kaohe's NATS service and the CLI (Backend.Read,
// Backend.Allow); every write is a command signed by the official in the
// browser (WebCrypto Ed25519 over the canonical bytes of events/doc.go,
// static/app.js) or uploaded already signed, and goes through the same
// submission as the service (Backend.Submit). The server never signs in an
// official's name.
//
// Officials log in with their key: the page asks for a challenge, signs
// "kaohe-login-v1\n" + challenge with the official's nkey (ed25519) and
// gets a short-lived session, an HttpOnly cookie. The session names the
// key; who the key is, and in which role, is read from the roster on
// every request, so a revoked key loses its session at once.
package web
