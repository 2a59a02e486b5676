"""The web interface's routes: `/` (a redirect), `/ui` and its files, `/docs`.

They are public (no token: the pages ask for one and send it to `/v3` themselves)
and added by `create_app` beside the API's routes, not among them: `routes()` is the
API that the OpenAPI document describes. Only files of `static/` whose names match
`NAME` are served, from a fixed folder, so no path can reach anything else; Swagger
UI's files come from the folder `vendor.py` fills. Every answer carries the security
headers of `SECURITY_HEADERS`: the pages run no inline script or style, load nothing
from another origin and cannot be framed.
"""

from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path

import falcon

from vertice_api.ui import vendor

STATIC = Path(__file__).parent / "static"
#: A servable name: one path segment of lower-case letters, digits and '-', with a known type.
NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}\.(?:html|css|js|svg|png)")
#: Swagger UI's files `/docs/{file}` serves (from the vendor folder).
VENDOR_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,63}")
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".txt": "text/plain; charset=utf-8",
}
#: `default-src 'self'`: scripts, styles, fetches and images from this origin only, no
#: inline script or style; `data:` images for Swagger UI's icons in its stylesheet.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
INDEX = "index.html"
DOCS_PAGE = "docs.html"


def secure(resp: falcon.Response) -> None:
    """Set the security headers of every page and file of the interface."""
    for name, value in SECURITY_HEADERS.items():
        resp.set_header(name, value)


def send_file(req: falcon.Request, resp: falcon.Response, path: Path) -> None:
    """Answer with the file at `path` (an `ETag` of its content; 304 when it matches)."""
    try:
        data = path.read_bytes()
    except OSError:
        raise falcon.HTTPNotFound(
            title="Not found", description=f"there is no file {path.name!r}"
        ) from None
    secure(resp)
    etag = hashlib.sha256(data).hexdigest()[:32]
    resp.etag = etag
    if req.if_none_match and any(getattr(t, "value", t) == etag for t in req.if_none_match):
        resp.status = falcon.HTTP_304
        return
    # Swagger UI's LICENSE and NOTICE have no suffix: plain text.
    resp.content_type = CONTENT_TYPES.get(path.suffix, CONTENT_TYPES[".txt"])
    resp.data = data


def _not_found(name: str) -> falcon.HTTPNotFound:
    return falcon.HTTPNotFound(title="Not found", description=f"there is no file {name!r}")


class Root:
    """`/`: the interface is at `/ui/`."""

    public = True

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        secure(resp)
        resp.status = falcon.HTTP_302
        resp.location = "/ui/"


class UiIndex:
    """`/ui` and `/ui/`: the single page of the interface."""

    public = True

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        send_file(req, resp, STATIC / INDEX)


class UiFile:
    """`/ui/{file}`: a file of `static/`, by a name `NAME` matches; anything else is a 404."""

    public = True

    def on_get(self, req: falcon.Request, resp: falcon.Response, file: str) -> None:
        if not NAME.fullmatch(file):
            raise _not_found(file)
        path = STATIC / file
        if path.parent != STATIC or not path.is_file():
            raise _not_found(file)
        send_file(req, resp, path)


class Docs:
    """`/docs`: the OpenAPI document in Swagger UI; 503 with what to run when its files
    are not fetched yet (`make install`)."""

    public = True

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        if vendor.available():
            send_file(req, resp, STATIC / DOCS_PAGE)
            return
        secure(resp)
        resp.status = falcon.HTTP_503
        resp.content_type = CONTENT_TYPES[".html"]
        resp.text = missing_page()


class DocsFile:
    """`/docs/{file}`: one of Swagger UI's files (`vendor.FILES`) from the vendor folder."""

    public = True

    def on_get(self, req: falcon.Request, resp: falcon.Response, file: str) -> None:
        if file not in vendor.FILES or not VENDOR_NAME.fullmatch(file):
            raise _not_found(file)
        send_file(req, resp, vendor.cache_dir() / file)


def missing_page() -> str:
    """The page `/docs` answers while Swagger UI's files are missing."""
    version = html.escape(f"{vendor.PACKAGE} {vendor.VERSION}")
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API documentation unavailable - vertice</title>
<link rel="stylesheet" href="/ui/style.css">
</head>
<body>
<main class="page narrow" id="docs-missing" data-testid="docs-missing">
<h1>API documentation</h1>
<p>The browsable documentation needs Swagger UI ({version}), which is not on this
server yet (it is looked for in the user's cache folder; the server does not say which).</p>
<p>Fetch it with <code>make install</code>, or
<code>python -m vertice_api.ui.vendor</code> in vertice's environment, as the
user the server runs as.</p>
<p>Meanwhile the OpenAPI document itself is at
<a href="/v3/openapi.json">/v3/openapi.json</a>; the web interface is at
<a href="/ui/">/ui/</a>.</p>
</main>
</body>
</html>
"""


def ui_routes() -> list[tuple[str, object]]:
    """The web interface's routes and their resources (not part of the API's `routes()`)."""
    return [
        ("/", Root()),
        ("/ui", UiIndex()),
        ("/ui/{file}", UiFile()),
        ("/docs", Docs()),
        ("/docs/{file}", DocsFile()),
    ]
