"""Each kind of 文书 drawn as issued, rendered to PNG (``screenshots/documents/``, to look
at) and read back through its text layer as a reader would: title, 文号, recipient, the
decision, the basis with article text, the issuer and date; no doubled citation, no line
that starts with closing punctuation, no internal code; a rejection lists only what
failed and names where to apply for 复议 and where to sue."""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2 as pdfium
import sqlalchemy as sa

from tests.helpers import attach_required, open_batch
from tests.integration.test_case_handling import _recognise, office, space_data  # noqa: F401
from zhongchuang.cases import engine as cases
from zhongchuang.cases.engine import ActionInput
from zhongchuang.extensions import db
from zhongchuang.models import Document
from zhongchuang.policy.identity import make_credit_code

SHOTS = Path(__file__).resolve().parents[2] / "screenshots" / "documents"
#: What must never reach a reader: rule ids, role and state codes, Python's None.
INTERNAL = re.compile(
    r"\b(None|county_reviewer|city_reviewer|employment_tiered|applicant_kind|submitted|"
    r"accepted|returned|rule:[a-z_]+)\b"
)
DOUBLED = re.compile(r"（依据：[^）]*）\s*（依据：")
NO_LINE_START = "，。、；：？！）」』"


def _text_and_png(doc: Document) -> str:
    pdf = pdfium.PdfDocument(doc.pdf)
    SHOTS.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(len(pdf)):
        page = pdf[i]
        page.render(scale=1.4).to_pil().save(SHOTS / f"{doc.kind}-{i + 1}.png")
        out.append(page.get_textpage().get_text_range())
    return "\n".join(out)


def _read(case_id: int, kind: str) -> tuple[Document, str]:
    """The document and its text with the line breaks (after checking each line)."""
    db.session.expire_all()
    doc = db.session.execute(
        sa.select(Document).where(Document.application_id == case_id, Document.kind == kind)
    ).scalar_one()
    text = _text_and_png(doc)
    for line in text.splitlines():
        assert not line.strip() or line.strip()[0] not in NO_LINE_START, line
    return doc, text.replace("\r", "").replace("\n", "")


def _common(doc: Document, flat: str) -> None:
    assert doc.title in flat.replace(" ", "")
    assert doc.number in flat
    assert doc.issuer_name in flat
    assert "2021年" in flat
    assert "扫码核验" in flat
    assert not INTERNAL.search(flat), INTERNAL.search(flat)
    assert not DOUBLED.search(flat), DOUBLED.search(flat)


def _grant(factory, n: int):
    applicant = factory.person(name="陈小红")
    data = {
        "business_credit_code": make_credit_code("330411", f"MA{n:07d}"),
        "year": 2020,
        "employees_insured": 5,
    }
    case = cases.create_draft(applicant, "employment_driving_grant", data)
    attach_required(case, applicant)
    return cases.act(applicant, case.id, "submit")


def test_every_kind_reads_as_an_official_document(app, factory, office, clock):  # noqa: F811
    open_batch(factory, "employment_driving_grant")
    county = office["xiuzhou"]
    rejected, declined, returned = _grant(factory, 1), _grant(factory, 2), _grant(factory, 3)
    cases.act(county, rejected.id, "accept")
    cases.act(
        county,
        rejected.id,
        "county_reject",
        ActionInput(reason="经核查，参保人数与社保记录不符", articles=["四(一)"]),
    )
    cases.act(
        county,
        declined.id,
        "decline",
        ActionInput(reason="企业注册地不在本区", articles=["四(一)"], opinion="请向注册地申报。"),
    )
    cases.act(
        county,
        returned.id,
        "return",
        ActionInput(
            reason="材料不全",
            articles=["四(一)"],
            items=[
                {"target": "employees_insured", "message": "参保人数与社保清单不一致"},
                {"target": "year", "message": "请核对申报年度"},
            ],
        ),
    )

    doc, text = _read(rejected.id, "receipt")
    _common(doc, text)
    assert "陈小红：" in text  # 主送
    assert "查询码" in text
    assert "承诺办结日期" in text

    doc, text = _read(rejected.id, "rejection")
    _common(doc, text)
    assert "不予支持" in text
    assert "符合申请人条件" not in text  # a rule that passed is not listed
    assert "嘉兴市秀洲区人民政府" in text  # where to apply for 复议
    assert "行政诉讼" in text
    assert "鼓励大学生创业" in text  # the article's text, as the basis

    doc, text = _read(declined.id, "decline")
    _common(doc, text)
    assert "不予受理" in text
    assert "请向注册地申报" in text  # the opinion
    assert "行政复议" in text

    doc, text = _read(returned.id, "correction")
    _common(doc, text)
    assert "1．" in text
    assert "参保人数与社保清单不一致" in text
    assert "请核对申报年度" in text
    assert "补正期限" in text

    operator = factory.operator(district="330402", username="operator1")
    open_batch(factory, "makerspace_recognition", budget="0.00")
    recognised = _recognise(office, operator, space_data(), clock)
    doc, text = _read(recognised.id, "approval")
    _common(doc, text)
    assert doc.number.startswith("嘉众创〔2021〕")  # the city's office
    assert "认定" in text
    doc, text = _read(recognised.id, "certificate")
    _common(doc, text)
    assert "南湖创客汇" in text
    assert "证书编号" in text
