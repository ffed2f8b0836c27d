"""The page in headless Chromium: typing, clicking, right-to-left Persian, shaping."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

# Where the first logical character sits inside the element: an rtl paragraph
# starts at the right edge, an ltr one at the left.
FIRST_CHAR_EDGES = """el => {
  const text = document.createTreeWalker(el, NodeFilter.SHOW_TEXT).nextNode();
  const r = document.createRange(); r.setStart(text, 0); r.setEnd(text, 1);
  const c = r.getBoundingClientRect(), p = el.getBoundingClientRect();
  return {left: c.left - p.left, right: p.right - c.right};
}"""
# Joined Arabic letters are narrower than the same letters split by ZWNJ; with
# no Arabic-capable font (tofu boxes) both widths are equal.
SHAPING_WIDTHS = """el => {
  const w = s => { const sp = document.createElement('span'); sp.textContent = s;
    el.appendChild(sp); const x = sp.getBoundingClientRect().width; sp.remove(); return x; };
  return {joined: w('\\u0628\\u0628\\u0628'), isolated: w('\\u0628\\u200c\\u0628\\u200c\\u0628')};
}"""


def search_from_the_box(page: Page, query: str) -> None:
    page.goto("/")
    # A searchbox, or a combobox once the completion script has given it a list.
    box = page.get_by_label("Query")
    expect(box).to_have_value("")  # fill() would hide a stray pre-filled value
    box.fill(query)
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/\?q="))
    expect(box).to_have_value(query)


def test_persian_query_renders_right_to_left(page: Page, screenshot):
    search_from_the_box(page, "ایران")
    fa = page.locator('.result[lang="fa"]').first
    expect(fa).to_be_visible()
    snippet = fa.locator(".snippet")
    expect(snippet.locator("mark").first).to_be_visible()
    expect(snippet).to_have_css("direction", "rtl")  # dir="auto" resolved to rtl
    expect(fa.locator("h3")).to_have_css("direction", "rtl")
    expect(fa).to_have_css("direction", "rtl")  # the whole item, list number included
    assert snippet.evaluate(FIRST_CHAR_EDGES)["right"] < 2  # right-aligned
    widths = snippet.evaluate(SHAPING_WIDTHS)
    assert widths["joined"] < 0.8 * widths["isolated"], f"no Arabic shaping (tofu?): {widths}"
    screenshot("persian-results.png")


def test_indonesian_query_renders_left_to_right(page: Page, screenshot):
    search_from_the_box(page, "hubungan")
    results = page.locator("#results .result")
    expect(results.first).to_be_visible()
    ind = page.locator('.result[lang="id"] .snippet').first
    expect(ind.locator("mark").first).to_be_visible()
    expect(ind).to_have_css("direction", "ltr")
    expect(page.locator('.result[lang="id"]').first).to_have_css("direction", "ltr")
    assert ind.evaluate(FIRST_CHAR_EDGES)["left"] < 2  # left-aligned
    screenshot("indonesian-results.png")


def test_mixed_languages_on_one_page(page: Page):
    page.goto("/?q=Iran%20%D8%A7%DB%8C%D8%B1%D8%A7%D9%86")  # "Iran ایران"
    expect(page.locator('.result[lang="fa"] .snippet').first).to_have_css("direction", "rtl")
    expect(page.locator('.result[lang="id"] .snippet').first).to_have_css("direction", "ltr")


def test_pagination_by_clicking(page: Page):
    page.goto("/?q=Iran&per_page=1")
    summary = page.locator("#summary")
    expect(summary).to_contain_text("page 1 of")
    first_id = page.locator(".result a.doc").inner_text()
    page.get_by_role("link", name="Next ›").click()
    expect(summary).to_contain_text("page 2 of")
    second_id = page.locator(".result a.doc").inner_text()
    assert second_id != first_id
    page.get_by_role("navigation", name="Pages").get_by_role("link", name="3", exact=True).click()
    expect(summary).to_contain_text("page 3 of")
    page.get_by_role("link", name="‹ Prev").click()
    expect(summary).to_contain_text("page 2 of")
    expect(page.locator(".result a.doc")).to_have_text(second_id)


def test_language_filter_by_clicking(page: Page):
    page.goto("/?q=Iran%20%D8%A7%DB%8C%D8%B1%D8%A7%D9%86")
    expect(page.locator('.result[lang="fa"]').first).to_be_visible()
    page.get_by_role("navigation", name="Language").get_by_role("link", name=re.compile(r"^Indonesian \(\d+\)$")).click()
    expect(page).to_have_url(re.compile(r"lang=id"))
    expect(page.locator('.result[lang="fa"]')).to_have_count(0)
    expect(page.locator('.result[lang="id"]').first).to_be_visible()
    page.get_by_role("link", name="All languages").click()
    expect(page.locator('.result[lang="fa"]').first).to_be_visible()


def test_over_long_query_shows_a_message(page: Page):
    response = page.goto("/?q=" + "a" * 1001)
    assert response is not None and response.status == 400
    expect(page.get_by_role("alert")).to_contain_text("1000")
