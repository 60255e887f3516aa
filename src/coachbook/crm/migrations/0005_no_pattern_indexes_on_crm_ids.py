"""Drop the LIKE-pattern indexes PostgreSQL gets beside each unique CRM id.

Django adds a varchar_pattern_ops index next to every unique text column on
PostgreSQL so that startswith lookups can use it. Nothing looks up a CRM id
by its beginning, and every imported deal, account and activity paid for
keeping that index up to date. The unique index stays.
"""

from django.db import migrations

MODELS = ("Account", "Opportunity", "Activity")


def _like_indexes(apps, schema_editor):
    for model_name in MODELS:
        model = apps.get_model("crm", model_name)
        column = model._meta.get_field("external_id").column
        table = model._meta.db_table
        name = schema_editor._create_index_name(table, [column], suffix="_like")
        yield table, column, schema_editor.quote_name(name)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _table, _column, name in _like_indexes(apps, schema_editor):
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def restore(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column, name in _like_indexes(apps, schema_editor):
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {schema_editor.quote_name(table)} "
            f"({schema_editor.quote_name(column)} varchar_pattern_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [("crm", "0004_import_jobs")]

    operations = [migrations.RunPython(drop, restore)]
