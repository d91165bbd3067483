"""The documentation site in a real browser: pages load without console errors and
without any request off this machine (code is coloured at build time, no CDN), the
tables fit a 390-px phone screen, and a gallery page embeds the interactive graph."""
from __future__ import annotations

import pytest

PAGES = ["index.html", "architectures.html", "gallery/index.html", "gallery/refinenet.html",
         "blocks/segkit/ops.html", "api.html"]
PHONE = 390


def test_pages_load_without_errors_or_outside_requests(site, page):
    for name in PAGES:
        page.open(site + name)
        assert page.tab.locator("h1").first.is_visible(), name
    assert not page.errors, page.errors
    outside = [url for url in page.requests if not url.startswith((site, "data:", "about:", "blob:"))]
    assert not outside, outside


def test_code_is_coloured_at_build_time(site, page):
    page.open(site + "index.html")
    assert page.tab.locator(".highlight code span.nt, .highlight code span.k").count() > 0  # Pygments' classes
    assert not [url for url in page.requests if "highlight" in url]


@pytest.mark.parametrize("name", ["architectures.html", "gallery/index.html"])
def test_tables_fit_a_phone_screen(site, page, name):
    page.open(site + name, width=PHONE)
    assert page.tab.evaluate("document.documentElement.scrollWidth") <= PHONE
    rights = page.tab.evaluate("[...document.querySelectorAll('article table')].map(t => t.getBoundingClientRect().right)")
    assert rights and max(rights) <= PHONE, rights
    assert not page.errors, page.errors


def test_gallery_page_embeds_the_graph_and_links_the_picture(site, page):
    page.open(site + "gallery/refinenet.html")
    frame = page.tab.frame_locator("iframe.graph-explorer")
    assert frame.locator('.box[data-id="enc"]').count() == 1
    assert page.tab.locator('.graph-scroll a[href="refinenet.svg"] img').count() == 1
    assert not page.errors, page.errors
