package bundle

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Format is the bundle format named in bundle.json.
const Format = "kaohe-bundle/1"

// SignaturePrefix is the domain-separation line in front of the MANIFEST
// bytes the bundle's signature covers (cf. events.SignaturePrefix): a
// bundle signature is never taken for a signed command, nor one for it.
const SignaturePrefix = "kaohe-bundle-v1\n"

// Entry names.
const (
	EntryGuide       = "README.txt"
	EntryMeta        = "bundle.json"
	EntryScheme      = "scheme.yaml"
	EntryResults     = "results.json"
	EntryOutcome     = "outcome.json"
	EntryPublished   = "published.json"
	EntrySigners     = "signers.json"
	EntryKey         = "checkpoints/checkpoint.pub"
	EntryInclusion   = "proofs/inclusion.json"
	EntryConsistency = "proofs/consistency.json"
	EntryManifest    = "MANIFEST"
	EntrySignature   = "MANIFEST.sig"
	eventsDir        = "events/"
	checkpointsDir   = "checkpoints/"
)

// EventEntry is the entry of the stored message at stream sequence seq.
func EventEntry(seq uint64) string { return fmt.Sprintf("%s%010d.json", eventsDir, seq) }

// CheckpointEntry is the entry of the signed checkpoint of tree size n.
func CheckpointEntry(n int64) string { return fmt.Sprintf("%s%010d.note", checkpointsDir, n) }

// Meta is bundle.json: what the bundle is about.
type Meta struct {
	Format   string `json:"format"`
	Stream   string `json:"stream"` // the log's origin is "kaohe/" + Stream
	Year     int    `json:"year"`
	Unit     string `json:"unit"`
	Name     string `json:"name"`
	Category string `json:"category"`
	Appeal   string `json:"appeal,omitempty"` // the AppealFiled event id
	// Version and UpToSeq name the publication the results are checked
	// against (the latest one held by the checkpoint).
	Version int    `json:"version"`
	UpToSeq uint64 `json:"up_to_seq"`
	// Checkpoint is the size of the newest checkpoint: every event entry
	// is proved in it; events after it are not in the bundle.
	Checkpoint int64 `json:"checkpoint_size"`
	// Scope says which subjects the events cover: "category" (the
	// category's units, the year, the scheme, the offices, the cadres of
	// those units) or "year" (the whole year, when the category depends on
	// units outside it).
	Scope    string   `json:"scope"`
	Subjects []string `json:"subjects"` // every subject whose events are held, sorted
	MadeBy   string   `json:"made_by"`  // the official who signed MANIFEST.sig
}

// Outcome is outcome.json: the unit's published result, which Verify
// recomputes.
type Outcome struct {
	Unit      string `json:"unit"`
	Name      string `json:"name"`
	Category  string `json:"category"`
	Composite string `json:"composite"`
	Rank      int    `json:"rank"`
	Of        int    `json:"of"`
	Grade     string `json:"grade"` // final grade ("" when the scheme grades none)
	Version   int    `json:"version"`
}

// Publication is one entry of published.json: a ResultsPublished event.
type Publication struct {
	Version    int    `json:"version"`
	Seq        uint64 `json:"seq"`
	EventID    string `json:"event_id"`
	UpToSeq    uint64 `json:"up_to_seq"`
	Digest     string `json:"digest"`
	MerkleRoot string `json:"merkle_root"`
	Events     int    `json:"events"`
	Checkpoint string `json:"checkpoint,omitempty"` // the checkpoint entry holding its signed note
}

// Signer is one entry of signers.json: an official whose key signed an
// event of the bundle or the bundle itself.
type Signer struct {
	Official string `json:"official"`
	Role     string `json:"role"`
	Key      string `json:"key"`     // nkey public user key (U…)
	Ed25519  string `json:"ed25519"` // the same key: hex of the 32-byte ed25519 public key
}

// Inclusion is proofs/inclusion.json.
type Inclusion struct {
	TreeSize int64        `json:"tree_size"`
	Root     string       `json:"root"` // hex
	Proofs   []EventProof `json:"proofs"`
}

// EventProof is the inclusion proof of one event: the hashes of RFC 6962's
// audit path, from the leaf up (tlog.RecordProof), hex.
type EventProof struct {
	Seq    uint64   `json:"seq"`
	Hashes []string `json:"hashes"`
}

// Consistency is one entry of proofs/consistency.json.
type Consistency struct {
	From   int64    `json:"from"`
	To     int64    `json:"to"`
	Hashes []string `json:"hashes"` // tlog.TreeProof, hex
}

// Signature is MANIFEST.sig.
type Signature struct {
	Official  string `json:"official"`
	Role      string `json:"role"`
	Key       string `json:"key"`       // nkey public user key (U…)
	Signature string `json:"signature"` // standard base64 of ed25519(SignaturePrefix ‖ MANIFEST)
}

// file is one archive entry.
type file struct {
	name string
	data []byte
}

// sum is the hex SHA-256 of b.
func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// manifest is the MANIFEST of files: "<hex sha256>  <name>\n" per entry,
// in archive order — the format of sha256sum, so `sha256sum -c MANIFEST`
// checks an unpacked bundle.
func manifest(files []file) []byte {
	var b bytes.Buffer
	for _, f := range files {
		fmt.Fprintf(&b, "%s  %s\n", sum(f.data), f.name)
	}
	return b.Bytes()
}

// parseManifest reads a MANIFEST: name → hex hash, and the names in order.
func parseManifest(data []byte) (map[string]string, []string, error) {
	out := map[string]string{}
	var names []string
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		h, name, ok := strings.Cut(line, "  ")
		if !ok || len(h) != 64 || name == "" {
			return nil, nil, fmt.Errorf("line %d is not \"<sha256 hex>  <name>\"", i+1)
		}
		if !entryName(name) {
			return nil, nil, fmt.Errorf("line %d lists %q, not an entry of a bundle (docs/bundle.md)", i+1, name)
		}
		if _, dup := out[name]; dup {
			return nil, nil, fmt.Errorf("line %d lists %s again", i+1, name)
		}
		out[name] = h
		names = append(names, name)
	}
	return out, names, nil
}

// epoch is every entry's modification time: a bundle of the same facts is
// the same bytes.
var epoch = time.Unix(0, 0).UTC()

// writeArchive writes files as a gzip-compressed ustar archive, each a
// regular file of mode 0644 owned by 0:0 with time 0, in the given order.
func writeArchive(w io.Writer, files []file) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	if err := writeTar(zw, files); err != nil {
		return err
	}
	return zw.Close()
}

// writeTar writes the uncompressed archive of files: the one byte sequence
// a bundle of these entries unpacks to (readArchive holds it to this).
func writeTar(w io.Writer, files []file) error {
	tw := tar.NewWriter(w)
	for _, f := range files {
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: f.name, Mode: 0o644, Size: int64(len(f.data)), ModTime: epoch, Format: tar.FormatUSTAR}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("bundle: %s: %w", f.name, err)
		}
		if _, err := tw.Write(f.data); err != nil {
			return err
		}
	}
	return tw.Close()
}

// entryRank is the place of name among a bundle's entries
// (docs/bundle.md), -1 when name is none of them: the fixed ones,
// events/<10 digits>.json and checkpoints/<10 digits>.note. Nothing else
// is read — no path that a tar unpacking the bundle would put elsewhere,
// no name with control characters that an error message would print.
func entryRank(name string) int {
	for i, n := range []string{EntryGuide, EntryMeta, EntryScheme, EntryResults, EntryOutcome, EntryPublished, EntrySigners,
		eventsDir, EntryKey, checkpointsDir, EntryInclusion, EntryConsistency, EntryManifest, EntrySignature} {
		if name == n && n != eventsDir && n != checkpointsDir {
			return i
		}
		suffix := map[string]string{eventsDir: ".json", checkpointsDir: ".note"}[n]
		num, ok := strings.CutPrefix(name, n)
		if num, ok2 := strings.CutSuffix(num, suffix); suffix != "" && ok && ok2 && len(num) == 10 && strings.Trim(num, "0123456789") == "" {
			return i
		}
	}
	return -1
}

func entryName(name string) bool { return entryRank(name) >= 0 }

// maxEntry bounds one entry (and maxTotal the archive unpacked): a bundle
// is read into memory, so a hostile file must not exhaust it.
const (
	maxEntry = 64 << 20
	maxTotal = 512 << 20
)

// readArchive reads every entry of a bundle, in archive order.
func readArchive(r io.Reader) ([]file, error) { return readArchiveWithin(r, maxEntry, maxTotal) }

// readArchiveWithin reads an archive whose entries are at most entryMax
// bytes and which unpacks to at most totalMax bytes — everything unpacked
// counts, tar headers and names too, so thousands of empty entries are
// bounded as one large one is.
//
// The unpacked bytes must be exactly the archive writeTar makes of the
// entries read: a tar header carrying a time, an owner or PAX records,
// anything after the archive's end (in the gzip member, or another member
// or bytes after it) is a changed byte the MANIFEST does not cover, and is
// named.
func readArchiveWithin(r io.Reader, entryMax, totalMax int64) ([]file, error) {
	// One gzip member, nothing after it: the reader does not show the
	// headers of later members (a name or comment could hide there), and
	// a bundle is written as one.
	br := bufio.NewReader(r)
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("not a gzip file: %v", err)
	}
	zr.Multistream(false)
	raw := &boundedReader{r: zr, left: totalMax}
	unpacked := sha256.New()
	tr := tar.NewReader(io.TeeReader(raw, unpacked))
	tooLarge := fmt.Errorf("the archive unpacks to more than %d bytes (docs/bundle.md: limits)", totalMax)
	var (
		out   []file
		total int64
		seen  = map[string]bool{}
	)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if raw.over {
			return nil, tooLarge
		}
		if err != nil {
			return nil, fmt.Errorf("not a tar archive: %v", err)
		}
		rank := entryRank(hdr.Name)
		if rank < 0 {
			return nil, fmt.Errorf("entry %q is not an entry of a bundle (docs/bundle.md)", hdr.Name)
		}
		// In the order of docs/bundle.md; events and checkpoints by
		// their 10-digit numbers.
		if n := len(out); n > 0 {
			if prev := entryRank(out[n-1].name); rank < prev || rank == prev && hdr.Name < out[n-1].name {
				return nil, fmt.Errorf("entry %s is out of order: it follows %s (docs/bundle.md: the entries, in this order)", hdr.Name, out[n-1].name)
			}
		}
		if hdr.Typeflag != tar.TypeReg {
			return nil, fmt.Errorf("entry %s is not a regular file", hdr.Name)
		}
		if seen[hdr.Name] {
			return nil, fmt.Errorf("entry %s appears twice", hdr.Name)
		}
		seen[hdr.Name] = true
		if hdr.Size > entryMax || total+hdr.Size > totalMax {
			return nil, fmt.Errorf("entry %s is too large (%d bytes; docs/bundle.md: limits)", hdr.Name, hdr.Size)
		}
		total += hdr.Size
		data, err := io.ReadAll(io.LimitReader(tr, hdr.Size))
		if raw.over {
			return nil, tooLarge
		}
		if err != nil {
			return nil, fmt.Errorf("entry %s: %v", hdr.Name, err)
		}
		out = append(out, file{hdr.Name, data})
	}
	// What follows the archive's end, to the end of the file.
	if _, err := io.Copy(unpacked, raw); err != nil {
		if raw.over {
			return nil, tooLarge
		}
		return nil, fmt.Errorf("after the archive's end: %v", err)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return nil, fmt.Errorf("bytes follow the gzip member: a bundle is one gzip member and nothing after it")
	}
	if h := zr.Header; h.Name != "" || h.Comment != "" || h.Extra != nil || !h.ModTime.IsZero() {
		return nil, fmt.Errorf("a gzip header carries a name, a comment, an extra field or a time: a bundle's carries none")
	}
	canonical := sha256.New()
	if err := writeTar(canonical, out); err != nil {
		return nil, err
	}
	if !bytes.Equal(canonical.Sum(nil), unpacked.Sum(nil)) {
		return nil, fmt.Errorf("the archive is not the one its entries make (docs/bundle.md: ustar headers, mode 0644, owner 0:0, time 0, nothing after the last entry): a tar header was changed or something added")
	}
	return out, nil
}

// boundedReader reads at most left bytes, then fails (over).
type boundedReader struct {
	r    io.Reader
	left int64
	over bool
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more would be over; exactly at the bound is not.
		var one [1]byte
		if n, _ := io.ReadFull(b.r, one[:]); n == 0 {
			return 0, io.EOF
		}
		b.over = true
		return 0, fmt.Errorf("over the bound")
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

// sortedKeys gives a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
