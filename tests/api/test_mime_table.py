"""The API app leaves the system's MIME table unread (issue 18: 0.4 MB of each worker)."""

from __future__ import annotations

from vertice_testing.processes import fresh_python


def test_the_app_does_not_read_the_system_mime_table_but_mimetypes_still_can(tmp_path):
    """Falcon's response options read the system's MIME table for static routes, which
    the API has none of; `mimetypes` still reads it for whoever asks it later. A table of
    our own stands in for `/etc/mime.types`, in a fresh interpreter (a test before may
    have read the module's table already)."""
    table = tmp_path / "mime.types"
    table.write_text("text/x-vertice-test vtest\n")
    output = fresh_python(
        f"""
        import mimetypes
        mimetypes.knownfiles = [{str(table)!r}]
        from vertice_api.app import create_app
        from vertice_api.context import build_context
        from vertice_core.config import Config
        app = create_app(build_context(Config.from_env(), load_plugins=False))
        print(".vtest" in app.resp_options.static_media_types)
        print(app.resp_options.static_media_types[".css"])
        print(mimetypes.guess_type("page.vtest")[0])
        """,
        tmp_path,
    )
    assert output.split() == ["False", "text/css", "text/x-vertice-test"]
