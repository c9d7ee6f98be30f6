"""Administration of the matchmaking: the outcomes the city reports (对接 / 授信 / 放款),
the coverage of listed needs, and why institutions said no."""

import io

from flask import render_template, request, send_file

from app.admin import bp
from app.models import EXIT_STATUSES, PIPELINE_STAGES, RejectionReason
from app.pagination import paginate
from app.reference import district_choices
from app.services.formatting import today
from app.services.outcomes import coverage, figures, report
from app.services.params import BadNumber, parse_int


@bp.get("/financing")
def financing():
    dimension = request.args.get("by")
    if dimension not in report.DIMENSIONS:
        dimension = "district"
    return render_template("admin/financing.html", totals=figures.totals(), dimension=dimension,
                           rows=report.breakdown(dimension), dimensions=report.DIMENSIONS,
                           need_side=dimension in report.NEED_SIDE)


@bp.get("/financing.xlsx")
def financing_xlsx():
    dimension = request.args.get("by")
    if dimension not in report.DIMENSIONS:
        dimension = "district"
    response = send_file(
        io.BytesIO(report.outcomes_xlsx(dimension)),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True, download_name=f"financing-outcomes-{dimension}-{today().isoformat()}.xlsx")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/financing/coverage")
def financing_coverage():
    """Listed needs with their followers and interests by stage; "no interest after N days"
    narrows to the needs nobody has taken up (N defaults to INTEREST_ALERT_DAYS)."""
    default_days = coverage.unanswered_after_days()
    unanswered = request.args.get("unanswered") == "1"
    days_error = None
    try:
        days = parse_int(request.args.get("days"), minimum=0, maximum=3650)
    except BadNumber as refused:
        days, days_error = None, str(refused)
    days = default_days if days is None else days
    districts = dict(district_choices())
    district = request.args.get("district") if request.args.get("district") in districts else None
    query = coverage.coverage_query(without_interest_after=days if unanswered else None, district=district)
    page = paginate(query)
    return render_template("admin/financing_coverage.html", page=page, figures=coverage.coverage_of(page.items), unanswered=unanswered, days=days,
                           days_error=days_error, district=district, district_choices=district_choices(),
                           stages=PIPELINE_STAGES, exits=EXIT_STATUSES)


@bp.get("/financing/refusals")
def financing_refusals():
    declined = request.args.get("side") == "owner"
    reason = next((r for r in RejectionReason if r.value == request.args.get("reason")), None)
    page = paginate(coverage.refusals_query(reason=reason, declined=declined))
    return render_template("admin/financing_refusals.html", page=page, reason=reason, declined=declined,
                           summary=coverage.blocking_reasons(), RejectionReason=RejectionReason)
