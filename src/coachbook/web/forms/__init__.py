"""The session page's forms, split by topic; import them from here."""

from coachbook.web.forms.actions import ActionForm, DispositionForm
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
    "DevelopmentForm",
    "DispositionForm",
    "EscalateSelect",
    "OpenSessionForm",
    "PipelineForm",
    "PlanSessionForm",
    "SkillForm",
    "UrgentTopicForm",
]
