"""公民身份号码 (GB 11643) and 统一社会信用代码 (GB 32100): validation, district, masking.

Both are checked with python-stdnum on every entry path (registration, forms, API, roster).
No Flask, no models.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from stdnum import exceptions as stdnum_exc
from stdnum.cn import ric, uscc

#: GB/T 2260 codes of Jiaxing's districts (嘉兴市 330400).
JIAXING_DISTRICTS: dict[str, str] = {
    "330402": "南湖区",
    "330411": "秀洲区",
    "330421": "嘉善县",
    "330424": "海盐县",
    "330481": "海宁市",
    "330482": "平湖市",
    "330483": "桐乡市",
}
JIAXING_CITY = "330400"
JIAXING_PREFIX = "3304"


def district_name(code: str | None) -> str:
    if not code:
        return ""
    if code == JIAXING_CITY:
        return "嘉兴市（市本级）"
    return JIAXING_DISTRICTS.get(code, code)


def is_jiaxing_code(code: str) -> bool:
    return code.startswith(JIAXING_PREFIX)


@dataclass(frozen=True)
class IdNumber:
    """A validated 公民身份号码."""

    number: str
    birth_date: date
    address_code: str

    @property
    def masked(self) -> str:
        return mask_id_number(self.number)


@dataclass(frozen=True)
class CreditCode:
    """A validated 统一社会信用代码."""

    code: str
    district_code: str

    @property
    def in_jiaxing(self) -> bool:
        return is_jiaxing_code(self.district_code)


class IdentityError(ValueError):
    """Why a number was refused, in Chinese (``message``) and English (``message_en``)."""

    def __init__(self, message: str, message_en: str) -> None:
        super().__init__(message)
        self.message = message
        self.message_en = message_en


def parse_id_number(value: str) -> IdNumber:
    """Validate a 公民身份号码: 18 characters, real birth date, MOD 11-2 check digit."""
    raw = (value or "").strip().upper().replace(" ", "")
    if len(raw) != 18:
        raise IdentityError("身份证号必须为18位。", "The identity number must have 18 characters.")
    try:
        number = ric.validate(raw)
    except stdnum_exc.InvalidChecksum as exc:
        raise IdentityError(
            "身份证号校验位不正确，请核对。", "The identity number's check digit is wrong."
        ) from exc
    except stdnum_exc.InvalidComponent as exc:
        raise IdentityError(
            "身份证号中的出生日期或地址码无效。",
            "The birth date or address code in the identity number is invalid.",
        ) from exc
    except stdnum_exc.ValidationError as exc:
        raise IdentityError(
            "身份证号格式不正确（17位数字加校验位0-9或X）。",
            "The identity number has an invalid format.",
        ) from exc
    return IdNumber(number=number, birth_date=ric.get_birth_date(number), address_code=number[:6])


def parse_credit_code(value: str) -> CreditCode:
    """Validate a 统一社会信用代码: 18 characters of 0-9A-HJ-NPQRTUW-Y, MOD 31 check."""
    raw = (value or "").strip().upper().replace(" ", "")
    if len(raw) != 18:
        raise IdentityError(
            "统一社会信用代码必须为18位。", "The credit code must have 18 characters."
        )
    try:
        code = uscc.validate(raw)
    except stdnum_exc.InvalidChecksum as exc:
        raise IdentityError(
            "统一社会信用代码校验位不正确，请核对。", "The credit code's check character is wrong."
        ) from exc
    except stdnum_exc.ValidationError as exc:
        raise IdentityError(
            "统一社会信用代码格式不正确（不得含字母I、O、Z、S、V）。",
            "The credit code has an invalid format.",
        ) from exc
    return CreditCode(code=code, district_code=code[2:8])


def is_valid_id_number(value: str) -> bool:
    try:
        parse_id_number(value)
    except IdentityError:
        return False
    return True


def is_valid_credit_code(value: str) -> bool:
    try:
        parse_credit_code(value)
    except IdentityError:
        return False
    return True


def mask_id_number(number: str) -> str:
    """``330402199001011234`` → ``330402********1234``: district kept, birth date hidden."""
    if not number:
        return ""
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_name(name: str) -> str:
    """Person names on public notices: ``张三`` → ``张*``, ``张小三`` → ``张*三``."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str) -> str:
    phone = (phone or "").strip()
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def make_credit_code(district: str, body: str) -> str:
    """Build a valid code from a district and a 9-character body (demo data, tests)."""
    stem = "91" + district + body
    return stem + uscc.calc_check_digit(stem)


def make_id_number(address_code: str, birth: date, seq: int) -> str:
    """Build a valid identity number (demo data, tests)."""
    stem = f"{address_code}{birth:%Y%m%d}{seq % 1000:03d}"
    return stem + ric.calc_check_digit(stem + "0")
