"""决定书 — the content of a decision letter (approval, rejection, return for amendment).

Pure: the service gathers the facts, this module words them in Chinese, and the lead's
renderer turns the :class:`DecisionLetter` into HTML or PDF. Every letter cites the
articles relied on, with their text, and the rules (passed or failed) of the explanation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final, Literal

LetterKind = Literal["approval", "rejection", "return", "decline", "receipt", "certificate"]

#: Which action produces which letter.
LETTER_FOR_ACTION: Final[dict[str, LetterKind]] = {
    "conclude_notice": "approval",
    "return": "return",
    "decline": "decline",
    "county_reject": "rejection",
    "city_reject": "rejection",
    "uphold_objection": "rejection",
}

TITLES: Final[dict[LetterKind, str]] = {
    "approval": "扶持事项核准决定书",
    "rejection": "不予支持决定书",
    "return": "补正材料通知书",
    "decline": "不予受理决定书",
    "receipt": "受理通知书",
    "certificate": "众创空间认定证书",
}
#: 文书 kinds (API names) by letter kind: a return issues a 补正告知书 (``correction``).
DOCUMENT_KIND: Final[dict[LetterKind, str]] = {
    "approval": "approval",
    "rejection": "rejection",
    "return": "correction",
    "decline": "decline",
    "receipt": "receipt",
    "certificate": "certificate",
}
LETTER_KIND: Final[dict[str, LetterKind]] = {v: k for k, v in DOCUMENT_KIND.items()}
#: Letters that state a decision's reason (the others need none).
_REASONED: Final = frozenset({"rejection", "return", "decline"})
#: A recognition's approval is a 认定 decision, not a 核准 of money.
RECOGNITION_TITLE: Final = "众创空间认定决定书"


def letter_title(kind: LetterKind, *, recognition: bool = False) -> str:
    """The letter's title, as the case page lists it and the letter heads it."""
    return RECOGNITION_TITLE if kind == "approval" and recognition else TITLES[kind]


MISSING_ARTICLE_TEXT: Final = "（本系统未收录该条款全文）"

REMEDY_TEXT: Final = (
    "如对本决定不服，可以自收到本决定书之日起六十日内依法申请行政复议，"
    "或者自收到本决定书之日起六个月内依法向人民法院提起行政诉讼。"
)


def remedy_text(reconsideration_body: str, court: str) -> str:
    """告知复议、诉讼途径, naming the bodies (data of the issuing office)."""
    return (
        f"如对本决定不服，可以自收到本决定书之日起六十日内向{reconsideration_body}申请行政复议，"
        f"或者自收到本决定书之日起六个月内依法向{court}提起行政诉讼。"
    )


def document_number(short_name: str, year: int, serial: int) -> str:
    """文号: the issuer's 机关代字, the year in 六角括号, the serial — 嘉科创〔2021〕12号."""
    return f"{short_name}〔{year}〕{serial}号"


_DIGITS: Final = "零壹贰叁肆伍陆柒捌玖"
_UNITS: Final = ("", "拾", "佰", "仟")
_BIG_UNITS: Final = ("", "万", "亿", "万亿")


@dataclass(frozen=True)
class CitedArticle:
    """引用条款: its path in the policy (e.g. ``四(一)``) and its text."""

    path: str
    text: str


@dataclass(frozen=True)
class RuleLine:
    """One line of the eligibility explanation (规则判定)."""

    rule: str
    article: str | None
    passed: bool
    message: str


@dataclass(frozen=True)
class DecisionLetter:
    kind: LetterKind
    title: str
    case_number: str
    applicant: str
    program_name: str
    policy: str
    decision_text: str
    reason: str | None
    articles: tuple[CitedArticle, ...]
    rules: tuple[RuleLine, ...]
    amount: Decimal | None
    amount_in_words: str | None
    issued_on: date
    issued_on_text: str
    issuer: str
    remedy: str | None
    #: 审核意见 of the decision.
    opinion: str | None = None
    #: 一次性告知: (item, what to correct), in order.
    items: tuple[tuple[str, str], ...] = ()
    #: 补正期限, and whether an overdue correction counts as withdrawn.
    due_on: date | None = None
    lapses: bool = False
    #: 认定证书编号 of a recognised space.
    certificate_number: str | None = None
    #: 受理通知书: the 查询码 and the promised completion date.
    query_code: str | None = None
    promised_on: date | None = None

    @property
    def failed_rules(self) -> tuple[RuleLine, ...]:
        return tuple(r for r in self.rules if not r.passed)

    @property
    def passed_rules(self) -> tuple[RuleLine, ...]:
        return tuple(r for r in self.rules if r.passed)


def chinese_date(day: date) -> str:
    """``2021年3月15日``."""
    return f"{day.year}年{day.month}月{day.day}日"


def _integer_words(n: int) -> str:
    digits = str(n)
    length = len(digits)
    out: list[str] = []
    zero_pending = False
    for i, ch in enumerate(digits):
        pos = length - 1 - i
        if ch == "0":
            zero_pending = True
        else:
            if zero_pending:
                out.append("零")
                zero_pending = False
            out.append(_DIGITS[int(ch)] + _UNITS[pos % 4])
        if pos % 4 == 0 and pos > 0 and int(digits[max(0, i - 3) : i + 1]):
            out.append(_BIG_UNITS[pos // 4])
    return "".join(out)


def amount_in_words(amount: Decimal) -> str:
    """大写金额, e.g. ``Decimal("1010.05")`` → ``人民币壹仟零壹拾元零伍分``."""
    cents = amount.quantize(Decimal("0.01"))
    if cents != amount or cents < 0:
        raise ValueError(f"金额须为非负且精确到分：{amount}")
    if cents >= Decimal(10) ** 16:
        raise ValueError(f"金额过大：{amount}")
    total = int(cents * 100)
    yuan, jiao, fen = total // 100, total // 10 % 10, total % 10
    if total == 0:
        return "人民币零元整"
    text = _integer_words(yuan) + "元" if yuan else ""
    if jiao:
        text += _DIGITS[jiao] + "角"
    if fen:
        if not jiao and yuan:
            text += "零"
        text += _DIGITS[fen] + "分"
    else:
        text += "整"
    return "人民币" + text


def _refs(articles: Sequence[CitedArticle]) -> str:
    return "、".join(a.path for a in articles)


def _cited_articles(cited: Sequence[str], article_texts: Mapping[str, str]) -> list[CitedArticle]:
    """The cited paths, each once, in order; one missing from the catalogue is kept,
    marked as not held."""
    seen: set[str] = set()
    articles: list[CitedArticle] = []
    for path in cited:
        if path not in seen:
            seen.add(path)
            articles.append(CitedArticle(path, article_texts.get(path, MISSING_ARTICLE_TEXT)))
    return articles


def _decision_text(
    kind: LetterKind,
    subject: str,
    basis: str,
    *,
    amount: Decimal | None,
    words: str | None,
    reason_text: str | None,
    items: Sequence[tuple[str, str]],
    due_on: date | None,
    lapses: bool,
    recognition: bool,
    certificate_number: str | None,
    query_code: str | None = None,
    promised_on: date | None = None,
    remedy: str = REMEDY_TEXT,
) -> tuple[str, str | None]:
    """The decision's sentence(s) about ``subject`` (申请人申报的“事项”), and the remedy
    (复议、诉讼) where the decision is adverse."""
    if kind == "receipt":
        text = f"{subject}，经审查，申请材料齐全、符合法定形式，决定予以受理。"
        if promised_on is not None:
            text += (
                f"承诺于{chinese_date(promised_on)}前办结（补正、专家评审和公示期间不计算在内，"
                "办结日期相应顺延）。"
            )
        if query_code:
            text += f"可凭申报编号和查询码{query_code}查询办理进度。"
        return text, None
    if kind == "certificate":
        return f"{subject}经审核，依据{basis}，认定为嘉兴市市级众创空间。特发此证。", None
    if kind == "approval" and recognition:
        text = (
            f"经审核，{subject}符合{basis}的规定，经专家评审和公示无异议，"
            "决定予以认定为市级众创空间。"
        )
        if certificate_number:
            text += f"认定证书编号：{certificate_number}。"
        return text, None
    if kind == "approval":
        text = f"经审核，{subject}符合{basis}的规定，经公示无异议，"
        if amount is not None:
            text += f"决定予以支持，核定扶持金额人民币{amount:,.2f}元（大写：{words}）。"
        else:
            text += "决定予以核准。"
        return text, None
    if kind == "rejection":
        text = f"经审核，{subject}不符合{basis}的规定，决定不予支持。理由：{reason_text}。"
        return text, remedy
    if kind == "decline":
        text = (
            f"{subject}，经审查，不符合受理条件，决定不予受理。理由：{reason_text}。依据：{basis}。"
        )
        return text, REMEDY_TEXT
    text = f"{subject}经审查，需补正材料，现予退回。"
    if items:
        text += f"需补正事项共{len(items)}项，逐项列明如下。"
    else:
        text += f"需补正事项：{reason_text}。"
    text += f"依据：{basis}。"
    if due_on is not None:
        text += f"请于{chinese_date(due_on)}前补正后重新提交。"
        if lapses:
            text += "逾期未补正的，视为撤回申报。"
    else:
        text += "请按要求补正后重新提交。"
    return text, None


def build_letter(
    kind: LetterKind,
    *,
    case_number: str,
    applicant: str,
    program_name: str,
    policy_title: str,
    policy_doc_number: str,
    article_texts: Mapping[str, str],
    cited: Sequence[str],
    issued_on: date,
    issuer: str,
    rules: Sequence[RuleLine] = (),
    amount: Decimal | None = None,
    reason: str | None = None,
    opinion: str | None = None,
    items: Sequence[tuple[str, str]] = (),
    due_on: date | None = None,
    lapses: bool = False,
    recognition: bool = False,
    certificate_number: str | None = None,
    query_code: str | None = None,
    promised_on: date | None = None,
    remedy_bodies: tuple[str, str] | None = None,
    subject: str | None = None,
) -> DecisionLetter:
    """The letter for one decision. ``article_texts`` maps article paths to their text;
    ``cited`` are the paths relied on, in order (one the catalogue lacks is kept, marked
    as not held). A rejection, return or decline states its ``reason``. ``remedy_bodies``
    (复议机关, 人民法院) name where an adverse decision may be challenged; ``subject``
    replaces “申请人申报的‘事项’” (a certificate names the space)."""
    if kind not in TITLES or (kind in _REASONED and not (reason and reason.strip())):
        raise ValueError(f"letter {kind!r}: unknown kind, or a reasoned one without reason")
    articles = _cited_articles(cited, article_texts)
    policy = f"《{policy_title}》（{policy_doc_number}）"
    basis = policy + (_refs(articles) if articles else "")
    words = amount_in_words(amount) if amount is not None else None
    reason_text = reason.strip().rstrip("。") if reason else None
    title = letter_title(kind, recognition=recognition)
    text, remedy = _decision_text(
        kind,
        subject or f"{applicant}申报的“{program_name}”",
        basis,
        amount=amount,
        words=words,
        reason_text=reason_text,
        items=items,
        due_on=due_on,
        lapses=lapses,
        recognition=recognition,
        certificate_number=certificate_number,
        query_code=query_code,
        promised_on=promised_on,
        remedy=remedy_text(*remedy_bodies) if remedy_bodies else REMEDY_TEXT,
    )
    return DecisionLetter(
        kind=kind,
        title=title,
        case_number=case_number,
        applicant=applicant,
        program_name=program_name,
        policy=policy,
        decision_text=text,
        reason=reason_text,
        articles=tuple(articles),
        rules=tuple(rules),
        amount=amount,
        amount_in_words=words,
        issued_on=issued_on,
        issued_on_text=chinese_date(issued_on),
        issuer=issuer,
        remedy=remedy,
        opinion=opinion.strip() if opinion and opinion.strip() else None,
        items=tuple(items),
        due_on=due_on,
        lapses=lapses,
        certificate_number=certificate_number,
        query_code=query_code,
        promised_on=promised_on,
    )
