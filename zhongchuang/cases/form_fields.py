"""A WTForms form built from a program's fields (申报字段) as the catalogue states them.

The form checks shape only (length, choice); the policy package parses each value and
says, in Chinese, what is wrong with it (``services.eligibility.clean_data``).
"""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from zhongchuang.forms.choices import to_choices
from zhongchuang.policy.identity import JIAXING_DISTRICTS

INPUT_TYPES = {
    "date": "date",
    "month": "month",
    "integer": "text",
    "decimal": "text",
    "money": "text",
}
INPUT_MODES = {"integer": "numeric", "decimal": "decimal", "money": "decimal"}


def _label(spec: Any) -> str:
    if str(get_locale()) == "en" and getattr(spec, "label_en", None):
        return spec.label_en
    return spec.label


def _program_field(spec: Any, maker_spaces: list[tuple[str, str]] | None) -> Any:
    """The WTForms field for one program field: a select for choices, else text."""
    label = _label(spec)
    kw: dict[str, Any] = {"description": spec.help or "", "validators": [Optional()]}
    if spec.type == "enum":
        choices = to_choices([("", "请选择")] + [(c.value, c.label) for c in spec.choices or []])
        return SelectField(label, choices=choices, **kw)
    if spec.type == "boolean":
        return SelectField(
            label, choices=to_choices([("", "请选择"), ("true", "是"), ("false", "否")]), **kw
        )
    if spec.type == "district":
        choices = to_choices(
            [("", "请选择")] + [(k, f"{v}（{k}）") for k, v in JIAXING_DISTRICTS.items()]
        )
        return SelectField(label, choices=choices, **kw)
    if spec.type == "maker_space":
        choices = to_choices([("", "请选择")] + list(maker_spaces or []))
        return SelectField(label, choices=choices, validate_choice=False, **kw)
    if spec.type == "text":
        kw["validators"].append(Length(max=5000))
        return TextAreaField(label, **kw)
    kw["validators"].append(Length(max=300))
    render: dict[str, Any] = {}
    if spec.type in INPUT_TYPES:
        render["type"] = INPUT_TYPES[spec.type]
    if spec.type in INPUT_MODES:
        render["inputmode"] = INPUT_MODES[spec.type]
    if spec.type == "month":
        render["placeholder"] = "YYYY-MM"
    return StringField(label, render_kw=render or None, **kw)


def build_program_form(
    program_spec: Any, prefix: str = "", maker_spaces: list[tuple[str, str]] | None = None
) -> type[FlaskForm]:
    """A form class with one field per program field, in the catalogue's order."""

    class ProgramForm(FlaskForm):
        field_names: list[str] = []

        def values(self) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for name in self.field_names:
                raw = getattr(self, name).data
                if raw is None:
                    continue
                if isinstance(raw, str):
                    raw = raw.strip()
                    if raw == "":
                        continue
                out[name] = raw
            return out

        def fill(self, data: dict[str, Any]) -> None:
            for name in self.field_names:
                if name in data and data[name] is not None:
                    value = data[name]
                    if isinstance(value, bool):
                        value = "true" if value else "false"
                    getattr(self, name).data = str(value)

    names = []
    for spec in program_spec.fields:
        setattr(ProgramForm, spec.name, _program_field(spec, maker_spaces))
        names.append(spec.name)
    ProgramForm.field_names = names
    if prefix:
        ProgramForm.Meta = type("Meta", (), {})  # type: ignore[misc]
    return ProgramForm
