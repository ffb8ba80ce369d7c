"""What a browser journey checks on every page it visits, and the few verbs journeys use.

Every page reached (``visit`` or a click that navigates) is checked:

* no console error and no uncaught exception (CSP violations, missing assets and failing
  scripts all show up as console errors);
* no server error (5xx) on the page or any of its resources;
* every visible input, select and textarea is labelled (``<label for>``, a wrapping label,
  ``aria-label`` or ``aria-labelledby``);
* no positive ``tabindex`` (it breaks the keyboard order);
* no inline ``<script>`` element (the CSP forbids them; one would mean injected markup).

And a JavaScript dialog must never open: text typed as ``<script>alert(1)</script>`` has
to come back as text.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Locator, Page, Response, expect

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "screenshots"
CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1280, "height": 800}
XSS = "<script>alert(1)</script>"
#: The demo accounts' password (zhongchuang.ops.demo.DEMO_PASSWORD).
DEMO_PASSWORD = "Demo-2021-zc"

#: A minimal, valid one-page PDF (what an applicant uploads).
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)

_PAGE_PROBLEMS_JS = """
() => {
  const problems = [];
  const describe = (el) => {
    const bits = [el.tagName.toLowerCase()];
    for (const a of ['type', 'name', 'id']) {
      if (el.getAttribute(a)) bits.push(`${a}="${el.getAttribute(a)}"`);
    }
    return '<' + bits.join(' ') + '>';
  };
  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)
    && getComputedStyle(el).visibility !== 'hidden';
  const skip = new Set(['hidden', 'submit', 'button', 'reset', 'image']);
  // Inputs folded away in a <details> (filters) count too: unfold them while checking.
  const closed = [...document.querySelectorAll('details:not([open])')];
  closed.forEach((d) => { d.open = true; });
  for (const el of document.querySelectorAll('input, select, textarea')) {
    const type = (el.getAttribute('type') || '').toLowerCase();
    if (el.tagName === 'INPUT' && skip.has(type)) continue;
    if (!visible(el)) continue;
    const labelled = [...(el.labels || [])].some((l) => l.textContent.trim())
      || (el.getAttribute('aria-label') || '').trim()
      || (el.getAttribute('aria-labelledby') || '').split(/\\s+/).some(
           (id) => id && document.getElementById(id)
             && document.getElementById(id).textContent.trim());
    if (!labelled) problems.push('unlabelled ' + describe(el));
  }
  closed.forEach((d) => { d.open = false; });
  for (const el of document.querySelectorAll('[tabindex]')) {
    if (parseInt(el.getAttribute('tabindex'), 10) > 0) {
      problems.push('positive tabindex on ' + describe(el));
    }
  }
  for (const el of document.querySelectorAll('script:not([src])')) {
    problems.push('inline script: ' + el.outerHTML.slice(0, 120));
  }
  return problems;
}
"""


def flask_cli(env: dict[str, str], *args: str, app: str = "wsgi") -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "flask", "--app", app, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


@dataclass
class Site:
    """A served app: its base URL and the environment of its database (for CLI steps)."""

    url: str
    env: dict[str, str]
    workdir: Path

    def flask(self, *args: str, today: str | None = None) -> str:
        """Run a ``flask`` command against this site's database; return its output."""
        env = dict(self.env)
        if today:
            env["ZC_TODAY"] = today
        return flask_cli(env, *args)


class PageProblems(AssertionError):
    pass


class Tab:
    """One user's browser tab, in its own context (its own cookies), watched for errors."""

    def __init__(self, browse: Browse, context: BrowserContext, who: str) -> None:
        self.browse = browse
        self.context = context
        self.who = who
        self.page: Page = context.new_page()
        self.problems: list[str] = []
        self.dialogs: list[str] = []
        self._documents: set[str] = set()
        page = self.page
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.problems.append(f"{page.url}: page error: {exc}"))
        page.on("dialog", self._on_dialog)
        page.on("response", self._on_response)

    # --- watchers ------------------------------------------------------------------------

    def _on_console(self, msg: Any) -> None:
        if msg.type != "error":
            return
        where = (msg.location or {}).get("url", "")
        # A page the app answers with 4xx on purpose (a 404 page, a form shown again with
        # its errors) makes Chromium log "Failed to load resource" for the document; the
        # journey asserts that status itself. Any other failed resource is a problem.
        if msg.text.startswith("Failed to load resource") and where in self._documents:
            return
        self.problems.append(f"{self.page.url}: console error: {msg.text} ({where})")

    def _on_dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{self.page.url}: {dialog.type} dialog: {dialog.message!r}")
        dialog.dismiss()

    def _on_response(self, resp: Response) -> None:
        if resp.request.is_navigation_request():
            self._documents.add(resp.url)
        if resp.status >= 500:
            self.problems.append(f"{resp.url}: server error {resp.status}")

    # --- checks ----------------------------------------------------------------------------

    def check(self) -> None:
        """The per-page checks (see the module docstring) on the page now shown."""
        self.page.wait_for_load_state("load")
        found = [f"{self.page.url}: {p}" for p in self.page.evaluate(_PAGE_PROBLEMS_JS)]
        self.problems.extend(p for p in found if p not in self.problems)
        self.assert_clean()

    def assert_clean(self) -> None:
        issues = self.problems + [f"dialog opened (script ran): {d}" for d in self.dialogs]
        if issues:
            raise PageProblems(
                f"[{self.who}] problems on the pages visited:\n  - " + "\n  - ".join(issues)
            )

    def _status(self, resp: Response | None, status: int | None) -> None:
        if resp is None:
            return
        if status is None:
            assert resp.status < 400, f"{resp.url} answered {resp.status}"
        else:
            assert resp.status == status, f"{resp.url} answered {resp.status}, not {status}"

    # --- verbs -----------------------------------------------------------------------------

    def visit(self, path: str, status: int | None = None) -> Response | None:
        """Open a page by URL (as typed in the address bar) and check it."""
        resp = self.page.goto(self.browse.url(path))
        self._status(resp, status)
        self.check()
        return resp

    def follow(self, target: Locator, status: int | None = None) -> Response | None:
        """Click a link or button that leads to another page; check that page."""
        with self.page.expect_navigation() as nav:
            target.click()
        resp = nav.value
        self._status(resp, status)
        self.check()
        return resp

    def link(self, name: str, status: int | None = None, exact: bool = True) -> None:
        self.follow(self.page.get_by_role("link", name=name, exact=exact).first, status)

    def button(self, name: str, status: int | None = None, within: Locator | None = None) -> None:
        scope = within if within is not None else self.page
        self.follow(scope.get_by_role("button", name=name, exact=True), status)

    def fill(
        self, label: str, value: str, within: Locator | None = None, exact: bool = True
    ) -> None:
        scope = within if within is not None else self.page
        scope.get_by_label(label, exact=exact).fill(value)

    def choose(
        self, label: str, option: str, within: Locator | None = None, partial: bool = False
    ) -> None:
        """Pick the option shown as ``option`` (or the first containing it) in a select."""
        scope = within if within is not None else self.page
        select = scope.get_by_label(label, exact=True)
        if partial:
            option = select.locator("option", has_text=option).first.inner_text().strip()
        select.select_option(label=option)

    def tick(self, label: str, within: Locator | None = None, exact: bool = False) -> None:
        scope = within if within is not None else self.page
        scope.get_by_label(label, exact=exact).first.check()

    def see(self, text: str, within: Locator | None = None) -> None:
        scope = within if within is not None else self.page
        expect(scope.get_by_text(text, exact=False).first).to_be_visible()

    def heading(self, text: str | re.Pattern[str]) -> None:
        expect(self.page.get_by_role("heading", level=1)).to_contain_text(text)

    def flash(self, text: str) -> None:
        expect(self.page.locator(".flashes")).to_contain_text(text)

    def shot(self, name: str) -> Path:
        return self.browse.shot(self.page, f"{self.who}-{name}")

    def tab_to(self, target: Locator, max_presses: int = 120) -> int:
        """Press Tab from the top of the page until ``target`` has the focus; return how
        many presses it took (fails if it never does: the action is not keyboard-reachable)."""
        self.page.evaluate("() => { document.activeElement && document.activeElement.blur(); }")
        self.page.evaluate("() => window.scrollTo(0, 0)")
        for n in range(1, max_presses + 1):
            self.page.keyboard.press("Tab")
            if target.evaluate("el => el === document.activeElement"):
                return n
        raise AssertionError(f"{target} never received the focus after {max_presses} Tabs")

    def shows_literal(self, text: str) -> None:
        """``text`` is displayed as text (escaped), and typing it never ran a script."""
        expect(self.page.get_by_text(text, exact=False).first).to_be_visible()
        self.check()
        assert not self.dialogs


class Browse:
    """Tabs for the users of one journey, and its screenshots."""

    def __init__(self, browser: Browser, base_url: str, shots: Path) -> None:
        self.browser = browser
        self.base_url = base_url
        self.shots = shots
        self.tabs: list[Tab] = []
        self._n = 0

    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.base_url + path

    def anonymous(self, who: str = "visitor") -> Tab:
        context = self.browser.new_context(
            viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        context.set_default_timeout(15_000)
        tab = Tab(self, context, who)
        self.tabs.append(tab)
        return tab

    def login(self, username: str, password: str = DEMO_PASSWORD) -> Tab:
        """A new tab in which ``username`` logs in through the login page."""
        tab = self.anonymous(username)
        tab.visit("/login")
        tab.fill("用户名", username)
        tab.fill("密码", password)
        tab.button("登录")
        tab.flash("登录成功")
        return tab

    def shot(self, page: Page, name: str) -> Path:
        self.shots.mkdir(parents=True, exist_ok=True)
        self._n += 1
        path = self.shots / f"{self._n:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    def shot_all(self, name: str) -> None:
        for tab in self.tabs:
            tab.shot(name)

    def assert_clean(self) -> None:
        for tab in self.tabs:
            tab.assert_clean()

    def close(self) -> None:
        for tab in self.tabs:
            tab.context.close()
        self.tabs.clear()
