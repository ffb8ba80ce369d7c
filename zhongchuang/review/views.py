"""The reviewer workspace (审核工作台): queues per role with batch actions, notices and
objections, expert assignment, disbursement, exports and statistics (experts score
through the case page's generic action form).

Views load (404 when absent or not visible), authorise, call a service, then render or
redirect. Every rule lives in the services and the workflow engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, Final
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

from zhongchuang.accounts.views import apply_field_errors, safe_next
from zhongchuang.cases import engine as cases
from zhongchuang.cases.queries import EVENT_TITLES
from zhongchuang.cases.queries import ROLE_LABELS as CASE_ROLE_LABELS
from zhongchuang.errors import NotFound, ValidationFailed
from zhongchuang.extensions import login_manager
from zhongchuang.policy.identity import JIAXING_CITY, JIAXING_DISTRICTS, district_name
from zhongchuang.review import batch_actions as review
from zhongchuang.review import experts, exports, queues
from zhongchuang.review.forms import (
    ROLE_LABELS,
    RULING_CHOICES,
    VIEW_LABELS,
    AssignExpertsForm,
    BatchActionForm,
    DisburseForm,
    ExportForm,
    PublishForm,
    QueueFilterForm,
    RulingForm,
    district_choices,
    options,
)
from zhongchuang.review.queue_counts import remember_queue_count
from zhongchuang.runtime import ProcessCache
from zhongchuang.stats import charts
from zhongchuang.stats import queries as stats_service
from zhongchuang.web.i18n import gettext as _
from zhongchuang.workflow.machine import STAFF_ROLES, STATES, action_label, state_label

bp = Blueprint("reviewer", __name__, url_prefix="/review", template_folder="templates")


@bp.before_request
def _staff_only():  # noqa: ANN202
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.has_role(*STAFF_ROLES):
        abort(403)
    return None


# --- template helpers (also used by templates/cases/_staff_panel.html) -------------------


def _lang() -> str:
    return "en" if str(get_locale()) == "en" else "zh"


def case_url(case_id: int) -> str:
    """The case page (a fixed path, API.md)."""
    return f"{request.script_root}/applications/{case_id}"


def _staff_panel(case: Any) -> review.StaffPanel | None:
    if case is None or getattr(case, "id", None) is None:
        return None
    try:
        return review.staff_panel(current_user, case)
    except NotFound:
        return None


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    return {
        "staff_panel": _staff_panel,
        "rv_case_url": case_url,
        "rv_state_label": lambda s: state_label(s, _lang()),
        "rv_event_label": _event_label,
        "rv_role_label": _role_label,
    }


def _event_label(event: Any) -> str:
    """An audit event's step in words: the action's label, else the event kind's title."""
    if event.action:
        return action_label(event.action, _lang())

    return EVENT_TITLES.get(event.kind, event.kind)


def _role_label(role: str | None) -> str:

    return CASE_ROLE_LABELS.get(role or "", role or "")


def _back(default: str) -> str:
    return safe_next(request.form.get("next")) or default


def _require_valid(form: Any, message: str) -> None:
    if not form.validate_on_submit():
        errors = {k: [str(m) for m in v] for k, v in form.errors.items()}
        raise ValidationFailed(message, errors=errors)


# --- queues ------------------------------------------------------------------------------


def _set_filter_choices(
    form: QueueFilterForm, roles: list[str], role: str | None, choices: queues.FilterChoices
) -> None:
    everything = _("全部")
    form.role.choices = options([("", _("全部队列"))] + [(r, ROLE_LABELS[r]) for r in roles])
    form.program.choices = options([("", everything), *choices.programs])
    lang = _lang()
    form.state.choices = options(
        [("", everything)] + [(s, state_label(s, lang)) for s in queues.FILTER_STATES]
    )
    form.district.choices = district_choices()
    form.batch.choices = options(
        [("", everything)]
        + [
            (str(bid), name or f"{year} · {program}")
            for bid, name, year, program in choices.batches
        ]
    )


def _filter_form(
    roles: list[str], role: str | None, choices: queues.FilterChoices
) -> QueueFilterForm:
    form = QueueFilterForm(formdata=request.args)
    _set_filter_choices(form, roles, role, choices)
    return form


@dataclass(frozen=True)
class _ParsedQuery:
    """What a valid query string of the queue means, and its filter form's HTML."""

    filters: queues.QueueFilters
    sort: str | None
    html: Markup


#: Valid query strings of the queue, per process, by everything their meaning and their
#: filter form depend on: the query string (not the page's cursor, which the form neither
#: shows nor checks), the language, the user's queues and the programs and batches offered.
#: Parsing the query through WTForms and rendering its form (some seventy options) cost
#: more than the rest of the page's head, and most requests repeat one of a few query
#: strings. A query string with errors is parsed afresh each time, its messages shown.
_PARSED: ProcessCache[tuple[Any, ...], _ParsedQuery] = ProcessCache(most=256)


def _query_key(
    roles: list[str], role: str | None, choices: queues.FilterChoices
) -> tuple[Any, ...]:
    return (
        str(get_locale()),
        request.script_root,
        tuple(roles),
        role,
        bool(request.args),  # the form is shown open
        tuple(item for item in request.args.items(multi=True) if item[0] != "cursor"),
        choices,
    )


def _filters_html(form: QueueFilterForm, roles: list[str], role: str | None) -> Markup:
    html = render_template("reviewer/_queue_filters.html", form=form, roles=roles, role=role)
    return Markup(html)  # noqa: S704 - an autoescaped template's output


#: The batch form's list of actions per language: its choices are fixed, and building a
#: form to render them cost as much as ten rows of the queue.
_BATCH_SELECT: dict[str, Markup] = {}


def _batch_action_select() -> Markup:
    lang = str(get_locale())
    html = _BATCH_SELECT.get(lang)
    if html is None:
        form = BatchActionForm(formdata=None, meta={"csrf": False})
        html = _BATCH_SELECT[lang] = Markup(form.action(id="batch-action"))  # noqa: S704
    return html


class _DistrictNames(dict[str, str]):
    """``district_name`` for a template's rows as a subscript (a call per row costs more):
    the city's codes looked up, any other code named by ``district_name`` as it comes."""

    def __missing__(self, code: str) -> str:
        return district_name(code)


DISTRICT_NAMES: Final = _DistrictNames(
    {code: district_name(code) for code in (*JIAXING_DISTRICTS, JIAXING_CITY)}
)


def _row_texts() -> dict[str, str]:
    """The texts of the queue's rows, translated once per page rather than once per row.
    The template fills them in with ``|format(n=...)`` and escapes the result, as it
    escapes any text."""
    return {
        "select": _("选择 %(n)s"),
        "days_left": _("剩 %(n)s 个工作日"),
        "days_overdue": _("超期 %(n)s 个工作日"),
        "overdue": _("超期"),
        "expert_scores": _("专家评分 %(n)s 份"),
        "open_objections": _("异议 %(n)s 件待处理"),
        "payment_reference": _("支付凭证号"),
        "disburse": _("登记拨付"),
    }


def _state_labels() -> dict[str, str]:
    lang = _lang()
    return {s: state_label(s, lang) for s in STATES}


def _filters(form: QueueFilterForm) -> queues.QueueFilters:
    return queues.QueueFilters(
        role=form.role.data or None,
        program=form.program.data or None,
        state=form.state.data or None,
        district=form.district.data or None,
        batch_id=int(form.batch.data) if form.batch.data else None,
        submitted_from=form.submitted_from.data,
        submitted_to=form.submitted_to.data,
        amount_min=form.amount_min.data,
        amount_max=form.amount_max.data,
        q=form.q.data or None,
        overdue=bool(form.overdue.data),
        view=form.view.data or queues.DEFAULT_VIEW,
    )


@bp.route("")
def queue():  # noqa: ANN201
    roles = queues.queue_roles(current_user)
    if not roles:
        return redirect(url_for(".stats"))
    role = request.args.get("role") if request.args.get("role") in roles else None
    choices = queues.filter_choices()
    # Templates being edited (auto reload) are rendered afresh: nothing is remembered.
    remember = not current_app.jinja_env.auto_reload
    key = _query_key(roles, role, choices)
    parsed = _PARSED.find(key) if remember else None
    form: QueueFilterForm | None = None
    page = None
    status = 200
    if parsed is not None:
        filters, sort = parsed.filters, parsed.sort
    else:
        form = _filter_form(roles, role, choices)
        if request.args and not form.validate():
            status = 422
        else:
            filters, sort = _filters(form), form.sort.data or None
    if status == 200:
        try:
            page = queues.queue_page(
                current_user, filters, sort, request.args.get("cursor") or None
            )
        except ValidationFailed as exc:
            if form is None:  # a remembered query string, with a cursor that is not valid
                form = _filter_form(roles, role, choices)
                form.validate()
            apply_field_errors(form, exc)
            status = 422
        else:
            remember_queue_count(current_user, page.waiting)
    if form is None:
        filters_html = parsed.html  # type: ignore[union-attr]
    else:
        filters_html = _filters_html(form, roles, role)
        if remember and not form.errors:
            _PARSED.keep(key, _ParsedQuery(filters, sort, filters_html))
    args = {k: v for k, v in request.args.items() if k != "cursor"}
    next_url = (
        url_for(".queue", **args, cursor=page.next_cursor) if page and page.next_cursor else None
    )
    first_url = url_for(".queue", **args) if request.args.get("cursor") else None
    return (
        render_template(
            "reviewer/queue.html",
            form=form,
            filters_html=filters_html,
            page=page,
            roles=roles,
            role=role,
            role_labels=ROLE_LABELS,
            next_url=next_url,
            first_url=first_url,
            batch_action_select=_batch_action_select(),
            texts=_row_texts(),
            state_labels=_state_labels(),
            district_names=DISTRICT_NAMES,
            view=filters.view if status == 200 else request.args.get("view", "waiting"),
            view_labels=VIEW_LABELS,
        ),
        status,
    )


@bp.route("/batch", methods=["POST"])
def batch_action():  # noqa: ANN201
    form = BatchActionForm()
    _require_valid(form, _("批量操作的内容不完整。"))
    selection = review.parse_selection(form.selected.data or [])
    results = review.batch_act(current_user, selection, form.action.data)
    return render_template(
        "reviewer/results.html",
        title=_("批量%(action)s结果", action=action_label(form.action.data, _lang())),
        results=results,
        back=url_for(".queue"),
    )


@bp.route("/applications/<int:case_id>/disburse", methods=["POST"])
def disburse(case_id: int):  # noqa: ANN201
    cases.get_visible(current_user, case_id)
    form = DisburseForm()
    _require_valid(form, _("请填写支付凭证号。"))
    case = cases.act(
        current_user,
        case_id,
        "disburse",
        cases.ActionInput(version=form.version.data, payment_reference=form.payment_reference.data),
    )
    flash(_("申报 %(n)s 已登记拨付。", n=case.number), "success")
    return redirect(_back(url_for(".queue")), 303)


# --- expert review -------------------------------------------------------------------------


@bp.route("/applications/<int:case_id>/experts", methods=["POST"])
def assign_experts(case_id: int):  # noqa: ANN201
    cases.get_visible(current_user, case_id)
    form = AssignExpertsForm()
    _require_valid(form, _("请选择专家。"))
    added = experts.assign_experts(current_user, case_id, form.experts.data or [])
    flash(_("已指派 %(n)s 名专家。", n=len(added)), "success")
    return redirect(_back(case_url(case_id)), 303)


# --- notices and objections ------------------------------------------------------------------


@bp.route("/notices")
def notices():  # noqa: ANN201
    if not current_user.has_role("city_reviewer", "admin"):
        abort(403)
    return render_template(
        "reviewer/notices.html",
        overview=review.notices_overview(current_user),
        ruling_form=RulingForm(formdata=None),
    )


@bp.route("/notices/new", methods=["GET", "POST"])
def publish():  # noqa: ANN201
    if not current_user.has_role("city_reviewer"):
        abort(403)
    form = PublishForm()
    if request.method == "GET":
        form.working_days.data = review.default_notice_days()
    candidates = review.publishable_cases(current_user)
    status = 200
    chosen: set[int] = set()
    if request.method == "POST":
        if form.validate_on_submit():
            chosen = {i for i, _v in review.parse_selection(form.selected.data or [])}
            if request.form.get("op") == "publish":
                result, outcomes = review.publish(
                    current_user,
                    sorted(chosen),
                    form.working_days.data,
                    form.title.data or None,
                )
                return render_template(
                    "reviewer/results.html",
                    title=_("发布公示结果"),
                    results=outcomes,
                    notice=result.notice,
                    back=url_for(".notices"),
                )
        else:
            status = 422
    preview = None
    if not form.working_days.errors and form.working_days.data:
        try:
            preview = review.notice_preview(form.working_days.data)
        except ValidationFailed as exc:
            apply_field_errors(form, exc)
            status = 422
    return (
        render_template(
            "reviewer/publish.html",
            form=form,
            candidates=candidates,
            chosen=chosen,
            preview=preview,
        ),
        status,
    )


@bp.route("/objections/<int:objection_id>/rule", methods=["POST"])
def rule_objection(objection_id: int):  # noqa: ANN201
    form = RulingForm()
    _require_valid(form, _("处理异议须选择结果并填写理由。"))
    case = review.rule_objection(
        current_user,
        objection_id,
        form.decision.data,
        form.reason.data,
        review.parse_articles(form.articles.data),
        form.version.data,
    )
    flash(
        _(
            "已处理申报 %(n)s 的异议：%(d)s。",
            n=case.number,
            d=dict(RULING_CHOICES)[form.decision.data],
        ),
        "success",
    )
    return redirect(_back(url_for(".notices")), 303)


# --- exports ---------------------------------------------------------------------------------


def _export_choices(form: ExportForm) -> None:
    form.program.choices = options([("", _("全部")), *queues.filter_choices().programs])
    form.district.choices = district_choices()


@bp.route("/exports")
def exports_page():  # noqa: ANN201
    if not exports.may_export(current_user):
        abort(403)
    form = ExportForm(formdata=None)
    _export_choices(form)
    return render_template("reviewer/exports.html", form=form)


@bp.route("/exports/approved.xlsx")
def export_xlsx():  # noqa: ANN201
    if not exports.may_export(current_user):
        abort(403)
    form = ExportForm(formdata=request.args)
    _export_choices(form)
    if not form.validate():
        errors = {k: [str(m) for m in v] for k, v in form.errors.items()}
        raise ValidationFailed(_("导出条件有误。"), errors=errors)
    fileobj, name, _count = exports.export_cases(
        current_user,
        exports.ExportFilters(
            program=form.program.data or None,
            state=form.state.data or None,
            district=form.district.data or None,
            year=form.year.data,
        ),
    )
    return Response(
        _chunks(fileobj),
        mimetype=exports.XLSX_MIMETYPE,
        headers={
            "Content-Disposition": _attachment(name),
            "Content-Length": str(_size(fileobj)),
            "Cache-Control": "no-store",
        },
    )


def _size(fileobj: IO[bytes]) -> int:
    fileobj.seek(0, 2)
    size = fileobj.tell()
    fileobj.seek(0)
    return size


def _chunks(fileobj: IO[bytes], size: int = 64 * 1024) -> Iterator[bytes]:
    """Stream the file and close it, also when the client goes away."""
    try:
        while chunk := fileobj.read(size):
            yield chunk
    finally:
        fileobj.close()


def _attachment(filename: str) -> str:
    ascii_name = "export.xlsx"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


# --- statistics --------------------------------------------------------------------------------


@bp.route("/stats")
def stats():  # noqa: ANN201
    data = stats_service.cached_summary(current_user)
    computed_at = datetime.fromisoformat(data["computed_at"])
    ttl = stats_service.ttl_seconds()
    figures = {
        "program": charts.hbar_chart(
            [(p["name"], p["count"]) for p in data["by_program"]],
            title=_("各扶持事项申报件数"),
            chart_id="chart-program",
        ),
        "district": charts.hbar_chart(
            [(d["name"], float(d["approved_amount"])) for d in data["by_district"]],
            title=_("各县（市、区）核定金额（元）"),
            chart_id="chart-district",
            fmt=lambda v: f"{v:,.2f}",
        ),
        "state": charts.hbar_chart(
            [(state_label(s["state"], _lang()), s["count"]) for s in data["by_state"]],
            title=_("各状态件数"),
            chart_id="chart-state",
        ),
        "targets": charts.progress_chart(
            [
                (
                    t["label"],
                    t["actual"],
                    t["target"],
                    f"{t['actual']} / {t['target']} {t['unit']}"
                    if t["actual"] is not None
                    else f"{_('目标')} {t['target']:,} {t['unit']}",
                )
                for t in data["targets"]
            ],
            title=_("2020年工作目标进度"),
            chart_id="chart-targets",
            missing=_("暂无数据来源"),
        ),
    }
    return render_template(
        "reviewer/stats.html",
        data=data,
        figures=figures,
        computed_at=computed_at,
        cached=ttl > 0,
        ttl_minutes=max(1, round(ttl / 60)),
    )
