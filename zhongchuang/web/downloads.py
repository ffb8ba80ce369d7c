"""File answers the browser saves (never shows inline): the Content-Disposition with an
ASCII fallback and the UTF-8 name (RFC 6266), and the cache rule of what is private."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response


def disposition(filename: str, ascii_name: str | None = None) -> str:
    """``attachment`` with ``filename`` in UTF-8 and an ASCII fallback (derived when not
    given: other characters become ``_``)."""
    fallback = ascii_name or "".join(
        c if c.isascii() and c.isalnum() or c in "-_." else "_" for c in filename
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


def pdf_download(
    data: bytes, filename: str, *, ascii_name: str | None = None, private: bool = True
) -> Response:
    """A PDF as a download; a private one is never kept by a shared cache."""
    resp = Response(data, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = disposition(filename, ascii_name)
    resp.headers["Cache-Control"] = "private, no-store" if private else "no-cache"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp
