"""gunicorn's configuration for `make serve`: `gunicorn --config institute/gunicorn.conf.py`.

It listens on the loopback (a TLS-terminating proxy in front forwards to it); BIND overrides the
whole address (e.g. BIND=0.0.0.0:8000 or BIND=unix:/run/reform-tracker.sock).
"""

import multiprocessing
import os

from institute.envfile import load_env_file

load_env_file()  # BIND, PORT and the like may come from .env (institute/envfile.py)

wsgi_app = "institute.wsgi:application"  # sets institute.settings.production unless told

bind = [os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT') or '8000'}"]

# gunicorn's rule of thumb is 2 × cores + 1 processes.
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)

# Threaded workers: a request runs in a thread while the worker's main loop keeps telling the
# arbiter it is alive, so a long download (a filtered export of a million rows, sent as fast as
# the client reads it) is never killed half-way by `timeout` and cut short. The sync worker
# answers the arbiter only between requests: it killed such a download after `timeout`
# seconds, a 200 truncated.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS") or "gthread"
threads = int(os.environ.get("GUNICORN_THREADS") or 4)

# A worker whose main loop stops answering this long is killed and logged (a hung process, no
# longer a slow request).
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 60)
graceful_timeout = 30

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "INFO").lower()

# gunicorn 25+ opens a control socket at a fixed per-user path ($XDG_RUNTIME_DIR/gunicorn.ctl or
# ~/.gunicorn/gunicorn.ctl); two instances on one machine would fight over it, and nothing here
# uses it.
control_socket_disable = True

proc_name = "reform-tracker"
