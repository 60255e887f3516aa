from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import RedirectView

from coachbook.web.views import home, imports, records, rep_side, sessions, steps

app_name = "web"

urlpatterns = [
    path("", home.home, name="home"),
    path(
        "favicon.ico",
        RedirectView.as_view(url="/static/web/favicon.svg", permanent=True),
        name="favicon",
    ),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("reps/<int:rep_id>/", home.rep_page, name="rep"),
    path("reps/<int:rep_id>/deals.csv", home.rep_deals_csv, name="rep_deals_csv"),
    path("reps/<int:rep_id>/sessions/new/", sessions.plan_session, name="plan_session"),
    path("sessions/<int:session_id>/", sessions.session_page, name="session"),
    path("sessions/<int:session_id>/prepare/", sessions.prepare, name="prepare"),
    path(
        "sessions/<int:session_id>/agenda/urgent/",
        steps.add_urgent_topic,
        name="add_urgent_topic",
    ),
    path(
        "sessions/<int:session_id>/agenda/<int:item_id>/delete/",
        steps.delete_urgent_topic,
        name="delete_urgent_topic",
    ),
    path(
        "sessions/<int:session_id>/agenda/send/",
        steps.send_agenda,
        name="send_agenda",
    ),
    path(
        "sessions/<int:session_id>/deals/<int:deal_id>/",
        steps.review_deal,
        name="review_deal",
    ),
    path("sessions/<int:session_id>/actions/", steps.save_action, name="add_action"),
    path(
        "sessions/<int:session_id>/actions/<int:action_id>/",
        steps.save_action,
        name="save_action",
    ),
    path(
        "sessions/<int:session_id>/actions/<int:action_id>/delete/",
        steps.delete_action,
        name="delete_action",
    ),
    path(
        "sessions/<int:session_id>/earlier-actions/<int:action_id>/",
        steps.dispose_action,
        name="dispose_action",
    ),
    path(
        "sessions/<int:session_id>/steps/<slug:step>/",
        steps.save_step,
        name="save_step",
    ),
    path(
        "sessions/<int:session_id>/deals/<int:deal_id>/update/",
        rep_side.update_deal,
        name="update_deal",
    ),
    path("actions/<int:action_id>/done/", rep_side.report_action, name="report_action"),
    path(
        "actions/<int:action_id>/verify/", rep_side.verify_action, name="verify_action"
    ),
    path("sessions/<int:session_id>/finalise/", sessions.finalise, name="finalise"),
    path("records/<int:record_id>/", records.record_page, name="record"),
    path(
        "records/<int:record_id>/download.<str:fmt>",
        records.download,
        name="download_record",
    ),
    path("records/<int:record_id>/amend/", records.amend, name="amend_record"),
    path("records/<int:record_id>/read/", records.read_record, name="read_record"),
    path("imports/", imports.imports, name="imports"),
    path("imports/<int:job_id>/", imports.import_job, name="import_job"),
    path(
        "imports/<int:job_id>/rejected-rows.csv",
        imports.import_rejections,
        name="import_rejections",
    ),
]
