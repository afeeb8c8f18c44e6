"""The `.env` file: a checkout's settings (copy `.env.example` to `.env`), read by every entry
point (manage.py, the WSGI module, the web server's launcher, the production preflight) before
the settings are chosen, so the file may name DJANGO_SETTINGS_MODULE too.

The environment wins: a variable already set, even to "", is left alone, so `DEBUG=0 make run`
overrides the file. In the file, an empty value (`SECRET_KEY=`) counts as unset, as it reads in
`.env.example`. ENV_FILE names another file; set to "" no file is read (the tests set that, so a
developer's `.env` does not reach the processes they start).

A line is `NAME=value` or `export NAME=value`; `#` starts a comment at the start of a line or
after a space; a value in quotes is taken as written (`SECRET_KEY="a # b"`). This is a small
reader of our own: python-dotenv is not among the dependencies, and this is all we need.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

DEFAULT = Path(__file__).resolve().parent.parent / ".env"
_ASSIGNMENT = re.compile(r"(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)")
_COMMENT = re.compile(r"(?:^|\s+)#.*$")


class EnvFileError(ValueError):
    """A line of the file that is not an assignment. Plain Python, no Django: the Makefile
    runs this module with the system's python3 before the virtualenv exists."""


def parse(text: str, *, source: str = ".env") -> dict[str, str]:
    """The file's NAME → value, in order; a line that is not an assignment is an error."""
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _ASSIGNMENT.fullmatch(line)
        if match is None:
            raise EnvFileError(f"{source}, line {number}: expected NAME=value.")
        name, value = match.groups()
        quote = value[:1]
        if quote in ("'", '"') and quote in value[1:]:
            value = value[1 : value.index(quote, 1)]
        else:
            value = _COMMENT.sub("", value).strip()
        values[name] = value
    return values


# NAME → the file it was read from, for each variable this process took from a file: so that
# the start banner can say where DATABASE_URL came from (institute/database_in_use.py).
LOADED_FROM: dict[str, str] = {}


def load_env_file(path: str | os.PathLike | None = None) -> dict[str, str]:
    """Set in os.environ what the file sets and the environment does not; return that."""
    if path is None:
        path = os.environ.get("ENV_FILE", DEFAULT)
    if not path:
        return {}
    path = Path(path)
    if not path.is_file():
        return {}
    loaded = {}
    for name, value in parse(path.read_text(encoding="utf-8"), source=str(path)).items():
        if name not in os.environ and value != "":
            os.environ[name] = loaded[name] = value
            LOADED_FROM[name] = str(path)
    return loaded


def main(argv: list[str]) -> int:
    """`python3 institute/envfile.py FILE NAME` prints NAME's value in FILE as the entry points
    read it (quotes, comments, spaces around "="), or nothing: the Makefile's PORT and
    WORKER_COMMAND, so that make and manage.py never read one file two ways."""
    path, name = argv
    if Path(path).is_file():
        print(parse(Path(path).read_text(encoding="utf-8"), source=path).get(name, ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
