"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's
live server, and axe-core for the accessibility checks.

What they need, and where it comes from (`.ci/run` installs all three):

- Chromium at /usr/bin/chromium (Debian's `chromium`, with `fonts-noto-cjk` so that
  Chinese renders). Playwright never downloads a browser here: it is launched
  through `executable_path`. CHROMIUM_PATH overrides the path.
- The `playwright` Python package (the dev extras).
- axe-core from the npm registry, in .cache/npm (`make browser-deps`). AXE_CORE_JS
  overrides the path of axe.min.js.

Locally a missing piece skips these tests with the reason. With
MANYI_REQUIRE_BROWSER=1 (set by .ci/run) it fails them instead, so that CI cannot
pass by silently skipping them.

The database: `live_server` serves from another thread, so these tests run in
`transactional_db` (real commits, the database flushed after each test). Two
consequences, both handled by the `browser_db` fixture that every browser test
gets:

- The flush empties every table, including the rows that data migrations made
  (the default criteria and prerequisites). Serialized rollback
  (`django_db_serialized_rollback`) puts them back before each browser test.
- The audit log is append-only: a database trigger refuses DELETE. PostgreSQL's
  flush is a TRUNCATE, which row triggers do not see, but SQLite's flush is a
  DELETE, which the trigger refuses. On SQLite the fixture removes audit rows
  itself after the test, with the trigger dropped for that one statement and
  recreated at once (the same statements as migration 0004), so a browser test
  may run the workflow services that write the log.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import remove_audit_rows_on_sqlite

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_IMPACTS = {"serious", "critical"}
# Generous enough for a loaded CI machine, short enough that a hang fails fast.
TIMEOUT_MS = 10_000


def chromium_path() -> Path:
    return Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))


def axe_path() -> Path:
    default = Path(settings.BASE_DIR) / ".cache/npm/node_modules/axe-core/axe.min.js"
    return Path(os.environ.get("AXE_CORE_JS", default))


def _unavailable(reason: str):
    """Skip locally; fail where the browser tests are required (CI)."""
    if os.environ.get("MANYI_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (MANYI_REQUIRE_BROWSER=1: browser tests may not be skipped)")
    pytest.skip(f"{reason}; .ci/run installs it")


def _transactional_without_serialized_rollback(item) -> bool:
    fixtures = getattr(item, "fixturenames", ())
    marker = item.get_closest_marker("django_db")
    transactional = "transactional_db" in fixtures or "live_server" in fixtures
    serialized = "django_db_serialized_rollback" in fixtures
    if marker is not None:
        transactional = transactional or marker.kwargs.get("transaction", False)
        serialized = serialized or marker.kwargs.get("serialized_rollback", False)
    return transactional and not serialized


def pytest_collection_modifyitems(config, items):
    """Mark the tests under tests/browser, and refuse a session that mixes transactional
    tests with and without serialized rollback.

    A flush after a test without it fires post_migrate, which recreates content types,
    permissions and the role groups; the next test with it then loads its snapshot on
    top of those and fails on their unique names. So every transactional test of the
    suite uses serialized rollback (browser tests through `browser_db`).
    """
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)
    mixed = [item.nodeid for item in items if _transactional_without_serialized_rollback(item)]
    if mixed:
        raise pytest.UsageError(
            "Transactional tests must use serialized rollback, e.g. "
            "@pytest.mark.django_db(transaction=True, serialized_rollback=True) "
            "(see tests/browser/conftest.py): " + ", ".join(mixed)
        )


# --- the browser --------------------------------------------------------------------


@pytest.fixture(scope="session")
def _playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    if not os.access(chromium_path(), os.X_OK):
        _unavailable(f"Chromium is not installed at {chromium_path()} (apt-get install chromium)")
    # Playwright's sync API keeps an asyncio loop marked as running on this thread for
    # as long as it is started. Django then takes the thread for async code: (1) it
    # refuses ORM calls from it, and (2) its per-thread connections, kept in an
    # asgiref Local, switch to a context-variable store that starts empty, so the
    # tests would get new connection objects without the state pytest-django keeps
    # on the old ones (the serialized contents that serialized rollback restores).
    # Nothing here is async: allow the calls, and put the thread's connections into
    # that store too. The tests after these in the session are plain sync code too.
    from django.db import connections

    thread_connections = {alias: connections[alias] for alias in connections}
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            for alias, connection in thread_connections.items():
                connections[alias] = connection
            yield playwright
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser(_playwright):
    """Headless Chromium, launched once for the session. Each launch gets a fresh
    temporary profile (--user-data-dir) from Playwright, removed on close."""
    browser = _playwright.chromium.launch(
        executable_path=str(chromium_path()), headless=True, args=CHROMIUM_ARGS, timeout=30_000
    )
    yield browser
    browser.close()


# --- the database -------------------------------------------------------------------


@pytest.fixture
def browser_db(transactional_db, django_db_serialized_rollback):
    """The database of a browser test; see the module docstring."""
    yield
    remove_audit_rows_on_sqlite()


@pytest.fixture
def site(browser_db, live_server) -> str:
    """The live server's address, without a trailing slash."""
    return live_server.url.rstrip("/")


# --- pages --------------------------------------------------------------------------


def _page(browser, **options):
    # bypass_csp: the page enforces a CSP without inline scripts; axe-core is injected
    # by the test, not by the site.
    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", bypass_csp=True, **options
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    return context, page


@pytest.fixture
def phone_page(browser, site):
    """A phone: 390×844, touch, zh-CN, as most residents rate."""
    context, page = _page(
        browser, viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    yield page
    context.close()


@pytest.fixture
def desktop_page(browser, site):
    context, page = _page(browser, viewport=DESKTOP)
    yield page
    context.close()


# --- accessibility ------------------------------------------------------------------


def axe_check(page) -> list[dict]:
    """Run axe-core on the page; the WCAG 2.1 A/AA violations of serious or critical
    impact, each reduced to what a failure message needs."""
    path = axe_path()
    if not path.is_file():
        _unavailable(f"axe-core is not installed at {path} (make browser-deps)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(path))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
            "summary": v["nodes"][0].get("failureSummary", "") if v["nodes"] else "",
        }
        for v in result["violations"]
        if v["impact"] in AXE_IMPACTS
    ]


@pytest.fixture
def axe():
    """axe_check as a fixture, failing (or skipping) early when axe-core is missing."""
    if not axe_path().is_file():
        _unavailable(f"axe-core is not installed at {axe_path()} (make browser-deps)")
    return axe_check
