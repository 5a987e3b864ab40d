#!/usr/bin/env python3
"""Check an unpacked kaohe evidence bundle without kaohe (docs/bundle.md).

    tar xzf bundle.tar.gz -C dir && python3 bundle_check.py dir [checkpoint.pub]

Checks, with SHA-256 and ed25519 only: the manifest and its signature, every
checkpoint's signature, the consistency proofs between them, every event's
inclusion proof in the newest, every event's signature and hash chain link,
and that results.json has the digest of the latest publication event. It
does not check that the roster gave each key to its event's actor, nor
recompute the results (that needs kaohe's engine: kaohe bundle verify).
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
