"""Imports for sales ops from the browser: upload, watch the progress, read the report."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from coachbook.coaching.permissions import allowed
from coachbook.crm.importers import jobs
from coachbook.crm.importers.crm_export import export_day_problem
from coachbook.crm.models import ImportJob
from coachbook.web.access import CoachbookRequest

SOURCES = [
    (
        "salesforce",
        "Salesforce export (Opportunity, OpportunityHistory, Task, Event, User, Account)",
    ),
    ("hubspot", "HubSpot export (deals, deal stages, owners, teams, engagements)"),
    ("maven", "Maven CRM sample (the five CSVs)"),
    ("targets", "Quotas (rep, period, quota)"),
    ("activity-targets", "Activity targets (rep, activity, per_week)"),
    ("rates", "Currency rates (currency, rate, valid_from)"),
]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)]


class ImportForm(forms.Form):
    source = forms.ChoiceField(choices=SOURCES, label="What are you importing?")
    uploads = MultipleFileField(
        label="Files",
        help_text="The export's CSV files, or one .zip holding them.",
    )
    as_of = forms.DateField(
        required=False,
        label="Exported on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Changes since the previous export are dated by this day. Empty: today.",
    )
    mapping = forms.FileField(
        required=False,
        label="Mapping file (optional)",
        help_text="A .toml file that renames columns or stages for your org.",
    )
    owner = forms.CharField(
        required=False,
        max_length=200,
        label="Owner, if the export has no owner column",
    )
    day_first = forms.BooleanField(
        required=False, label="Dates are written day first (31/12/2024)"
    )
    partial = forms.BooleanField(
        required=False,
        label="Import the good rows and list the rejected ones",
        help_text="Otherwise one bad row stops the whole import and nothing changes.",
    )

    def clean_as_of(self) -> date | None:
        day = self.cleaned_data["as_of"]
        problem = export_day_problem(day) if day else None
        if problem:
            raise forms.ValidationError(f"{problem}.")
        return day


def _sales_ops(request: CoachbookRequest) -> None:
    if not allowed(request.user, "crm.run_import"):
        raise Http404("No such page.")


@login_required
def imports(request: CoachbookRequest) -> HttpResponse:
    _sales_ops(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            job = ImportJob.objects.create(
                source=data["source"],
                folder="",
                started_by=request.user,
                options={
                    "as_of": data["as_of"].isoformat() if data["as_of"] else None,
                    "owner": data["owner"],
                    "day_first": data["day_first"],
                    "partial": data["partial"],
                },
            )
            folder = jobs.upload_folder(job.pk)
            folder.mkdir(parents=True, exist_ok=True)
            for upload in data["uploads"]:
                jobs.unpack(upload, folder)
            if data["mapping"]:
                with open(folder / "mapping.toml", "wb") as out:
                    for chunk in data["mapping"].chunks():
                        out.write(chunk)
            job.folder = str(folder)
            job.save(update_fields=["folder"])
            transaction.on_commit(lambda: jobs.start(job))
        return redirect("web:import_job", job.pk)

    return render(
        request,
        "web/imports.html",
        {"form": form, "recent": ImportJob.objects.select_related("run")[:10]},
        status=400 if form.errors else 200,
    )


@login_required
def import_job(request: CoachbookRequest, job_id: int) -> HttpResponse:
    _sales_ops(request)
    job = get_object_or_404(ImportJob.objects.select_related("run"), pk=job_id)
    job.read_progress()
    template = (
        "web/partials/import_progress.html" if request.htmx else "web/import_job.html"
    )
    return render(request, template, {"job": job, "today": date.today()})


@login_required
def import_rejections(request: CoachbookRequest, job_id: int) -> FileResponse:
    _sales_ops(request)
    job = get_object_or_404(ImportJob, pk=job_id)
    if not job.rejections_file:
        raise Http404("This import rejected no rows.")
    return FileResponse(
        open(job.rejections_file, "rb"),  # noqa: SIM115 - FileResponse closes it
        as_attachment=True,
        filename=f"rejected-rows-import-{job.pk}.csv",
        content_type="text/csv",
    )
