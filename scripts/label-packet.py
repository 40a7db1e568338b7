#!/usr/bin/env python3
"""Draw failures at random and write a blind labelling packet.

The packet shows, for each failing program, what a careful reader needs and
nothing of the semantic classifier's output: the task text, the task's
asserts, the reference solution, the program, and its test verdicts from
`codefail run`. Readers label it by docs/labelling-rules.md.

    codefail run --dataset mbpp --split test --generations G --out results.jsonl
    codefail load mbpp --split test --out problems.jsonl
    scripts/label-packet.py --results results.jsonl --problems problems.jsonl \
        --seed 2027 --exclude data/fixtures/semantic-labels/a-1.jsonl --out packet.md

The draw: the failing rows in file order, minus those already in --exclude
label files, shuffled by Python's random.Random(seed), the first --n kept
(then sorted by task number). A chain of seeds (`--seed 2027,2028`) draws one
set per seed from what the previous draws left (in the order their shuffle
left it) and writes the last. The sets of data/fixtures/semantic-labels:
A = `--seed 2026`; B = `--seed 2027 --exclude a-1.jsonl`;
C = `--seed 2027,2028 --exclude a-1.jsonl`.
"""
import argparse
import json
import random
import sys


def read_jsonl(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as e:
                    sys.exit(f"{path}:{n}: not JSON: {e}")
    return rows


def number(task_id):
    tail = task_id.rsplit("/", 1)[-1]
    return (int(tail), task_id) if tail.isdigit() else (sys.maxsize, task_id)


def block(r, p):
    tests = "\n".join(t["code"] for t in p["tests"] if t.get("group") == "base" and t.get("code"))
    verdicts = []
    for t in r.get("tests") or []:
        err = f" ({t['error_type']}: {t['message']})" if t.get("error_type") else ""
        verdicts.append(f"  test {t['idx']}: {t['status']}{err}")
    reference = (p.get("reference") or "").replace("\r", "")
    return f"""## {r['task_id']} (sample_idx {r['sample_idx']})

**Task**: {p['prompt']}

**Tests** (the task's asserts):
```python
{tests}
```

**Reference solution**:
```python
{reference}
```

**Program under study**:
```python
{r.get('code') or ''}
```

**Execution in the sandbox**: status `{r['status']}`, {r['n_passed']} of {r['n_tests']} tests passed; first error: {r.get('first_error_type')}: {r.get('first_error_message')}
""" + "\n".join(verdicts) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", required=True, help="JSON Lines written by `codefail run`")
    ap.add_argument("--problems", required=True, help="JSON Lines written by `codefail load`")
    ap.add_argument("--seed", required=True, help="a seed, or a chain of seeds: 2027,2028")
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--exclude", nargs="*", default=[], help="label files whose rows are not drawn again")
    ap.add_argument("--out", required=True, help="the packet (Markdown)")
    ap.add_argument("--ids", help="also write the drawn (task_id, sample_idx) pairs here (JSON)")
    a = ap.parse_args()
    problems = {p["task_id"]: p for p in read_jsonl(a.problems)}
    taken = {(v["task_id"], v["sample_idx"]) for f in a.exclude for v in read_jsonl(f)}
    failing = [r for r in read_jsonl(a.results)
               if not r["passed"] and (r["task_id"], r["sample_idx"]) not in taken]
    missing = sorted({r["task_id"] for r in failing} - problems.keys())
    if missing:
        sys.exit(f"{a.problems}: no problem for {', '.join(missing[:5])}")
    try:
        seeds = [int(x) for x in a.seed.split(",")]
    except ValueError:
        sys.exit(f"--seed {a.seed}: not a number or a comma-separated chain of numbers")
    for seed in seeds:
        random.Random(seed).shuffle(failing)
        drawn, failing = failing[: a.n], failing[a.n :]
    drawn = sorted(drawn, key=lambda r: number(r["task_id"]))
    with open(a.out, "w", encoding="utf-8") as f:
        f.write(f"# {len(drawn)} failing programs to label\n\n")
        for r in drawn:
            f.write(block(r, problems[r["task_id"]]) + "\n---\n\n")
    if a.ids:
        with open(a.ids, "w", encoding="utf-8") as f:
            json.dump([[r["task_id"], r["sample_idx"]] for r in drawn], f)
    print(f"drew {len(drawn)} failing rows (seed {a.seed}; {len(failing)} left) into {a.out}")


if __name__ == "__main__":
    main()
