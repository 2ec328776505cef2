"""The web tier's gunicorn settings (the processes themselves run in bench/webhook_load.py)."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from gunicorn.config import Config

from bot.serve import QuietWebhookLogger, gunicorn_options


def _logger(path: Path) -> QuietWebhookLogger:
    config = Config()
    for key, value in gunicorn_options("127.0.0.1", 8000).items():
        config.set(key, value)
    config.set("accesslog", str(path))
    return QuietWebhookLogger(config)


def _request(logger: QuietWebhookLogger, path: str, status: str) -> None:
    request = SimpleNamespace(path=path, method="POST", version=(1, 1), query="", headers=[], uri=path)
    response = SimpleNamespace(status=status, sent=2, headers=[], response_length=2)
    environ = {"REMOTE_ADDR": "127.0.0.1", "REQUEST_METHOD": "POST", "RAW_URI": path, "PATH_INFO": path,
               "SERVER_PROTOCOL": "HTTP/1.1", "QUERY_STRING": ""}
    logger.access(response, request, environ, timedelta(milliseconds=3))


def test_acknowledged_webhooks_are_counted_in_metrics_not_written_to_the_access_log(tmp_path: Path) -> None:
    log_file = tmp_path / "access.log"
    logger = _logger(log_file)
    _request(logger, "/callback", "200 OK")
    _request(logger, "/callback", "400 BAD REQUEST")
    _request(logger, "/admin/faq", "200 OK")
    for handler in logger.access_log.handlers:
        handler.flush()
    lines = log_file.read_text().splitlines()
    assert len(lines) == 2
    assert '"POST /callback" 400' in lines[0] and '"POST /admin/faq" 200' in lines[1]


def test_the_heartbeat_file_lives_in_memory_when_the_host_has_dev_shm() -> None:
    options = gunicorn_options("127.0.0.1", 8000)
    assert options["worker_tmp_dir"] in ("/dev/shm", None)
    assert options["logger_class"] is QuietWebhookLogger
