"""Browser tests: the system Chromium (never a downloaded one) against the app served
on a free localhost port from a thread."""

import os
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROME_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
               "--lang=zh-CN"]

HERE = os.path.dirname(__file__)


def pytest_collection_modifyitems(config, items):
    """Without the system Chromium every browser test is skipped, saying why, however the
    tests were chosen (the whole suite or this folder by path)."""
    if os.path.exists(CHROMIUM):
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed (.ci/run installs it): browser tests skipped")
    for item in items:
        if str(item.path).startswith(HERE):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROME_ARGS}


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
