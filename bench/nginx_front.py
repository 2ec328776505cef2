"""nginx in front of `madoguchi serve` for the load benchmarks, configured by deploy/nginx/madoguchi.conf itself.

The deployment's site file is used as it ships, with only what a benchmark on one machine cannot
have taken out: TLS (the client posts plain HTTP to a local port: no certificate here, and the
client's own TLS would take CPU from the server it measures), the port-80 redirect, the upstream's
port and the log paths. Everything else — the webhook location, its proxying, its limits — is
what a city's VM runs.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "deploy" / "nginx" / "madoguchi.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def bench_site(site: str, *, port: int, upstream_port: int, log_dir: Path) -> str:
    """The site file served on 127.0.0.1:`port` over plain HTTP, proxying to `upstream_port`."""
    site = re.sub(r"server \{\s*listen 80;.*?\n\}\n", "", site, count=1, flags=re.S)  # the redirect to https
    site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{port};")
    site = re.sub(r"^\s*(ssl_\w+|add_header Strict-Transport-Security) .*\n", "", site, flags=re.M)
    site = site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream_port};")
    return site.replace("/var/log/nginx/", f"{log_dir}/")


def nginx_command(*, port: int, upstream_port: int, directory: Path) -> list[str]:
    """Write an nginx.conf (a worker per core, as a stock nginx.conf says) that includes the bench site,
    into `directory`, where nginx also keeps its pid and logs; the command that runs it in the foreground."""
    if not Path(NGINX).exists():
        raise SystemExit("nginx is not installed (apt-get install nginx-light; `make test` installs it when root)")
    (directory / "madoguchi.conf").write_text(bench_site(SITE.read_text(), port=port, upstream_port=upstream_port,
                                                         log_dir=directory))
    (directory / "nginx.conf").write_text(
        f"worker_processes auto;\npid {directory}/nginx.pid;\nerror_log {directory}/error.log;\n"
        "events { worker_connections 4096; }\n"
        f"http {{ include {directory}/madoguchi.conf; }}\n")
    check = subprocess.run([NGINX, "-t", "-c", str(directory / "nginx.conf")], capture_output=True, text=True)
    if check.returncode != 0:
        raise SystemExit(f"nginx refused the bench site: {check.stderr}")
    return [NGINX, "-c", str(directory / "nginx.conf"), "-g", "daemon off;"]
