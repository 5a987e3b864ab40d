package bundle

import (
	"fmt"
	"strings"
)

// guide is README.txt: how to check the bundle by hand, in Chinese with
// English. docs/bundle.md is the full specification.
func guide(m Meta) string {
	r := strings.NewReplacer("{year}", fmt.Sprint(m.Year), "{unit}", m.Unit, "{name}", m.Name,
		"{cat}", m.Category, "{v}", fmt.Sprint(m.Version), "{upto}", fmt.Sprint(m.UpToSeq), "{size}", fmt.Sprint(m.Checkpoint))
	return r.Replace(guideText)
}

const guideText = `考核证据包 kaohe evidence bundle — {year} 年度 {name}（{unit}），类别 category {cat}
==========================================================================

本文件包可离线核验：不需要考核系统、不需要网络。
This bundle can be checked offline: no ledger, no network.

一键核验 One command:
    kaohe bundle verify 本文件.tar.gz
    (exit 0 = 全部相符 all holds; exit 1 = 指出第一个不符之处 names the first mismatch)

手工核验 By hand (tar, sha256sum; docs/bundle.md gives every byte layout):

1. 清单 The manifest
   tar xzf 本文件.tar.gz && sha256sum -c MANIFEST
   MANIFEST 列出每个文件的 SHA-256。MANIFEST.sig 是制作本包的考核办人员
   对 "kaohe-bundle-v1\n" + MANIFEST 的 ed25519 签名；其公钥见 signers.json
   （ed25519 一栏为十六进制公钥）。
   MANIFEST lists the SHA-256 of every file. MANIFEST.sig is the office
   official's ed25519 signature over "kaohe-bundle-v1\n" followed by the
   MANIFEST bytes; the public key is in signers.json (hex, field ed25519).

2. 事件 The events — events/<序号 seq>.json
   每个文件是账本中原样存储的事件字节。同一对象（aggregate）的每个事件的
   "prev" 等于它前一个事件文件的 SHA-256：
       sha256sum events/0000000123.json   → 下一个同对象事件的 prev
   每个事件的 "sig" 是录入人员对其命令的签名：ed25519 对
   "kaohe-command-v1\n" + sig.command 的签名，公钥 sig.key（signers.json）。
   Each file is an event's stored bytes. Each event's "prev" is the SHA-256
   of the previous event file of the same aggregate. "sig" is the official's
   ed25519 signature over "kaohe-command-v1\n" + sig.command.

3. 透明日志 The transparency log — checkpoints/, proofs/
   checkpoints/<大小 size>.note 是签名检查点（C2SP signed note）：日志名、
   大小 n、根哈希（base64）。公钥 checkpoints/checkpoint.pub。
   叶子哈希 = SHA-256(0x00 ‖ 事件文件字节)，内部节点 = SHA-256(0x01 ‖ 左 ‖ 右)
   （RFC 6962）。proofs/inclusion.json 给出每个事件到最新检查点（大小 {size}）
   的包含证明；proofs/consistency.json 给出相邻检查点之间的一致性证明。
   Leaf = SHA-256(0x00 || event bytes), node = SHA-256(0x01 || left || right).
   inclusion.json proves each event in the newest checkpoint (size {size});
   consistency.json proves each checkpoint extends the one before.

4. 公布摘要 The published digest — results.json, published.json
   sha256sum results.json 应等于 published.json 中第 v{v} 版的 digest，
   该值也在序号为其 seq 的公布事件（ResultsPublished）里，由公布人签名。
   sha256sum results.json must equal the digest of v{v} in published.json,
   which is also in the signed publication event.

5. 重算 Recomputation
   用 scheme.yaml（与方案事件 SchemeDefined 中的原文相同）和序号不超过 {upto}
   的事件，重新计算本类别每个单位的综合得分、名次和等次，应与 results.json
   中该类别的内容逐项相同；outcome.json 是本单位的结果。
   With scheme.yaml and the events up to seq {upto}, recompute every unit of
   the category: composite, rank and grade must equal results.json's;
   outcome.json is this unit's result. kaohe bundle verify does this with
   kaohe's own scoring engine.
`
