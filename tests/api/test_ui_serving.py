"""The web interface's files and `/docs`: served without a token, with the security headers,
nothing outside the static folder; Swagger UI's files fetched, verified and served locally.

The routes touch no database, so these tests run on SQLite only. Nothing here downloads:
Swagger UI's files are made up in a temporary cache, and vendor.py's checks run on small
tarballs built here.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import shutil
import tarfile
from pathlib import Path

import pytest

from vertice_api.app import routes
from vertice_api.auth import TokenCache
from vertice_api.ui import serve, vendor

STATIC = serve.STATIC
STATIC_FILES = sorted(p.name for p in STATIC.iterdir() if p.is_file())
TYPES = {
    ".html": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
SECURITY = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


@pytest.fixture
def db_url(request, tmp_path):
    """SQLite only: the interface's routes read no table."""
    path = tmp_path / "vertice.db"
    shutil.copy(request.getfixturevalue("sqlite_template"), path)
    return f"sqlite:///{path}"


@pytest.fixture
def empty_cache(monkeypatch, tmp_path) -> Path:
    """`XDG_CACHE_HOME` at an empty folder: Swagger UI's files are not fetched."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return vendor.cache_dir()


@pytest.fixture
def swagger_cache(empty_cache) -> dict[str, bytes]:
    """Made-up Swagger UI files in the cache, by name."""
    empty_cache.mkdir(parents=True)
    files = {name: f"/* fake {name} */\n".encode() for name in vendor.FILES}
    for name, data in files.items():
        (empty_cache / name).write_bytes(data)
    return files


def assert_secure(result) -> None:
    for name, value in SECURITY.items():
        assert result.headers.get(name) == value, name
    policy = result.headers.get("content-security-policy", "")
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy


def test_root_redirects_to_the_interface(client):
    result = client.simulate_get("/")
    assert result.status_code in (302, 303)
    assert result.headers["location"].endswith("/ui/")
    assert_secure(result)


@pytest.mark.parametrize("path", ["/ui", "/ui/"])
def test_the_page_needs_no_token(client, path):
    result = client.simulate_get(path)
    assert result.status_code == 200
    assert result.headers["content-type"].startswith("text/html")
    assert result.headers["cache-control"] == "no-cache"
    assert result.content == (STATIC / "index.html").read_bytes()
    assert '<script type="module" src="/ui/app.js">' in result.text
    assert_secure(result)


@pytest.mark.parametrize("name", STATIC_FILES)
def test_every_static_file_is_served_with_its_type(client, name):
    result = client.simulate_get(f"/ui/{name}")
    assert result.status_code == 200, result.text
    assert result.headers["content-type"].startswith(TYPES[Path(name).suffix])
    assert result.content == (STATIC / name).read_bytes()
    assert_secure(result)


def test_every_shipped_file_has_a_servable_name():
    """The package ships `ui/static/*`: no folder inside, every name servable."""
    assert "index.html" in STATIC_FILES
    assert all(p.is_file() for p in STATIC.iterdir())
    assert [n for n in STATIC_FILES if not serve.NAME.fullmatch(n)] == []


def test_an_unchanged_file_is_a_304(client):
    first = client.simulate_get("/ui/app.js")
    again = client.simulate_get("/ui/app.js", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


@pytest.mark.parametrize(
    "path",
    [
        "/ui/../app.py",
        "/ui/..%2Fapp.py",
        "/ui/..%2fapp.py",
        "/ui/%2e%2e/app.py",
        "/ui/%2e%2e%2fapp.py",
        "/ui/%2E%2E%2F%2E%2E%2Fauth.py",
        "/ui/..%5capp.py",
        "/ui/static/index.html",
        "/ui/serve.py",
        "/ui/__init__.py",
        "/ui/README.md",
        "/ui/.index.html",
        "/ui/INDEX.HTML",
        "/ui/missing.js",
        "/ui/index.html.bak",
        "/docs/../serve.py",
        "/docs/..%2Fserve.py",
        "/docs/SHA256SUMS",
        "/docs/swagger-ui-bundle.js.map",
        "/docs/index.html",
    ],
)
def test_nothing_outside_the_folders_is_served(client, swagger_cache, path):
    result = client.simulate_get(path)
    assert result.status_code == 404, path
    assert "import " not in result.text


def test_the_interface_and_the_api_stay_apart(ctx, client):
    """The UI's routes are not in `routes()` (the API the OpenAPI document describes)."""
    api_paths = {path for path, _ in routes(ctx, TokenCache(0))}
    ui_paths = {path for path, _ in serve.ui_routes()}
    assert ui_paths == {"/", "/ui", "/ui/{file}", "/docs", "/docs/{file}"}
    assert not api_paths & ui_paths
    assert all(getattr(resource, "public", False) for _, resource in serve.ui_routes())
    assert client.simulate_get("/v3/platform").status_code == 401


def test_docs_says_how_to_fetch_swagger_ui_when_it_is_missing(client, empty_cache):
    result = client.simulate_get("/docs")
    assert result.status_code == 503
    assert result.headers["content-type"].startswith("text/html")
    assert "make install" in result.text
    assert 'href="/v3/openapi.json"' in result.text
    assert str(empty_cache) not in result.text  # no path of the server to the public
    assert "<script" not in result.text
    assert_secure(result)
    assert client.simulate_get("/docs/swagger-ui-bundle.js").status_code == 404


def test_docs_serves_swagger_ui_from_the_cache(client, swagger_cache):
    page = client.simulate_get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert_secure(page)
    local = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert "/docs/swagger-ui-bundle.js" in local
    assert "/docs/swagger-ui.css" in local
    assert "/ui/docs.js" in local
    assert all(url.startswith("/") and not url.startswith("//") for url in local), local
    for name, kind in [("swagger-ui-bundle.js", "text/javascript"), ("swagger-ui.css", "text/css"),
                       ("favicon-32x32.png", "image/png"), ("LICENSE", "text/plain")]:  # fmt: skip
        result = client.simulate_get(f"/docs/{name}")
        assert result.status_code == 200, name
        assert result.headers["content-type"].startswith(kind)
        assert result.content == swagger_cache[name]
        assert_secure(result)


@pytest.mark.parametrize("name", ["index.html", "docs.html"])
def test_pages_run_no_inline_script_or_style_and_load_nothing_from_elsewhere(name):
    text = (STATIC / name).read_text()
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", text) == []
    assert "<style" not in text
    assert re.findall(r"\sstyle=", text) == []
    assert re.findall(r"\son[a-z]+=", text) == []
    for url in re.findall(r'(?:src|href)="([^"]+)"', text):
        assert url.startswith(("/", "#")) and not url.startswith("//"), url


def test_every_module_and_file_the_pages_load_is_there():
    for name in STATIC_FILES:
        if name.endswith(".js"):
            for module in re.findall(r"from '\./([^']+)'", (STATIC / name).read_text()):
                assert module in STATIC_FILES, f"{name} imports {module}"
    for url in re.findall(r'(?:src|href)="/ui/([^"]+)"', (STATIC / "index.html").read_text()):
        assert url in STATIC_FILES, url


def test_the_scripts_keep_the_token_in_the_session_and_write_no_html():
    """The token lives in sessionStorage (api.js) only; API text never becomes markup."""
    for name in STATIC_FILES:
        if not name.endswith(".js"):
            continue
        text = (STATIC / name).read_text()
        for banned in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write",
                       "eval(", "new Function", "localStorage.set", "document.cookie"):  # fmt: skip
            assert banned not in text, f"{name} uses {banned}"
        if name != "api.js":
            assert "sessionStorage." not in text, name


# vendor.py: fetched once, verified, only the named files extracted


def make_tarball(files: dict[str, bytes], extra: dict[str, bytes] | None = None) -> bytes:
    """A gzipped tarball like npm's: `package/<name>` members (and `extra` names as given)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        members = {f"package/{n}": d for n, d in files.items()} | (extra or {})
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def integrity_of(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


@pytest.fixture
def package() -> dict[str, bytes]:
    return {name: f"content of {name}\n".encode() for name in vendor.FILES}


def test_install_extracts_only_the_named_files(tmp_path, package):
    data = make_tarball(
        {**package, "swagger-ui.js.map": b"not wanted"},
        extra={"package/../../escaped.js": b"evil", "/tmp/absolute.js": b"evil"},
    )
    folder = tmp_path / "out"
    sums = vendor.install(data, folder, integrity_of(data))
    assert sorted(p.name for p in folder.iterdir()) == sorted([*vendor.FILES, vendor.MANIFEST])
    assert sums["swagger-ui.css"] == hashlib.sha256(package["swagger-ui.css"]).hexdigest()
    assert (folder / "swagger-ui-bundle.js").read_bytes() == package["swagger-ui-bundle.js"]
    assert not (tmp_path / "escaped.js").exists()
    assert vendor.verified(folder)
    assert vendor.available(folder)


def test_a_tampered_tarball_is_refused_and_nothing_is_written(tmp_path, package):
    genuine = make_tarball(package)
    pinned = integrity_of(genuine)
    tampered = make_tarball({**package, "swagger-ui-bundle.js": b"alert('pwned')"})
    folder = tmp_path / "out"
    with pytest.raises(vendor.VendorError, match="sha512"):
        vendor.install(tampered, folder, pinned)
    flipped = bytearray(genuine)
    flipped[len(flipped) // 2] ^= 0xFF
    with pytest.raises(vendor.VendorError, match="sha512"):
        vendor.install(bytes(flipped), folder, pinned)
    assert not folder.exists()


def test_a_tarball_without_a_needed_file_is_refused(tmp_path, package):
    del package["swagger-ui.css"]
    data = make_tarball(package)
    with pytest.raises(vendor.VendorError, match=r"lacks swagger-ui\.css"):
        vendor.install(data, tmp_path / "out", integrity_of(data))


def test_only_sha512_integrity_is_accepted():
    with pytest.raises(vendor.VendorError, match="sha512"):
        vendor.check_integrity(
            b"x", "sha1-" + base64.b64encode(hashlib.sha1(b"x").digest()).decode()
        )
    assert vendor.INTEGRITY.startswith("sha512-")
    assert len(base64.b64decode(vendor.INTEGRITY.removeprefix("sha512-"))) == 64
    assert vendor.tarball_url() == (
        f"https://registry.npmjs.org/swagger-ui-dist/-/swagger-ui-dist-{vendor.VERSION}.tgz"
    )


def test_ensure_downloads_once_and_again_when_a_file_changed(monkeypatch, tmp_path, package):
    data = make_tarball(package)
    monkeypatch.setattr(vendor, "INTEGRITY", integrity_of(data))
    asked: list[str] = []

    def fetch(url: str) -> bytes:
        asked.append(url)
        return data

    folder = tmp_path / "cache"
    assert vendor.ensure(folder, fetch) is True
    assert vendor.ensure(folder, fetch) is False
    assert asked == [vendor.tarball_url()]
    (folder / "swagger-ui-bundle.js").write_bytes(b"changed on disk")
    assert vendor.ensure(folder, fetch) is True
    assert (folder / "swagger-ui-bundle.js").read_bytes() == package["swagger-ui-bundle.js"]
    assert len(asked) == 2


def test_the_cache_folder_is_keyed_by_the_version(monkeypatch, tmp_path):
    name = f"swagger-ui-dist-{vendor.VERSION}"
    assert vendor.cache_dir({"XDG_CACHE_HOME": "/srv/cache"}) == Path("/srv/cache/vertice", name)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert vendor.cache_dir({}) == tmp_path / ".cache" / "vertice" / name


def test_the_command_says_what_failed(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))

    def unreachable(url: str) -> bytes:
        raise vendor.VendorError(f"GET {url} failed: no route to host")

    monkeypatch.setattr(vendor, "download", unreachable)
    assert vendor.main([]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: swagger-ui-dist")
    assert "no route to host" in err
