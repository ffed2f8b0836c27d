"""The reader's page in headless Chromium, in Persian and Indonesian: the article page,
sort/date/source controls, the timeline, both calendars, completions while typing,
folded near-duplicates, and accessibility (axe-core, keyboard, phone, dark mode)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
AXE = REPO / ".ci" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = REPO / "test-results" / "screenshots"
FA_003 = "003_b8878e3335182e53"


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def result_ids(page: Page) -> list[str]:
    return [urlsplit(h).path.rsplit("/", 1)[1]
            for h in page.locator("#results > .result > h3 a").evaluate_all("els => els.map(e => e.href)")]


def summary_count(page: Page) -> int:
    return int(re.match(r"\s*(\d+) result", page.locator("#summary").inner_text()).group(1))


def test_persian_article_page_marks_query_words_right_to_left(page: Page, reader_url):
    page.goto(f"{reader_url}/?q={quote('ایران')}")
    result = page.locator(f'.result[lang="fa"]:has(a[href^="/articles/{FA_003}"])')
    expect(result.locator("time")).to_have_text("۲۹ بهمن ۱۴۰۲ · 2024-02-18")
    shot(page, "reader-results-fa.png")
    result.locator("h3 a").click()
    expect(page).to_have_url(re.compile(rf"/articles/{FA_003}\?q="))
    article = page.locator("article.article")
    expect(article).to_have_css("direction", "rtl")
    expect(article.locator(".body p").first).to_have_css("direction", "rtl")
    marks = article.locator(".body mark")
    assert marks.count() >= 5
    expect(marks.first).to_have_text("ایران")
    expect(article.locator("h1 mark")).to_have_text("ایران")
    expect(article.locator(".meta time")).to_have_text("۲۹ بهمن ۱۴۰۲ · 2024-02-18")
    # In the right-to-left line the Gregorian date still reads 2024-02-18, not 18-02-2024.
    edges = article.locator('.meta time bdi[dir="ltr"]').evaluate("""el => {
      const t = el.firstChild, r = document.createRange(), at = i => {
        r.setStart(t, i); r.setEnd(t, i + 1); return r.getBoundingClientRect().left; };
      return {first: at(0), last: at(t.length - 1)};
    }""")
    assert edges["first"] < edges["last"], edges
    expect(article.get_by_role("link", name="نسخهٔ اصلی")).to_have_attribute("href", "https://example.org/aran/1402-11-29")
    more = page.get_by_role("region", name="More like this")
    expect(more.get_by_role("listitem")).to_have_count(1)
    expect(more.get_by_role("listitem").get_by_role("link")).to_contain_text("گسترش مناسبات تجاری")
    shot(page, "reader-article-fa.png")


def test_indonesian_article_page_left_to_right(page: Page, reader_url):
    page.goto(f"{reader_url}/?q=hubungan")
    page.locator("#results .result h3 a").first.click()
    article = page.locator("article.article")
    expect(article).to_have_css("direction", "ltr")
    expect(article.locator(".body mark").first).to_have_text(re.compile("^[Hh]ubungan$"))
    expect(page.get_by_role("region", name="More like this").get_by_role("listitem").first).to_be_visible()
    page.get_by_role("link", name="back to the results").click()
    expect(page).to_have_url(re.compile(r"/\?q=hubungan$"))


def test_sort_and_date_controls_change_order_and_count(page: Page, reader_url):
    page.goto(f"{reader_url}/?q=Iran")
    relevance, total = result_ids(page), summary_count(page)
    sort = page.get_by_role("navigation", name="Sort")
    sort.get_by_role("link", name="Newest").click()
    expect(sort.locator('[aria-current="true"]')).to_have_text("Newest")
    newest = result_ids(page)
    assert newest[0] == "004_0b9ad2877bc8c180" and sorted(newest) == sorted(relevance)
    sort.get_by_role("link", name="Oldest").click()
    expect(sort.locator('[aria-current="true"]')).to_have_text("Oldest")
    oldest = result_ids(page)
    assert oldest[0] == "001_7096a94d9b5d90fd" and oldest != newest
    page.get_by_label("From").fill("2024-02-01")
    page.get_by_role("button", name="Apply dates").click()
    _results_of(page, r"from=2024-02-01")
    assert summary_count(page) < total
    assert result_ids(page)[0] == "002_2e6686a3ccd039ae"  # still oldest first, the older ones gone
    page.get_by_role("link", name="Remove filter: From 2024-02-01").click()
    expect(page.locator("#summary")).to_contain_text(f"{total} results")


def test_source_facet_filters_and_is_removable(page: Page, reader_url):
    page.goto(f"{reader_url}/?q=Iran&xscript=0")  # as typed: the Latin-script articles
    page.get_by_role("navigation", name="Source").get_by_role("link", name="Pars Today (2)").click()
    expect(page.locator("#results .result")).to_have_count(2)
    expect(page.locator("#results .result .source")).to_have_text(["Pars Today", "Pars Today"])
    page.get_by_role("link", name="Remove filter: Source: Pars Today").click()
    expect(page.locator("#results .result")).to_have_count(4)


def test_timeline_bar_leads_to_its_period(page: Page, reader_url):
    page.goto(f"{reader_url}/?q=Iran&collapse=0&xscript=0")  # as typed: the Latin-script articles
    timeline = page.get_by_role("group", name=re.compile("Timeline"))
    expect(timeline).to_be_visible()
    bars = page.locator("figure.timeline a.bar")
    feb = page.locator('a.bar[data-start="2024-02-01"]')
    expect(feb).to_have_attribute("aria-label", "2024-02: 2 articles")
    assert bars.count() == 4
    shot(page, "reader-timeline.png")
    feb.click()
    expect(page).to_have_url(re.compile(r"from=2024-02-01&to=2024-02-29"))
    expect(page.locator("#results .result")).to_have_count(2)
    dates = page.locator("#results .result time").evaluate_all("els => els.map(e => e.getAttribute('datetime'))")
    assert dates and all(d.startswith("2024-02") for d in dates)
    # The next timeline is finer: days of February.
    expect(page.locator("figure.timeline figcaption")).to_contain_text("per day")


def test_timeline_bar_by_keyboard(page: Page, reader_url):
    page.goto(f"{reader_url}/?q=Iran&collapse=0")
    page.locator('a.bar[data-start="2024-06-01"]').focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"from=2024-06-01&to=2024-06-30"))
    assert result_ids(page) == ["004_0b9ad2877bc8c180"]


def test_jalali_dates_and_filter_in_persian_digits(page: Page, reader_url):
    q = quote("ایران OR Iran")
    page.goto(f"{reader_url}/?q={q}&from=2024-02-18&collapse=0")
    gregorian = sorted(result_ids(page))
    page.goto(f"{reader_url}/?q={q}&collapse=0")
    page.get_by_label("From").fill("۱۴۰۲/۱۱/۲۹")
    page.get_by_role("button", name="Apply dates").click()
    _results_of(page, r"from=")
    assert sorted(result_ids(page)) == gregorian and FA_003 in gregorian
    expect(page.get_by_role("link", name="Remove filter: From 2024-02-18")).to_be_visible()
    page.goto(f"{reader_url}/?q={q}&collapse=0")
    page.get_by_label("From").fill("1402-11-29")
    page.get_by_label("Calendar").select_option("jalali")
    page.get_by_role("button", name="Apply dates").click()
    _results_of(page, r"calendar=jalali")
    assert sorted(result_ids(page)) == gregorian


def _results_of(page: Page, url_part: str) -> None:
    """Wait for the page a form submitted (result_ids reads the DOM at once: on a loaded
    machine it read the page while the browser was still navigating to the next one)."""
    expect(page).to_have_url(re.compile(url_part))
    expect(page.locator("#results > .result").first).to_be_visible()


def test_typing_offers_completions_in_both_scripts(page: Page, reader_url):
    page.goto(f"{reader_url}/")
    box = page.get_by_role("combobox", name="Query")  # a search box with a list is a combobox
    box.press_sequentially("hubung", delay=30)
    options = page.locator("#q-suggestions option")
    expect(options.first).to_have_attribute("value", "hubungan")
    box.fill("")
    box.press_sequentially("آذرب", delay=30)
    expect(options.first).to_have_attribute("value", "آذربایجان")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/\?q="))


def test_page_works_without_javascript(browser, reader_url):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{reader_url}/")
        expect(page.locator("#q-suggestions")).to_have_count(0)
        page.get_by_role("searchbox", name="Query").fill("Rusia")
        page.get_by_role("button", name="Search").click()
        expect(page.locator("#results .result")).to_have_count(2)
        page.get_by_role("navigation", name="Sort").get_by_role("link", name="Newest").click()
        expect(page).to_have_url(re.compile("sort=newest"))
        page.locator("details.similar summary").click()
        expect(page.locator("details.similar li a")).to_be_visible()
    finally:
        context.close()


def test_two_copies_show_as_one_result_with_one_similar(page: Page, reader_url):
    page.goto(f"{reader_url}/?q=Rusia")
    results = page.locator("#results > .result")
    expect(results).to_have_count(2)
    folded = results.filter(has=page.locator("details.similar"))
    expect(folded).to_have_count(1)
    summary = folded.locator("details.similar summary")
    expect(summary).to_have_text("1 similar article")
    copy = folded.locator("details.similar li a")
    expect(copy).to_be_hidden()
    summary.click()
    expect(copy).to_be_visible()
    expect(page.locator("#summary")).to_contain_text("3 results · 2 after folding 1 similar")
    shot(page, "reader-results-id.png")
    page.get_by_role("link", name="list every copy").click()
    expect(results).to_have_count(3)
    expect(page.locator("details.similar")).to_have_count(0)


def test_keyboard_reaches_results_and_opens_an_article(page: Page, reader_url):
    page.goto(f"{reader_url}/?q=hubungan")
    page.locator("header input[name=q]").focus()
    for _ in range(40):  # bounded: a page with fewer stops than this must reach the first title
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('#results h3') !== null"):
            break
    else:
        pytest.fail("Tab never reached the first result's title")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/articles/"))


PAGES = [
    "/",
    "/?q=" + quote("ایران"),
    "/?q=hubungan&from=2024-01-01",
    "/?q=Rusia",
    "/?q=Iran&source=Pars+Today&sort=oldest",
    f"/articles/{FA_003}?q=" + quote("ایران"),
    "/articles/000_7ecd846baa03e493?q=hubungan",
    "/articles/nope",
]


def axe_violations(page: Page) -> list[dict]:
    if not AXE.is_file():
        msg = f"axe-core is not installed ({AXE}): run bash .ci/setup --dev"
        if os.environ.get("CI"):
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)
    page.evaluate(AXE.read_text(encoding="utf-8"))  # evaluate(): the page's CSP allows no injected script
    found = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']})).violations
        .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))""")
    return [v for v in found if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("scheme, width", [("light", 900), ("dark", 900), ("light", 360), ("dark", 360)])
def test_no_serious_accessibility_violations(browser, reader_url, scheme, width):
    context = browser.new_context(color_scheme=scheme, viewport={"width": width, "height": 740},
                                  device_scale_factor=2 if width < 500 else 1)
    try:
        page = context.new_page()
        for path in PAGES:
            page.goto(reader_url + path)
            assert axe_violations(page) == [], path
            if width < 500:  # a phone: nothing wider than the screen
                assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), path
        if width < 500:
            page.goto(reader_url + "/?q=" + quote("ایران OR Iran") + "&collapse=0")
            shot(page, f"reader-phone-{scheme}.png")
        elif scheme == "dark":
            page.goto(reader_url + "/?q=Rusia")
            shot(page, "reader-results-dark.png")
    finally:
        context.close()
