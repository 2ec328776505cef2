"""The deployment files in deploy/ are what a newcomer copies onto a VM: they must at least be valid."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CERTIFICATES = ("/etc/letsencrypt/live/bot.city.example.lg.jp/fullchain.pem",
                "/etc/letsencrypt/live/bot.city.example.lg.jp/privkey.pem")


@pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is not installed (make test installs it when root)")
def test_the_nginx_site_passes_nginx_t(tmp_path: Path) -> None:
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test",
                    "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                   check=True, capture_output=True)
    site = (ROOT / "deploy" / "nginx" / "madoguchi.conf").read_text()
    site = (site.replace(CERTIFICATES[0], str(tmp_path / "cert.pem"))
                .replace(CERTIFICATES[1], str(tmp_path / "key.pem"))
                .replace("/var/log/nginx/", f"{tmp_path}/"))
    (tmp_path / "madoguchi.conf").write_text(site)
    # The site file is included in nginx's http context, as from sites-enabled/.
    (tmp_path / "nginx.conf").write_text(f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
                                         f"events {{}}\nhttp {{ include {tmp_path}/madoguchi.conf; }}\n")
    result = subprocess.run([NGINX, "-t", "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_every_systemd_unit_runs_an_installed_command_with_the_shared_environment() -> None:
    units = sorted((ROOT / "deploy" / "systemd").glob("*.service"))
    assert {unit.name for unit in units} >= {"madoguchi-web.service", "madoguchi-worker@.service",
                                             "madoguchi-scheduler.service", "madoguchi-backup.service"}
    for unit in units:
        text = unit.read_text()
        assert "EnvironmentFile=/etc/madoguchi/madoguchi.env" in text, unit.name
        [exec_start] = [line for line in text.splitlines() if line.startswith("ExecStart=")]
        command = exec_start.removeprefix("ExecStart=").split()
        assert command[0].startswith("/opt/madoguchi/"), unit.name
        if command[0].endswith("/madoguchi"):  # a madoguchi subcommand that exists
            help_text = subprocess.run([sys.executable, "-m", "bot.cli", command[1], "--help"], cwd=ROOT,
                                       capture_output=True, text=True)
            assert help_text.returncode == 0, (unit.name, help_text.stderr)


def test_the_workers_yield_the_cpu_to_the_web_tier_by_weight() -> None:
    # Nice= would not do it: each service is a scheduling group of its own, shared between by weight.
    def weight(unit: str) -> int:
        text = (ROOT / "deploy" / "systemd" / unit).read_text()
        values = [line.split("=", 1)[1] for line in text.splitlines() if line.startswith("CPUWeight=")]
        assert not any(line.startswith("Nice=") for line in text.splitlines()), unit
        return int(values[0]) if values else 100  # systemd's default

    assert weight("madoguchi-worker@.service") * 4 <= weight("madoguchi-web.service")


def test_webhooks_beyond_what_the_web_tier_can_queue_get_an_immediate_503_from_nginx() -> None:
    site = (ROOT / "deploy" / "nginx" / "madoguchi.conf").read_text()
    [callback] = re.findall(r"location = /callback \{(.*?)\}", site, flags=re.S)
    assert re.search(r"limit_conn madoguchi_webhook \d+;", callback)
    assert "limit_conn_status 503;" in callback  # LINE redelivers a 503; a 429 or 444 it may not
    assert "proxy_pass http://madoguchi;" in callback


@pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is not installed (make test installs it when root)")
def test_the_load_benchmarks_front_is_the_deployed_site_without_tls(tmp_path: Path) -> None:
    from bench.nginx_front import bench_site, nginx_command

    site = bench_site((ROOT / "deploy" / "nginx" / "madoguchi.conf").read_text(), port=18080, upstream_port=18000,
                      log_dir=tmp_path)
    assert "listen 127.0.0.1:18080;" in site and "server 127.0.0.1:18000;" in site
    assert "ssl" not in site and "return 301" not in site
    assert "limit_conn madoguchi_webhook" in site
    command = nginx_command(port=18080, upstream_port=18000, directory=tmp_path)  # runs `nginx -t` on it, or exits
    assert command[0] == NGINX
