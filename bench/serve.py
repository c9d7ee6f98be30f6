"""The application as gunicorn serves it (wsgi.py), plus one bare route: the ceiling the
benchmark compares every page against, served by the same processes in the same run.
It goes through the whole stack (hooks, security headers) but reads no session, no user
and no database."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from wsgi import app  # noqa: E402

BARE = "/_bench/bare"


@app.get(BARE)
def bare():
    return "ok"
