"""The per-page checks themselves: a page with the faults they look for is refused."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import SCREENSHOTS, XSS, Browse, PageProblems

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e-demo")]

FAULTY = f"""<!doctype html><html lang="zh-CN"><body>
<label for="ok">姓名</label><input id="ok" name="ok">
<input name="unlabelled">
<select name="pick"><option>一</option></select>
<input type="hidden" name="fine"><input type="submit" value="提交">
<a href="#" tabindex="3">跳</a>
<div>{XSS.replace("<", "&lt;")}</div>
</body></html>"""


def test_page_checks_find_unlabelled_inputs_tabindex_and_console_errors(browser) -> None:
    browse = Browse(browser, "http://127.0.0.1", SCREENSHOTS / "page-checks")
    try:
        tab = browse.anonymous()
        tab.page.set_content(FAULTY)
        with pytest.raises(PageProblems) as caught:
            tab.check()
        report = str(caught.value)
        assert 'unlabelled <input name="unlabelled">' in report
        assert 'unlabelled <select name="pick">' in report
        assert "positive tabindex" in report
        assert 'id="ok"' not in report

        clean = browse.anonymous()
        clean.page.set_content("<p>x</p>")
        clean.page.evaluate("() => console.error('坏了')")
        with pytest.raises(PageProblems, match="console error: 坏了"):
            clean.check()

        shown = browse.anonymous()
        shown.page.set_content(f"<p>{XSS.replace('<', '&lt;')}</p>")
        shown.shows_literal(XSS)
        shown.page.set_content("<p>x</p>")
        with shown.page.expect_event("dialog"):
            shown.page.evaluate("() => setTimeout(() => alert(1))")
        with pytest.raises(PageProblems, match="dialog opened"):
            shown.assert_clean()
    finally:
        browse.close()
