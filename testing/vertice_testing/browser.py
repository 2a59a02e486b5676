"""A real headless Chromium (Debian's `chromium`) for the web interface's tests.

Playwright drives the browser the machine has (`executable_path`, `VERTICE_CHROMIUM`
or `/usr/bin/chromium`, installed by `make system-packages`): it downloads none. As
root, Chromium needs `--no-sandbox`. Its profile and `$HOME` are a folder of the
test's, so nothing is written outside it, and the browser is closed at the end.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser

#: The browser the tests drive.
CHROMIUM = os.environ.get("VERTICE_CHROMIUM", "/usr/bin/chromium")
#: The viewports the interface must be readable at.
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}


@contextmanager
def chromium(home: Path) -> Iterator[Browser]:
    """A headless Chromium whose home and profile are under `home`, closed at the end."""
    from playwright.sync_api import sync_playwright

    home.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-dev-shm-usage"],
            env={**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config")},
        )
        try:
            yield browser
        finally:
            browser.close()
