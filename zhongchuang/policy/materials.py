"""申报材料 — which of a program's attachments are required on a date.

An attachment is required either by the catalogue itself (``required: true``, where the
published rules name it) or, where no published text says, by a program parameter of unit
``flag`` (1 required, 0 optional) that the attachment names in ``required_param``: such a
parameter is dated like every other one and marked ``confirmed: false`` until a text
confirms it, so an administrator changes the decision in the catalogue, without code.

:func:`materials_on` is the one answer, asked by the program page, the 材料清单, the case
page, the API and the submission alike. Plain values in and out.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from zhongchuang.policy.catalogue import AttachmentSpec
from zhongchuang.policy.parameters import ParameterError, ParameterTable

#: ``required_by`` of an attachment whose required/optional the catalogue itself fixes.
BY_CATALOGUE = "catalogue"


@dataclass(frozen=True)
class Material:
    """One kind of attachment of a program, as it stands on ``on``."""

    kind: str
    label: str
    label_en: str | None
    help: str | None
    required: bool
    #: ``"catalogue"``, or the name of the ``flag`` parameter that decides.
    required_by: str
    #: Whether a published text backs the decision (the attachment's own ``confirmed``
    #: for the catalogue's, the parameter's record for a flag's).
    confirmed: bool
    #: Where a flag decides: the parameter's source note on that day (else ``None``).
    source: str | None = None

    @property
    def by_parameter(self) -> bool:
        return self.required_by != BY_CATALOGUE


def material_on(spec: AttachmentSpec, params: ParameterTable, on: date) -> Material:
    """The attachment ``spec`` on ``on``. A flag with no value that day leaves the
    attachment optional (nothing published requires it then)."""
    base = Material(
        kind=spec.kind,
        label=spec.label,
        label_en=spec.label_en,
        help=spec.help,
        required=spec.required,
        required_by=BY_CATALOGUE,
        confirmed=spec.confirmed,
    )
    if spec.required_param is None:
        return base
    try:
        record = params.record(spec.required_param, on)
    except ParameterError:
        return replace(base, required=False, required_by=spec.required_param, confirmed=False)
    return replace(
        base,
        required=int(record.value) == 1,
        required_by=spec.required_param,
        confirmed=record.confirmed,
        source=record.source,
    )


def materials_on(
    attachments: Iterable[AttachmentSpec], params: ParameterTable, on: date
) -> list[Material]:
    """Every attachment of a program on ``on``, in catalogue order."""
    return [material_on(spec, params, on) for spec in attachments]


def missing(materials: Sequence[Material], have: Collection[str]) -> list[Material]:
    """The required ones among ``materials`` whose kind is not in ``have`` (提交前必备)."""
    return [m for m in materials if m.required and m.kind not in have]
