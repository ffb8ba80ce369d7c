"""The roster (花名册) of a 招用大学生社保补贴 claim: import, check, replace, show, export.

An enterprise uploads one row per person-month as CSV (UTF-8 with or without BOM, GBK/
GB18030, or UTF-16 with BOM) or XLSX. The file is judged by its bytes; XLSX archives go
through the attachments' zip-bomb guard before openpyxl opens them (read-only).

Import runs in two phases so that a large file never holds the database for long:

1. *prepare* — outside any transaction: rows are read one at a time, each checked with
   :func:`zhongchuang.policy.roster.check_roster_row` against the months already claimed
   by other cases (active benefit claims and the accepted roster rows of cases in a
   claiming state, loaded per chunk for the people of that chunk only) and against the
   earlier accepted rows of the same file. Prepared rows (identity numbers encrypted,
   hashed, masked) are spooled to a temporary file in chunks.
2. *replace* — one transaction: lock the case, check again that its applicant may still
   change it, delete the old rows, bulk-insert the spooled chunks, set the computed
   amount, write one audit event, commit. Any failure rolls everything back: never half a
   roster.

Memory stays bounded: one chunk of rows, plus per-person dictionaries keyed by the keyed
hash of the identity number (months seen, totals).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import pickle
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import sqlalchemy as sa
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from zhongchuang.audit import chain as audit
from zhongchuang.cases.attachments import (
    office_kind,
    receive_upload,
    sanitise_filename,
)
from zhongchuang.cases.eligibility import parameter_table, program_spec, roster_summary
from zhongchuang.cases.visibility import get_visible, is_own
from zhongchuang.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    UnsupportedFileType,
    ValidationFailed,
)
from zhongchuang.extensions import db
from zhongchuang.models import Application, BenefitClaim, RosterRow, User
from zhongchuang.policy.dates import format_month, parse_date, parse_month
from zhongchuang.policy.facts import RosterSummary
from zhongchuang.policy.fields import FieldValueError, is_blank, to_money
from zhongchuang.policy.identity import IdentityError, mask_id_number
from zhongchuang.policy.parameters import ParameterError
from zhongchuang.policy.roster import (
    AMOUNT_FIELDS,
    MAX_ROW_AMOUNT,
    OPEN_ENDED,
    ROSTER_FIELDS,
    RosterHeaderError,
    RosterHistory,
    check_roster_row,
    map_headers,
    parse_roster_id,
    row_from_cells,
)
from zhongchuang.policy.roster import RosterRow as RawRow
from zhongchuang.runtime import now, setting, today, vault
from zhongchuang.uow import operation, unit_of_work
from zhongchuang.workflow.machine import CLAIMING_STATES, EDITABLE_STATES

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

#: Rows prepared, history-loaded and inserted together.
CHUNK_ROWS = 2000
#: Identity hashes per ``IN (...)`` when loading what other cases claimed.
HISTORY_BATCH = 500
#: Rejected rows listed in an import's result (all of them are stored and downloadable).
MAX_LISTED_REJECTED = 1000
DEFAULT_MAX_ROWS = 200_000
#: Non-blank rows searched for the header (title rows above it are skipped).
HEADER_SEARCH_ROWS = 10
#: Longer text cells are cut before checking (no roster value is anywhere near this).
MAX_CELL = 200
PAGE_SIZE = 50
MAX_WARNINGS = 100
#: Person-months of other cases read for the warnings (of this roster's people only).
MAX_OTHER_MONTHS = 20_000

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OTHER_MAGIC = (b"%PDF-", b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf")


def _empty() -> ValidationFailed:
    return ValidationFailed(
        "花名册没有数据行。",
        errors={"file": ["文件中没有表头以下的数据行，请按模板填写后再上传。"]},
    )


# --- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonTotal:
    """One graduate's accepted months and employer contributions in the roster."""

    name: str
    id_masked: str
    months: int
    amount: Decimal


@dataclass(frozen=True)
class RosterResult:
    """What an import did: accepted rows count, refused rows with reasons, the amount."""

    accepted: int
    rejected: list[tuple[int, list[str]]]
    amount: Decimal
    per_person: list[PersonTotal]
    #: All refused rows (``rejected`` lists at most ``MAX_LISTED_REJECTED`` of them).
    rejected_count: int = 0
    sha256: str = ""

    def as_json(self) -> dict[str, Any]:
        """API.md: ``{"accepted", "rejected": [{"row", "errors"}], "amount"}`` (+ extras)."""
        return {
            "accepted": self.accepted,
            "rejected": [{"row": n, "errors": list(e)} for n, e in self.rejected],
            "rejected_count": self.rejected_count,
            "amount": f"{self.amount:.2f}",
            "per_person": [
                {
                    "name": p.name,
                    "id_number": p.id_masked,
                    "months": p.months,
                    "amount": f"{p.amount:.2f}",
                }
                for p in self.per_person
            ],
        }


# --- who may upload ----------------------------------------------------------------------


def is_roster_case(case: Application) -> bool:

    return bool(program_spec(case.program).roster)


def can_upload(user: User, case: Application) -> bool:
    """Only the case's own applicant (the enterprise, its members), in 草稿 or 退回补正."""
    return (
        user.has_role("applicant")
        and is_own(user, case)
        and case.state in EDITABLE_STATES
        and is_roster_case(case)
    )


def _load_for_upload(user: User, case_id: int, *, lock: bool) -> Application:
    case = get_visible(user, case_id, lock=lock)
    if not is_roster_case(case):
        raise NotFound("该申报事项没有花名册。")
    if not user.has_role("applicant") or not is_own(user, case):
        raise Forbidden("只有申请企业本身可以上传花名册。")
    if case.state not in EDITABLE_STATES:
        raise Forbidden(
            "只有草稿或退回补正的申报可以上传花名册。", code="invalid_transition", status=409
        )
    return case


def _claim_period(case: Application) -> tuple[date, date]:
    data = case.data or {}
    try:
        start = parse_month(data.get("period_start"))
        end = parse_month(data.get("period_end"))
    except ValueError:
        raise ValidationFailed(
            "请先填写申请补贴的起止月份，再上传花名册。",
            errors={"file": ["花名册按申请期间核验，申报中尚未填写起止月份。"]},
        ) from None
    if end < start:
        raise ValidationFailed(
            "申请补贴终止月份早于起始月份，请先修改申报信息。",
            errors={"file": ["申请期间有误，无法核验花名册。"]},
        )
    return start, end


# --- reading the file --------------------------------------------------------------------

Cells = Sequence[object]


def _refuse(detail: str) -> UnsupportedFileType:
    return UnsupportedFileType(
        f"不支持该文件：{detail}花名册请上传 CSV（UTF-8 或 GBK 编码）或 Excel（XLSX）文件。",
        errors={"file": [detail]},
    )


def _detect(path: Path) -> tuple[str, str | None]:
    """``("xlsx", None)`` or ``("csv", encoding)``, from the bytes; 415 otherwise."""
    with path.open("rb") as fh:
        head = fh.read(8192)
    if head.startswith(b"PK\x03\x04"):
        try:
            kind = office_kind(path)
        except UnsupportedFileType as exc:
            raise _refuse((exc.errors.get("file") or ["文件无法识别。"])[0]) from None
        if kind != "xlsx":
            raise _refuse("这是 Word 文档，不是表格。")
        return "xlsx", None
    if head.startswith(_OLE2):
        raise _refuse("旧版 Excel（.xls）格式无法读取，请另存为 .xlsx 或 CSV。")
    if head.startswith(_OTHER_MAGIC) or head.startswith(b"PK"):
        raise _refuse("文件内容不是表格。")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "csv", _text_encoding(path, ("utf-16",))
    if b"\x00" in head:
        raise _refuse("文件内容不是文本表格。")
    return "csv", _text_encoding(path, ("utf-8-sig", "gb18030"))


def _text_encoding(path: Path, candidates: Sequence[str]) -> str:
    """The first encoding that decodes the whole file (read in chunks)."""
    for encoding in candidates:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as fh:
                while chunk := fh.read(64 * 1024):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise _refuse("无法识别文件的文字编码（应为 UTF-8 或 GBK）。")


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", "\t", ";", "，")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


@contextlib.contextmanager
def _csv_sheets(path: Path, encoding: str) -> Iterator[Iterator[Iterator[tuple[int, Cells]]]]:
    with path.open("r", encoding=encoding, newline="") as fh:
        delimiter = _delimiter(fh.readline())
        fh.seek(0)
        reader = csv.reader(fh, delimiter=delimiter)

        def rows() -> Iterator[tuple[int, Cells]]:
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    raise ValidationFailed(
                        f"CSV 文件第 {reader.line_num} 行格式有误，无法读取。",
                        errors={"file": [f"第 {reader.line_num} 行：引号或分隔符不匹配。"]},
                    ) from exc
                yield reader.line_num, cells

        yield iter([rows()])


def _xlsx_guard(rows: Iterator[tuple[int, Cells]]) -> Iterator[tuple[int, Cells]]:
    """openpyxl's parse errors on a damaged sheet become a clear refusal."""
    while True:
        try:
            item = next(rows)
        except StopIteration:
            return
        except DomainError:
            raise
        except Exception as exc:
            raise _refuse("Excel 文件已损坏或无法读取。") from exc
        yield item


@contextlib.contextmanager
def _xlsx_sheets(path: Path) -> Iterator[Iterator[Iterator[tuple[int, Cells]]]]:

    with warnings.catch_warnings():
        # Excel extensions openpyxl does not know (slicers, x14 validations) only warn.
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        fh = path.open("rb")  # a file object: openpyxl would judge a path by its suffix
        try:
            wb = load_workbook(fh, read_only=True, data_only=True)
        except Exception as exc:
            fh.close()
            raise _refuse("Excel 文件已损坏或无法读取。") from exc
        try:

            def sheets() -> Iterator[Iterator[tuple[int, Cells]]]:
                for ws in wb.worksheets:
                    yield _xlsx_guard(enumerate(ws.iter_rows(values_only=True), start=1))

            yield sheets()
        finally:
            wb.close()
            fh.close()


def _blank(cells: Cells) -> bool:
    return all(is_blank(c) for c in cells)


def _find_header(rows: Iterator[tuple[int, Cells]]) -> dict[int, str] | RosterHeaderError | None:
    """The column mapping from the first header-like row among the first non-blank rows;
    the most helpful header error when none fits; None for a sheet with no content."""
    best: RosterHeaderError | None = None
    tried = 0
    for _number, cells in rows:
        if _blank(cells):
            continue
        try:
            return map_headers(cells)
        except RosterHeaderError as exc:
            if best is None or len(exc.missing) < len(best.missing):
                best = exc
        tried += 1
        if tried >= HEADER_SEARCH_ROWS:
            break
    return best


def _clip(cell: object) -> object:
    if isinstance(cell, str):
        return cell[:MAX_CELL]
    if isinstance(cell, bool):
        return str(cell)
    if isinstance(cell, int):
        return str(cell)  # an identity number typed as a number in openpyxl-made files
    return cell


# --- history: months already claimed ----------------------------------------------------


class _Seen(Mapping[str, AbstractSet[date]]):
    """Months claimed per person (keyed hash) → where: a case number (another case) or a
    row number (an earlier row of this file). Serves as ``RosterHistory.months_by_person``
    without copying (``RosterHistory.with_month`` copies, which a large file cannot afford).
    """

    def __init__(self) -> None:
        self.by_person: dict[str, dict[date, str | int]] = {}

    def __getitem__(self, key: str) -> AbstractSet[date]:
        return self.by_person[key].keys()

    def __iter__(self) -> Iterator[str]:
        return iter(self.by_person)

    def __len__(self) -> int:
        return len(self.by_person)

    def add(self, person: str, month: date, source: str | int) -> None:
        self.by_person.setdefault(person, {}).setdefault(month, source)


def _others_claims_stmt(case_id: int, program_id: int, key: str, hashes: list[str]) -> sa.Select:
    """(hash, month, case number) claimed by OTHER cases that hold or paid money."""
    claims = (
        sa.select(BenefitClaim.subject, BenefitClaim.period, Application.number)
        .join(Application, Application.id == BenefitClaim.application_id)
        .where(
            BenefitClaim.benefit == key,
            BenefitClaim.active.is_(True),
            BenefitClaim.application_id != case_id,
            BenefitClaim.subject.in_(hashes),
        )
    )
    rows = (
        sa.select(RosterRow.id_number_hash, RosterRow.month, Application.number)
        .join(Application, Application.id == RosterRow.application_id)
        .where(
            RosterRow.accepted.is_(True),
            RosterRow.application_id != case_id,
            Application.program_id == program_id,
            Application.state.in_(CLAIMING_STATES),
            RosterRow.id_number_hash.in_(hashes),
        )
    )
    return sa.union_all(claims, rows)  # type: ignore[return-value]


def _load_history(ctx: _Context, hashes: set[str], seen: _Seen) -> None:
    todo = sorted(hashes)
    if not todo:
        return
    with db.engine.connect() as conn:  # short-lived: no transaction held while checking
        for i in range(0, len(todo), HISTORY_BATCH):
            stmt = _others_claims_stmt(
                ctx.case_id, ctx.program_id, ctx.benefit_key, todo[i : i + HISTORY_BATCH]
            )
            for person, period, number in conn.execute(stmt):
                try:
                    month = parse_month(period)
                except ValueError:
                    continue
                seen.add(person, month, number)


# --- preparing rows -----------------------------------------------------------------------


@dataclass
class _Context:
    case_id: int
    program_id: int
    benefit_key: str
    claim_start: date
    claim_end: date
    params: dict[str, Any]
    max_rows: int


@dataclass
class _Totals:
    accepted: int = 0
    rejected: int = 0
    amount: Decimal = Decimal("0.00")
    listed: list[tuple[int, list[str]]] = field(default_factory=list)
    people: dict[str, list[Any]] = field(default_factory=dict)  # hash → [name, mask, n, amt]


class _HashKey:
    """``vault().lookup_hash`` remembering the numbers of the current chunk (the rule asks
    again for each row, and a person's month rows usually sit together)."""

    def __init__(self, fn: Callable[[str], str]) -> None:
        self._fn = fn
        self._known: dict[str, str] = {}

    def __call__(self, number: str) -> str:
        known = self._known.get(number)
        if known is None:
            known = self._known[number] = self._fn(number)
        return known

    def forget(self) -> None:
        self._known.clear()


def _lenient(parse: Callable[[object], date], raw: object) -> date | None:
    try:
        return parse(raw)
    except ValueError:
        return None


def _graduated(raw: object) -> date | None:
    return _lenient(parse_date, raw) or _lenient(parse_month, raw)


def _money(raw: object) -> Decimal | None:
    try:
        value = to_money(raw)
    except (FieldValueError, ValueError, TypeError):
        return None
    return value if Decimal(0) <= value <= MAX_ROW_AMOUNT else None


def _text(raw: object, limit: int) -> str:
    return "" if is_blank(raw) else str(raw).strip()[:limit]


class _Preparer:
    """Checks rows chunk by chunk and spools the rows to insert."""

    def __init__(self, ctx: _Context, spool: BinaryIO) -> None:
        self.ctx = ctx
        self.spool = spool
        self.seen = _Seen()
        self.loaded: set[str] = set()
        self.totals = _Totals()
        v = vault()
        self.key = _HashKey(v.lookup_hash)
        self.encrypt = v.encrypt
        self.history = RosterHistory(months_by_person=self.seen, key=self.key)
        self.tokens: dict[str, str] = {}  # hash → encrypted number (one per person)
        self.count = 0

    def run(self, rows: Iterator[tuple[int, Cells]], mapping: dict[int, str]) -> None:
        buffer: list[tuple[RawRow, str | None, str | None]] = []
        for number, cells in rows:
            if _blank(cells):
                continue
            self.count += 1
            if self.count > self.ctx.max_rows:
                raise ValidationFailed(
                    f"花名册超过 {self.ctx.max_rows} 行，请拆分后分批申报。",
                    errors={"file": [f"每份花名册最多 {self.ctx.max_rows} 行。"]},
                )
            raw = row_from_cells([_clip(c) for c in cells], mapping, number)
            id_number: str | None = None
            person: str | None = None
            if not is_blank(raw.id_number):
                try:
                    id_number = parse_roster_id(str(raw.id_number)).number
                except IdentityError:
                    pass
                else:
                    person = self.key(id_number)
            buffer.append((raw, id_number, person))
            if len(buffer) >= CHUNK_ROWS:
                self._chunk(buffer)
                buffer = []
        if buffer:
            self._chunk(buffer)

    def _chunk(self, buffer: list[tuple[RawRow, str | None, str | None]]) -> None:
        new = {p for _r, _n, p in buffer if p and p not in self.loaded}
        _load_history(self.ctx, new, self.seen)
        self.loaded |= new
        out = [self._row(raw, id_number, person) for raw, id_number, person in buffer]
        pickle.dump(out, self.spool, protocol=pickle.HIGHEST_PROTOCOL)
        self.key.forget()

    def _row(self, raw: RawRow, id_number: str | None, person: str | None) -> dict[str, Any]:
        ctx = self.ctx
        reasons = check_roster_row(raw, ctx.claim_start, ctx.claim_end, ctx.params, self.history)
        month = _lenient(parse_month, raw.month) if not is_blank(raw.month) else None
        if reasons and person and month:
            reasons += self._where_claimed(person, month)
        name = _text(raw.name, 100)
        masked = (
            mask_id_number(id_number)
            if id_number
            else mask_id_number(_text(raw.id_number, 18).upper())
        )
        open_ended = isinstance(raw.contract_end, str) and (
            raw.contract_end.strip().lower() in OPEN_ENDED
        )
        amounts = {n: _money(getattr(raw, n)) for n in AMOUNT_FIELDS}
        accepted = not reasons
        amount: Decimal | None = None
        if accepted:
            assert person is not None
            assert month is not None
            amount = sum((a or Decimal(0) for a in amounts.values()), Decimal("0.00"))
            self.seen.add(person, month, raw.row_number)
            t = self.totals
            t.accepted += 1
            t.amount += amount
            entry = t.people.get(person)
            if entry is None:
                t.people[person] = [name, masked, 1, amount]
            else:
                entry[2] += 1
                entry[3] += amount
        else:
            self.totals.rejected += 1
            if len(self.totals.listed) < MAX_LISTED_REJECTED:
                self.totals.listed.append((raw.row_number, list(reasons)))
        token = None
        if person and id_number:
            token = self.tokens.get(person)
            if token is None:
                token = self.tokens[person] = self.encrypt(id_number)
        return {
            "application_id": ctx.case_id,
            "row_no": raw.row_number,
            "name": name,
            "id_number_enc": token,
            "id_number_hash": person,
            "id_number_masked": masked[:18],
            "school": _text(raw.school, 200) or None,
            "graduation_date": _graduated(raw.graduation_date),
            "contract_start": _lenient(parse_date, raw.contract_start),
            "contract_end": None if open_ended else _lenient(parse_date, raw.contract_end),
            "month": format_month(month) if month else None,
            "pension": amounts["pension"],
            "medical": amounts["medical"],
            "unemployment": amounts["unemployment"],
            "amount": amount,
            "accepted": accepted,
            "errors": reasons,
        }

    def _where_claimed(self, person: str, month: date) -> list[str]:
        """Name the other case (only its number) or the earlier row behind a refusal."""
        claimed = self.seen.by_person.get(person, {})
        source = claimed.get(month)
        if isinstance(source, str):
            return [f"该月份已由申报 {source} 申领。"]
        if isinstance(source, int):
            return [f"与本表第 {source} 行重复。"]
        if len(claimed) >= int(self.ctx.params["max_months"]):
            numbers = sorted({s for s in claimed.values() if isinstance(s, str)})
            if numbers:
                return [f"已计入的月份来自申报 {'、'.join(numbers)} 及本表。"]
        return []


# --- import -----------------------------------------------------------------------------


def max_rows() -> int:
    return int(setting("ROSTER_MAX_ROWS", DEFAULT_MAX_ROWS) or DEFAULT_MAX_ROWS)


def import_roster(user: User, case_id: int, filename: str | None, stream: BinaryIO) -> RosterResult:
    """Check a roster file and make it the case's roster, replacing the old one at once.

    Only the applicant (the enterprise, its members), only in 草稿 or 退回补正. Rows that
    break a rule are kept with their reasons and do not count; the others make the
    computed amount (employer pension + medical + unemployment; never the graduate's own
    share). Raises 415 for a file that is not CSV/XLSX, 413 when too large, 422 for an
    empty file or a header without a required column; nothing changes then.
    """

    # Phase 0: who, which case, which period and parameters. Then release the database
    # (a unit of its own that writes nothing) while the file is read and checked.
    with unit_of_work():
        case = _load_for_upload(user, case_id, lock=False)
        claim_start, claim_end = _claim_period(case)
        ctx = _Context(
            case_id=case.id,
            program_id=case.program_id,
            benefit_key=program_spec(case.program).benefit.key,
            claim_start=claim_start,
            claim_end=claim_end,
            params=dict(parameter_table(case.program).values(today())),
            max_rows=max_rows(),
        )
    shown = sanitise_filename(filename, default="花名册")

    with tempfile.TemporaryDirectory(prefix="zc-roster-") as tmp:
        path = Path(tmp) / "upload"
        size, sha256 = receive_upload(stream, path)
        if size == 0:
            raise ValidationFailed("文件为空。", errors={"file": ["请选择要上传的花名册文件。"]})
        kind, encoding = _detect(path)
        opener = _xlsx_sheets(path) if kind == "xlsx" else _csv_sheets(path, encoding or "utf-8")
        with (Path(tmp) / "rows.spool").open("w+b") as spool:
            preparer = _Preparer(ctx, spool)
            with opener as sheets:
                found: dict[int, str] | RosterHeaderError | None = None
                for rows in sheets:
                    header = _find_header(rows)
                    if isinstance(header, dict):
                        preparer.run(rows, header)
                        found = header
                        break
                    if found is None:
                        found = header
                if found is None:
                    raise _empty()
                if isinstance(found, RosterHeaderError):
                    raise ValidationFailed(found.message, errors={"file": [found.message]})
            if preparer.count == 0:
                raise _empty()
            spool.seek(0)
            _replace(user, ctx, spool, preparer.totals, shown, size, sha256)

    t = preparer.totals
    return RosterResult(
        accepted=t.accepted,
        rejected=t.listed,
        amount=t.amount.quantize(Decimal("0.01")),
        per_person=[
            PersonTotal(name=e[0], id_masked=e[1], months=e[2], amount=e[3])
            for e in t.people.values()
        ],
        rejected_count=t.rejected,
        sha256=sha256,
    )


def _spooled(spool: BinaryIO) -> Iterator[list[dict[str, Any]]]:
    while True:
        try:
            # Our own temporary file, written a moment ago by _Preparer.
            yield pickle.load(spool)  # noqa: S301
        except EOFError:
            return


def _insert_rows(rows: list[dict[str, Any]]) -> None:
    db.session.execute(sa.insert(RosterRow), rows)


@operation
def _replace(
    user: User,
    ctx: _Context,
    spool: BinaryIO,
    totals: _Totals,
    filename: str,
    size: int,
    sha256: str,
) -> None:
    """Phase 2: one unit of work replaces the roster, or nothing changes."""
    case = _load_for_upload(user, ctx.case_id, lock=True)
    if _claim_period(case) != (ctx.claim_start, ctx.claim_end):
        raise Conflict("上传期间申请期间被修改，请重新上传花名册。")
    old = db.session.execute(
        sa.select(sa.func.count()).select_from(RosterRow).where(RosterRow.application_id == case.id)
    ).scalar_one()
    db.session.execute(sa.delete(RosterRow).where(RosterRow.application_id == case.id))
    for chunk in _spooled(spool):
        _insert_rows(chunk)
    amount = totals.amount.quantize(Decimal("0.01"))
    case.computed_amount = amount
    case.updated_at = now()
    audit.record(
        "case.roster",
        actor=user,
        role="applicant",
        application_id=case.id,
        details={
            "filename": filename,
            "size": size,
            "sha256": sha256,
            "accepted": totals.accepted,
            "rejected": totals.rejected,
            "people": len(totals.people),
            "amount": f"{amount:.2f}",
            "replaced_rows": int(old),
        },
    )


# --- reading the stored roster ----------------------------------------------------------


@dataclass(frozen=True)
class Collision:
    """A warning for reviewers: a row or a person that collides with another case.

    ``kind`` is ``month`` (the same person-month is held by another case) or ``cap`` (the
    person's months across cases exceed ``max_months``). Of the other case, only its
    number is shown."""

    kind: str
    name: str
    id_masked: str
    other_numbers: tuple[str, ...]
    row_no: int | None = None
    month: str | None = None
    months: int | None = None
    max_months: int | None = None


@dataclass
class RosterPage:
    case: Application
    summary: RosterSummary
    people_count: int
    view: str
    page: int
    pages: int
    rows: list[RosterRow] = field(default_factory=list)
    people: list[PersonTotal] = field(default_factory=list)
    warnings: list[Collision] = field(default_factory=list)
    can_upload: bool = False
    period: tuple[str, str] = ("", "")


VIEWS = ("rows", "rejected", "people")


def get_roster_case(user: User, case_id: int) -> Application:
    """The case when the user may see it and its program has a roster; NotFound else."""
    case = get_visible(user, case_id)
    if not is_roster_case(case):
        raise NotFound()
    return case


def summary(case: Application) -> RosterSummary:

    return roster_summary(case)


def roster_page(user: User, case_id: int, view: str = "rows", page: int = 1) -> RosterPage:
    """The roster as anyone who may see the case sees it: identity numbers masked,
    paginated rows (all or refused only) or per-person totals, and duplicate warnings."""
    case = get_roster_case(user, case_id)
    view = view if view in VIEWS else "rows"
    totals = summary(case)
    people_count = db.session.execute(
        sa.select(sa.func.count(sa.distinct(RosterRow.id_number_hash))).where(
            RosterRow.application_id == case.id, RosterRow.accepted.is_(True)
        )
    ).scalar_one()
    total = {
        "rows": totals.accepted_rows + totals.rejected_rows,
        "rejected": totals.rejected_rows,
        "people": int(people_count),
    }[view]
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    data = case.data or {}
    out = RosterPage(
        case=case,
        summary=totals,
        people_count=int(people_count),
        view=view,
        page=page,
        pages=pages,
        can_upload=can_upload(user, case),
        period=(str(data.get("period_start") or ""), str(data.get("period_end") or "")),
    )
    offset = (page - 1) * PAGE_SIZE
    if view == "people":
        out.people = people(case, offset, PAGE_SIZE)
    else:
        stmt = sa.select(RosterRow).where(RosterRow.application_id == case.id)
        if view == "rejected":
            stmt = stmt.where(RosterRow.accepted.is_(False))
        out.rows = list(
            db.session.execute(
                stmt.order_by(RosterRow.row_no).offset(offset).limit(PAGE_SIZE)
            ).scalars()
        )
    out.warnings = collisions(case)
    return out


def people(case: Application, offset: int = 0, limit: int | None = None) -> list[PersonTotal]:
    """Per-person totals of accepted rows, in the order people first appear."""
    stmt = (
        sa.select(
            sa.func.min(RosterRow.name),
            sa.func.min(RosterRow.id_number_masked),
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(RosterRow.amount), 0),
        )
        .where(RosterRow.application_id == case.id, RosterRow.accepted.is_(True))
        .group_by(RosterRow.id_number_hash)
        .order_by(sa.func.min(RosterRow.row_no))
        .offset(offset)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return [
        PersonTotal(
            name=name,
            id_masked=masked,
            months=int(n),
            amount=Decimal(str(amount)).quantize(Decimal("0.01")),
        )
        for name, masked, n, amount in db.session.execute(stmt)
    ]


def _others_subquery(case: Application) -> sa.Subquery:
    """(h, m, a): person-months held by other cases that hold or paid money."""

    key = program_spec(case.program).benefit.key
    # Only the people of this roster: the databases then probe the indexes per person
    # instead of reading every claim in the city.
    people = (
        sa.select(RosterRow.id_number_hash)
        .where(RosterRow.application_id == case.id, RosterRow.accepted.is_(True))
        .scalar_subquery()
    )
    claims = sa.select(
        BenefitClaim.subject.label("h"),
        BenefitClaim.period.label("m"),
        BenefitClaim.application_id.label("a"),
    ).where(
        BenefitClaim.benefit == key,
        BenefitClaim.active.is_(True),
        BenefitClaim.application_id != case.id,
        BenefitClaim.subject.in_(people),
    )
    rows = (
        sa.select(
            RosterRow.id_number_hash.label("h"),
            RosterRow.month.label("m"),
            RosterRow.application_id.label("a"),
        )
        .join(Application, Application.id == RosterRow.application_id)
        .where(
            RosterRow.accepted.is_(True),
            RosterRow.application_id != case.id,
            Application.program_id == case.program_id,
            Application.state.in_(CLAIMING_STATES),
            RosterRow.id_number_hash.in_(people),
        )
    )
    return sa.union(claims, rows).subquery("others")


def collisions(case: Application, limit: int = MAX_WARNINGS) -> list[Collision]:
    """Accepted rows whose person-month another case also holds, and people whose months
    across all cases exceed the cap — naming the other cases by number only.

    One indexed query finds what other cases hold for the people of this roster (usually
    nothing, so a large roster costs one query); the rest is worked out per person."""

    others = _others_subquery(case)
    held: dict[str, dict[str, set[str]]] = {}  # person → month → other case numbers
    for person, month, number in db.session.execute(
        sa.select(others.c.h, others.c.m, Application.number)
        .join(Application, Application.id == others.c.a)
        .limit(MAX_OTHER_MONTHS)
    ):
        held.setdefault(person, {}).setdefault(month, set()).add(number)
    if not held:
        return []
    mine: dict[str, list[tuple[int, str, str, str]]] = {}  # person → (row, name, mask, month)
    people_list = sorted(held)
    for i in range(0, len(people_list), HISTORY_BATCH):
        for person, row_no, name, masked, month in db.session.execute(
            sa.select(
                RosterRow.id_number_hash,
                RosterRow.row_no,
                RosterRow.name,
                RosterRow.id_number_masked,
                RosterRow.month,
            )
            .where(
                RosterRow.application_id == case.id,
                RosterRow.accepted.is_(True),
                RosterRow.id_number_hash.in_(people_list[i : i + HISTORY_BATCH]),
            )
            .order_by(RosterRow.row_no)
        ):
            mine.setdefault(person, []).append((row_no, name, masked, month))

    found = [
        Collision(
            "month", name, masked, tuple(sorted(held[person][month])), row_no=row_no, month=month
        )
        for person, rows in mine.items()
        for row_no, name, masked, month in rows
        if month in held[person]
    ]
    found.sort(key=lambda c: c.row_no or 0)
    try:
        cap = int(parameter_table(case.program).value("max_months", case.submitted_on or today()))
    except (ParameterError, KeyError, ValueError):
        return found[:limit]
    for person, rows in mine.items():
        months = {r[3] for r in rows} | set(held[person])
        if len(months) > cap:
            _row, name, masked, _month = rows[0]
            numbers = sorted(set().union(*held[person].values()))
            found.append(
                Collision("cap", name, masked, tuple(numbers), months=len(months), max_months=cap)
            )
    return found[:limit]


# --- spreadsheets -----------------------------------------------------------------------

_HELP: dict[str, tuple[str, str]] = {
    # field: (format, example)
    "name": ("文字，不超过50个字", "张小三"),
    "id_number": ("18位公民身份号码，请以文本格式填写（末位可为X）", "330402199705010012"),
    "school": ("全日制高校名称", "嘉兴学院"),
    "graduation_date": ("日期 YYYY-MM-DD（也可填 YYYY-MM）", "2019-06-30"),
    "contract_start": ("日期 YYYY-MM-DD；须在毕业当年招用", "2019-07-01"),
    "contract_end": ("日期 YYYY-MM-DD，或“无固定期限”；合同期不少于12个月", "2022-06-30"),
    "month": ("补贴月份 YYYY-MM，每人每月一行，须在申请期间和合同期内", "2020-03"),
    "pension": ("单位缴纳的养老保险（元，≥0，最多两位小数）", "320.00"),
    "medical": ("单位缴纳的医疗保险（元，≥0）", "160.00"),
    "unemployment": ("单位缴纳的失业保险（元，≥0）", "10.00"),
}
_RULES = (
    "每行为一名毕业生的一个补贴月份（人月）；同一人多个月份填写多行。",
    "只补贴单位缴纳部分（养老、医疗、失业），个人缴纳部分不予补贴。",
    "须为毕业年度（毕业当年）招用的全日制高校毕业生，劳动合同期限不少于12个月。",
    "补贴月份须在本次申请期间内，并在劳动合同期内。",
    "同一人同一月份只能补贴一次，不论由哪家企业申请；每人累计不超过12个月（以政策参数为准）。",
    "表头可用中文或英文列名（name、id_number、school、graduation_date、contract_start、"
    "contract_end、month、pension、medical、unemployment）；多余的列和空行会被忽略。",
    "也可另存为 CSV（UTF-8 或 GBK 编码）上传。重新上传会整体替换原花名册。",
    "未通过核验的行会列出原因，可下载“未通过行”表格，修改原文件后整体重新上传。",
)


#: Last row of the template the data validations cover (a header and 100 000 rows).
_TEMPLATE_LAST_ROW = 100_001
_TEMPLATE_TEXT_COLUMNS = ("name", "id_number", "school", "month", "contract_end")
_TEMPLATE_DATE_COLUMNS = ("graduation_date", "contract_start")


@dataclass(frozen=True)
class _TemplateValidation:
    """One data validation of the template: Excel's ``type``, the columns (letters) it
    covers, the prompt's title and the prompt and error message, and the rule's options
    (``operator``, ``formula1`` …)."""

    kind: str
    columns: tuple[str, ...]
    title: str
    message: str
    options: Mapping[str, str]


def template_xlsx() -> bytes:
    """The blank roster template: Chinese headers with comments, formats, validations, and
    a second sheet of instructions with an example row."""

    wb = Workbook()
    ws = wb.active
    ws.title = "花名册"
    _template_header(ws)
    ws.freeze_panes = "A2"
    for rule in _template_validations():
        _add_template_validation(ws, rule)
    _template_instructions(wb.create_sheet("填写说明"))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _template_column(name: str) -> str:
    """The column letter of a roster field in the template."""

    return get_column_letter(list(ROSTER_FIELDS).index(name) + 1)


def _template_number_format(name: str) -> str | None:
    """The cell format of a template column: text, date or amount (``None``: general)."""
    if name in _TEMPLATE_TEXT_COLUMNS:
        return "@"
    if name in _TEMPLATE_DATE_COLUMNS:
        return "yyyy-mm-dd"
    if name in AMOUNT_FIELDS:
        return "0.00"
    return None


def _template_header(ws: Worksheet) -> None:
    """Row 1 of the template: the Chinese headers, each with its format and example as a
    comment; the columns' widths and cell formats."""

    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="FDECEA")
    for col, name in enumerate(ROSTER_FIELDS, start=1):
        cell = ws.cell(row=1, column=col, value=ROSTER_FIELDS[name])
        cell.font = bold
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center")
        fmt, example = _HELP[name]
        cell.comment = Comment(f"{fmt}\n例：{example}", "众创空间政策申报系统", 90, 240)
        letter = _template_column(name)
        ws.column_dimensions[letter].width = 22 if name in ("id_number", "school") else 15
        number_format = _template_number_format(name)
        if number_format is not None:
            ws.column_dimensions[letter].number_format = number_format


def _template_validations() -> list[_TemplateValidation]:
    """The template's data validations, in the order they are added to the sheet."""
    col = _template_column
    end = col("contract_end")
    month = col("month")
    return [
        _TemplateValidation(
            "textLength",
            (col("id_number"),),
            "身份证号",
            "请填写18位身份证号（文本格式）。",
            {"operator": "equal", "formula1": "18"},
        ),
        _TemplateValidation(
            "date",
            (col("graduation_date"), col("contract_start")),
            "日期",
            "请填写日期，格式 YYYY-MM-DD。",
            {
                "operator": "between",
                "formula1": "DATE(1990,1,1)",
                "formula2": "DATE(2099,12,31)",
            },
        ),
        _TemplateValidation(
            "custom",
            (end,),
            "劳动合同终止",
            "请填写日期（YYYY-MM-DD）或“无固定期限”。",
            {"formula1": f'OR(ISNUMBER({end}2),{end}2="无固定期限",ISNUMBER(DATEVALUE({end}2)))'},
        ),
        _TemplateValidation(
            "custom",
            (month,),
            "补贴月份",
            "请按 YYYY-MM 填写补贴月份，如 2020-03。",
            {"formula1": f'AND(LEN({month}2)=7,MID({month}2,5,1)="-")'},
        ),
        _TemplateValidation(
            "decimal",
            tuple(col(n) for n in AMOUNT_FIELDS),
            "单位缴费",
            f"请填写 0 至 {MAX_ROW_AMOUNT:.0f} 之间的金额（元），无缴费填 0。",
            {"operator": "between", "formula1": "0", "formula2": f"{MAX_ROW_AMOUNT:.0f}"},
        ),
    ]


def _add_template_validation(ws: Worksheet, rule: _TemplateValidation) -> None:
    """Add one validation to the sheet, over its columns' data rows, with its prompt."""

    dv = DataValidation(type=rule.kind, allow_blank=True, showErrorMessage=True, **rule.options)
    dv.errorTitle = "填写有误"
    dv.error = rule.message
    dv.promptTitle = rule.title
    dv.prompt = rule.message
    dv.showInputMessage = True
    for c in rule.columns:
        dv.add(f"{c}2:{c}{_TEMPLATE_LAST_ROW}")
    ws.add_data_validation(dv)


def _template_instructions(info: Worksheet) -> None:
    """The 填写说明 sheet: the rules, then each column's requirements and example."""

    info.append(["招用大学生社保补贴花名册填写说明"])
    info["A1"].font = Font(bold=True, size=14)
    info.append([])
    for i, rule in enumerate(_RULES, start=1):
        info.append([f"{i}. {rule}"])
    info.append([])
    info.append(["列名", "英文列名", "填写要求", "示例"])
    bold = Font(bold=True)
    for cell in info[info.max_row]:
        cell.font = bold
    for name in ROSTER_FIELDS:
        fmt, example = _HELP[name]
        info.append([ROSTER_FIELDS[name], name, fmt, example])
    info.column_dimensions["A"].width = 16
    info.column_dimensions["B"].width = 18
    info.column_dimensions["C"].width = 60
    info.column_dimensions["D"].width = 22


def rejected_xlsx(user: User, case_id: int) -> tuple[str, bytes]:
    """The refused rows with their reasons (identity numbers masked): file name, bytes."""

    case = get_roster_case(user, case_id)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("未通过核验的行")
    ws.column_dimensions["A"].width = 8
    ws.column_dimensions["C"].width = 22
    ws.column_dimensions["E"].width = 80
    bold = Font(bold=True)
    header = ["原文件行号", "姓名", "身份证号（脱敏）", "补贴月份", "未通过原因"]
    ws.append([_bold(ws, WriteOnlyCell, h, bold) for h in header])
    stmt = (
        sa.select(
            RosterRow.row_no,
            RosterRow.name,
            RosterRow.id_number_masked,
            RosterRow.month,
            RosterRow.errors,
        )
        .where(RosterRow.application_id == case.id, RosterRow.accepted.is_(False))
        .order_by(RosterRow.row_no)
        .execution_options(yield_per=2000)
    )
    for row_no, name, masked, month, errors in db.session.execute(stmt):
        texts = (name, masked, month, "；".join(errors or []))
        ws.append([row_no, *(_text_cell(ws, WriteOnlyCell, t) for t in texts)])
    buf = io.BytesIO()
    wb.save(buf)
    return f"{case.number}-花名册未通过行.xlsx", buf.getvalue()


def _bold(ws: Any, cell_type: Any, value: str, font: Any) -> Any:
    cell = cell_type(ws, value=value)
    cell.font = font
    return cell


def _text_cell(ws: Any, cell_type: Any, value: str | None) -> Any:
    """Text stays text: a name such as ``=HYPERLINK(…)`` from an uploaded file must not
    become a formula in the reviewer's spreadsheet."""
    cell = cell_type(ws, value=value)
    if value is not None:
        cell.data_type = "s"
    return cell
