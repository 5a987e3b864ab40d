#!/usr/bin/env python3
"""Check an unpacked kaohe evidence bundle without kaohe (docs/bundle.md).

    tar xzf bundle.tar.gz -C dir && python3 bundle_check.py dir [checkpoint.pub]

Checks, with SHA-256 and ed25519 only: the manifest and its signature, every
checkpoint's signature, the consistency proofs between them, every event's
inclusion proof in the newest, every event's signature and hash chain link,
the roster (the bundle's roster events, folded in order: each signed event's
key the one the roster gave its actor then, not rotated away or revoked; the
roster changed by an admin only, an official rotating its own key aside; a
key never given to a second official; each event's type one its actor's
role may write), the manifest signed by an office official of that roster,
and that results.json has the digest of the latest publication event. It
does not check that each signed command is the one that wrote its event,
nor recompute the results (that needs kaohe's engine: kaohe bundle verify).
Needs the `cryptography` package for ed25519. Exit 0 when all holds, 1 with
the first entry that does not.
"""
import base64, glob, hashlib, json, os, struct, sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class Mismatch(Exception):
    pass


def sha(b):
    return hashlib.sha256(b).digest()


def node(left, right):
    return sha(b"\x01" + left + right)


def ed25519_ok(raw_key, sig, msg):
    try:
        Ed25519PublicKey.from_public_bytes(raw_key).verify(sig, msg)
        return True
    except InvalidSignature:
        return False


def nkey(key):
    """The raw ed25519 key of an nkey public user key (U...)."""
    b = base64.b32decode(key + "=" * (-len(key) % 8))
    crc = 0
    for byte in b[:33]:  # CRC-16/XMODEM
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    if len(b) != 35 or b[0] != 0xA0 or struct.unpack("<H", b[33:])[0] != crc:
        raise Mismatch(f"{key} is not an nkey public user key")
    return b[1:33]


def included(leaf, index, size, path, root):
    """RFC 9162 2.1.3.2."""
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def consistent(first, second, first_root, second_root, path):
    """RFC 9162 2.1.4.2."""
    if first & (first - 1) == 0:
        path = [first_root] + path
    if not path:
        return False
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_root and sr == second_root


# Who may write each event type of a year: kaohe's events/roles.go
# (TestTheReferenceCheckersWritersAreKaohes holds the two equal). A
# correction of a cadre's score is written by those who enter cadre scores.
WRITERS = {
    "SchemeDefined": ["office"],
    "TargetAdjusted": ["office"],
    "ScoreRecorded": ["department", "statistics", "office", "team", "raters"],
    "ScoreCorrected": ["department", "statistics", "office", "team", "raters"],
    "SocialEvaluationRecorded": ["raters", "office"],
    "VotesTallied": ["raters", "office"],
    "BonusGranted": ["office"],
    "DeductionApplied": ["office"],
    "VetoImposed": ["office", "committee"],
    "VetoLifted": ["committee"],
    "ConditionFlagged": ["office", "committee"],
    "ConditionCleared": ["office", "committee"],
    "AppealFiled": ["unit", "office"],
    "AppealResolved": ["office", "committee"],
    "CadreRegistered": ["office"],
    "CadreScoreRecorded": ["office", "team", "raters"],
    "CadreStatusSet": ["office"],
    "GradeDecided": ["committee"],
    "ResultsPublished": ["office"],
    "YearClosed": ["committee"],
    "WindowOpened": ["office"],
    "WindowClosed": ["office"],
}


class Roster:
    """The roster events folded in stream order: who holds which key."""

    def __init__(self):
        self.officials = {}  # id -> {"role", "acts_for", "key", "revoked"}
        self.owner = {}  # every key ever given -> its official

    def signer(self, name, ev):
        """The official that signed ev and the actor the roster gives it."""
        key = ev["sig"]["key"]
        if not self.officials:  # the first admin registers itself
            d = ev.get("data", {})
            oid = ev["aggregate"].split(".", 1)[1] if ev["aggregate"].startswith("official.") else ""
            if ev["type"] != "OfficialRegistered" or ev["year"] != 0 or d.get("role") != "admin" or d.get("key") != key:
                raise Mismatch(f"{name}: the roster was empty: only the first admin's own registration is signed then")
            return oid, {"id": oid, "role": "admin"}
        oid = self.owner.get(key)
        if oid is None:
            raise Mismatch(f"{name}: signed with a key the roster does not know")
        o = self.officials[oid]
        if o["revoked"]:
            raise Mismatch(f"{name}: official {oid} was revoked before it was recorded")
        if o["key"] != key:
            raise Mismatch(f"{name}: the key of official {oid} had been replaced before it was recorded")
        return oid, {"id": o["acts_for"] or oid, "role": o["role"]}

    def apply(self, name, ev):
        oid = ev["aggregate"].split(".", 1)[1]
        d, t = ev.get("data", {}), ev["type"]
        key = d.get("key", "") if t in ("OfficialRegistered", "OfficialKeyRotated") else ""
        if key and key in self.owner:
            raise Mismatch(f"{name}: gives official {oid} the key of official {self.owner[key]}")
        if t == "OfficialRegistered":
            if oid in self.officials:
                raise Mismatch(f"{name}: registers official {oid} again")
            self.officials[oid] = {"role": d.get("role"), "acts_for": d.get("acts_for", ""), "key": key, "revoked": False}
        elif oid not in self.officials:
            raise Mismatch(f"{name}: {t} of official {oid}, who is not registered")
        elif t == "OfficialKeyRotated":
            self.officials[oid]["key"] = key
        elif t == "OfficialRoleChanged":
            self.officials[oid].update(role=d.get("role"), acts_for=d.get("acts_for", ""))
        elif t == "OfficialRevoked":
            self.officials[oid]["revoked"] = True
        if key:
            self.owner[key] = oid


def authorized(name, ev, oid, actor):
    """ev may be written by its signer: its actor, and its role's types."""
    if ev["actor"] != actor:
        raise Mismatch(f"{name}: names actor {ev['actor']} but the roster gives the signer {actor}")
    if ev["year"] == 0 and ev["aggregate"].startswith("official."):
        own_key = ev["type"] == "OfficialKeyRotated" and ev["aggregate"] == "official." + oid
        if actor["role"] != "admin" and not own_key:
            raise Mismatch(f"{name}: official {oid} is {actor['role']}; the roster is changed by an admin only")
        return
    writers = WRITERS.get(ev["type"], [])
    if ev["type"] == "ScoreCorrected" and ev["aggregate"].startswith("cadre."):
        writers = WRITERS["CadreScoreRecorded"]
    if actor["role"] not in writers:
        raise Mismatch(f"{name}: official {oid} is {actor['role']}; a {ev['type']} is written by {', '.join(writers)} only")
    if actor["role"] == "unit" and ev["aggregate"] != "unit." + actor["id"]:
        raise Mismatch(f"{name}: unit {actor['id']} writes only on its own chain")


def run_limit(command, command_id):
    """How many events the signed command (or its correction) that wrote
    command_id writes on its subject: a DecideGrades one a decision, any
    other one."""
    writer = next((c for c in command.get("data", {}).get("corrections", []) if c.get("id") == command_id), None)
    if writer is None and command.get("id") == command_id:
        writer = command
    if writer is None or writer.get("type") != "DecideGrades":
        return 1
    return max(1, len(writer.get("data", {}).get("decisions", [])))


def check(d, trusted_key=None):
    read = lambda name: open(os.path.join(d, name), "rb").read()
    manifest = read("MANIFEST")
    sig = json.loads(read("MANIFEST.sig"))
    if not ed25519_ok(nkey(sig["key"]), base64.b64decode(sig["signature"]), b"kaohe-bundle-v1\n" + manifest):
        raise Mismatch("MANIFEST.sig: the signature does not verify")
    listed = set()
    for line in manifest.decode().splitlines():
        digest, name = line.split("  ", 1)
        listed.add(name)
        if not os.path.exists(os.path.join(d, name)):
            raise Mismatch(f"{name}: listed in MANIFEST, not in the bundle")
        if sha(read(name)).hex() != digest:
            raise Mismatch(f"{name}: SHA-256 differs from MANIFEST")
    for path in glob.glob(os.path.join(d, "**"), recursive=True):
        name = os.path.relpath(path, d)
        if os.path.isfile(path) and name not in listed | {"MANIFEST", "MANIFEST.sig"}:
            raise Mismatch(f"{name}: not in MANIFEST")

    # Checkpoints: signed notes of the log.
    keytext = read("checkpoints/checkpoint.pub").decode().strip()
    if trusted_key and keytext != trusted_key.strip():
        raise Mismatch("checkpoints/checkpoint.pub: not the key you trust")
    kname, khash, kb = keytext.split("+", 2)  # base64 may hold "+"
    kb = base64.b64decode(kb)
    if kb[0] != 1 or sha(kname.encode() + b"\n" + kb)[:4].hex() != khash:
        raise Mismatch("checkpoints/checkpoint.pub: not an ed25519 note key")
    roots = {}
    for path in sorted(glob.glob(os.path.join(d, "checkpoints", "*.note"))):
        name = os.path.relpath(path, d)
        text, sigs = read(name).split(b"\n\n", 1)
        text += b"\n"
        good = False
        for line in sigs.decode().splitlines():
            who, s = line[2:].split(" ")
            s = base64.b64decode(s)
            good |= who == kname and s[:4].hex() == khash and ed25519_ok(kb[1:], s[4:], text)
        if not good:
            raise Mismatch(f"{name}: the checkpoint signature does not verify")
        lines = text.decode().split("\n")
        roots[int(lines[1])] = base64.b64decode(lines[2])
    sizes = sorted(roots)
    proofs = {(c["from"], c["to"]): [bytes.fromhex(h) for h in c["hashes"]] for c in json.loads(read("proofs/consistency.json"))}
    for a, b in zip(sizes, sizes[1:]):
        if a and not consistent(a, b, roots[a], roots[b], proofs.get((a, b), [])):
            raise Mismatch(f"proofs/consistency.json: checkpoint {b} does not extend checkpoint {a}")

    # Events: inclusion in the newest checkpoint, signature, hash chain.
    inc = json.loads(read("proofs/inclusion.json"))
    size = sizes[-1]
    if inc["tree_size"] != size or bytes.fromhex(inc["root"]) != roots[size]:
        raise Mismatch("proofs/inclusion.json: not the newest checkpoint")
    proof = {p["seq"]: [bytes.fromhex(h) for h in p["hashes"]] for p in inc["proofs"]}
    last, runs, latest = {}, {}, (None, None)
    roster = Roster()
    names = sorted(glob.glob(os.path.join(d, "events", "*.json")))
    if len(names) != len(proof):
        raise Mismatch("proofs/inclusion.json: not one proof per event")
    for path in names:
        name = os.path.relpath(path, d)
        raw = read(name)
        seq = int(os.path.basename(name)[:-5])
        if seq not in proof or not included(sha(b"\x00" + raw), seq - 1, size, proof[seq], roots[size]):
            raise Mismatch(f"{name}: not in the log")
        ev = json.loads(raw)
        if "sig" in ev:
            s = ev["sig"]
            if not ed25519_ok(nkey(s["key"]), base64.b64decode(s["sig"]), b"kaohe-command-v1\n" + s["command"].encode()):
                raise Mismatch(f"{name}: the event's signature does not verify")
            authorized(name, ev, *roster.signer(name, ev))
        elif roster.officials:
            raise Mismatch(f"{name}: not signed, but the roster existed when it was recorded")
        if ev["year"] == 0 and ev["aggregate"].startswith("official."):
            roster.apply(name, ev)
        subject = (ev["year"] or "org", ev["aggregate"])
        if ev["prev"] != last.get(subject, ""):
            raise Mismatch(f"{name}: prev is not the SHA-256 of the event before it on its subject")
        last[subject] = sha(raw).hex()
        if "sig" in ev:
            # A signed command is stored in one atomic append: its events on
            # a subject have consecutive seqs, as many as it writes (one, or
            # a DecideGrades' decisions); a later or further one is a replay.
            run = (subject, ev["command_id"])
            n, at = runs.get(run, (0, 0))
            if n and (at + 1 != seq or n >= run_limit(json.loads(s["command"]), ev["command_id"])):
                raise Mismatch(f"{name}: command {ev['command_id']} already wrote its events on its subject (the last at seq {at}): a replayed signature")
            runs[run] = (n + 1, seq)

        if ev["type"] == "ResultsPublished":
            latest = (name, ev["data"]["digest"])
    o = roster.officials.get(sig.get("official"))
    if not o or o["key"] != sig["key"] or o["revoked"] or o["role"] != "office" or sig.get("role") != "office":
        raise Mismatch(f"MANIFEST.sig: not signed with the current key of an office official on the bundle's roster")
    if sha(read("results.json")).hex() != latest[1]:
        raise Mismatch(f"results.json: not the digest of the latest publication, {latest[0]}")
    return len(names), size


if __name__ == "__main__":
    try:
        n, size = check(sys.argv[1], open(sys.argv[2]).read() if len(sys.argv) > 2 else None)
    except Mismatch as e:
        print("FAILED:", e)
        sys.exit(1)
    print(f"OK: {n} events in the log of checkpoint size {size}, signatures, chains and the digest hold")
