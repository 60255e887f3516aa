"""One place that decides between a fragment and a full page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def render_step(
    request: HttpRequest, partial: str, page: str, context: dict, status: int = 200
) -> HttpResponse:
    """A step's fragment for HTMX requests; the whole page (which includes it) otherwise."""
    template = partial if getattr(request, "htmx", False) else page
    return render(request, template, context, status=status)
