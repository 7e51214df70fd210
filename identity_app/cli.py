"""Command line for the operator of the container: python -m identity_app.cli ...

  migrate                          apply database migrations
  create-owner --email --name      create the owner (asks for the password)
  reset-totp --email               make someone enrol two-factor again
  list-operators                   list console users
  evaluate {mrz,face,pad,liveness,liveness-video} --data DIR [--json FILE]
                                   (face: [--people DIR] [--cache DIR];
                                    liveness-video: [--labels FILE] [--draws N] [--seed S];
                                    mrz: [--generated N] [--seed S] [--with-visual-zone] [--no-baseline])
  bench checks                     check latencies with warm models
  bench load --users N --operators M --seconds S [--find-capacity] [--url URL]
                                   people capturing and operators at once (identity_app/bench)
  bench dashboard [--db sqlite|postgresql] [--sessions N]
                                   the application dashboard's queries at 100,000 sessions
  rotate-secret [--env-file .env]  re-encrypt everything under a new secret key (app stopped)
  backup --to DIR                  online SQLite backup plus the media folder, with a manifest
  restore --from DIR [--force]     into an empty data folder (app stopped)
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path


def _cmd_migrate(_: argparse.Namespace) -> int:
    from identity_app.migrations import upgrade
    from identity_app.private_files import make_data_private
    from identity_app.settings import get_settings

    # Also at every start: the data folder private (folders 0700, files 0600), older installs too.
    changed = make_data_private(get_settings())
    if changed:
        print(f"made {changed} file(s) and folder(s) of the data folder private to this account")
    upgrade()
    print("database is up to date")
    return 0


CLI = "cli"  # the actor and address the audit trail names for the command line


def _cmd_create_owner(args: argparse.Namespace) -> int:
    from identity_app.services import doorway
    from identity_app.services.access import auth

    password = os.environ.get("IDV_OWNER_PASSWORD") or getpass.getpass("Password (10+ characters): ")
    op = doorway.run(lambda w: auth.create_owner(w.db, name=args.name, email=args.email, password=password, ip=w.ip),
                     doorway.Caller(ip=CLI))
    print(f"owner {op.email} created; sign in at the console to set up two-factor authentication")
    return 0


def _cmd_reset_totp(args: argparse.Namespace) -> int:
    from identity_app.services import doorway
    from identity_app.services.access import auth

    op = doorway.run(lambda w: auth.reset_totp(w.db, email=args.email, actor=CLI))
    print(f"two-factor reset for {op.email}: they enrol again at their next sign-in")
    return 0


def _cmd_list_operators(_: argparse.Namespace) -> int:
    from identity_app.services import doorway
    from identity_app.services.access import auth

    ops = doorway.run(lambda w: auth.list_operators(w.db))
    if not ops:
        print("no operators yet: open the console to set up the owner, or use create-owner")
    for op in ops:
        flags = ["owner"] if op.is_owner else []
        flags.append("2fa" if op.totp_enrolled else "2fa-not-set-up")
        print(f"{op.id:>5}  {op.email:<40} {op.name:<30} {', '.join(flags)}")
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    json_path = Path(args.json) if args.json else None
    if args.kind == "mrz" and args.generated and not args.data:
        data = None  # synthetic documents only
    elif not args.data or not Path(args.data).is_dir():
        print(f"no such folder: {args.data}" if args.data else "--data DIR is required", file=sys.stderr)
        return 2
    else:
        data = Path(args.data)
    if args.kind == "mrz":
        from identity_app.evaluation.mrz_eval import run_mrz_evaluation

        run_mrz_evaluation(data, json_path, baseline=not args.no_baseline, visual_zone=args.with_visual_zone,
                           generated=args.generated, seed=1000 if args.seed is None else args.seed)
        return 0
    elif args.kind == "face":
        from identity_app.evaluation.face_eval import run_face_evaluation

        run_face_evaluation(data, json_path, people=args.people, cache_dir=args.cache, workers=args.workers)
        return 0
    elif args.kind == "liveness-video":
        from identity_app.evaluation.liveness_video import run_liveness_video_evaluation

        run_liveness_video_evaluation(data, json_path, labels=args.labels, draws=args.draws,
                                      seed=11 if args.seed is None else args.seed)
        return 0
    elif args.kind == "pad":
        from identity_app.evaluation.pad_eval import run_pad_evaluation as run
    else:  # printed photos moved in front of the camera against the active challenge
        from identity_app.evaluation.liveness_eval import run_liveness_evaluation as run
    run(data, json_path)
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    if args.what == "checks":
        from identity_app.evaluation.bench_checks import main as bench
    elif args.what == "load":
        from identity_app.bench.load import main as bench  # type: ignore[no-redef]
    elif args.what == "dashboard":
        from identity_app.bench.dashboard import main as bench  # type: ignore[no-redef]
    else:
        from identity_app.evaluation.bench_search import main as bench  # type: ignore[no-redef]
    return bench(args.rest) or 0


def _cmd_rotate_secret(args: argparse.Namespace) -> int:
    from identity_app.db import get_engine
    from identity_app.services.operations import rotation
    from identity_app.settings import get_settings

    if "IDV_SECRET_KEY" in os.environ and not get_settings().secret_key_file:
        # the key comes from the environment, which no command can change (IDV_SECRET_KEY_FILE, a file, can be)
        print("error: IDV_SECRET_KEY is set in the environment; rotate-secret writes the new key to "
              f"{args.env_file}: move the key there (and out of the environment) first", file=sys.stderr)
        return 2
    try:
        report = rotation.rotate(get_settings(), Path(args.env_file), get_engine())
    except rotation.RotationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{'finished an interrupted rotation: ' if report.resumed else ''}{report.media} media object(s) and "
          f"{report.values} sealed value(s) re-encrypted ({report.media_already} were already); the new key "
          f"is in {report.env_file}. Start the app again: the old key opens nothing now")
    return 0


def _cmd_backup(args: argparse.Namespace) -> int:
    from identity_app.services.operations import backup
    from identity_app.settings import get_settings

    try:
        r = backup.backup(get_settings(), Path(args.to))
    except backup.BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"backed up the database ({r.database_bytes} bytes) and {r.media_files} media file(s) "
          f"({r.media_bytes} bytes) to {r.folder} in {r.seconds:.1f} s"
          + (f"; {r.missing_media} media file(s) were deleted while it ran" if r.missing_media else ""))
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    from identity_app.services.operations import backup
    from identity_app.settings import get_settings

    try:
        r = backup.restore(get_settings(), Path(args.source), force=args.force)
    except backup.BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"restored {r.database} and {r.media_files} media file(s) into {r.media_dir}; run migrate, then start "
          "the app" + ("" if r.same_key else ". WARNING: the backup was made under another IDV_SECRET_KEY: "
                                             "its media and TOTP secrets open only with that key"))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m identity_app.cli", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(fn=_cmd_migrate)
    c = sub.add_parser("create-owner", help="create the owner account")
    c.add_argument("--email", required=True)
    c.add_argument("--name", required=True)
    c.set_defaults(fn=_cmd_create_owner)
    r = sub.add_parser("reset-totp", help="reset someone's two-factor authentication")
    r.add_argument("--email", required=True)
    r.set_defaults(fn=_cmd_reset_totp)
    sub.add_parser("list-operators", help="list console users").set_defaults(fn=_cmd_list_operators)
    e = sub.add_parser("evaluate", help="measure a check on a labelled folder")
    e.add_argument("kind", choices=["mrz", "face", "pad", "liveness", "liveness-video"])
    e.add_argument("--data", help="folder in the format of ../shared/data (mrz: may be left out with --generated)")
    e.add_argument("--json", help="also write the figures to this JSON file")
    e.add_argument("--with-visual-zone", action="store_true", help="mrz: also time reading the printed fields")
    e.add_argument("--no-baseline", action="store_true", help="mrz: skip the PassportEye baseline")
    e.add_argument("--generated", type=int, default=0, help="mrz: also N synthetic documents (seeds 1000..)")
    e.add_argument("--people", action="append", default=[],
                   help="face: also a folder of people (one sub-folder per person, as LFW, or photos with same/different pair lists); repeatable")
    e.add_argument("--cache", help="face: folder for the embedding cache (kept between runs)")
    e.add_argument("--workers", type=int, default=1, help="face: processes encoding faces")
    e.add_argument("--labels", help="liveness-video: labels CSV when the folder has no labels.csv")
    e.add_argument("--draws", type=int, default=12, help="liveness-video: challenge sets drawn per spoof clip")
    e.add_argument("--seed", type=int, default=None,
                   help="liveness-video: seed of the drawn challenge sets (11); mrz: first generated document (1000)")
    e.set_defaults(fn=_cmd_evaluate)
    b = sub.add_parser("bench", help="print latency figures")
    b.add_argument("what", choices=["checks", "search", "load", "dashboard"])
    b.add_argument("rest", nargs=argparse.REMAINDER)
    b.set_defaults(fn=_cmd_bench)
    rs = sub.add_parser("rotate-secret", help="re-encrypt media and sealed secrets under a new secret key")
    rs.add_argument("--env-file", default=".env", help="the .env the app reads its key from (default: .env)")
    rs.set_defaults(fn=_cmd_rotate_secret)
    bk = sub.add_parser("backup", help="consistent online backup of the SQLite database and the media")
    bk.add_argument("--to", required=True, help="a new or empty folder")
    bk.set_defaults(fn=_cmd_backup)
    rt = sub.add_parser("restore", help="restore a backup into the configured data folder")
    rt.add_argument("--from", dest="source", required=True, help="a folder written by backup")
    rt.add_argument("--force", action="store_true", help="replace the database and media of a data folder in use")
    rt.set_defaults(fn=_cmd_restore)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from identity_app.services.errors import DomainError

    try:
        return args.fn(args)
    except DomainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
