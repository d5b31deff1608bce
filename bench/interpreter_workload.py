"""Runs every workload of bench/workloads in this interpreter, plainly, as
org.objcap.bench.Workload times it: one untimed run(SMOKE), then run(SIZE)
between two reads of time.thread_time() (CPU time, not the neighbours').
Prints one line per workload, "name seconds result-digest", for
bench/compare_interpreters.py (scripts/bench --compare).

    python3.X -I -S bench/interpreter_workload.py [WORKLOAD_DIR]
"""

import hashlib
import os
import sys
import time


def main(directory):
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".py"):
            continue
        with open(os.path.join(directory, name), encoding="utf-8") as f:
            source = f.read()
        namespace = {"__name__": "__main__"}
        exec(compile(source, name, "exec"), namespace)
        run = namespace["run"]
        run(namespace["SMOKE"])
        start = time.thread_time()
        value = repr(run(namespace["SIZE"]))
        seconds = time.thread_time() - start
        # The same digest everywhere says every interpreter did the same work.
        digest = hashlib.sha256(value.encode()).hexdigest()[:12]
        print(name[:-3], "%.4f" % seconds, digest, flush=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "workloads"))
