"""The search page in a real headless Chromium (issue 4), over a real index and a real server.

Debian's /usr/bin/chromium (``make browser`` installs it with fonts-noto-cjk) drives a waitress
server on 127.0.0.1 over a Whoosh index built from the seed page, half of the shared pages and one
hostile page whose text carries HTML. There is no skip: a machine without the browser fails.
Every step leaves a full-page screenshot in screenshots/ (git-ignored) to look at.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from .conftest import ROOT, SEED, LiveServer, serving, shared_bulletins

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "screenshots"
PHONE = {"width": 390, "height": 844}
FACETS = ("organizer", "district", "type")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# A page in the seed's format whose headline and body carry markup around a word found nowhere
# else (蜉蝣): the archive is scraped web text, so this will arrive one day for real.
HOSTILE_NAME = "2020-04-05_xss.md"
HOSTILE_ID = "2020-04-05_xss-1"
SCRIPT = "<script>alert('xss')</script>"
HOSTILE = f"""# 测试版面

## 注入测试{SCRIPT}<b>粗体</b>蜉蝣标题

本报讯 这段正文含有{SCRIPT}和<b>粗体</b>以及<img src=x onerror=alert(1)>，关键词是蜉蝣撼树。

第二段正文，平淡无奇，讲述职工生活。

## 第二篇文章

本报讯 北京市总工会举办活动，职工参加。
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    hostile = tmp_path_factory.mktemp("hostile") / HOSTILE_NAME
    hostile.write_text(HOSTILE, encoding="utf-8")
    # Every other shared page keeps the index build short and still spans four months
    # (2016-01 … 2020-04) with 51 articles for 北京: six pages at ten per page.
    pages = [SEED, *shared_bulletins()[::2], hostile]
    with serving(tmp_path_factory.mktemp("ui"), pages) as live:
        yield live


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        yield browser
        browser.close()


class Tab:
    """One page in a fresh browser context, with what it reported (dialogs, script errors)."""

    def __init__(self, context: BrowserContext, server: LiveServer, name: str):
        self.server, self.name = server, name
        self.page: Page = context.new_page()
        self.page.set_default_timeout(10_000)
        self.dialogs: list[str] = []
        self.problems: list[str] = []
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda err: self.problems.append(f"page error: {err}"))
        self.page.on("console", self._console)
        self.page.on("response", self._response)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _console(self, msg) -> None:
        # A blocked /static/ui.js (CSP) or a broken one shows here, not as a failed assertion.
        # Failed loads are told (with their address) by _response.
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            self.problems.append(f"console: {msg.text}")

    def _response(self, response) -> None:
        if response.status >= 400 and urlsplit(response.url).path != "/favicon.ico":
            self.problems.append(f"{response.status} {response.url}")

    def goto(self, path: str = "/", **params) -> Page:
        query = "?" + urlencode(params, doseq=True) if params else ""
        response = self.page.goto(self.server.url + path + query)
        assert response is not None and response.status == 200, response and response.status
        return self.page

    def shot(self, step: str = "") -> None:
        SHOTS.mkdir(exist_ok=True)
        name = f"{self.name}-{step}" if step else self.name
        self.page.screenshot(path=SHOTS / f"{name}.png", full_page=True)

    def params(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.page.url).query)

    def clean(self) -> None:
        assert self.problems == [], self.problems
        assert self.dialogs == [], self.dialogs


def _tab(chromium, server, request, **options) -> Iterator[Tab]:
    context = chromium.new_context(locale="zh-CN", **options)
    try:
        yield Tab(context, server, request.node.name)
    finally:
        context.close()


@pytest.fixture
def tab(chromium, server, request) -> Iterator[Tab]:
    yield from _tab(chromium, server, request, viewport={"width": 1280, "height": 900})


# ---------------------------------------------------------------------------------------------
# Reading the page


def total(page: Page) -> int:
    return int(page.inner_text(".summary strong"))


def hit_links(page: Page) -> list[str]:
    return page.eval_on_selector_all("li.hit h2 a", "els => els.map(a => a.getAttribute('href'))")


def hit_dates(page: Page) -> list[str | None]:
    metas = page.locator("li.hit .meta").all_inner_texts()
    return [m.group(0) if (m := DATE.search(text)) else None for text in metas]


def page_numbers(page: Page) -> tuple[int, int]:
    m = re.search(r"第\s*(\d+)\s*/\s*(\d+)\s*页", page.inner_text("nav.pages"))
    assert m, page.inner_text("nav.pages")
    return int(m.group(1)), int(m.group(2))


def facet_counts(page: Page, facet: str) -> dict[str, int]:
    """{value: count} of one facet's checkboxes in the sidebar."""
    rows = page.eval_on_selector_all(
        f"aside form.facets fieldset[data-facet={facet}] label",
        """labels => labels.map(l => [l.querySelector('input[type=checkbox]').value,
                                      l.querySelector('span.count').textContent])""",
    )
    return {value: int(count) for value, count in rows}


def all_counts(page: Page) -> dict[str, dict[str, int]]:
    return {facet: facet_counts(page, facet) for facet in FACETS}


def checkbox(page: Page, facet: str, value: str):
    return page.locator(
        f'aside form.facets fieldset[data-facet={facet}] input[type=checkbox][value="{value}"]'
    )


def narrow_value(counts: dict[str, int], hits: int) -> tuple[str, int]:
    """A named value (not 未注明) that covers some but not all of the hits."""
    for value, count in counts.items():
        if value != "未注明" and 0 < count < hits:
            return value, count
    raise AssertionError(f"no facet value narrows {hits} hits: {counts}")


def tick(tab: Tab, facet: str, value: str) -> None:
    """Tick a facet box; /static/ui.js submits the facet form, so the page navigates."""
    checkbox(tab.page, facet, value).check()
    try:
        tab.page.wait_for_url(lambda url: facet in parse_qs(urlsplit(url).query), timeout=5000)
    except Exception as err:
        raise AssertionError(
            f"ticking {facet}={value} did not navigate (ui.js missing or blocked?) {tab.problems}"
        ) from err
    tab.page.wait_for_load_state()


def article_text(tab: Tab, href: str) -> str:
    aid = urlsplit(href).path.rsplit("/", 1)[-1]
    data = tab.page.request.get(f"{tab.server.url}/api/articles/{aid}").json()
    return data["title"] + "\n" + "\n".join(data["paragraphs"])


def ordinal(url: str) -> tuple[str, int]:
    aid = urlsplit(url).path.rsplit("/", 1)[-1]
    slug, n = aid.rsplit("-", 1)
    return slug, int(n)


# ---------------------------------------------------------------------------------------------
# The tests


def test_search_shows_highlighted_results(tab):
    page = tab.goto()
    page.fill("input#q", "工会")
    tab.shot("typed")
    page.get_by_role("button", name="检索", exact=True).click()
    page.wait_for_load_state()
    tab.shot()
    assert tab.params()["q"] == ["工会"]
    assert page.input_value("input#q") == "工会"
    found = total(page)
    assert found >= 11  # two pages
    hits = page.locator("li.hit")
    assert hits.count() == 10
    for i in range(hits.count()):
        hit = hits.nth(i)
        href = hit.locator("h2 a").get_attribute("href")
        assert href.startswith("/articles/") and "q=" in href, href
        m = re.search(r"本文\s*(\d+)\s*段命中", hit.locator(".meta").inner_text())
        assert m and int(m.group(1)) >= 1, hit.locator(".meta").inner_text()
        assert hit.locator(".chips").count() == 1
        marks = hit.locator(".snippet mark").all_inner_texts()
        assert marks and set(marks) == {"工会"}, marks
    tab.clean()


def test_ticking_a_facet_filters_and_recounts(tab):
    page = tab.goto(q="工会")
    before_total, before = total(page), all_counts(page)
    value, count = narrow_value(before["district"], before_total)
    tab.shot("before")
    tick(tab, "district", value)
    tab.shot()
    assert tab.params()["district"] == [value] and tab.params()["q"] == ["工会"]
    assert total(page) == count, f"ticked {value} ({count}), total says {total(page)}"
    assert checkbox(page, "district", value).is_checked()
    after = all_counts(page)
    for facet in ("organizer", "type"):
        assert after[facet] != before[facet], facet
        assert all(n <= count for n in after[facet].values()), (facet, after[facet])
    chips = page.locator("li.hit .chips").all_inner_texts()
    assert len(chips) == count and all(value in c for c in chips), chips
    tab.clean()


def test_clear_removes_every_filter_but_keeps_the_query(tab):
    page = tab.goto(q="工会")
    unfiltered, counts = total(page), all_counts(page)
    value, _ = narrow_value(counts["district"], unfiltered)
    page = tab.goto(q="工会", district=value, type="座谈会议", **{"from": "2016", "to": "2020"})
    assert total(page) < unfiltered
    tab.shot("filtered")
    page.locator("a.clear").click()
    page.wait_for_load_state()
    tab.shot()
    params = tab.params()
    assert params.get("q") == ["工会"]
    assert not {"organizer", "district", "type", "from", "to"} & params.keys(), params
    assert total(page) == unfiltered
    assert page.locator("aside form.facets input[type=checkbox]:checked").count() == 0
    assert page.input_value("input#from") == page.input_value("input#to") == ""
    tab.clean()


def test_article_page_highlights_and_links_neighbours(tab):
    page = tab.goto(q="工会")
    first = page.locator("li.hit h2 a").first
    title = first.inner_text()
    first.click()
    page.wait_for_url("**/articles/**")
    tab.shot()
    assert page.inner_text("article h1") == title
    marks = page.locator("article p mark").all_inner_texts()
    assert marks and set(marks) == {"工会"}, marks
    slug, n = ordinal(page.url)
    # Walk back to the top of the bulletin page: each step is an earlier article of the page.
    for _ in range(30):
        prev = page.locator("nav.neighbours a[rel=prev]")
        if prev.count() == 0:
            break
        prev.click()
        page.wait_for_url("**/articles/**")
        here = ordinal(page.url)
        assert here[0] == slug and here[1] < n, (here, n)
        n = here[1]
    else:
        raise AssertionError("nav.neighbours a[rel=prev] never ran out")
    tab.shot("first")
    page.locator("nav.neighbours a[rel=next]").click()
    page.wait_for_url("**/articles/**")
    assert ordinal(page.url)[0] == slug and ordinal(page.url)[1] > n
    assert page.locator("nav.neighbours a[rel=prev]").count() == 1
    tab.clean()


def test_paging_forward_shows_the_next_results(tab):
    page = tab.goto(q="北京")
    found = total(page)
    assert page_numbers(page) == (1, math.ceil(found / 10)) and found > 20
    assert page.locator("nav.pages a[rel=prev]").count() == 0
    first_page = hit_links(page)
    page.locator("nav.pages a[rel=next]").click()
    page.wait_for_load_state()
    tab.shot()
    assert tab.params()["page"] == ["2"] and tab.params()["q"] == ["北京"]
    assert page_numbers(page) == (2, math.ceil(found / 10))
    assert total(page) == found
    second_page = hit_links(page)
    assert len(second_page) == 10 and not set(first_page) & set(second_page)
    page.locator("nav.pages a[rel=prev]").click()
    page.wait_for_load_state()
    assert hit_links(page) == first_page
    tab.clean()


def test_newest_first(tab):
    page = tab.goto(q="北京")
    page.select_option("select#sort", "-date")
    page.wait_for_load_state()
    if "sort" not in tab.params():  # no script submitted it on change: press 检索
        page.get_by_role("button", name="检索", exact=True).click()
        page.wait_for_load_state()
    tab.shot()
    assert tab.params()["sort"] == ["-date"]
    assert page.input_value("select#sort") == "-date"
    dates = hit_dates(page)
    page.locator("nav.pages a[rel=next]").click()
    page.wait_for_load_state()
    assert tab.params()["sort"] == ["-date"]
    dates += hit_dates(page)
    # Of 51 hits only the seed's (undated) articles lack a date, and those sort last.
    assert None not in dates, dates
    assert dates == sorted(dates, reverse=True), dates
    tab.clean()


def test_histogram_bar_narrows_the_dates(tab):
    page = tab.goto(q="北京")
    found = total(page)
    bars = page.locator("svg.histogram a")
    assert bars.count() >= 2, "svg.histogram has fewer than two bars"
    assert page.locator("svg.histogram rect").count() >= bars.count()
    labels = [bars.nth(i).get_attribute("aria-label") for i in range(bars.count())]
    periods = [re.fullmatch(r"\s*(.+?)\s*[：:]\s*(\d+)\s*篇\s*", label or "") for label in labels]
    assert all(periods), labels
    counts = [int(m.group(2)) for m in periods]
    assert sum(counts) <= found, (counts, found)
    tab.shot("before")
    i = next(i for i, n in enumerate(counts) if 0 < n < found)
    bars.nth(i).click()
    page.wait_for_url(lambda url: "from" in parse_qs(urlsplit(url).query))
    page.wait_for_load_state()
    tab.shot()
    params = tab.params()
    start, end = params["from"][0], params["to"][0]
    assert params["q"] == ["北京"]
    assert total(page) == counts[i], (labels[i], total(page))
    assert page.input_value("input#from") == start and page.input_value("input#to") == end
    dates = hit_dates(page)
    assert dates and all(d and start <= d and d[: len(end)] <= end for d in dates), (
        start,
        end,
        dates,
    )
    tab.clean()


def test_search_within_results(tab):
    page = tab.goto(q="北京")
    wide = total(page)
    page.fill("form.within input#within-q", "工会")
    tab.shot("typed")
    page.locator("form.within input#within-q").press("Enter")
    page.wait_for_url(lambda url: "within" in parse_qs(urlsplit(url).query))
    page.wait_for_load_state()
    tab.shot()
    params = tab.params()
    assert set(params["q"] + params["within"]) == {"北京", "工会"}, params
    narrow = total(page)
    # Narrowing keeps the articles that match both queries, each somewhere in the article: at
    # least what "北京 工会" finds (both words in one paragraph), at most either query alone.
    api = f"{tab.server.url}/api/search?"
    alone = tab.page.request.get(api + urlencode({"q": "工会"})).json()["total"]
    together = tab.page.request.get(api + urlencode({"q": "北京 工会"})).json()["total"]
    assert 0 < together <= narrow <= min(wide, alone), (together, narrow, wide, alone)
    for href in hit_links(page):
        text = article_text(tab, href)
        assert "北京" in text and "工会" in text, href
    tab.clean()


def test_markup_in_a_bulletin_renders_as_text(tab):
    page = tab.goto(q="蜉蝣")
    tab.shot()
    assert total(page) == 1
    title = page.locator("li.hit h2 a")
    assert f"{SCRIPT}<b>粗体</b>" in title.inner_text()
    assert SCRIPT in page.inner_text("li.hit .snippet")
    assert "<img src=x onerror=alert(1)>" in page.inner_text("li.hit .snippet")
    title.click()
    page.wait_for_url(f"**/articles/{HOSTILE_ID}*")
    tab.shot("article")
    assert f"{SCRIPT}<b>粗体</b>" in page.inner_text("article h1")
    assert SCRIPT in page.inner_text("article")
    # The query is reflected too: into the search box, the title, the summary.
    reflected = f"{SCRIPT}蜉蝣"
    page = tab.goto(q=reflected)
    tab.shot("query")
    assert page.input_value("input#q") == reflected
    for _ in range(2):
        scripts = page.eval_on_selector_all("script", "els => els.map(e => e.outerHTML)")
        assert all("alert" not in s for s in scripts), scripts
        injected = page.evaluate(
            "() => [...document.querySelectorAll('b, img[src=x], [onerror]')]"
            ".filter(e => e.tagName !== 'B' || e.textContent.includes('粗体')).length"
        )
        assert injected == 0
        page = tab.goto(f"/articles/{HOSTILE_ID}", q=reflected)
    assert tab.dialogs == [], tab.dialogs
    tab.clean()


@pytest.fixture
def phone(chromium, server, request) -> Iterator[Tab]:
    yield from _tab(chromium, server, request, viewport=PHONE, is_mobile=True, has_touch=True)


def test_phone_width_has_no_sideways_scrolling(phone):
    for step, path, params in (
        ("search", "/", {"q": "北京"}),
        ("filtered", "/", {"q": "工会", "district": "昌平区"}),
        ("article", f"/articles/{HOSTILE_ID}", {"q": "蜉蝣"}),
        ("long-article", "/articles/000_73d2eb0e74c950a6-1", {"q": "劳模"}),
    ):
        page = phone.goto(path, **params)
        phone.shot(step)
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= PHONE["width"] + 1, (step, width)
    phone.clean()


def test_every_control_has_a_label(tab):
    page = tab.goto(q="北京")
    tab.shot()
    unnamed = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
            .filter(el => {
              const named = t => (t || '').trim().length > 0;
              if (named(el.getAttribute('aria-label'))) return false;
              const by = el.getAttribute('aria-labelledby');
              if (by && by.split(/\\s+/).some(id => named(document.getElementById(id)?.textContent))) return false;
              if ([...(el.labels || [])].some(l => named(l.textContent))) return false;
              if (el.tagName === 'BUTTON' && named(el.textContent)) return false;
              return true;
            }).map(el => el.outerHTML)"""
    )
    assert unnamed == [], unnamed
    for label, selector in (("检索", "button"), ("筛选", "button")):
        assert page.get_by_role(selector, name=label).count() >= 1, label
    ids = page.eval_on_selector_all("input[id], select[id]", "els => els.map(e => e.id)")
    assert {"q", "sort", "from", "to", "within-q"} <= set(ids), ids
    value = next(iter(facet_counts(page, "district")))
    assert page.get_by_label(value).count() >= 1
    tab.clean()


@pytest.fixture
def no_js(chromium, server, request) -> Iterator[Tab]:
    yield from _tab(chromium, server, request, java_script_enabled=False)


def test_filtering_works_without_javascript(no_js):
    page = no_js.goto(q="工会")
    value, count = narrow_value(facet_counts(page, "district"), total(page))
    checkbox(page, "district", value).check()
    assert "district" not in no_js.params()  # nothing submits it for us
    page.locator("aside form.facets").get_by_role("button", name="筛选").click()
    page.wait_for_load_state()
    no_js.shot()
    assert no_js.params()["district"] == [value] and no_js.params()["q"] == ["工会"]
    assert total(page) == count
    assert checkbox(page, "district", value).is_checked()
    no_js.clean()


def test_back_button_restores_the_earlier_results(tab):
    page = tab.goto(q="工会")
    url, found, counts, links = page.url, total(page), all_counts(page), hit_links(page)
    value, count = narrow_value(counts["district"], found)
    tick(tab, "district", value)
    assert total(page) == count
    page.go_back()
    page.wait_for_load_state()
    tab.shot()
    assert page.url == url
    assert (total(page), all_counts(page), hit_links(page)) == (found, counts, links)
    assert not checkbox(page, "district", value).is_checked(), "box still ticked after back"
    page.go_forward()
    page.wait_for_load_state()
    assert tab.params()["district"] == [value] and total(page) == count
    tab.clean()
