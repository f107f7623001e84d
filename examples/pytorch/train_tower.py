#!/usr/bin/python3
"""Bring your own model: train a small two-tower retrieval model in PyTorch and export what `karma package import` reads.

    python3 examples/pytorch/train_tower.py --data DATA --out TOWER       # DATA: items.jsonl + events.csv
    karma package import --data DATA --user-tower TOWER/user_tower.onnx --embeddings TOWER/item_embeddings.npy \\
        --tokenizer TOWER/vocab.txt --out PKG

Writes to --out:
  vocab.txt            a BERT WordPiece vocabulary built from the catalog text ([PAD], [UNK], [CLS], [SEP], [MASK],
                       [unused0], then words by frequency)
  user_tower.onnx      input_ids [B,T] int64, history_tokens [B,T,D] float32, interest_position [B] int64 -> interest [B,D]
  item_embeddings.npy  [N,D] float32, unit rows, in items.jsonl order (also the history tokens: d = D)
  reference.json       a few requests with the interests this script computes for them, so a test can check that the
                       served Encode returns the same vectors

The user tower reads the package contract's layout (docs/package-format.md): [CLS] [MASK]xh [SEP] query... [unused0],
where the service puts each history item's row of the history-token table at its [MASK] slot. This model is
deliberately small (mean of token and history vectors through an MLP); any architecture with the same signature works.
Needs Debian's python3-torch and python3-numpy.
"""
import argparse
import warnings
import csv
import json
import os
import random
import unicodedata
from collections import Counter, defaultdict

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# torch.onnx warns about shape inference of constants it folds; the exported graph is checked by the importer.
warnings.filterwarnings("ignore", category=UserWarning, module="torch.onnx")

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[unused0]"]
PAD, UNK, CLS, SEP, MASK, INT = range(len(SPECIAL))


def basic_words(text):
    """BERT's basic tokenizer (lower case, accents stripped, split on spaces and punctuation)."""
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    words, word = [], ""
    for c in text:
        if c.isspace():
            if word:
                words.append(word)
            word = ""
        elif is_punctuation(c):
            if word:
                words.append(word)
            words.append(c)
            word = ""
        else:
            word += c
    if word:
        words.append(word)
    return words


def is_punctuation(c):
    o = ord(c)
    return 33 <= o <= 47 or 58 <= o <= 64 or 91 <= o <= 96 or 123 <= o <= 126 or unicodedata.category(c).startswith("P")


class WordPiece:
    def __init__(self, vocab):
        self.ids = {t: i for i, t in enumerate(vocab)}

    def encode(self, text):
        ids = []
        for word in basic_words(text):
            pieces, start = [], 0
            while start < len(word):
                end, found = len(word), None
                while start < end:
                    piece = word[start:end] if start == 0 else "##" + word[start:end]
                    if piece in self.ids:
                        found = self.ids[piece]
                        break
                    end -= 1
                if found is None:
                    pieces = [UNK]
                    break
                pieces.append(found)
                start = end
            ids.extend(pieces)
        return ids


class ItemTower(nn.Module):
    def __init__(self, vocab_size, dim):
        super().__init__()
        self.words = nn.EmbeddingBag(vocab_size, dim, mode="mean", padding_idx=PAD)
        self.proj = nn.Linear(dim, dim)

    def forward(self, text_ids):
        return F.normalize(self.proj(self.words(text_ids)), dim=-1)


class UserTower(nn.Module):
    """interest = normalize(MLP(mean over the sequence up to [INT] of token embedding + history token))."""

    def __init__(self, vocab_size, dim):
        super().__init__()
        self.tokens = nn.Embedding(vocab_size, dim, padding_idx=PAD)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))

    def forward(self, input_ids, history_tokens, interest_position):
        x = self.tokens(input_ids) + history_tokens
        positions = torch.arange(input_ids.shape[1], device=input_ids.device).unsqueeze(0)
        mask = (positions <= interest_position.unsqueeze(1)).to(x.dtype).unsqueeze(-1)
        pooled = (x * mask).sum(dim=1) / mask.sum(dim=1)
        return F.normalize(self.mlp(pooled), dim=-1)


def layout(history_count, query_ids):
    return [CLS] + [MASK] * history_count + [SEP] + list(query_ids) + [INT]


def batch(examples, table, max_history, max_query, dim):
    """Sequences as the service builds them: [ITEM] slots carry the history rows, zeros elsewhere; padded on the right."""
    seqs = [layout(len(h[-max_history:]), q[:max_query]) for h, q, _ in examples]
    width = max(len(s) for s in seqs)
    ids = torch.zeros(len(examples), width, dtype=torch.long)
    hist = torch.zeros(len(examples), width, dim)
    pos = torch.zeros(len(examples), dtype=torch.long)
    for b, ((history, _, _), seq) in enumerate(zip(examples, seqs)):
        ids[b, : len(seq)] = torch.tensor(seq)
        rows = history[-max_history:]
        if rows:
            hist[b, 1 : 1 + len(rows)] = table[torch.tensor(rows)]
        pos[b] = len(seq) - 1
    return ids, hist, pos


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--dim", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--max-history", type=int, default=20)
    parser.add_argument("--max-query-tokens", type=int, default=16)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)

    items = [json.loads(line) for line in open(os.path.join(args.data, "items.jsonl"), encoding="utf-8") if line.strip()]
    row_of = {item["item_id"]: i for i, item in enumerate(items)}
    texts = [f'{item["title"]} {item["category"].replace("/", " ")}' for item in items]
    clicks = defaultdict(list)  # user -> [(timestamp, request, row, query)]
    with open(os.path.join(args.data, "events.csv"), encoding="utf-8", newline="") as f:
        for e in csv.DictReader(f):
            if e["action"] != "impression" and e["item_id"] in row_of:
                clicks[e["user_id"]].append((int(e["timestamp"]), e["request_id"], row_of[e["item_id"]], e["query"]))

    counts = Counter(w for text in texts for w in basic_words(text))
    counts.update(w for events in clicks.values() for _, _, _, q in events for w in basic_words(q))
    vocab = SPECIAL + [w for w, _ in counts.most_common() if w not in SPECIAL]
    with open(os.path.join(args.out, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(vocab) + "\n")
    tokenizer = WordPiece(vocab)

    # Training examples: every click but those of each user's last two engaged requests (the importer's validation
    # and test requests), with the clicks before it as history.
    examples, held_out = [], []
    for events in clicks.values():
        events.sort()
        requests = list(dict.fromkeys(r for _, r, _, _ in events))
        last_two = set(requests[-2:])
        history = []
        for _, request, row, query in events:
            example = (list(history), tokenizer.encode(query) if query else [], row)
            (held_out if request in last_two else examples).append(example)
            history.append(row)

    width = max(len(tokenizer.encode(t)) for t in texts)
    text_ids = torch.zeros(len(items), width, dtype=torch.long)
    for i, t in enumerate(texts):
        ids = tokenizer.encode(t)
        text_ids[i, : len(ids)] = torch.tensor(ids)

    item_tower, user_tower = ItemTower(len(vocab), args.dim), UserTower(len(vocab), args.dim)
    optimizer = torch.optim.Adam(list(item_tower.parameters()) + list(user_tower.parameters()), lr=3e-3)
    steps = 0
    for epoch in range(args.epochs):
        random.shuffle(examples)
        total = 0.0
        for start in range(0, len(examples), 128):
            chunk = examples[start : start + 128]
            table = item_tower(text_ids)
            ids, hist, pos = batch(chunk, table, args.max_history, args.max_query_tokens, args.dim)
            interest = user_tower(ids, hist, pos)
            logits = interest @ table.T / 0.05  # softmax over the whole catalog (it is small)
            loss = F.cross_entropy(logits, torch.tensor([t for _, _, t in chunk]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(chunk)
            steps += 1
        print(f"[train_tower] epoch {epoch + 1}/{args.epochs}: loss {total / max(1, len(examples)):.3f} ({len(examples)} clicks)", flush=True)

    user_tower.eval()
    with torch.no_grad():
        table = item_tower(text_ids)
        np.save(os.path.join(args.out, "item_embeddings.npy"), table.numpy().astype(np.float32))
        example = batch(held_out[:2] or examples[:2], table, args.max_history, args.max_query_tokens, args.dim)
        torch.onnx.export(
            user_tower, example, os.path.join(args.out, "user_tower.onnx"),
            input_names=["input_ids", "history_tokens", "interest_position"], output_names=["interest"],
            dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "history_tokens": {0: "batch", 1: "sequence"},
                          "interest_position": {0: "batch"}, "interest": {0: "batch"}},
            opset_version=14)
        references = []
        for history, query_ids, _ in held_out[:3]:
            query = " ".join(vocab[i] for i in query_ids)
            ids, hist, pos = batch([(history, query_ids, 0)], table, args.max_history, args.max_query_tokens, args.dim)
            references.append({
                "history": [items[r]["item_id"] for r in history[-args.max_history:]],
                "query": query,
                "interest": user_tower(ids, hist, pos)[0].tolist(),
            })
        with open(os.path.join(args.out, "reference.json"), "w", encoding="utf-8") as f:
            json.dump(references, f)
    print(f"[train_tower] wrote {args.out}: vocab.txt ({len(vocab)} tokens), user_tower.onnx, item_embeddings.npy "
          f"[{len(items)}, {args.dim}], reference.json ({len(references)} requests); {steps} steps", flush=True)


if __name__ == "__main__":
    main()
