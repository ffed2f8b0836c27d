"""In a real browser, a results page full of hostile documents runs no script: no
dialog opens, and the globals the payloads would set stay undefined.

The page's CSP would block inline script even if escaping failed, so the test also
asserts that the payloads are text (no <script>/<img>/<svg> element, no on* handler
from the content) and runs a second page load with CSP bypassed: the escaping
alone must hold."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from rb_helpers import XSS_QUERIES

pytestmark = pytest.mark.browser

PROBE = """() => ({
  pwned: typeof window.__pwned,
  // The timeline's own SVG (figure.timeline) is the page's; any other would be the content's.
  scripts: document.querySelectorAll('script:not([src="/static/suggest.js"]), main img, main svg:not(figure.timeline > svg), main iframe').length,
  handlers: [...document.querySelectorAll('main *')]
      .flatMap(el => [...el.attributes].map(a => a.name)).filter(n => n.startsWith('on')).length,
  // An SVG link's href is an SVGAnimatedString: its baseVal is the text.
  jsLinks: [...document.querySelectorAll('a[href]')]
      .filter(a => String(a.href.baseVal ?? a.href).trim().toLowerCase().startsWith('javascript:')).length,
  marks: document.querySelectorAll('.snippet mark').length,
})"""


@pytest.fixture(scope="session")
def rb_url(rb_app, serve_in_thread):
    """The app on a free loopback port. Not named base_url: pytest-playwright's
    session-scoped context would keep whichever base_url a test folder set first
    (tests/web's, on the seeds index without the hostile documents)."""
    return serve_in_thread(rb_app)


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # Bypass the page's CSP: what is tested here is the escaping, not the safety net.
    return {**browser_context_args, "bypass_csp": True}


@pytest.mark.parametrize("q", ["racun", *XSS_QUERIES[:3]])
def test_no_script_runs_on_hostile_results(page: Page, rb_url, q):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(rb_url + "/?q=" + quote(q))
    if q == "racun":
        expect(page.locator("#results .result")).not_to_have_count(0)
        # The payload is shown as text.
        expect(page.locator("#results")).to_contain_text("<script>window.__pwned = 1; alert(1)</script>")
        # Hover what the payloads would have made interactive (onmouseover).
        for el in page.locator(".snippet, h3").all():
            el.hover()
    page.wait_for_timeout(300)  # onerror of a broken <img> would fire by now
    state = page.evaluate(PROBE)
    assert dialogs == []
    assert state["pwned"] == "undefined", state
    assert state["scripts"] == 0 and state["handlers"] == 0 and state["jsLinks"] == 0, state
    if q == "racun":
        assert state["marks"] > 0, state
