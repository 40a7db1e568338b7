#!/usr/bin/env python3
"""Step 3 of scripts/gpu-check.sh: the GPU's greedy MBPP answers against the CPU's.

    python3 scripts/gpu_compare.py RUN_GPU.jsonl RUN_CPU.jsonl

Both files are `codefail run --out X.jsonl` results of the same tasks (same
model, prompt and decoding settings). Prints pass@1 of each over the tasks
both have, the tasks whose answers differ (greedy answers on two devices
may part at a near-tie, from rounding) and the tasks whose verdicts differ.
Exits 1 when a file is missing a column it needs or the two share no task.
"""
import json
import sys


def rows(path):
    out = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
                out[(r["task_id"], r["sample_idx"])] = r
            except (ValueError, KeyError) as e:
                sys.exit(f"{path}:{n}: not a results row ({e})")
    return out


def task_number(key):
    tail = key[0].rsplit("/", 1)[-1]
    return (int(tail) if tail.isdigit() else -1, key)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    gpu, cpu = rows(sys.argv[1]), rows(sys.argv[2])
    keys = sorted(set(gpu) & set(cpu), key=task_number)
    print(f"answers: GPU {len(gpu)}, CPU {len(cpu)}, both {len(keys)}")
    if not keys:
        sys.exit("no task in both files")
    for name, side in (("GPU", gpu), ("CPU", cpu)):
        passed = sum(bool(side[k]["passed"]) for k in keys)
        print(f"pass@1 {name}: {passed}/{len(keys)} = {passed / len(keys):.3f}")
    code = [k for k in keys if gpu[k].get("code") != cpu[k].get("code")]
    verdict = [k for k in keys if bool(gpu[k]["passed"]) != bool(cpu[k]["passed"])]
    print(f"answers that differ: {len(code)} of {len(keys)}: {', '.join(k[0] for k in code) or '-'}")
    said = lambda p: "pass" if p else "fail"  # noqa: E731
    detail = ", ".join(f"{k[0]} (GPU {said(gpu[k]['passed'])}, CPU {said(cpu[k]['passed'])})" for k in verdict)
    print(f"verdicts that differ: {len(verdict)}: {detail or '-'}")


if __name__ == "__main__":
    main()
