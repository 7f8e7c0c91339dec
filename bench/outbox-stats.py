#!/usr/bin/env python3
"""Figures from an outbox.jsonl: how many texts, how fast, and how close to a
rate limit. Reads only the batch and sent_at fields (never prints numbers or
texts).

    python3 bench/outbox-stats.py DATA_DIR/outbox.jsonl [--rate N] [--batch ID]
"""
import argparse
import json
from datetime import datetime


def millis(stamp):
    return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("outbox")
    parser.add_argument("--rate", type=int, help="the limit the run was sent at")
    parser.add_argument("--batch")
    args = parser.parse_args()

    times = []
    with open(args.outbox, encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue  # a purged batch's line, blanked in place
            text = json.loads(line)
            if args.batch is None or text["batch"] == args.batch:
                times.append(millis(text["sent_at"]))
    times.sort()
    if len(times) < 2:
        raise SystemExit("fewer than two texts in the outbox")
    span = (times[-1] - times[0]) / 1000
    print(f"texts            {len(times)}")
    print(f"first to last    {span:.3f} s")
    print(f"texts/s          {(len(times) - 1) / span:,.0f}")

    # The most texts in any 1,000 ms window [t, t + 1000), t at every text.
    most, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - 1000:
            start += 1
        most = max(most, end - start + 1)
    print(f"most in any 1 s  {most}")
    if args.rate:
        achieved = (len(times) - 1) / span
        print(f"of the limit     {100 * achieved / args.rate:.1f} % of {args.rate}/s")
        print(f"window bound     {'held' if most <= args.rate else 'BROKEN'}")


if __name__ == "__main__":
    main()
