"""The web interface end to end in a real headless Chromium (issue 15).

Debian's `chromium`, driven by Playwright (`vertice_testing.browser`), against a real
`vertice serve` (gunicorn and its reconciler, the simulated `local` region) on
127.0.0.1: a user logs in with a token, launches a VM through the launch panel and
sees it reach RUNNING on the list without a reload, stops, starts, scales and deletes
it; an administrator creates a region with credentials that the pages never show
back; a user cannot reach the admin pages, and the API refuses them whatever a page
does; a bad input shows the API's message at its field; an assembly built from a local
git repository (the `sim` builder) shows its source and builds, a build's log is
followed live and cancelled, a rollback is confirmed in the page; scalers are listed.

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
from vertice_testing.gitserve import make_repository
from vertice_testing.server import LiveServer, running_server

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]

#: Seconds a page may take to show what the API says (polling is every 2 s).
SHOWN = 30_000
#: A credential value that must never come back to a page.
SECRET = "s3cr3t-never-shown-0451"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    # Builds may fetch local repositories (file://): the source-built assembly's test.
    env = {**FAST_RECONCILER, "VERTICE_BUILD_ALLOW_LOCAL": "1"}
    with running_server(tmp_path_factory.mktemp("ui"), env) as live:
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
    # The list drawn (else "detached" holds at once, before the first read), then the row gone.
    expect(page.get_by_test_id("assemblies-summary")).to_contain_text("refreshed", timeout=SHOWN)
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


def build_row(page: Any, build_id: str) -> Any:
    return page.locator(f'[data-testid="build-row"][data-id="{build_id}"]')


def test_an_assembly_built_from_a_source_shows_its_builds_logs_and_rolls_back(
    server: LiveServer, browser: Any, admin_api: Client, tmp_path: Path
) -> None:
    token = user_token(admin_api, "xavier")
    repository = tmp_path / "app"
    first = make_repository(repository, {"index.html": "one\n"})
    with Client(server.url, token) as xavier:
        xavier.declare({"name": "ui-built", "plan_uri": "/v3/plan/1_virtualmachine_ubuntu",
                        "region": "local", "flavor": "small",
                        "source": {"url": f"file://{repository}", "token": SECRET}})  # fmt: skip
    page = logged_in(browser, server, token)

    # The builds page: the assembly's first build, live until it succeeded.
    page.get_by_test_id("nav-builds").click()
    built = page.locator('[data-testid="build-row"][data-phase="succeeded"]')
    built.wait_for(timeout=SHOWN)
    build_id = built.get_attribute("data-id")
    assert built.get_by_test_id("build-assembly").inner_text().strip() == "ui-built"
    assert built.get_by_test_id("build-commit").inner_text().strip() == first[:12]

    # The assembly's page: RUNNING, its source without the token, its build.
    page.get_by_test_id("nav-assemblies").click()
    row(page, "ui-built").get_by_test_id("assembly-link").click()
    expect(page.get_by_test_id("assembly-phase")).to_contain_text("RUNNING", timeout=SHOWN)
    source = page.get_by_test_id("assembly-source")
    expect(source).to_contain_text(f"file://{repository}")
    expect(source.locator('[data-field="Release"]')).to_contain_text("revision 1 (", timeout=SHOWN)
    assert SECRET not in page.content()
    builds = page.get_by_test_id("assembly-builds")
    expect(builds.locator(f'[data-id="{build_id}"]')).to_have_attribute("data-phase", "succeeded")
    expect(page.get_by_test_id("action-rollback")).to_be_disabled()  # nothing earlier yet

    # The build's page: its fields and its log, read whole once it is over.
    builds.locator(f'[data-id="{build_id}"]').get_by_test_id("build-link").click()
    log = page.get_by_test_id("build-log")
    expect(log).to_contain_text(f"fetched {first}", timeout=SHOWN)
    expect(log).to_contain_text("index.html (4 bytes)")
    expect(log).to_contain_text("built sim/")
    expect(page.get_by_test_id("build-phase")).to_have_text("succeeded")
    expect(page.get_by_test_id("build-cancel")).to_be_hidden()
    assert log.inner_text().count(f"fetched {first}") == 1  # appended once, never twice

    # A second build is released; the page offers the first again, confirmed in the page.
    second = make_repository(repository, {"index.html": "two\n"})
    with Client(server.url, token) as xavier:
        xavier.post("/v3/builds", {"assembly": "ui-built"})
    page.go_back()
    expect(source.locator('[data-field="Release"]')).to_contain_text("revision 2 (", timeout=SHOWN)
    assert second[:12] in source.inner_text()
    expect(page.get_by_test_id("rollback-build")).to_have_value("1", timeout=SHOWN)
    page.get_by_test_id("action-rollback").click()
    page.get_by_test_id("confirm-rollback").click()
    expect(page.get_by_test_id("notice")).to_contain_text("rolling back to revision 1")
    expect(source.locator('[data-field="Release"]')).to_contain_text("revision 1 (", timeout=SHOWN)
    expect(page.get_by_test_id("action-rollback")).to_be_disabled(timeout=SHOWN)
    expect(page.get_by_test_id("assembly-phase")).to_contain_text("RUNNING", timeout=SHOWN)
    shot(page, "assembly-source-desktop")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "assembly-source-phone")
    page.set_viewport_size(DESKTOP)

    # A slow build: its log is followed while it runs, then it is cancelled from its page.
    make_repository(repository, {"SIMBUILD": "log 3\nsleep 60\n"})
    with Client(server.url, token) as xavier:
        slow = xavier.post("/v3/builds", {"assembly": "ui-built"})["id"]
    page.get_by_test_id("nav-builds").click()
    build_row(page, slow).get_by_test_id("build-link").click()
    expect(page.get_by_test_id("build-phase")).to_have_text("running", timeout=SHOWN)
    expect(log).to_contain_text("step output line 2", timeout=SHOWN)  # while it runs
    shot(page, "build-running-desktop")
    page.get_by_test_id("build-cancel").click()
    expect(page.get_by_test_id("build-phase")).to_have_text("cancelled", timeout=SHOWN)
    expect(page.get_by_test_id("build-cancel")).to_be_hidden()
    assert log.inner_text().count("step output line 2") == 1
    page.get_by_test_id("nav-builds").click()
    expect(build_row(page, slow)).to_have_attribute("data-phase", "cancelled", timeout=SHOWN)
    expect(page.locator('[data-testid="build-row"]')).to_have_count(3)
    shot(page, "builds-desktop")

    # Scalers: one declared through the API is listed.
    with Client(server.url, token) as xavier:
        xavier.post("/v3/scalers", {"assembly": "ui-built", "min": 1, "max": 3,
                                    "query": "vector(1)", "target": 1})  # fmt: skip
    page.get_by_test_id("nav-scalers").click()
    scaler = page.locator('[data-testid="scalers-table-row"][data-name="ui-built"]')
    scaler.wait_for(timeout=SHOWN)
    assert scaler.get_by_test_id("scaler-max").inner_text().strip() == "3"
    assert scaler.get_by_test_id("scaler-target").inner_text().strip() == "1 (average)"
    shot(page, "scalers-desktop")


def test_log_out_forgets_the_token_and_the_keyboard_reaches_every_control(
    server: LiveServer, browser: Any, admin_api: Client
) -> None:
    token = user_token(admin_api, "xena")
    page = logged_in(browser, server, token)
    page.get_by_test_id("nav-launch").click()
    page.get_by_test_id("launch-region").wait_for()
    # Tab from the top of the page reaches each step's control, in order.
    page.locator("body").focus()
    reached: list[str] = []
    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement && document.activeElement.id")
        if focused and focused not in reached:
            reached.append(focused)
    wanted = ["launch-region", "launch-plan", "launch-name", "launch-submit"]
    assert [f for f in reached if f in wanted] == wanted, reached
    assert page.evaluate("sessionStorage.length") > 0
    page.get_by_test_id("logout").click()
    page.get_by_test_id("login-token").wait_for(timeout=SHOWN)
    assert page.evaluate("sessionStorage.length") == 0  # the token is gone
    page.goto(f"{server.url}/ui/#/assemblies")
    page.get_by_test_id("login-token").wait_for(timeout=SHOWN)  # not the list
    assert token not in page.content()
