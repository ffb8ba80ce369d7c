"""Importing a 花名册: every refusal reason, encodings, XLSX layouts, and files that are
not rosters at all."""

from __future__ import annotations

import io
import json
import zipfile
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.helpers import attach_for_submit
from tests.integration.roster_support import (
    HEADER_EN,
    HEADER_ZH,
    ROW_AMOUNT,
    csv_bytes,
    graduate_id,
    make_world,
    months,
    person_rows,
    row,
    xlsx_bytes,
)
from zhongchuang.cases import engine as cases
from zhongchuang.errors import (
    DomainError,
    Forbidden,
    NotFound,
    UnsupportedFileType,
    UploadTooLarge,
    ValidationFailed,
)
from zhongchuang.extensions import db
from zhongchuang.models import Application, AuditEvent, RosterRow
from zhongchuang.roster import operations as roster


@pytest.fixture
def world(app, factory):
    return make_world(factory)


def upload(world, case, data: bytes, filename: str = "花名册.csv", user=None):
    return roster.import_roster(user or world.enterprise, case.id, filename, io.BytesIO(data))


def stored(case) -> list[RosterRow]:
    return list(
        db.session.execute(
            sa.select(RosterRow)
            .where(RosterRow.application_id == case.id)
            .order_by(RosterRow.row_no)
        ).scalars()
    )


def test_every_rule_refuses_its_row_with_a_reason_and_good_rows_still_count(world):
    good = graduate_id(1)
    other = graduate_id(2)
    bad = {
        # row cells changed → a fragment of the reason the user reads
        "name": (row(other, name=""), "姓名为空"),
        "name_long": (row(other, name="张" * 51), "姓名过长"),
        "id_blank": (row(""), "身份证号为空"),
        "id_check": (row(good[:-1] + ("0" if good[-1] != "0" else "1")), "校验位不正确"),
        "school": (row(other, school=""), "毕业院校为空"),
        "graduation": (row(other, graduation_date="去年夏天"), "毕业时间"),
        "start": (row(other, contract_start="2020-02-30"), "劳动合同起始"),
        "end": (row(other, contract_end="明年"), "劳动合同终止"),
        "not_graduation_year": (
            row(other, graduation_date="2019-06-30", month="2020-08"),
            "非毕业年度招用",
        ),
        "end_before_start": (
            row(other, contract_end="2020-06-01", month="2020-09"),
            "终止日早于起始日",
        ),
        "short_contract": (
            row(other, contract_end="2021-03-31", month="2020-10"),
            "不足12个月",
        ),
        "outside_period": (row(other, month="2021-01"), "不在申请期间"),
        "outside_contract": (
            row(other, contract_start="2020-09-01", contract_end="2023-08-31", month="2020-07"),
            "不在劳动合同期内",
        ),
        "month_format": (row(other, month="2020年13月"), "补贴月份"),
        "negative": (row(other, month="2020-11", pension="-1"), "不得为负数"),
        "not_a_number": (row(other, month="2020-11", medical="一百"), "应为数字"),
        "blank_amount": (row(other, month="2020-11", unemployment=""), "无缴费请填0"),
        "cents": (row(other, month="2020-11", pension="1.234"), "两位小数"),
        "implausible": (row(other, month="2020-11", pension="250000"), "明显超出"),
        "same_month_twice": (row(good, month="2020-07"), "不得重复"),
    }
    rows = [row(good, "2020-07"), *(cells for cells, _ in bad.values())]
    result = upload(world, world.draft(), csv_bytes(rows))

    assert result.accepted == 1
    assert result.amount == ROW_AMOUNT
    assert result.rejected_count == len(bad)
    reasons = dict(result.rejected)
    for line, (name, (_cells, fragment)) in enumerate(bad.items(), start=3):
        assert any(fragment in r for r in reasons[line]), (name, reasons[line])
    assert "与本表第 2 行重复。" in reasons[2 + len(bad)]


def test_a_good_roster_counts_the_employer_share_per_person(world):
    a, b = graduate_id(1), graduate_id(2)
    rows = person_rows(a, months(7, 12), "张小三") + person_rows(b, months(9, 10), "李四")
    case = world.draft()
    result = upload(world, case, csv_bytes(rows))
    assert (result.accepted, result.rejected, result.rejected_count) == (8, [], 0)
    assert result.amount == ROW_AMOUNT * 8
    people = {p.name: p for p in result.per_person}
    assert (people["张小三"].months, people["张小三"].amount) == (6, ROW_AMOUNT * 6)
    assert (people["李四"].months, people["李四"].amount) == (2, ROW_AMOUNT * 2)
    assert people["李四"].id_masked == b[:6] + "********" + b[-4:]
    assert db.session.get(Application, case.id).computed_amount == ROW_AMOUNT * 8
    first = stored(case)[0]
    assert first.id_number_masked == a[:6] + "********" + a[-4:]
    assert a not in (first.id_number_enc or "")
    assert first.id_number_hash
    assert a not in first.id_number_hash
    assert (first.pension, first.medical, first.unemployment) == (
        Decimal("320.00"),
        Decimal("160.00"),
        Decimal("10.00"),
    )
    assert result.as_json()["amount"] == "3920.00"


def test_the_upload_is_audited_with_counts_and_digest_but_no_identity_number(world):
    number = graduate_id(1)
    case = world.draft()
    result = upload(world, case, csv_bytes(person_rows(number, months(7, 8)) + [row("")]))
    event = db.session.execute(
        sa.select(AuditEvent).where(AuditEvent.kind == "case.roster")
    ).scalar_one()
    assert event.application_id == case.id
    assert event.details["accepted"] == 2
    assert event.details["rejected"] == 1
    assert event.details["amount"] == "980.00"
    assert event.details["sha256"] == result.sha256
    assert number not in json.dumps(event.details, ensure_ascii=False)


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8"])
def test_csv_in_gbk_or_utf8_with_or_without_bom(world, encoding):
    rows = person_rows(graduate_id(1), months(7, 9), "欧阳娜娜")
    rows[0][2] = "浙江工业大学之江学院"
    result = upload(world, world.draft(), csv_bytes(rows, encoding=encoding))
    assert result.accepted == 3
    assert result.per_person[0].name == "欧阳娜娜"
    assert stored_school(world) == "浙江工业大学之江学院"


def stored_school(world) -> str:
    return db.session.execute(sa.select(RosterRow.school).limit(1)).scalar_one()


def test_english_headers_extra_columns_and_blank_lines_in_csv(world):
    text = (
        "No.," + ",".join(HEADER_EN) + ",remarks\n"
        "\n"
        "1," + ",".join(row(graduate_id(1), "2020-07")) + ",ok\n"
        ",,,,,,,,,,,,\n"
        "2," + ",".join(row(graduate_id(1), "2020-08")) + ",\n"
    )
    result = upload(world, world.draft(), text.encode())
    assert result.accepted == 2
    assert result.rejected_count == 0
    assert [r.row_no for r in stored_world_rows()] == [3, 5]


def stored_world_rows() -> list[RosterRow]:
    return list(db.session.execute(sa.select(RosterRow).order_by(RosterRow.row_no)).scalars())


def test_xlsx_with_a_title_row_extra_columns_blank_lines_and_typed_cells(world):
    from datetime import datetime

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["某某科技有限公司招用高校毕业生花名册（2020年下半年）"])
    ws.append(["序号", *HEADER_ZH, "备注"])
    ws.append([])
    good = row(graduate_id(1), "2020-07")
    ws.append([1, *good, "新入职"])
    ws.append([None] * 12)
    typed = row(
        graduate_id(1),
        datetime(2020, 8, 1),  # Excel turns "2020-08" into a date
        graduation_date=datetime(2020, 6, 30),
        contract_start=datetime(2020, 7, 1),
        contract_end="无固定期限",
        pension=320,
        medical=160.0,
        unemployment=10,
    )
    ws.append([2, *typed, None])
    buf = io.BytesIO()
    wb.save(buf)
    result = upload(world, world.draft(), buf.getvalue(), "花名册.xlsx")
    assert result.rejected == []
    assert result.accepted == 2
    assert result.amount == ROW_AMOUNT * 2
    rows = stored_world_rows()
    assert [r.row_no for r in rows] == [4, 6]
    assert rows[1].month == "2020-08"
    assert rows[1].contract_end is None  # 无固定期限


def test_the_roster_sheet_need_not_be_the_first(world):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "说明"
    wb.active.append(["请在第二个工作表填写"])
    ws = wb.create_sheet("花名册")
    ws.append(HEADER_ZH)
    ws.append(row(graduate_id(1)))
    buf = io.BytesIO()
    wb.save(buf)
    assert upload(world, world.draft(), buf.getvalue(), "r.xlsx").accepted == 1


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "文件为空"),
        (b"\n\n  \n", "没有数据行"),
        (csv_bytes([]), "没有数据行"),
        (xlsx_bytes([]), "没有数据行"),
    ],
    ids=["zero-bytes", "blank-lines", "csv-header-only", "xlsx-header-only"],
)
def test_an_empty_file_is_refused_and_changes_nothing(world, data, fragment):
    case = world.draft()
    upload(world, case, csv_bytes([row(graduate_id(1))]))
    with pytest.raises(ValidationFailed) as err:
        upload(world, case, data)
    assert err.value.status == 422
    assert fragment in err.value.message + "".join(err.value.errors.get("file", []))
    assert len(stored(case)) == 1


def test_the_blank_template_is_an_empty_roster(world):
    with pytest.raises(ValidationFailed) as err:
        upload(world, world.draft(), roster.template_xlsx(), "模板.xlsx")
    assert "没有数据行" in err.value.message


def test_a_header_missing_a_required_column_says_which(world):
    header = [h for h in HEADER_ZH if h != "补贴月份"]
    rows = [[c for i, c in enumerate(row(graduate_id(1))) if i != 6]]
    with pytest.raises(ValidationFailed) as err:
        upload(world, world.draft(), csv_bytes(rows, header=header))
    assert "缺少列：补贴月份" in err.value.message
    assert err.value.errors["file"] == [err.value.message]


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in entries.items():
            zf.writestr(name, content)
    return buf.getvalue()


PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
DOCX = _zip(
    {
        "[Content_Types].xml": b'<Types><Override ContentType="application/vnd.openxmlformats-'
        b'officedocument.wordprocessingml.document.main+xml"/></Types>',
        "word/document.xml": b"<w:document/>",
    }
)
BOMB = _zip(
    {
        "[Content_Types].xml": b"<Types>spreadsheetml</Types>",
        "xl/worksheets/sheet1.xml": b"\0" * (20 * 1024 * 1024),
    }
)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (PDF_BYTES, "不是表格"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "不是表格"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, ".xls"),
        (bytes(range(256)) * 4, "不是文本"),
        (DOCX, "Word"),
        (BOMB, "压缩炸弹"),
        (b"PK\x03\x04not really a zip", "损坏"),
    ],
    ids=["pdf", "png", "xls", "binary", "docx", "zip-bomb", "broken-zip"],
)
def test_a_file_that_is_not_a_roster_is_refused_with_415(world, data, fragment):
    case = world.draft()
    with pytest.raises(UnsupportedFileType) as err:
        upload(world, case, data, "花名册.xlsx")
    assert err.value.status == 415
    assert fragment in err.value.message
    assert stored(case) == []


def test_a_text_file_in_neither_utf8_nor_gbk_is_refused(world):
    with pytest.raises(UnsupportedFileType) as err:
        upload(world, world.draft(), "姓名\n".encode() + b"\x80\x80\xff\xfe\x81")
    assert "编码" in err.value.message


def test_a_file_over_the_size_limit_is_refused_with_413(app, world):
    app.config["MAX_UPLOAD_BYTES"] = 1024
    try:
        rows = person_rows(graduate_id(1), months(7, 12)) * 5
        with pytest.raises(UploadTooLarge):
            upload(world, world.draft(), csv_bytes(rows))
    finally:
        app.config["MAX_UPLOAD_BYTES"] = 20 * 1024 * 1024


def test_a_roster_over_the_row_limit_is_refused(app, world):
    app.config["ROSTER_MAX_ROWS"] = 3
    try:
        with pytest.raises(ValidationFailed) as err:
            upload(world, world.draft(), csv_bytes(person_rows(graduate_id(1), months(7, 10))))
        assert "超过 3 行" in err.value.message
    finally:
        app.config.pop("ROSTER_MAX_ROWS")


def test_only_the_applicant_uploads_and_only_while_the_case_is_editable(world, factory):
    case = world.draft()
    data = csv_bytes([row(graduate_id(1))])
    with pytest.raises(NotFound):
        upload(world, case, data, user=world.outsider)
    with pytest.raises(NotFound):
        upload(world, case, data, user=world.county)  # drafts are not visible to reviewers
    member = factory.staff("applicant", username="ent1_member")
    member.organization_id = world.enterprise.organization_id
    db.session.commit()
    assert upload(world, case, data, user=member).accepted == 1  # a member of the enterprise
    attach_for_submit(case, world.enterprise)
    cases.act(world.enterprise, case.id, "submit")
    with pytest.raises(Forbidden) as err:
        upload(world, case, data)
    assert err.value.status == 409
    with pytest.raises(Forbidden):
        upload(world, case, data, user=world.county)
    with pytest.raises(NotFound):
        upload(world, case, data, user=world.outsider)


def test_the_claim_period_must_be_filled_first(world):
    case = world.draft(period_start=None, period_end=None)
    with pytest.raises(ValidationFailed) as err:
        upload(world, case, csv_bytes([row(graduate_id(1))]))
    assert "起止月份" in err.value.message


def test_a_program_without_roster_has_no_roster(world, factory):
    from datetime import date

    from zhongchuang.catalogue import batches
    from zhongchuang.policy.identity import make_credit_code

    batches.create_batch(
        factory.staff("admin", username="admin2"),
        "employment_driving_grant",
        2021,
        date(2021, 3, 1),
        date(2021, 4, 30),
        Decimal("1000.00"),
    )
    person = factory.person()
    case = cases.create_draft(
        person,
        "employment_driving_grant",
        {"business_credit_code": make_credit_code("330402", "MA1000001"), "year": 2020},
    )
    with pytest.raises(DomainError) as err:
        roster.import_roster(person, case.id, "r.csv", io.BytesIO(csv_bytes([])))
    assert err.value.status == 404
