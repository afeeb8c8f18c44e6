"""The production web server for `make serve`: `python -m institute.web_server [APP]`.

granian (a WSGI server whose HTTP side is in Rust) serves `institute.wsgi:application`, or the
WSGI application APP names (`module:attribute`; benchmarks/serving_floor.py is served so). It
replaced gunicorn, whose own Python was half of a cached answer's CPU: the same crowd was
answered at about 1.4 times the rate and half the p95 (benchmarks/README.md, section 4).

It listens on the loopback (a TLS-terminating proxy in front forwards to it); BIND overrides the
whole address (0.0.0.0:8000, [::]:8000 or unix:/run/reform-tracker.sock). WEB_CONCURRENCY is the
number of worker processes, WEB_THREADS the threads in each that run the application: a long
download streams in its thread for as long as the client reads, and no timeout of the server's
cuts it. GUNICORN_THREADS is still read where WEB_THREADS is not set (the name it had).
"""

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from granian import Granian
from granian.constants import Interfaces
from granian.log import LogLevels

from institute.envfile import load_env_file

APPLICATION = "institute.wsgi:application"  # sets institute.settings.production unless told

# A process's name in ps and top, and in /proc/PID/comm (benchmarks/load.py --cpu-of).
PROCESS_NAME = "reform-tracker"

# What a worker that will not stop is given to finish its requests before it is killed.
GRACEFUL_SECONDS = 30

# Each answer's line: the query string too (a filtered listing is its query), and the time
# taken in milliseconds.
ACCESS_LOG_FORMAT = (
    '%(addr)s [%(time)s] "%(method)s %(path)s %(protocol)s" qs="%(query_string)s" '
    "%(status)d %(dt_ms).1fms"
)

# Settings of gunicorn that mean nothing to this server: named once as it starts, so that a .env
# written for gunicorn does not silently promise what no longer happens.
RETIRED = {
    "GUNICORN_TIMEOUT": "no worker is killed for being slow; one that dies is replaced",
    "GUNICORN_WORKER_CLASS": "the threads of WEB_THREADS run every request",
}


class ConfigurationError(ValueError):
    """A setting this server cannot use, said in one line."""


@dataclass(frozen=True)
class Address:
    host: str = "127.0.0.1"
    port: int = 8000
    socket_path: Path | None = None  # a Unix socket instead of host and port


def parse_bind(bind: str, port: str) -> Address:
    """BIND as gunicorn read it: `host:port`, `[v6]:port` or `unix:/path`; empty, the loopback
    on PORT."""
    if not bind:
        return Address(port=_port(port or "8000", "PORT"))
    if bind.startswith("unix:"):
        path = bind.removeprefix("unix:")
        if not path:
            raise ConfigurationError("BIND=unix: names no socket path")
        return Address(socket_path=Path(path))
    host, colon, number = bind.rpartition(":")
    if not colon or not host:
        raise ConfigurationError(f"BIND={bind!r} is not host:port or unix:/path")
    return Address(host=host.removeprefix("[").removesuffix("]"), port=_port(number, "BIND"))


def _port(value: str, name: str) -> int:
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) < 65536:
        raise ConfigurationError(f"{name}: {value!r} is not a port number (1-65535)")
    return int(value)


def _count(name: str, value: str | None, default: int) -> int:
    if not value:
        return default
    if not (value.isascii() and value.isdigit()) or int(value) < 1:
        raise ConfigurationError(f"{name}={value!r}: a whole number of at least 1 is needed")
    return int(value)


def server(environ: Mapping[str, str], application: str = APPLICATION) -> Granian:
    """The server these settings describe, not yet started."""
    address = parse_bind(environ.get("BIND", ""), environ.get("PORT", ""))
    # granian's guidance: one worker process a core; each worker's HTTP side is its own thread
    # pool, outside Python's lock.
    workers = _count("WEB_CONCURRENCY", environ.get("WEB_CONCURRENCY"), os.cpu_count() or 1)
    threads_name = "WEB_THREADS" if environ.get("WEB_THREADS") else "GUNICORN_THREADS"
    threads = _count(threads_name, environ.get(threads_name), 4)
    level = environ.get("LOG_LEVEL", "INFO").lower()
    if level not in LogLevels.__members__:
        raise ConfigurationError(f"LOG_LEVEL={level!r}: one of {', '.join(LogLevels.__members__)}")
    return Granian(
        application,
        address=address.host,
        port=address.port,
        uds=address.socket_path,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads,
        websockets=False,
        log_level=LogLevels(level),
        log_access=True,
        log_access_format=ACCESS_LOG_FORMAT,
        respawn_failed_workers=True,  # a worker that dies is replaced, as gunicorn's arbiter did
        workers_kill_timeout=GRACEFUL_SECONDS,
        process_name=PROCESS_NAME,
    )


def main(argv: list[str]) -> int:
    load_env_file()  # BIND, PORT and the like may come from .env (institute/envfile.py)
    if len(argv) > 1:
        print("usage: python -m institute.web_server [module:application]", file=sys.stderr)
        return 2
    try:
        web = server(os.environ, *argv)
    except ConfigurationError as exc:
        print(f"web server: {exc}", file=sys.stderr)
        return 2
    for name, why in RETIRED.items():
        if os.environ.get(name):
            print(f"web server: {name} is no longer used ({why}).", file=sys.stderr)
    web.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
