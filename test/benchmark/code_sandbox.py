"""Prints what the code sandbox costs: the warm parent's cold start, a trivial `main` from a warm
parent (p50/p95, target ≤ 20 ms p50), concurrent runs, and baselines measured in the same run. Not a test.

    .venv/bin/python -m test.benchmark.code_sandbox [--runs 200] [--concurrency 20]
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from pkg.sandbox import CodeSandbox, SandboxLimits

TRIVIAL = "def main(params):\n    return {'doubled': params['n'] * 2}\n"


def percentile_ms(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100)[q - 1] * 1000


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def in_process_call() -> None:
    # The same code exec()'d in this process: what the course implementations do, unconfined.
    namespace: dict = {}
    exec(compile(TRIVIAL, "<code>", "exec"), namespace)
    namespace["main"]({"n": 1})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()

    sandbox = CodeSandbox(SandboxLimits())
    try:
        cold = timed(sandbox.start)
        protections = sandbox.start()
        print(f"{os.cpu_count()} CPUs; Landlock ABI {protections['landlock_abi']}, runs as nobody: {protections['drops_to_nobody']}")
        print(f"cold start (spawn the warm parent, two self-test runs): {cold * 1000:.1f} ms")

        for _ in range(10):
            sandbox.run(TRIVIAL, {"n": 1})
        warm = [timed(lambda: sandbox.run(TRIVIAL, {"n": 1})) for _ in range(args.runs)]
        p50 = percentile_ms(warm, 50)
        print(f"trivial main from a warm parent ({args.runs} runs): p50 {p50:.2f} ms  p95 {percentile_ms(warm, 95):.2f} ms (target p50 ≤ 20 ms)")

        batches = []
        with ThreadPoolExecutor(args.concurrency) as pool:
            for _ in range(5):
                batches.append(timed(lambda: list(pool.map(lambda n: sandbox.run(TRIVIAL, {"n": n}), range(args.concurrency)))))
        print(f"{args.concurrency} concurrent runs: {statistics.median(batches) * 1000:.1f} ms a batch (median of 5)")

        in_process = [timed(in_process_call) for _ in range(args.runs)]
        interpreter = [timed(lambda: subprocess.run([sys.executable, "-I", "-S", "-c", "pass"], check=True)) for _ in range(20)]
        in_process_p50 = percentile_ms(in_process, 50)
        interpreter_p50 = percentile_ms(interpreter, 50)
        print(f"baseline, exec() in this process: p50 {in_process_p50:.3f} ms  (sandbox is {p50 / in_process_p50:.0f}x)")
        print(f"baseline, a fresh `python -I -S -c pass`: p50 {interpreter_p50:.1f} ms  (sandbox is {p50 / interpreter_p50:.2f}x)")
    finally:
        sandbox.close()


if __name__ == "__main__":
    main()
