#!/usr/bin/env python3
"""Are the analysis records identical, byte for byte, at two git revisions?  (issue 20)

    python scripts/same_records.py REV_A REV_B [--corpus-reports 2000]

Checks out both revisions in temporary worktrees (``git worktree add --detach``), runs
``python -m tumen analyze FILE --format jsonl`` with ``PYTHONPATH`` set to each
worktree's ``src`` (from a folder where ``../shared`` resolves) on

* the devset reports (``shared/data/devset/reports.jsonl``) and
* the first N reports with a body of a shared corpus (``--corpus``, default
  ``shared/data/corpora/kcna_2011_2012.jsonl``), written once as a JSON Lines input,

and compares the outputs byte for byte.  Prints the record counts and, on a
difference, the first differing record id and field; exit status 1 on a difference,
2 when a run fails.  The worktrees are removed afterwards.  Only the CLI is called,
so the engine's module path may differ between the revisions.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

INPUT_FIELDS = ("id", "title", "published", "source", "url", "body")


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def corpus_input(corpus: Path, count: int, out: Path) -> int:
    """The first ``count`` reports of ``corpus`` that have a body, as analyze input."""
    written = 0
    with corpus.open(encoding="utf-8") as src, out.open("w", encoding="utf-8") as dst:
        for line in src:
            if written >= count:
                break
            item = json.loads(line)
            if not (item.get("body") or "").strip():
                continue
            dst.write(json.dumps({k: item.get(k) for k in INPUT_FIELDS}, ensure_ascii=False) + "\n")
            written += 1
    return written


def analyze(python: str, tree: Path, reports: Path, out: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(tree / "src"))
    with out.open("wb") as dst:
        done = subprocess.run([python, "-m", "tumen", "analyze", str(reports), "--format", "jsonl", "--quiet"],
                              cwd=tree, env=env, stdout=dst, stderr=subprocess.PIPE)
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["(no message)"]
        raise RuntimeError(f"{tree.name}: tumen analyze {reports.name} exited {done.returncode}: {tail[0]}")


def first_difference(a: object, b: object, path: str = "") -> str:
    """The path of the first field where two decoded records differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if key not in a or key not in b:
                return f"{path}.{key}".lstrip(".") + " (missing on one side)"
            if a[key] != b[key]:
                return first_difference(a[key], b[key], f"{path}.{key}")
        return (path.lstrip(".") or "(record)") + " (key order or encoding)"
    if isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return first_difference(x, y, f"{path}[{i}]")
        return f"{path} (length {len(a)} vs {len(b)})"
    return path.lstrip(".") or "(record)"


def compare(name: str, a: Path, b: Path) -> bool:
    lines_a = a.read_bytes().splitlines(keepends=True)
    lines_b = b.read_bytes().splitlines(keepends=True)
    same = sum(1 for x, y in zip(lines_a, lines_b) if x == y)
    print(f"{name}: {len(lines_a)} vs {len(lines_b)} records, {same} identical")
    if lines_a == lines_b:
        return True
    for i, (x, y) in enumerate(zip(lines_a, lines_b)):
        if x != y:
            try:
                ra, rb = json.loads(x), json.loads(y)
                rid = ra.get("id") or ra.get("report_id") if isinstance(ra, dict) else None
                print(f"  first difference: line {i + 1}, record {rid!r}, field {first_difference(ra, rb)}")
            except ValueError:
                print(f"  first difference: line {i + 1} (not JSON)")
            break
    else:
        print(f"  first difference: line {min(len(lines_a), len(lines_b)) + 1} (one output is longer)")
    return False


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("rev_a")
    ap.add_argument("rev_b")
    ap.add_argument("--corpus-reports", type=int, default=2000, metavar="N",
                    help="reports of the corpus to analyze (0: the devset only)")
    repo = Path(git("rev-parse", "--show-toplevel", cwd=Path.cwd()))
    ap.add_argument("--shared", type=Path, default=repo.parent / "shared", help="the shared data folder")
    ap.add_argument("--corpus", type=Path, default=None, help="JSON Lines corpus (default: kcna_2011_2012.jsonl)")
    ap.add_argument("--python", default=sys.executable, help="interpreter with Tumen's dependencies")
    args = ap.parse_args(argv)

    shared = args.shared.resolve()
    devset = shared / "data" / "devset" / "reports.jsonl"
    corpus = args.corpus or shared / "data" / "corpora" / "kcna_2011_2012.jsonl"
    for needed in [devset] + ([corpus] if args.corpus_reports else []):
        if not needed.is_file():
            print(f"same_records: {needed}: no such file", file=sys.stderr)
            return 2
    revs = {}
    for rev in (args.rev_a, args.rev_b):
        try:
            revs[rev] = git("rev-parse", "--verify", f"{rev}^{{commit}}", cwd=repo)
        except subprocess.CalledProcessError:
            print(f"same_records: {rev}: not a revision of {repo}", file=sys.stderr)
            return 2

    with tempfile.TemporaryDirectory(prefix="same-records-") as tmp:
        top = Path(tmp)
        (top / "shared").symlink_to(shared)  # ../shared from each worktree
        inputs = {"devset": devset}
        if args.corpus_reports:
            inputs[corpus.stem] = top / "corpus.jsonl"
            n = corpus_input(corpus, args.corpus_reports, inputs[corpus.stem])
            print(f"{corpus.stem}: first {n} reports with a body")
        trees = {}
        try:
            for label, rev in zip("ab", (args.rev_a, args.rev_b)):
                trees[label] = top / label
                git("worktree", "add", "--detach", str(trees[label]), revs[rev], cwd=repo)
            same = True
            for name, reports in inputs.items():
                outs = {}
                for label in "ab":
                    outs[label] = top / f"{name}.{label}.jsonl"
                    analyze(args.python, trees[label], reports, outs[label])
                same &= compare(f"{name} ({args.rev_a} vs {args.rev_b})", outs["a"], outs["b"])
        except RuntimeError as err:
            print(f"same_records: {err}", file=sys.stderr)
            return 2
        finally:
            for tree in trees.values():
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=repo, capture_output=True)
    print("identical" if same else "DIFFERENT")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
