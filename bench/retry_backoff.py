"""When a failed delivery is tried again (``bot.scheduler.outbox.backoff``). Prints JSON.

For the first retry: the least, median and most wait over many draws (the jitter), and how spread the retries of
rows that failed in the same instant are. For the whole ladder: the median wait before each try and the median
time from the first try to the last (``COS_MAX_ATTEMPTS`` tries, then the row is dead-lettered).

    python bench/retry_backoff.py [--draws 10000] [--attempts 6]
"""

from __future__ import annotations

import argparse
import json
import statistics

from bot.scheduler.outbox import backoff


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--attempts", type=int, default=6)
    args = parser.parse_args()
    first = sorted(backoff(1).total_seconds() for _ in range(args.draws))
    ladders = [[backoff(n).total_seconds() for n in range(1, args.attempts)] for _ in range(args.draws)]
    spans = sorted(sum(ladder) for ladder in ladders)
    print(
        json.dumps(
            {
                "first_retry_s": {
                    "min": round(first[0], 2),
                    "median": round(statistics.median(first), 2),
                    "max": round(first[-1], 2),
                    "stdev": round(statistics.stdev(first), 2),
                },
                "median_wait_before_try_s": {
                    str(n + 2): round(statistics.median(ladder[n] for ladder in ladders), 1)
                    for n in range(args.attempts - 1)
                },
                "first_to_last_try_s": {
                    "min": round(spans[0], 1),
                    "median": round(statistics.median(spans), 1),
                    "max": round(spans[-1], 1),
                },
                "attempts": args.attempts,
                "draws": args.draws,
            }
        )
    )


if __name__ == "__main__":
    main()
