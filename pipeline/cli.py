"""The ``protestwatch`` command: thin wrappers over :mod:`pipeline` functions.

User errors (:class:`pipeline.errors.PipelineError`) print one line on stderr and exit
non-zero without a traceback; ``--verbose`` shows debug logs.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from pipeline.errors import PipelineError

__all__ = ["main"]

log = logging.getLogger("protestwatch")


def _timestamp(value: str):
    import pandas as pd

    try:
        ts = pd.Timestamp(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a timestamp: {value!r}") from None
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _engine():
    from pipeline.database import ensure_schema, get_engine

    engine = get_engine()
    ensure_schema(engine)
    return engine


def _progress(total: int | None, unit: str, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, unit_scale=True, desc=desc, disable=not sys.stderr.isatty())


def cmd_db(args: argparse.Namespace) -> int:
    from pipeline.config import get_settings
    from pipeline.database import database_url, get_engine, libpq_url, upgrade

    if args.action == "upgrade":
        revision = upgrade(get_engine())
        print(f"database schema at revision {revision}")
    elif args.action == "url":
        print(libpq_url(database_url()))
    elif args.action == "stop":
        from pipeline.database import stop_embedded

        settings = get_settings()
        print("stopped" if stop_embedded(settings.home) else "no embedded Postgres was running")
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from pipeline.simulate import simulate

    with _progress(args.posts, "post", "simulate") as bar:
        summary = simulate(
            Path(args.out),
            seed=args.seed,
            posts=args.posts,
            days=args.days,
            progress=lambda written: bar.update(written - bar.n),  # simulate reports totals
        )
    print(
        f"wrote {summary['posts']:,} posts ({summary['malformed']} malformed, "
        f"{summary['duplicates']} duplicates) to {args.out} in {summary['seconds']:.1f} s"
    )
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from pipeline.ingest import ingest_paths

    engine = _engine()
    with _progress(None, "rec", "ingest") as bar:
        summaries = ingest_paths(
            engine, args.paths, format=args.format, force=args.force, progress=bar.update
        )
    totals = {
        k: sum(getattr(s, k) for s in summaries)
        for k in ("read", "loaded", "duplicates", "rejected")
    }
    seconds = sum(s.seconds for s in summaries)
    skipped = sum(s.status == "skipped" for s in summaries)
    rate = totals["read"] / seconds if seconds else 0.0
    print(
        f"{len(summaries)} file(s), {skipped} already loaded: read {totals['read']:,}, "
        f"loaded {totals['loaded']:,}, duplicates {totals['duplicates']:,}, "
        f"rejected {totals['rejected']:,} in {seconds:.1f} s ({rate:,.0f} records/s)"
    )
    return 0


def cmd_detect(args: argparse.Namespace) -> int:
    from pipeline.detect import run_range, run_window

    engine = _engine()
    if args.at is not None:
        result = run_window(engine, args.at)
        print(result.describe())
        return 0
    if args.start is None or args.end is None:
        raise PipelineError("detect needs --at TS, or --from TS and --to TS")
    with _progress(None, "window", "detect") as bar:
        results = run_range(engine, args.start, args.end, every=args.every, progress=bar.update)
    alerts = sum(r.n_alerts for r in results)
    print(f"{len(results)} windows from {args.start} to {args.end}: {alerts} alerts")
    return 0


def cmd_top(args: argparse.Namespace) -> int:
    from pipeline.report import format_top, top_movements

    frame = top_movements(_engine(), at=args.at, limit=args.limit)
    print(format_top(frame))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from pipeline.report import write_report

    path = write_report(_engine(), Path(args.out), limit=args.limit)
    print(f"report written to {path}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from pipeline.demo import run_demo

    run_demo(seed=args.seed, posts=args.posts, out=Path(args.report))
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from pipeline.evaluation_run import evaluate_seeds, render_markdown, stance_report

    results = evaluate_seeds(
        args.seeds, posts=args.posts, every=args.every, progress=print, reuse=args.reuse
    )
    stance = None if args.skip_stance else stance_report()
    command = f"protestwatch evaluate --seeds {' '.join(map(str, args.seeds))} " + (
        f"--posts {args.posts} --every {args.every}"
    )
    text = render_markdown(results, stance, command)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
        print(f"written to {args.out}")
    return 0


def cmd_train_stance(args: argparse.Namespace) -> int:
    from models.stance import train_stance
    from pipeline.errors import InputError

    path = Path(args.data)
    if not path.is_file():
        raise InputError(f"labeled file not found: {path}")
    try:
        _, report = train_stance(path, out=Path(args.out))
    except (KeyError, ValueError) as exc:
        raise InputError(f"cannot train from {path}: {exc}") from None
    cv = report.get("cv") or report.get("cv_train") or {}
    print(
        f"model saved to {args.out}; cross-validated macro-F {cv.get('macro_f', float('nan')):.3f}"
    )
    return 0


def cmd_alerts(args: argparse.Namespace) -> int:
    from pipeline.alerts import deliver_alerts, describe_delivery

    fmt = {"slack": True, "json": False}.get(args.format)
    summary = deliver_alerts(
        _engine(),
        webhooks=args.webhook or None,
        slack=fmt,
        max_attempts=args.max_attempts,
        backoff=args.backoff,
        timeout=args.timeout,
        since=args.since,
        max_wait=args.wait,
        retry_failed=args.retry_failed,
    )
    print(describe_delivery(summary))
    return 1 if summary["failed"] else 0


def cmd_maintain(args: argparse.Namespace) -> int:
    import pandas as pd

    from pipeline import operations

    engine = _engine()
    now = pd.Timestamp.now(tz="UTC")
    done = {
        "dropped": operations.drop_expired_partitions(engine, now, args.retention_days),
        "created": operations.ensure_partitions_ahead(engine, now, args.months_ahead),
        "purged": operations.purge_rejected(engine, now, args.quarantine_days),
        "stale": operations.fail_stale_runs(engine, args.stale_hours),
        "vacuum": operations.vacuum_analyze(engine, vacuum=not args.no_vacuum),
    }
    for step, outcome in done.items():
        print(f"{step}: {outcome}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``protestwatch`` command."""
    parser = argparse.ArgumentParser(
        prog="protestwatch",
        description="Find emerging grassroots opposition in social-media posts.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="database schema and the embedded server")
    db.add_argument("action", choices=["upgrade", "url", "stop"])
    db.set_defaults(func=cmd_db)

    sim = sub.add_parser("simulate", help="write a generated scenario with ground truth")
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--posts", type=int, default=50_000)
    sim.add_argument("--days", type=int, default=21)
    sim.add_argument("--out", required=True, help="output directory")
    sim.set_defaults(func=cmd_simulate)

    ing = sub.add_parser("ingest", help="load post files (files, directories, globs)")
    ing.add_argument("paths", nargs="+")
    ing.add_argument("--format", help="force a reader instead of auto-detection")
    ing.add_argument("--force", action="store_true", help="reload files already loaded")
    ing.set_defaults(func=cmd_ingest)

    det = sub.add_parser("detect", help="detect movements for one window end or a range")
    det.add_argument("--at", type=_timestamp, help="window end (UTC)")
    det.add_argument("--from", dest="start", type=_timestamp, help="first window end")
    det.add_argument("--to", dest="end", type=_timestamp, help="last window end")
    det.add_argument("--every", default="1h", help="step between window ends (default 1h)")
    det.set_defaults(func=cmd_detect)

    top = sub.add_parser("top", help="print the ranked emerging opposition")
    top.add_argument("--at", type=_timestamp, help="window end (default: latest)")
    top.add_argument("--limit", type=int, default=10)
    top.set_defaults(func=cmd_top)

    rep = sub.add_parser("report", help="write the static HTML report")
    rep.add_argument("--out", default="report.html")
    rep.add_argument("--limit", type=int, default=5, help="movements shown in detail")
    rep.set_defaults(func=cmd_report)

    ev = sub.add_parser("evaluate", help="evaluate detection on generated scenarios")
    ev.add_argument("--seeds", type=int, nargs="+", default=[101, 102, 103])
    ev.add_argument("--posts", type=int, default=40_000)
    ev.add_argument("--every", default="3h", help="step between window ends")
    ev.add_argument("--out", default="docs/evaluation.md", help="markdown report ('' to skip)")
    ev.add_argument("--skip-stance", action="store_true", help="skip the stance evaluation")
    ev.add_argument(
        "--reuse", action="store_true", help="re-score seeds whose evaluation database exists"
    )
    ev.set_defaults(func=cmd_evaluate)

    tr = sub.add_parser("train-stance", help="train a stance model from a labeled CSV")
    tr.add_argument("--data", required=True, help="CSV with text, label (against/favour/none)")
    tr.add_argument("--out", default=".protestwatch/models/stance-custom.joblib")
    tr.set_defaults(func=cmd_train_stance)

    al = sub.add_parser("alerts", help="deliver alerts to webhooks and e-mail")
    alsub = al.add_subparsers(dest="action", required=True)
    dl = alsub.add_parser("deliver", help="send undelivered alerts, once per episode")
    dl.add_argument(
        "--webhook",
        action="append",
        help="URL, repeatable (default PROTESTWATCH_WEBHOOKS; prefer the variable: "
        "command lines are visible to other users)",
    )
    dl.add_argument(
        "--format", choices=["json", "slack"], help="default PROTESTWATCH_WEBHOOK_FORMAT"
    )
    dl.add_argument("--since", type=_timestamp, help="only alerts fired at or after this time")
    dl.add_argument("--max-attempts", type=int, default=5)
    dl.add_argument("--backoff", type=float, default=30.0, help="seconds before the first retry")
    dl.add_argument("--timeout", type=float, default=10.0)
    dl.add_argument("--wait", type=float, default=0.0, help="seconds to wait for due retries")
    dl.add_argument("--retry-failed", action="store_true")
    dl.set_defaults(func=cmd_alerts)

    mt = sub.add_parser("maintain", help="retention, future partitions, quarantine, VACUUM")
    mt.add_argument("--retention-days", type=int, default=90, help="raw posts kept (results stay)")
    mt.add_argument("--months-ahead", type=int, default=2, help="monthly partitions created ahead")
    mt.add_argument("--quarantine-days", type=int, default=30, help="rejected records kept")
    mt.add_argument("--stale-hours", type=int, default=6, help="running runs older are failed")
    mt.add_argument("--no-vacuum", action="store_true", help="ANALYZE only")
    mt.set_defaults(func=cmd_maintain)

    demo = sub.add_parser("demo", help="simulate, ingest, detect, rank and report in one go")
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--posts", type=int, default=60_000)
    demo.add_argument("--report", default="report.html")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``protestwatch`` console script."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return args.func(args)
    except PipelineError as exc:
        print(f"protestwatch: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("protestwatch: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
