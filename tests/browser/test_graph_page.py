"""`segkit graph -o x.html` in a real browser: it loads from disk without errors or network,
a click on + expands a composite block into its parts, and a click on a box shows its
report row and highlights the boxes that feed it."""
from __future__ import annotations

from click.testing import CliRunner

from segkit.cli import main


def test_the_graph_page_expands_a_block_and_shows_a_row(tmp_path, page):
    out = tmp_path / "unet.html"
    result = CliRunner().invoke(main, ["graph", "unet_small", "-o", str(out)])
    assert result.exit_code == 0, result.output
    page.open(out.as_uri())
    boxes = page.tab.locator(".box")
    before = boxes.count()
    assert page.tab.locator('.box[data-id="enc1.0"]').count() == 0
    page.tab.locator('.toggle[data-id="enc1"]').click()
    assert page.tab.locator('.box[data-id="enc1.0"]').count() == 1 and boxes.count() > before
    assert page.tab.locator('.cluster[data-id="enc1"]').count() == 1
    page.tab.locator('.box[data-id="pool1"]').click()
    info = page.tab.locator("#info").inner_text()
    assert "maxpool" in info and "16x64x64" in info and "receptive field" in info
    assert page.tab.locator('.box.feeds[data-id="enc1.1"]').count() == 1  # the path that feeds pool1
    page.tab.locator('.cluster[data-id="enc1"] text').click()  # collapse again
    assert boxes.count() == before
    assert not page.errors, page.errors
    assert all(url.startswith(("file:", "data:", "about:")) for url in page.requests), page.requests
