"""Run the benchmarks: ``python -m bench [--only NAME ...] [--posts N]``.

Every module ``bench/<name>.py`` with a ``main(argv)`` is a benchmark (``ingest``,
``detect``, ...); each writes ``bench/results/<name>.json``. ``--posts N`` runs each
at that single corpus size instead of its default sizes. Benchmarks never run under
``make test``.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from pathlib import Path

#: How each benchmark takes a single corpus size.
_SIZE_OPTION = {"detect": "--sizes", "ingest": "--posts"}


def available() -> list[str]:
    """Names of the benchmark modules (those with a ``main`` function)."""
    here = Path(__file__).resolve().parent
    names = []
    for info in pkgutil.iter_modules([str(here)]):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"bench.{info.name}")
        if callable(getattr(module, "main", None)):
            names.append(info.name)
    return sorted(names)


def main(argv: list[str] | None = None) -> int:
    names = available()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="+", choices=names, help="benchmarks to run")
    parser.add_argument("--posts", type=int, help="corpus size (posts) for every benchmark")
    args = parser.parse_args(argv)
    for name in args.only or names:
        module = importlib.import_module(f"bench.{name}")
        options = []
        if args.posts:
            options = [_SIZE_OPTION.get(name, "--posts"), str(args.posts)]
        print(f"== bench {name} {' '.join(options)}", file=sys.stderr, flush=True)
        module.main(options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
