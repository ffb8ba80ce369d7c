"""Decision letter PDFs: how long one takes to draw, warm and in a fresh process.

    python -m bench.bench_documents [--runs 30] [--cold-runs 5] [--before-runs 10]

The letter is what ``documents.letters.letter_document`` builds for a rejection (the
case's rows, the decision, the reason, the cited articles, the rule lines, the remedy),
with a 文号, a 主送, a verification QR code and the seal's place, at the letters' 14 pt.

Figures (median and p95, ms): *warm* — ``render`` in this process after three warm-up
renders; *cold* — the first ``render`` in a fresh process (each run its own
subprocess; the imports are timed apart); *font cache cleared* — warm process, but the
parsed font dropped before each render (what every document cost before the cache,
less the old whole-face subsetting). *Before* is the renderer of commit ``BEFORE_REV``
(``zhongchuang/documents/pdf.py`` read from git, drawing the same content without the new
fields), for the ratio; it is skipped when git or that commit is not at hand.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from types import ModuleType, SimpleNamespace
from typing import Any, cast

from bench.common import BENCH_DIR, PYTHON, ROOT, Timing, machine, make_app, measure

#: The last commit whose renderer parsed the font for every document.
BEFORE_REV = "61c39ef"
PDF_PATH = "zhongchuang/documents/pdf.py"

CATALOGUE = ROOT / "catalogue" / "jiaxing-2015-90.yaml"


def _articles() -> dict[str, str]:
    """The policy's own article texts (the catalogue), as the letters cite them."""
    from zhongchuang.policy.catalogue import load_catalogue

    return {a.path: a.text for a in load_catalogue(CATALOGUE).articles}


def letter() -> Any:
    """The PdfDocument of a typical rejection letter (two pages at 14 pt)."""
    from zhongchuang.documents.letters import letter_document
    from zhongchuang.workflow.letters import RuleLine, build_letter

    built = build_letter(
        "rejection",
        case_number="ZC-2021-000123",
        applicant="嘉兴某某科技有限公司",
        program_name="招用大学生社保补贴",
        policy_title="嘉兴市人民政府办公室关于加快发展众创空间的若干意见",
        policy_doc_number="嘉政办发〔2015〕90号",
        article_texts=_articles(),
        cited=["三", "四(一)"],
        issued_on=date(2021, 3, 15),
        issuer="嘉兴市南湖区众创空间政策主管部门",
        rules=[
            RuleLine("contract_months", "四(一)", True, "劳动合同期限24个月，不少于12个月"),
            RuleLine(
                "hired_in_graduation_year",
                "四(一)",
                False,
                "2019年毕业，2021年招用，不在毕业年度内，不符合招用当年高校毕业生的条件",
            ),
            RuleLine("insured", "四(一)", True, "已按规定缴纳社会保险费满6个月"),
        ],
        reason="所招用人员不属于毕业年度内高校毕业生，不符合社会保险补贴的申领条件。",
    )
    doc = letter_document(cast(Any, SimpleNamespace(letter=built)))  # uses .letter only
    return dataclasses.replace(
        doc,
        number="南众创〔2021〕12号",
        recipient="嘉兴某某科技有限公司",
        qr_url="http://127.0.0.1:5000/verify/d/q3YtV9k2LmPw8Rz1",
        seal=built.issuer,
        body_size=14,
    )


def _before_module() -> ModuleType | None:
    """The renderer of ``BEFORE_REV``, imported from git under a name of its own."""
    try:
        source = subprocess.run(
            ["git", "show", f"{BEFORE_REV}:{PDF_PATH}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    spec = importlib.util.spec_from_loader("zhongchuang.documents._pdf_before", loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    exec(compile(source, f"{BEFORE_REV}:{PDF_PATH}", "exec"), module.__dict__)  # noqa: S102
    return module


def _as_before(doc: Any, before: ModuleType) -> Any:
    """The same content for the old renderer (it has no 文号, QR code or seal)."""
    return before.PdfDocument(
        title=doc.title,
        subtitle=doc.subtitle,
        sections=[
            before.PdfSection(s.heading, list(s.paragraphs), list(s.rows), list(s.items))
            for s in doc.sections
        ],
        closing=list(doc.closing),
        footer=doc.footer,
    )


def _app() -> Any:
    return make_app("sqlite://")  # the renderer needs settings and the clock, no tables


def cold_once(before: bool) -> dict[str, float]:
    """In this (fresh) process: the imports, then the first render, in seconds."""
    t = time.perf_counter()
    app = _app()
    with app.app_context():
        if before:
            module = _before_module()
            if module is None:
                raise SystemExit("no before revision")
            doc = _as_before(letter(), module)
            render = module.render
        else:
            from zhongchuang.documents.pdf import render

            doc = letter()
        imports = time.perf_counter() - t
        t = time.perf_counter()
        data = render(doc)
        first = time.perf_counter() - t
    assert data.startswith(b"%PDF-")
    return {"import_s": imports, "first_s": first, "bytes": len(data)}


def cold(runs: int, before: bool) -> tuple[Timing, Timing]:
    """(first render, imports) over ``runs`` fresh processes."""
    first, imports = [], []
    for _ in range(runs):
        args = [PYTHON, "-m", "bench.bench_documents", "--cold"]
        if before:
            args.append("--before")
        proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"cold run failed:\n{proc.stderr[-2000:]}")
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        first.append(out["first_s"])
        imports.append(out["import_s"])
    name = "before" if before else "now"
    return Timing(f"{name} cold", first), Timing(f"{name} imports", imports)


def warm(runs: int, before_runs: int) -> dict[str, Any]:
    from zhongchuang.documents import pdf, signing

    app = _app()
    out: dict[str, Any] = {}
    with app.app_context():
        doc = letter()
        data = pdf.render(doc)
        out["pages"] = data.count(b"/Type /Page\n")
        out["bytes"] = len(data)

        # Each letter has its own verification address (its QR code is made afresh).
        def fresh(i: int) -> Any:
            return dataclasses.replace(doc, qr_url=f"{doc.qr_url}&n={i}")

        out["now warm"] = Timing("now warm", measure(lambda i: pdf.render(fresh(i)), runs))

        # What issuing adds: the PAdES signature (a demo CA of its own) and the SHA-256.
        with tempfile.TemporaryDirectory() as keys:
            signer = signing.demo_signer(keys, "county-330402", doc.seal or "签发机关")

            def issued(i: int) -> str:
                signed = signing.sign_with(signer, pdf.render(fresh(i)), reason="bench")
                return hashlib.sha256(signed).hexdigest()

            out["now warm, rendered + signed"] = Timing(
                "now warm, rendered + signed", measure(issued, runs)
            )

        def cleared(i: int) -> None:
            pdf.clear_font_cache()
            pdf.render(fresh(runs + 10 + i))

        out["now, font cache cleared"] = Timing(
            "now, font cache cleared", measure(cleared, before_runs, warmup=1)
        )
        before = _before_module() if before_runs else None
        if before is not None:
            old = _as_before(doc, before)
            out["before warm"] = Timing(
                "before warm", measure(lambda _i: before.render(old), before_runs, warmup=1)
            )
    return out


def report(figures: dict[str, Any]) -> list[str]:
    lines = [f"{'':28} {'median':>9} {'p95':>9} {'runs':>5}"]
    for key, t in figures.items():
        if isinstance(t, Timing):
            lines.append(f"{key:28} {t.median_ms:>7.1f}ms {t.p95_ms:>7.1f}ms {len(t.samples):>5}")
    for what in ("warm", "cold"):
        now, then = figures.get(f"now {what}"), figures.get(f"before {what}")
        if now and then:
            lines.append(
                f"{'ratio before/now, ' + what:28} {then.median_ms / now.median_ms:>8.1f}×"
            )
    return lines


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m bench.bench_documents", description=__doc__.split("\n")[0]
    )
    p.add_argument("--runs", type=int, default=30, help="timed warm renders")
    p.add_argument("--cold-runs", type=int, default=5, help="fresh processes")
    p.add_argument("--before-runs", type=int, default=10, help="0: no before figures")
    p.add_argument("--cold", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--before", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.cold:
        print(json.dumps(cold_once(args.before)))
        return
    print(f"machine: {machine()}")
    figures = warm(args.runs, args.before_runs)
    pages, size = figures.pop("pages"), figures.pop("bytes")
    figures["now cold"], figures["now imports"] = cold(args.cold_runs, before=False)
    if "before warm" in figures and args.cold_runs:
        figures["before cold"], figures["before imports"] = cold(args.cold_runs, before=True)
    print(
        f"\ndecision letter PDF ({pages} pages, {size / 1024:.0f} KB): render in process; "
        f"cold = first render in a fresh process, imports apart; before = {BEFORE_REV}"
    )
    print("\n".join(report(figures)))
    result = {
        "machine": machine(),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "pages": pages,
        "bytes": size,
        "before_rev": BEFORE_REV,
        "figures": {
            k: {
                "median_ms": round(t.median_ms, 2),
                "p95_ms": round(t.p95_ms, 2),
                "runs": len(t.samples),
            }
            for k, t in figures.items()
        },
    }
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    out = BENCH_DIR / "results-documents.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"saved {out.relative_to(ROOT)}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
