"""The session page's forms, split by topic; import them from here."""

from coachbook.web.forms.actions import ActionForm, DispositionForm
from coachbook.web.forms.rep_side import (
    DealUpdateForm,
    PrivateNotesForm,
    ReportDoneForm,
    VerifyActionForm,
)
from coachbook.web.forms.sessions import (
    AmendmentForm,
    CloseForm,
    OpenSessionForm,
    PlanSessionForm,
    UrgentTopicForm,
)
from coachbook.web.forms.steps import (
    DealReviewForm,
    DevelopmentForm,
    EscalateSelect,
    PipelineForm,
    SkillForm,
)

__all__ = [
    "ActionForm",
    "AmendmentForm",
    "CloseForm",
    "DealReviewForm",
    "DealUpdateForm",
    "DevelopmentForm",
    "DispositionForm",
    "EscalateSelect",
    "OpenSessionForm",
    "PipelineForm",
    "PlanSessionForm",
    "PrivateNotesForm",
    "ReportDoneForm",
    "SkillForm",
    "UrgentTopicForm",
    "VerifyActionForm",
]
