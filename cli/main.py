"""The `tempogram` command: `dev`, `api`, `worker`, `credentials`, `accounts`, `test`."""

import argparse
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="tempogram", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    dev = commands.add_parser("dev", help="run PostgreSQL, Temporal + UI, the worker and the API locally")
    dev.add_argument("--data-dir", type=Path, default=Path(".tempogram"), help="kept across restarts")
    dev.add_argument("--api-port", type=int, default=8000)
    dev.add_argument("--temporal-port", type=int, default=7233)
    dev.add_argument("--ui-port", type=int, default=8233)
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--worker-processes", type=int, default=2, help="worker processes sharing the task queue")

    api = commands.add_parser("api", help="run the API against TEMPOGRAM_* settings (runs migrations)")
    api.add_argument("--host", default="0.0.0.0")
    api.add_argument("--port", type=int, default=8000)
    api.add_argument("--workers", type=int, default=1)

    commands.add_parser("worker", help="run the Temporal worker against TEMPOGRAM_* settings")
    credentials = commands.add_parser("credentials", help="provider credentials at rest")
    credentials.add_argument("action", choices=["new-key", "reseal"], help="print a new key; re-seal every provider")
    accounts = commands.add_parser("accounts", help="team accounts")
    account_commands = accounts.add_subparsers(dest="action", required=True)
    create = account_commands.add_parser("create", help="a team account; the password is asked for, or read from stdin")
    create.add_argument("--email", required=True)
    create.add_argument("--name", default="")
    create.add_argument("--instance-admin", action="store_true", help="may create projects and accounts")
    create.add_argument("--data-dir", type=Path, default=Path(".tempogram"), help="the dev stack's, unless "
                        "TEMPOGRAM_DATABASE_URL is set")  # fmt: skip
    commands.add_parser("test", help="run the test suite (arguments go to pytest)", add_help=False)

    args, rest = parser.parse_known_args(argv)
    if args.command == "test":
        run_tests(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "dev":
        from cli.dev_stack import DevOptions, run_dev

        options = DevOptions(
            args.data_dir.resolve(),
            args.api_port,
            args.temporal_port,
            args.ui_port,
            args.host,
            worker_processes=max(1, args.worker_processes),
        )
        sys.exit(run_dev(options))
    if args.command == "api":
        import uvicorn

        from core.config import get_settings
        from core.event_loop import available
        from core.logging import logging_config

        settings = get_settings()
        uvicorn.run(
            "api.main:serve",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            loop=available(settings.event_loop),
            log_config=logging_config(settings.log_level, settings.log_format),
        )
    elif args.command == "credentials":
        from cli.credentials import new_key_or_reseal

        new_key_or_reseal(args.action)
    elif args.command == "accounts":
        from cli.accounts import create_from_command_line

        sys.exit(create_from_command_line(args.email, args.name, args.instance_admin, args.data_dir.resolve()))
    elif args.command == "worker":
        from worker.main import main as worker_main

        worker_main()


def run_tests(pytest_args: list[str]) -> None:
    """Run pytest and exit with its status before interpreter teardown.

    The Temporal SDK's native runtime can abort during interpreter finalisation ("PyGILState_Release")
    after every test has passed; exiting straight from here makes the exit code the tests' own."""
    import pytest

    code = pytest.main(pytest_args)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(int(code))


if __name__ == "__main__":
    main()
