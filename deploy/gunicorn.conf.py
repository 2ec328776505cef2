"""gunicorn settings for `madoguchi serve` and the systemd unit: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

The web tier only verifies, stores and acknowledges webhooks (and serves the admin and web chat), so a
few sync workers with threads answer LINE well inside its 2-second limit; answering happens in
`madoguchi worker` processes.
"""
import multiprocessing
import os

bind = os.environ.get("MADOGUCHI_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("MADOGUCHI_WEB_WORKERS", max(2, multiprocessing.cpu_count())))
threads = int(os.environ.get("MADOGUCHI_WEB_THREADS", 4))
worker_class = "gthread"
timeout = 30
graceful_timeout = 20        # finish requests in flight on SIGTERM
keepalive = 5
max_requests = 5000          # recycle workers now and then (guards against slow leaks)
max_requests_jitter = 500
accesslog = "-"
# Paths only, never query strings or bodies: they can carry personal data.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
forwarded_allow_ips = os.environ.get("MADOGUCHI_FORWARDED_ALLOW_IPS", "127.0.0.1")
