"""Summarise a py-spy `--format raw` profile (collapsed stacks): where the time goes.

    python bench/profile_summary.py bench/profiles/products-nocache-sqlite.txt

Prints the share of samples by area (our code, Strawberry, graphql-core, Tortoise,
database driver, uvicorn/Starlette, the event loop idling), the functions with the
most self time, and the functions (ours and the libraries') with the most
inclusive time.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^():]+)(?::(?P<line>\d+))?\)$")
_AREAS = [
    ("shopgraph: graph/", "/graph/"),
    ("shopgraph: commerce/", "/commerce/"),
    ("shopgraph: shopgraph/", "/shopgraph/"),
    ("shopgraph: payments/", "/payments/"),
    ("shopgraph: models/", "/models/"),
    ("bench/ instrumentation", "/bench/"),
    ("strawberry", "/strawberry/"),
    ("graphql-core", "/graphql/"),
    ("tortoise / pypika", "/tortoise/"),
    ("tortoise / pypika", "/pypika"),
    ("aiosqlite / sqlite3", "aiosqlite"),
    ("aiosqlite / sqlite3", "sqlite3"),
    ("asyncpg", "asyncpg"),
    ("stripe SDK / httpx", "/stripe/"),
    ("stripe SDK / httpx", "/httpx/"),
    ("stripe SDK / httpx", "/httpcore/"),
    ("starlette", "/starlette/"),
    ("uvicorn", "/uvicorn/"),
    ("json", "/json/"),
    ("iso8601 (SQLite datetimes)", "/iso8601/"),
    ("asyncio / uvloop", "/asyncio/"),
    ("asyncio / uvloop", "uvloop"),
    ("logging", "/logging/"),
]


def _parse(frame: str) -> tuple[str, str]:
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip(), ""
    return match["func"], match["file"]


def _area(path: str) -> str:
    # py-spy names library files relative to site-packages ("graphql/execution/…").
    path = "/" + path.lstrip("/")
    for name, needle in _AREAS:
        if needle in path:
            return name
    return "other (stdlib, …)"


def _short(func: str, path: str) -> str:
    for marker in ("site-packages/", "/work/main/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{func} ({path})"


def summarise(raw: Path, top: int = 25) -> str:
    total = 0
    idle = 0
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [_parse(f) for f in stack.split(";") if f]
        frames = [f for f in frames if f[1]]  # drop the thread/process header frames
        if not frames:
            continue
        leaf_func, leaf_path = frames[-1]
        if leaf_func in {"select", "poll", "epoll_wait", "run_forever", "_run_once"} and len(frames) <= 6:
            idle += count
        self_time[_short(leaf_func, leaf_path)] += count
        # The area of the innermost frame that is not the interpreter's plumbing.
        areas[_area(leaf_path)] += count
        for name in {_short(f, p) for f, p in frames}:
            inclusive[name] += count
    if not total:
        return f"{raw}: no samples"
    out = [f"{raw.name}: {total} samples (py-spy, --nonblocking; idle samples are included only if py-spy saw them)"]
    out.append("\nSelf time by area (where the innermost frame is):")
    for name, count in areas.most_common():
        out.append(f"  {count / total:6.1%}  {name}")
    out.append(f"\nTop {top} functions by self time:")
    for name, count in self_time.most_common(top):
        out.append(f"  {count / total:6.1%}  {name}")
    out.append(f"\nTop {top * 2} functions by inclusive time:")
    for name, count in inclusive.most_common(top * 2):
        out.append(f"  {count / total:6.1%}  {name}")
    return "\n".join(out)


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        print(summarise(Path(argument)))
