#!/usr/bin/python3
"""Calling Karma.Serving from Python: list a few catalog items, then Search with a history and a query.

    examples/python/generate.sh                      # once: the karma.v1 modules into examples/python/gen/
    python3 examples/python/karma_search.py --target localhost:50051 --query "skillet" --history i0016,i0132

Without --history it takes the first two items the service lists. Prints one line per result and exits 0; on an RPC
error it prints the status code and the service's message (which names the bad field) and exits 1.
Needs Debian's python3-grpcio (and python3-protobuf, which it pulls in).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen"))

import grpc  # noqa: E402
from karma.v1 import retrieval_pb2, retrieval_pb2_grpc  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="localhost:50051", help="host:port of the gRPC (h2c) endpoint")
    parser.add_argument("--query", default="", help="the search query (empty: a browse request)")
    parser.add_argument("--history", default="", help="comma-separated item ids, most recent last")
    parser.add_argument("--top-n", type=int, default=5)
    parser.add_argument("--deadline", type=float, default=5.0, help="seconds")
    args = parser.parse_args()

    # One channel per process, reused for every call (channels are expensive; calls on one are multiplexed).
    with grpc.insecure_channel(args.target) as channel:
        retrieval = retrieval_pb2_grpc.RetrievalStub(channel)
        try:
            history = [h for h in args.history.split(",") if h]
            if not history:
                page = retrieval.ListItems(retrieval_pb2.ListItemsRequest(page_size=2), timeout=args.deadline)
                history = [item.item_id for item in page.items]
                print(f"catalog: {page.total_items} items; history from its first page: {', '.join(history)}")

            request = retrieval_pb2.SearchRequest(
                context=retrieval_pb2.UserContext(history_item_ids=history, query=args.query),
                top_n=args.top_n,
            )
            response = retrieval.Search(request, timeout=args.deadline)
        except grpc.RpcError as error:
            print(f"error: {error.code().name}: {error.details()}", file=sys.stderr)
            return 1

    channels = ", ".join(f"{name} {count}" for name, count in sorted(response.recalled_by_channel.items()))
    print(f"model {response.model_version}: recalled {response.recalled} ({channels}), top {len(response.items)}")
    for rank, item in enumerate(response.items, 1):
        recalled_by = "+".join(retrieval_pb2.RecallChannel.Name(c).removeprefix("RECALL_CHANNEL_").lower() for c in item.channels)
        print(f"{rank:2d}  {item.item_id:<10} {item.score:8.4f}  {item.category:<30} {recalled_by:<24} {item.title}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
