"""The finalised record: printable, downloadable, amendable but never editable."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from coachbook.coaching.records import as_ics, as_json, as_markdown, chain_hash
from coachbook.web.access import CoachbookRequest, get_record_for
from coachbook.web.forms import AmendmentForm


def _filename(record, ext: str) -> str:
    rep = record.rep.username or f"rep-{record.rep_id}"
    return f"coaching-record-{rep}-{record.number}-{record.content['date']}.{ext}"


def _record_context(record, form: AmendmentForm) -> dict:
    return {
        "record": record,
        "c": record.content,
        "amendments": record.amendments.select_related("author"),
        "form": form,
        # Checked on every view: a record changed behind the product's back shows it.
        "intact": chain_hash(record.content, record.previous_hash)
        == record.content_hash,
    }


@login_required
def record_page(request: CoachbookRequest, record_id: int) -> HttpResponse:
    record = get_record_for(request.user, record_id)

    return render(request, "web/record.html", _record_context(record, AmendmentForm()))


@login_required
def download(request: CoachbookRequest, record_id: int, fmt: str) -> HttpResponse:
    record = get_record_for(request.user, record_id)
    body: str | bytes
    if fmt == "json":
        body, mime = as_json(record), "application/json"
    elif fmt == "md":
        body, mime = as_markdown(record), "text/markdown; charset=utf-8"
    elif fmt == "ics" and (invite := as_ics(record)):
        body, mime = invite, "text/calendar; charset=utf-8"
    else:
        raise Http404("Records download as .md, .json or .ics.")
    response = HttpResponse(body, content_type=mime)
    response["Content-Disposition"] = f'attachment; filename="{_filename(record, fmt)}"'

    return response


@login_required
@require_POST
def amend(request: CoachbookRequest, record_id: int) -> HttpResponse:
    record = get_record_for(request.user, record_id)
    form = AmendmentForm(request.POST)
    if not form.is_valid():
        return render(
            request, "web/record.html", _record_context(record, form), status=400
        )
    amendment = record.amend(
        request.user, form.cleaned_data["reason"], form.cleaned_data["text"]
    )
    messages.success(request, f"Amendment {amendment.number} added.")

    return redirect("web:record", record.pk)
