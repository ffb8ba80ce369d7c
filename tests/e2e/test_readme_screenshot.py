"""The README's screenshot: the demo city reviewer's queue on the demo data.

``make screenshot`` runs this test with ZC_README_SCREENSHOT=docs/screenshot.png to
regenerate the committed image; in ``make test`` it only checks the page and writes under
screenshots/ (ignored).
"""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e-demo")]


def test_readme_screenshot(browse) -> None:
    city = browse.login("city")
    city.link("待办事项", exact=False)
    city.heading("待办队列")
    expect(city.page.locator("table.rv-queue tbody tr").first).to_be_visible()
    city.shot("queue")
    target = os.environ.get("ZC_README_SCREENSHOT")
    if target:
        path = ROOT / target
        path.parent.mkdir(parents=True, exist_ok=True)
        city.page.mouse.move(0, 0)
        city.page.screenshot(path=str(path), full_page=False)
        assert path.stat().st_size > 10_000
