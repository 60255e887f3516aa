"""Sales ops in the data-and-settings pages: what they may manage, and no more.

Sales ops keep the data, the teams, the targets and the templates. They are
staff, not superusers: they cannot set another person's password, grant
superuser status or read coaching content in those pages. The superuser that
`coachbook createsuperuser` makes is the server operator's account.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

SALES_OPS_GROUP = "Sales ops"

# app label -> model -> actions, for the data-and-settings pages.
SALES_OPS_CAN = {
    "people": {
        "person": ("view", "add", "change"),
        "team": ("view", "add", "change", "delete"),
        "organisation": ("view", "change"),
    },
    "crm": {
        "account": ("view", "change"),
        "product": ("view", "change"),
        "opportunity": ("view",),
        "target": ("view", "add", "change", "delete"),
        "activitytarget": ("view", "add", "change", "delete"),
        "currencyrate": ("view", "add", "change", "delete"),
        "importrun": ("view",),
    },
    # Lockouts: see failed logins, and lift one by deleting its attempt.
    "axes": {
        "accessattempt": ("view", "delete"),
        "accessfailurelog": ("view",),
        "accesslog": ("view",),
    },
    # Records and the audit trail are listed without their content.
    "coaching": {
        "template": ("view", "add", "change"),
        "record": ("view",),
        "auditevent": ("view",),
    },
}


def ensure_sales_ops_group(**kwargs) -> Group:
    """Create or refresh the group after every migrate; missing permissions are skipped."""
    group, _ = Group.objects.get_or_create(name=SALES_OPS_GROUP)
    wanted = [
        (app, f"{action}_{model}")
        for app, models in SALES_OPS_CAN.items()
        for model, actions in models.items()
        for action in actions
    ]
    permissions = Permission.objects.filter(
        content_type__app_label__in=SALES_OPS_CAN,
    ).select_related("content_type")
    group.permissions.set(
        [p for p in permissions if (p.content_type.app_label, p.codename) in wanted]
    )
    return group


def make_sales_ops(person) -> None:
    """Give a person with the sales ops role the pages and permissions it needs."""
    person.is_staff = True
    if person.pk is None:
        person.save()
    person.groups.add(ensure_sales_ops_group())
