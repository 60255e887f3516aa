"""The finalised record: printable, downloadable, amendable but never editable."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from coachbook.coaching.audit import audit
from coachbook.coaching.models import Record
from coachbook.coaching.permissions import allowed
from coachbook.coaching.records import as_ics, as_json, as_markdown, chain_hash
from coachbook.web.access import CoachbookRequest, get_record_for
from coachbook.web.forms import AmendmentForm


def _filename(record, ext: str) -> str:
    rep = record.rep.username or f"rep-{record.rep_id}"
    return f"coaching-record-{rep}-{record.number}-{record.content['date']}.{ext}"


def _record_context(request: CoachbookRequest, record, form: AmendmentForm) -> dict:
    user = request.user
    return {
        "record": record,
        "can_amend": allowed(user, "coaching.amend_record", record),
        "private_notes": record.session.private_notes
        if allowed(user, "coaching.view_private_notes", record.session)
        else "",
        "c": record.content,
        "amendments": record.amendments.select_related("author"),
        "form": form,
        # Checked on every view: a record changed behind the product's back shows it.
        "intact": chain_hash(record.content, record.previous_hash)
        == record.content_hash,
    }


@login_required
def record_page(request: CoachbookRequest, record_id: int) -> HttpResponse:
    if allowed(request.user, "coaching.read_record_audited"):
        return read_record(request, record_id)
    record = get_record_for(request.user, record_id)

    return render(
        request, "web/record.html", _record_context(request, record, AmendmentForm())
    )


class ReadReasonForm(forms.Form):
    reason = forms.CharField(
        label="Why do you need to read it?",
        min_length=10,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "required": "Give the reason; it goes into the audit log.",
            "min_length": "Say a little more: the reason goes into the audit log.",
        },
    )


@login_required
def read_record(request: CoachbookRequest, record_id: int) -> HttpResponse:
    """Sales ops read a record only by stating why, and the reading is audited."""
    if not allowed(request.user, "coaching.read_record_audited"):
        raise Http404("No such record.")
    record = get_object_or_404(
        Record.objects.select_related("session", "rep"), pk=record_id
    )
    form = ReadReasonForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return render(
            request,
            "web/record_reason.html",
            {"record": record, "form": form},
            status=400 if form.errors else 200,
        )
    reason = form.cleaned_data["reason"].strip()
    audit(
        request.user,
        record.session,
        "read record as sales ops",
        record,
        after={"reason": reason},
    )
    context = _record_context(request, record, AmendmentForm())
    context["audited_read"] = reason

    return render(request, "web/record.html", context)


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
    record = get_record_for(request.user, record_id, "coaching.amend_record")
    form = AmendmentForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "web/record.html",
            _record_context(request, record, form),
            status=400,
        )
    amendment = record.amend(
        request.user, form.cleaned_data["reason"], form.cleaned_data["text"]
    )
    messages.success(request, f"Amendment {amendment.number} added.")

    return redirect("web:record", record.pk)
