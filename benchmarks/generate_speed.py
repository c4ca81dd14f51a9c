"""How fast the template generator makes the full set: 100 originals per id for all 49 ids, with follow-ups and
worked solutions, on one core.

    python benchmarks/generate_speed.py [--per-standard 100] [--seed 0]

Prints problems per second overall and the slowest standards. Target: the whole set in under 10 seconds.
"""

import argparse
import time

from mathcamps.generate import problem_group
from mathcamps.standards import STANDARDS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-standard", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    per_std: dict[str, tuple[float, int]] = {}
    start = time.perf_counter()
    total = originals = 0
    for std in STANDARDS:
        t = time.perf_counter()
        n = 0
        for i in range(args.per_standard):
            n += len(problem_group(std, args.seed, i))
        per_std[std.id] = (time.perf_counter() - t, n)
        total += n
        originals += args.per_standard
    elapsed = time.perf_counter() - start
    print(f"{originals} originals + {total - originals} follow-ups = {total} problems with solutions")
    print(f"{elapsed:.2f} s, {total / elapsed:.0f} problems/s ({originals / elapsed:.0f} originals/s)")
    print("slowest standards:")
    for sid, (sec, n) in sorted(per_std.items(), key=lambda kv: -kv[1][0])[:8]:
        print(f"  {sid:24} {sec:6.2f} s  {n:4d} problems")


if __name__ == "__main__":
    main()
