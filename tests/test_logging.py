"""Logs: readable lines by default, one JSON object per line when asked, from a real process."""

import json
import subprocess
import time

from tests.helpers import BIN
from tests.processes import healthy, process_env
from tests.sinks import free_port


def test_a_process_logs_one_json_object_per_line_when_asked(database_url, temporal_env):
    env = process_env(database_url, temporal_env, "logs")
    env |= {"TEMPOGRAM_LOG_FORMAT": "json", "TEMPOGRAM_LOG_LEVEL": "INFO"}
    port = free_port()
    api = subprocess.Popen([str(BIN / "tempogram"), "api", "--host", "127.0.0.1", "--port", str(port)], env=env,
                           stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not healthy(f"http://127.0.0.1:{port}"):
            assert api.poll() is None and time.monotonic() < deadline, "the API did not start"
            time.sleep(0.2)
    finally:
        api.terminate()
        _, errors = api.communicate(timeout=30)
    lines = [line for line in errors.splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert entries and all({"time", "level", "logger", "message"} <= entry.keys() for entry in entries)
    assert any(entry["logger"].startswith("uvicorn") and "startup" in entry["message"] for entry in entries), lines
