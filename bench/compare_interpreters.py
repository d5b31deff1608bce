"""The CPU workload of bench/workloads run plainly (python3.X -I -S) on
several interpreters, in turns (A B C, A B C, ...) so that a machine whose
speed drifts slows them alike, and a table of each one's CPU seconds
(median of the rounds, per workload and summed) and its ratio to the first.

    python3 bench/compare_interpreters.py [--rounds N] PYTHON [PYTHON ...]

scripts/bench --compare runs it.  Every interpreter must compute the same
results (the digests), or the comparison is void and this fails.
"""

import argparse
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.join(HERE, "interpreter_workload.py")


def one_round(python):
    out = subprocess.run([python, "-I", "-S", RUNNER, os.path.join(HERE, "workloads")],
                         check=True, capture_output=True, text=True).stdout
    return {name: (float(seconds), digest)
            for name, seconds, digest in (line.split() for line in out.splitlines())}


def version(python):
    return subprocess.run([python, "-I", "-S", "-c", "import sys; print(sys.version.split()[0])"],
                          check=True, capture_output=True, text=True).stdout.strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("pythons", nargs="+")
    args = parser.parse_args()
    rounds = {p: [] for p in args.pythons}
    for _ in range(args.rounds):
        for p in args.pythons:
            rounds[p].append(one_round(p))
    names = sorted(rounds[args.pythons[0]][0])
    digests = {(n, r[n][1]) for p in args.pythons for r in rounds[p] for n in names}
    if len(digests) != len(names):
        sys.exit("compare_interpreters: the interpreters computed different results")
    median = {p: {n: statistics.median(r[n][0] for r in rounds[p]) for n in names}
              for p in args.pythons}
    base = args.pythons[0]
    print("CPU seconds, median of %d rounds; ratio: to %s (higher is slower)\n"
          % (args.rounds, base))
    print("| workload | " + " | ".join("%s (%s)" % (p, version(p)) for p in args.pythons) + " |")
    print("|---" * (len(args.pythons) + 1) + "|")
    for n in names:
        print("| %s | " % n + " | ".join("%.3f (%.2f)" % (median[p][n], median[p][n] / median[base][n])
                                        for p in args.pythons) + " |")
    total = {p: sum(median[p].values()) for p in args.pythons}
    print("| **all** | " + " | ".join("**%.3f (%.2f)**" % (total[p], total[p] / total[base])
                                      for p in args.pythons) + " |")


if __name__ == "__main__":
    main()
