from django.db import migrations

DEFAULT = {
    "name": "General B2B",
    "description": (
        "A 45-minute one-on-one for a general B2B sales motion: three deals at "
        "most, one skill, one development topic."
    ),
    "is_default": True,
    "duration_minutes": 45,
    "time_boxes": {
        "opening": 3,
        "deals": 15,
        "pipeline": 7,
        "skill": 10,
        "development": 5,
        "actions": 5,
    },
    "deal_cap": 3,
    "risk_tolerance": 25,
    "deal_review_fields": [],
    "skill_catalogue": [
        "Discovery questioning",
        "Objection handling",
        "Mutual action planning",
        "Next-step commitment setting",
        "Executive communication",
        "Pipeline generation",
    ],
    "development_catalogue": [
        "Confidence in customer conversations",
        "Time management",
        "Territory planning",
        "Presentation skills",
        "Career development milestones",
    ],
    "default_cadence_days": 14,
    "compliance_checklist": [
        {
            "topic": "product claims",
            "check": "Product claims discussed match approved wording",
        },
        {
            "topic": "hazardous products",
            "check": "Hazardous products or procedures follow the safety rules that apply",
        },
        {
            "topic": "site access",
            "check": "Site visits have the access permits they need",
        },
    ],
}


def create(apps, schema_editor):
    Template = apps.get_model("coaching", "Template")
    Template.objects.update_or_create(name=DEFAULT["name"], defaults=DEFAULT)


def remove(apps, schema_editor):
    apps.get_model("coaching", "Template").objects.filter(name=DEFAULT["name"]).delete()


class Migration(migrations.Migration):
    dependencies = [("coaching", "0002_initial")]
    operations = [migrations.RunPython(create, remove)]
