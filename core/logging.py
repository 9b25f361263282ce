"""One logging setup for every process: readable lines by default, one JSON object per line for
production log collectors (`TEMPOGRAM_LOG_FORMAT=json`). Libraries that talk at start and stop (the
Temporal SDK, uvicorn's access log) say only warnings and errors unless the level is DEBUG."""

import json
import logging
import logging.config
from datetime import UTC, datetime
from typing import Any

_TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_QUIET = ("temporalio", "uvicorn.access", "httpx")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def logging_config(level: str, log_format: str = "text") -> dict[str, Any]:
    """A `logging.config.dictConfig` dictionary (uvicorn takes it as its `log_config` too)."""
    level = level.upper()
    formatter: dict[str, Any] = {"()": JsonFormatter} if log_format == "json" else {"format": _TEXT}
    quiet = level if level == "DEBUG" else "WARNING"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "default"}},
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "uvicorn": {"level": level, "handlers": ["stderr"], "propagate": False},
            "uvicorn.error": {"level": level, "handlers": ["stderr"], "propagate": False},
            **{name: {"level": quiet, "handlers": ["stderr"], "propagate": False} for name in _QUIET},
        },
    }


def configure_logging(level: str, log_format: str = "text") -> None:
    logging.config.dictConfig(logging_config(level, log_format))
