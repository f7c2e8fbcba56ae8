"""The `location-ops` command: demo, serve, migrate, user create, purge, backup, restore, simulate."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys

from location_ops.config import Settings, get_settings


def _configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Alembic lists its autogenerate plugins at INFO on import: noise for every command.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def cmd_migrate(settings: Settings, _args) -> int:
    from location_ops.migrate import upgrade

    settings.var_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)
    print("The database is up to date.")
    return 0


def cmd_serve(settings: Settings, args) -> int:
    import uvicorn

    from location_ops.db import make_engine
    from location_ops.migrate import DatabaseNotMigrated, check_migrated

    workers = args.workers or 1
    if workers > 1 and settings.is_sqlite:
        print("SQLite serves one process only: use PostgreSQL (LOCATION_OPS_DATABASE_URL) for --workers above 1.",
              file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    try:
        check_migrated(engine)
    except DatabaseNotMigrated as exc:
        print(exc, file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    options = dict(host=args.host or settings.host, port=args.port or settings.port, proxy_headers=True,
                   forwarded_allow_ips=settings.forwarded_allow_ips, log_level="info",
                   # No access log: paths and query strings can carry feed secrets and search text.
                   access_log=False)
    if workers > 1:
        # Each worker process builds its own app from the environment; one of them ingests MQTT
        # (the advisory lock) and every one forwards events to its screens (LISTEN/NOTIFY).
        uvicorn.run("location_ops.app:create_app", factory=True, workers=workers, **options)
    else:
        from location_ops.app import create_app

        uvicorn.run(create_app(settings), **options)
    return 0


def cmd_demo(settings: Settings, args) -> int:
    from location_ops.demo import run_demo

    return run_demo(settings, port=args.port, reset=args.reset)


def cmd_user_create(settings: Settings, args) -> int:
    from location_ops.accounts import service
    from location_ops.db import make_engine, make_sessionmaker
    from location_ops.migrate import DatabaseNotMigrated, check_migrated

    engine = make_engine(settings.database_url)
    try:
        check_migrated(engine)
    except DatabaseNotMigrated as exc:
        print(exc, file=sys.stderr)
        return 2
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("The passwords differ.", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    with make_sessionmaker(engine)() as db_session:
        try:
            user = service.create_user(db_session=db_session, settings=settings, username=args.username,
                                       password=password, role=args.role, language=args.language)
        except service.AccountError as exc:
            print(exc, file=sys.stderr)
            return 1
        db_session.commit()
        print(f"Created {user.role} account id={user.id}.")
    return 0


def cmd_purge(settings: Settings, _args) -> int:
    from location_ops.privacy.declarations import load
    from location_ops.privacy.retention import purge_all

    counts = purge_all(settings)
    blanking = {rule.key for rule in load() if rule.clears}
    for what, count in counts.items():
        print(f"{what}: {count} {'blanked' if what in blanking else 'removed'}")
    return 0


def cmd_backup(settings: Settings, args) -> int:
    from location_ops.privacy.backup import BackupError, backup

    try:
        encrypted = backup(settings, args.path, unencrypted=args.unencrypted)
    except BackupError as exc:
        print(f"No backup made: {exc}", file=sys.stderr)
        return 1
    if encrypted:
        print(f"Encrypted backup written to {args.path}.")
    else:
        print(f"Unencrypted backup written to {args.path}: keep it somewhere only the collective can reach.")
    return 0


def cmd_restore(settings: Settings, args) -> int:
    from location_ops.privacy.backup import BackupError, restore

    try:
        restore(settings, args.path, identity=args.identity)
    except BackupError as exc:
        print(f"Nothing restored: {exc}", file=sys.stderr)
        return 1
    print(f"Restored from {args.path}.")
    return 0


def cmd_simulate(_settings: Settings, args) -> int:
    from devices import simulator

    return simulator.run(args)


def build_parser(settings: Settings | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="location-ops", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="run a demo: SQLite, embedded broker, seeded data")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--reset", action="store_true", help="start from an empty demo database")
    demo.set_defaults(func=cmd_demo)

    serve = commands.add_parser("serve", help="run the app (production)")
    serve.add_argument("--host", default=None, help="address to bind (default: LOCATION_OPS_HOST)")
    serve.add_argument("--port", type=int, default=None, help="port (default: LOCATION_OPS_PORT)")
    serve.add_argument("--workers", type=int, default=None,
                       help="app processes (PostgreSQL only); events reach the screens of every one")
    serve.set_defaults(func=cmd_serve)
    commands.add_parser("migrate", help="upgrade the database schema").set_defaults(func=cmd_migrate)
    commands.add_parser("purge", help="delete what retention says must go").set_defaults(func=cmd_purge)

    backup = commands.add_parser("backup", help="write a backup of the database to PATH, encrypted to "
                                 "LOCATION_OPS_BACKUP_RECIPIENT")
    backup.add_argument("path")
    backup.add_argument("--unencrypted", action="store_true",
                        help="write the backup without encryption (refused otherwise when no key is set)")
    backup.set_defaults(func=cmd_backup)
    restore = commands.add_parser("restore", help="replace the database with the backup at PATH")
    restore.add_argument("path")
    restore.add_argument("--identity", metavar="FILE", default=None,
                         help="the collective's age private key file (needed for an encrypted backup)")
    restore.set_defaults(func=cmd_restore)

    from devices import simulator

    simulate = commands.add_parser("simulate", help="send what a panic button sends (press, test, ...)",
                                   description=simulator.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    simulator.add_arguments(simulate, mqtt_default=f"mqtt://127.0.0.1:{settings.demo_mqtt_port}" if settings
                            else "mqtt://127.0.0.1:1884", site_default=settings.site if settings else "main")
    simulate.set_defaults(func=cmd_simulate)

    user = commands.add_parser("user", help="manage accounts")
    user_commands = user.add_subparsers(dest="user_command", required=True)
    create = user_commands.add_parser("create", help="create an account; the password is read from stdin")
    create.add_argument("--role", required=True, choices=["operator", "host", "worker", "caseworker", "security"])
    create.add_argument("--username", required=True)
    create.add_argument("--language", default=None)
    create.set_defaults(func=cmd_user_create)
    return parser


def main(argv: list[str] | None = None) -> int:
    _configure_logging()
    settings = get_settings()
    args = build_parser(settings).parse_args(argv)
    from sqlalchemy.exc import OperationalError

    from location_ops import i18n

    i18n.set_language(settings.default_language)  # the sentences a command prints
    try:
        return args.func(settings, args)
    except OperationalError as exc:
        print(f"The database cannot be reached: {str(exc.orig).strip()}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
