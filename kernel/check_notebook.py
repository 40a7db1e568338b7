"""Check an executed notebook: every code cell ran, no error outputs, no
error text on stderr (evcxr prints `?` errors and compile errors there), and
at least as many tables (text/html) and figures (image/png, image/svg+xml) as
the notebook's metadata `codefail.min_tables` / `codefail.min_figures` promise.
A notebook that reproduces a study (metadata `codefail.reproduces`) must show
its published-vs-reproduced table (a table with `published`, `ours` and
`verdict` columns, `codefail::metrics::Comparison`) with no `unexplained`
verdict.

    python kernel/check_notebook.py outputs/notebooks/00_tour.ipynb
"""
import json
import re
import sys

ERROR_TEXT = re.compile(r"(^|\b)(error(\[E\d+\])?:|Error:|panicked at|thread '.*' panicked)", re.M)


def check(path):
    nb = json.load(open(path))
    want = nb.get("metadata", {}).get("codefail", {})
    problems, tables, figures, comparisons = [], 0, 0, []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        src = "".join(cell["source"]).strip()
        if cell.get("execution_count") is None and src:
            problems.append(f"cell {i}: not executed")
        for out in cell.get("outputs", []):
            kind = out["output_type"]
            if kind == "error":
                problems.append(f"cell {i}: {out.get('ename')}: {out.get('evalue')}")
            elif kind == "stream" and out.get("name") == "stderr":
                text = "".join(out.get("text", ""))
                if ERROR_TEXT.search(text):
                    problems.append(f"cell {i}: stderr: {text.strip()[:2000]}")
            elif kind in ("display_data", "execute_result"):
                data = out.get("data", {})
                tables += "text/html" in data
                html = "".join(data.get("text/html", ""))
                if all(f"<th>{c}</th>" in html for c in ("published", "ours", "verdict")):
                    comparisons.append((i, html))
                figures += "image/png" in data or "image/svg+xml" in data
    if want.get("reproduces"):
        if not comparisons:
            problems.append("no published-vs-reproduced table (columns published, ours, verdict)")
        for i, html in comparisons:
            if re.search(r"<td>\s*unexplained\s*</td>", html):
                problems.append(f"cell {i}: the published-vs-reproduced table has an unexplained difference")
    if tables < want.get("min_tables", 0):
        problems.append(f"{tables} tables, expected at least {want['min_tables']}")
    if figures < want.get("min_figures", 0):
        problems.append(f"{figures} figures, expected at least {want['min_figures']}")
    print(f"{path}: {tables} tables, {figures} figures", "OK" if not problems else "FAILED")
    for p in problems:
        print("  " + p)
    return not problems


if __name__ == "__main__":
    ok = all([check(p) for p in sys.argv[1:]])
    sys.exit(0 if ok else 1)
