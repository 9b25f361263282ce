"""Keeps the dev stack's processes running: a child that exits is restarted with back-off and the log
says so; stopping asks each child to finish (SIGTERM) and waits for it before the next."""

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

# A child that stayed up this long is healthy again: its next restart waits the shortest back-off.
STABLE_SECONDS = 60.0
FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 30.0


def say(message: str) -> None:
    print(f"[tempogram dev] {message}", flush=True)


@dataclass
class Child:
    """One supervised process. `start` returns it running (and ready, if it waits for a port)."""

    name: str
    start: Callable[[], subprocess.Popen[bytes]]
    # Stopped by stage, highest first (the API and workers before the Temporal server they report to).
    stage: int = 1
    # Seconds it may take to finish its work on SIGTERM before it is killed.
    grace_seconds: float = 15.0
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    backoff: float = FIRST_BACKOFF_SECONDS
    restart_at: float | None = None

    def launch(self) -> None:
        self.process = self.start()
        self.started_at = time.monotonic()
        self.restart_at = None

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()


class Supervisor:
    def __init__(self) -> None:
        self.children: list[Child] = []

    def add(self, child: Child) -> None:
        child.launch()
        self.children.append(child)
        assert child.process is not None
        say(f"{child.name} started (pid {child.process.pid})")

    def tend(self) -> None:
        """Called every moment the stack runs: restart what exited, after its back-off."""
        now = time.monotonic()
        for child in self.children:
            code = child.exited()
            if code is None or child.process is None:
                continue
            if child.restart_at is None:
                if now - child.started_at > STABLE_SECONDS:
                    child.backoff = FIRST_BACKOFF_SECONDS
                say(f"{child.name} exited with code {code}; restarting it in {child.backoff:.0f} s")
                child.restart_at = now + child.backoff
                child.backoff = min(child.backoff * 2, MAX_BACKOFF_SECONDS)
            elif now >= child.restart_at:
                try:
                    child.launch()
                except (OSError, SystemExit) as error:
                    say(f"{child.name} did not come back ({error}); trying again in {child.backoff:.0f} s")
                    child.restart_at = now + child.backoff
                    child.backoff = min(child.backoff * 2, MAX_BACKOFF_SECONDS)
                    continue
                say(f"{child.name} restarted (pid {child.process.pid})")

    def stop(self) -> None:
        """Stops the children stage by stage, highest first: all of a stage are asked at once, each
        given its grace period to finish its work."""
        for stage in sorted({child.stage for child in self.children}, reverse=True):
            running = [c for c in self.children if c.stage == stage and c.process and c.process.poll() is None]
            for child in running:
                assert child.process is not None
                child.process.terminate()
            for child in running:
                assert child.process is not None
                try:
                    child.process.wait(timeout=child.grace_seconds)
                except subprocess.TimeoutExpired:
                    say(f"{child.name} did not finish within {child.grace_seconds:.0f} s; killing it")
                    child.process.kill()
                    child.process.wait()
