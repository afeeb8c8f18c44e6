import os
from wsgiref.util import FileWrapper

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from institute.envfile import load_env_file

load_env_file()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "institute.settings.production")

# A file sent whole (a finished dataset, a kept answer, a static file, a release) leaves in
# blocks of this size. Django's FileResponse reads 4 KiB at a time unless the server offers
# `wsgi.file_wrapper`; gunicorn did (and sent with sendfile), granian does not, so each 4 KiB
# was a trip from Python to the server's threads: at 100,000 reforms, where the mix's filtered
# exports are files of megabytes, the crowd's rate fell a quarter below gunicorn's
# (benchmarks/README.md, section 4, "granian adopted").
FILE_BLOCK_BYTES = 256 * 1024


class FileInBlocks(FileWrapper):
    """`wsgi.file_wrapper` for a server that has none: the file read FILE_BLOCK_BYTES at a time,
    whatever block size Django asks for; closed (and the response with it) by the server."""

    def __init__(self, filelike, blksize: int = FILE_BLOCK_BYTES):
        super().__init__(filelike, FILE_BLOCK_BYTES)


def offering_file_wrapper(app):
    def application(environ, start_response):
        environ.setdefault("wsgi.file_wrapper", FileInBlocks)  # a server's own is kept
        return app(environ, start_response)

    return application


application = offering_file_wrapper(get_wsgi_application())

# The URLconf, and with it every view and the apps' admin modules (discovered when the URLs are
# loaded: institute.admin_apps), loaded as the worker starts rather than by its first request,
# which otherwise waited 0.42-0.50 s for them.
get_resolver().url_patterns  # noqa: B018
