"""Where a redirect may go: only to this site (no open redirects)."""

from urllib.parse import urlsplit


def local_url(target: str | None, fallback: str) -> str:
    """`target` if it is a path on this site, else `fallback`.

    Browsers drop tabs and line breaks from a URL and read a backslash as a slash, so
    "/\\t/evil.example" or "/\\\\evil.example" would lead off the site although they start
    with one "/": any control character, whitespace or backslash is refused outright.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return fallback
    if "\\" in target or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target


def referrer_path(fallback: str) -> str:
    """The page of this site the request came from (its path and query), else `fallback`.
    The Referer header is the sender's to choose: another site's address is ignored."""
    from flask import request

    referrer = request.referrer
    if not referrer:
        return fallback
    parts = urlsplit(referrer)
    if parts.scheme not in ("http", "https") or parts.netloc != request.host:
        return local_url(referrer, fallback)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return local_url(path, fallback)
