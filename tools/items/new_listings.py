#!/usr/bin/python3
"""New listings for the live-items benchmark: items of an existing catalog (items.jsonl) re-listed under new ids.

Each output item is a catalog item (its category, description, brand, price and image feature, so it is a listing the
model knows how to read) with a new id and a new title word, so a query can name it. Deterministic: the same input and
arguments give the same file.

    tools/items/new_listings.py --from runs/data-large/items.jsonl --count 70000 --out runs/live-items/new.jsonl
"""
import argparse
import json
import sys


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--from", dest="source", required=True, help="items.jsonl to draw listings from")
    p.add_argument("--count", type=int, required=True, help="new listings to write")
    p.add_argument("--out", required=True, help="output items.jsonl")
    p.add_argument("--prefix", default="new", help="id prefix (ids are PREFIX-000001, ...)")
    args = p.parse_args()
    if args.count < 1:
        print("--count must be at least 1", file=sys.stderr)
        return 2

    written = 0
    with open(args.source, encoding="utf-8") as source, open(args.out, "w", encoding="utf-8") as out:
        for line in source:
            if not line.strip():
                continue
            item = json.loads(line)
            written += 1
            item["item_id"] = f"{args.prefix}-{written:06d}"
            # A made-up word per listing (letters only, so the analyzer keeps it whole): what a query names it by.
            word = "".join(chr(ord("a") + (written * 7919 // 26 ** k) % 26) for k in range(6))
            item["title"] = f"{word} {item['title']}"
            out.write(json.dumps(item, separators=(",", ":")) + "\n")
            if written % 10000 == 0:
                print(f"[new_listings] {written:,} of {args.count:,}", file=sys.stderr)
            if written == args.count:
                break
    print(f"[new_listings] wrote {written:,} listings to {args.out}", file=sys.stderr)
    return 0 if written == args.count else 1


if __name__ == "__main__":
    sys.exit(main())
