"""The web interface end to end in a real headless Chromium (issue 15).

Debian's `chromium`, driven by Playwright (`vertice_testing.browser`), against a real
`vertice serve` (gunicorn and its reconciler, the simulated `local` region) on
127.0.0.1: a user logs in with a token, launches a VM through the launch panel and
sees it reach RUNNING on the list without a reload, stops, starts, scales and deletes
it; an administrator creates a region with credentials that the pages never show
back; a user cannot reach the admin pages, and the API refuses them whatever a page
does; a bad input shows the API's message at its field.

With `VERTICE_SCREENSHOTS=DIR`, the launch panel and the assemblies list are saved
there at desktop and phone widths (how `docs/ui/` was made).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from vertice_api.client import ApiError, Client
from vertice_testing.browser import DESKTOP, PHONE, chromium
from vertice_testing.cli import FAST_RECONCILER
from vertice_testing.server import LiveServer, running_server

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]

#: Seconds a page may take to show what the API says (polling is every 2 s).
SHOWN = 30_000
#: A credential value that must never come back to a page.
SECRET = "s3cr3t-never-shown-0451"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_server(tmp_path_factory.mktemp("ui"), FAST_RECONCILER) as live:
        yield live


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with chromium(tmp_path_factory.mktemp("chromium")) as launched:
        yield launched


@pytest.fixture
def admin_api(server: LiveServer) -> Iterator[Client]:
    with Client(server.url, server.token) as client:
        yield client


def user_token(api: Client, name: str) -> str:
    """A new user's token (the user and a project of theirs made by the admin)."""
    return str(api.post("/v3/users", {"name": name})["token"])


def logged_in(browser: Any, server: LiveServer, token: str, viewport: dict[str, int] = DESKTOP):
    """A new page of the interface, logged in with `token`."""
    page = browser.new_page(viewport=viewport)
    page.goto(f"{server.url}/")
    page.get_by_test_id("login-token").fill(token)
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("user-name").wait_for(state="visible", timeout=SHOWN)
    return page


def shot(page: Any, name: str) -> None:
    """Save a screenshot where `VERTICE_SCREENSHOTS` says (nothing without it)."""
    folder = os.environ.get("VERTICE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def row(page: Any, name: str) -> Any:
    return page.locator(f'[data-testid="assembly-row"][data-name="{name}"]')


def test_a_vm_launched_from_the_panel_runs_stops_starts_scales_and_is_deleted(
    server: LiveServer, browser: Any, admin_api: Client
) -> None:
    token = user_token(admin_api, "uma")
    page = logged_in(browser, server, token)
    assert page.get_by_test_id("user-name").inner_text().strip().startswith("uma")
    assert "token" not in page.url and token not in page.url  # never in a URL
    page.evaluate("window.__not_reloaded = true")

    page.get_by_test_id("nav-launch").click()
    page.get_by_test_id("launch-region").select_option("local")
    flavor = page.get_by_test_id("launch-flavor")
    flavor.select_option("small")
    facts = page.get_by_test_id("launch-flavor-facts").inner_text().split()
    for shown in (["vCPUs", "1"], ["RAM", "1", "GiB"], ["Disk", "10", "GiB"], ["0.01"]):
        at = facts.index(shown[0])  # the flavor's cpu, ram, disk and price
        assert facts[at : at + len(shown)] == shown, facts
    page.get_by_test_id("launch-plan").select_option("/v3/plan/1_virtualmachine_ubuntu")
    page.get_by_test_id("launch-credential-root_password").check()
    page.get_by_test_id("launch-password").fill("correct-horse-battery")
    page.get_by_test_id("launch-name").fill("ui-web")
    shot(page, "launch-desktop")
    page.get_by_test_id("launch-submit").click()

    # The assembly's page, then the list: RUNNING shows up without a reload.
    page.get_by_test_id("assembly-phase").wait_for(timeout=SHOWN)
    page.get_by_test_id("nav-assemblies").click()
    row(page, "ui-web").and_(page.locator('[data-phase="RUNNING"]')).wait_for(timeout=SHOWN)
    assert row(page, "ui-web").get_by_test_id("addresses").inner_text().strip() != ""
    shot(page, "assemblies-desktop")
    assert page.evaluate("window.__not_reloaded === true")

    row(page, "ui-web").get_by_test_id("assembly-link").click()
    phase = page.get_by_test_id("assembly-phase")
    page.get_by_test_id("action-stop").click()
    expect(phase).to_contain_text("STOPPED", timeout=SHOWN)
    page.get_by_test_id("action-start").click()
    expect(phase).to_contain_text("RUNNING", timeout=SHOWN)
    page.get_by_test_id("scale-replicas").fill("2")
    page.get_by_test_id("action-scale").click()
    instances = page.get_by_test_id("assembly-instances").locator("[data-ordinal]")
    expect(instances).to_have_count(2, timeout=SHOWN)
    expect(phase).to_contain_text("RUNNING", timeout=SHOWN)

    page.get_by_test_id("action-delete").click()
    page.get_by_test_id("confirm-delete").click()  # asked in the page, not window.confirm
    page.get_by_test_id("nav-assemblies").click()
    row(page, "ui-web").wait_for(state="detached", timeout=SHOWN)
    assert page.evaluate("window.__not_reloaded === true")
    with Client(server.url, token) as uma:
        assert [a for a in uma.items("/v3/assembly_factory") if a["name"] == "ui-web"] == []


def test_a_bad_input_shows_the_apis_message_at_its_field(
    server: LiveServer, browser: Any, admin_api: Client
) -> None:
    page = logged_in(browser, server, user_token(admin_api, "ursula"))
    page.get_by_test_id("nav-launch").click()
    page.get_by_test_id("launch-region").select_option("local")
    page.get_by_test_id("launch-flavor").select_option("small")
    page.get_by_test_id("launch-plan").select_option("/v3/plan/1_virtualmachine_ubuntu")
    page.get_by_test_id("launch-credential-none").check()
    page.get_by_test_id("launch-name").fill("not a name!")  # the API's rule, not the page's
    page.get_by_test_id("launch-submit").click()
    error = page.locator("#launch-name-error")
    error.wait_for(state="visible", timeout=SHOWN)
    with Client(server.url, server.token) as api:
        try:
            api.declare({"name": "not a name!", "plan_uri": "/v3/plan/1_virtualmachine_ubuntu",
                         "region": "local", "flavor": "small"})  # fmt: skip
        except ApiError as exc:
            said = exc
    assert said.status == 422
    assert error.inner_text().strip() in str(said), (error.inner_text(), str(said))
    assert page.get_by_test_id("launch-name").get_attribute("aria-invalid") == "true"


def test_an_admin_creates_a_region_whose_credentials_are_never_shown_back(
    server: LiveServer, browser: Any
) -> None:
    page = logged_in(browser, server, server.token)
    page.get_by_test_id("nav-regions").click()
    page.get_by_test_id("region-name").fill("ui-dal")
    page.get_by_test_id("region-cloud-type").select_option("softlayer")
    page.get_by_test_id("region-credentials").fill(
        f'{{"username": "ui-user", "api_key": "{SECRET}"}}'
    )
    page.get_by_test_id("region-form-submit").click()
    created = page.locator('[data-testid="regions-table-row"][data-name="ui-dal"]')
    created.wait_for(timeout=SHOWN)
    assert "api_key" in created.get_by_test_id("credentials-set").inner_text()
    assert page.get_by_test_id("region-credentials").input_value() == ""  # cleared once sent
    page.reload()  # what a fresh read of every page shows (the tab's session is kept)
    page.get_by_test_id("nav-regions").click()
    created.wait_for(timeout=SHOWN)
    for nav in ("nav-regions", "nav-assemblies", "nav-flavors", "nav-users"):
        page.get_by_test_id(nav).click()
        page.wait_for_load_state("networkidle")
        assert SECRET not in page.content()
        assert "ui-user" not in page.content()


def test_a_user_cannot_reach_the_admin_pages_and_the_api_refuses_them(
    server: LiveServer, browser: Any, admin_api: Client
) -> None:
    token = user_token(admin_api, "victor")
    page = logged_in(browser, server, token, viewport=PHONE)
    for nav in ("nav-regions", "nav-flavors", "nav-users", "nav-projects"):
        assert not page.get_by_test_id(nav).is_visible()
    page.goto(f"{server.url}/ui/#/admin/regions")
    page.get_by_test_id("admin-only").wait_for(timeout=SHOWN)
    with Client(server.url, token) as victor:  # whatever a page does, the API says no
        for path, body in (("/v3/regions", {"name": "mine", "cloud_type": "sim"}),
                           ("/v3/flavors", {"name": "f", "cpu": 1, "ram": 1, "disk": 1}),
                           ("/v3/users", {"name": "eve"})):  # fmt: skip
            with pytest.raises(ApiError) as refused:
                victor.post(path, body)
            assert refused.value.status == 403, (path, refused.value)


def test_the_pages_are_readable_on_a_phone(
    server: LiveServer, browser: Any, admin_api: Client
) -> None:
    token = user_token(admin_api, "wendy")
    with Client(server.url, token) as wendy:
        wendy.declare({"name": "phone-web", "plan_uri": "/v3/plan/1_virtualmachine_ubuntu",
                       "region": "local", "flavor": "small"})  # fmt: skip
    page = logged_in(browser, server, token, viewport=PHONE)
    row(page, "phone-web").and_(page.locator('[data-phase="RUNNING"]')).wait_for(timeout=SHOWN)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the list is {width} px wide on a {PHONE['width']} px screen"
    shot(page, "assemblies-phone")
    page.get_by_test_id("menu-toggle").click()
    page.get_by_test_id("nav-launch").click()
    page.get_by_test_id("launch-region").select_option("local")
    page.get_by_test_id("launch-flavor").select_option("small")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "launch-phone")
    # Keyboard: every control of the panel is reached by Tab and labelled.
    unlabelled = page.evaluate(
        """[...document.querySelectorAll('#page input, #page select, #page textarea')]
           .filter(e => !e.labels?.length && !e.getAttribute('aria-label')).map(e => e.id)"""
    )
    assert unlabelled == []


def test_the_api_document_is_browsable_at_docs(server: LiveServer, browser: Any) -> None:
    """Swagger UI from the npm package `make install` fetched, served by the app itself:
    every operation of the document is listed, nothing is loaded from elsewhere."""
    page = browser.new_page(viewport=DESKTOP)
    elsewhere: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(server.url) else elsewhere.append(r.url))
    page.goto(f"{server.url}/docs")
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible(timeout=SHOWN)
    with Client(server.url, server.token) as api:
        document = api.get("/v3/openapi.json")
    methods = {"get", "put", "post", "patch", "delete"}
    count = sum(1 for item in document["paths"].values() for m in item if m in methods)
    expect(operations).to_have_count(count, timeout=SHOWN)
    assert elsewhere == []
