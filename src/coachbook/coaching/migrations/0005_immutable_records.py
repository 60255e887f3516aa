"""The database itself refuses to change finalised records and the audit trail.

Records, amendments and audit events can only be added; a finalised session
can no longer be changed. Only the retention command removes them: it adds a
RetentionPermit row for a session inside its own transaction, and the triggers
let that session's rows go. The one update allowed on a record is retention
unlinking it from a predecessor it is removing (previous_id set to NULL,
nothing else changed); its previous_hash stays and is checked against the
rep's ChainAnchor.

`add_guards` and `drop_guards` take a database connection so the test suite
can reuse them (see tests/conftest.py).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

RECORD_CHANGED = "coachbook: a finalised record cannot be changed; add an amendment"
RECORD_REMOVED = (
    "coachbook: a finalised record cannot be removed; "
    "only the retention command removes old records"
)
AMENDMENT_CHANGED = (
    "coachbook: an amendment cannot be changed; add another amendment instead"
)
AMENDMENT_REMOVED = (
    "coachbook: an amendment cannot be removed; "
    "only the retention command removes old records"
)
AUDIT_CHANGED = "coachbook: the audit trail cannot be changed; it only grows"
AUDIT_REMOVED = (
    "coachbook: the audit trail cannot be removed; "
    "only the retention command removes the events of old sessions"
)
SESSION_CHANGED = (
    "coachbook: a finalised session cannot be changed; add an amendment to its record"
)
SESSION_REMOVED = (
    "coachbook: a finalised session cannot be removed; "
    "only the retention command removes old sessions"
)

# SQL conditions shared by both vendors.
PERMIT_FOR_RECORD_SESSION = (
    "EXISTS (SELECT 1 FROM coaching_retentionpermit p "
    "WHERE p.session_id = OLD.session_id)"
)
PERMIT_FOR_AMENDED_RECORD = (
    "EXISTS (SELECT 1 FROM coaching_retentionpermit p "
    "JOIN coaching_record r ON r.session_id = p.session_id "
    "WHERE r.id = OLD.record_id)"
)
PERMIT_FOR_PREDECESSOR = (
    "EXISTS (SELECT 1 FROM coaching_retentionpermit p "
    "JOIN coaching_record r ON r.session_id = p.session_id "
    "WHERE r.id = OLD.previous_id)"
)
PERMIT_FOR_EVENT_SESSION = (
    "OLD.session_id IS NOT NULL AND EXISTS (SELECT 1 FROM coaching_retentionpermit p "
    "WHERE p.session_id = OLD.session_id)"
)
PERMIT_FOR_SESSION = (
    "EXISTS (SELECT 1 FROM coaching_retentionpermit p WHERE p.session_id = OLD.id)"
)
RECORD_COLUMNS_BUT_PREVIOUS = [
    "id",
    "session_id",
    "rep_id",
    "number",
    "content",
    "content_hash",
    "previous_hash",
    "created_by_id",
    "created_at",
]


def _sqlite_statements() -> list[str]:
    def trigger(name: str, when: str, table: str, condition: str, message: str):
        return (
            f"CREATE TRIGGER {name} BEFORE {when} ON {table} "
            f"FOR EACH ROW WHEN {condition} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
        )

    unchanged = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in RECORD_COLUMNS_BUT_PREVIOUS)
    unlink = (
        f"NEW.previous_id IS NULL AND OLD.previous_id IS NOT NULL AND {unchanged} "
        f"AND {PERMIT_FOR_PREDECESSOR}"
    )
    return [
        trigger(
            "coachbook_record_no_update",
            "UPDATE",
            "coaching_record",
            f"NOT ({unlink})",
            RECORD_CHANGED,
        ),
        trigger(
            "coachbook_record_no_delete",
            "DELETE",
            "coaching_record",
            f"NOT {PERMIT_FOR_RECORD_SESSION}",
            RECORD_REMOVED,
        ),
        trigger(
            "coachbook_amendment_no_update",
            "UPDATE",
            "coaching_amendment",
            "1",
            AMENDMENT_CHANGED,
        ),
        trigger(
            "coachbook_amendment_no_delete",
            "DELETE",
            "coaching_amendment",
            f"NOT {PERMIT_FOR_AMENDED_RECORD}",
            AMENDMENT_REMOVED,
        ),
        trigger(
            "coachbook_auditevent_no_update",
            "UPDATE",
            "coaching_auditevent",
            "1",
            AUDIT_CHANGED,
        ),
        trigger(
            "coachbook_auditevent_no_delete",
            "DELETE",
            "coaching_auditevent",
            f"NOT ({PERMIT_FOR_EVENT_SESSION})",
            AUDIT_REMOVED,
        ),
        trigger(
            "coachbook_session_frozen",
            "UPDATE",
            "coaching_session",
            "OLD.state = 'finalised'",
            SESSION_CHANGED,
        ),
        trigger(
            "coachbook_session_no_delete",
            "DELETE",
            "coaching_session",
            f"OLD.state = 'finalised' AND NOT {PERMIT_FOR_SESSION}",
            SESSION_REMOVED,
        ),
    ]


SQLITE_TRIGGERS = [
    "coachbook_record_no_update",
    "coachbook_record_no_delete",
    "coachbook_amendment_no_update",
    "coachbook_amendment_no_delete",
    "coachbook_auditevent_no_update",
    "coachbook_auditevent_no_delete",
    "coachbook_session_frozen",
    "coachbook_session_no_delete",
]


def _refuse(message: str) -> str:
    # Class 23 (integrity constraint violation), as SQLite's RAISE(ABORT) is:
    # Django raises IntegrityError on both databases.
    return f"RAISE EXCEPTION '{message}' USING ERRCODE = 'restrict_violation';"


def _postgresql_statements() -> list[str]:
    record = f"""
CREATE FUNCTION coachbook_guard_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.previous_id IS NULL AND OLD.previous_id IS NOT NULL
           AND (to_jsonb(NEW) - 'previous_id') = (to_jsonb(OLD) - 'previous_id')
           AND {PERMIT_FOR_PREDECESSOR} THEN
            RETURN NEW;
        END IF;
        {_refuse(RECORD_CHANGED)}
    END IF;
    IF {PERMIT_FOR_RECORD_SESSION} THEN
        RETURN OLD;
    END IF;
    {_refuse(RECORD_REMOVED)}
END $$"""
    amendment = f"""
CREATE FUNCTION coachbook_guard_amendment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        {_refuse(AMENDMENT_CHANGED)}
    END IF;
    IF {PERMIT_FOR_AMENDED_RECORD} THEN
        RETURN OLD;
    END IF;
    {_refuse(AMENDMENT_REMOVED)}
END $$"""
    auditevent = f"""
CREATE FUNCTION coachbook_guard_auditevent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        {_refuse(AUDIT_CHANGED)}
    END IF;
    IF {PERMIT_FOR_EVENT_SESSION} THEN
        RETURN OLD;
    END IF;
    {_refuse(AUDIT_REMOVED)}
END $$"""
    session = f"""
CREATE FUNCTION coachbook_guard_session() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        {_refuse(SESSION_CHANGED)}
    END IF;
    IF {PERMIT_FOR_SESSION} THEN
        RETURN OLD;
    END IF;
    {_refuse(SESSION_REMOVED)}
END $$"""
    return [
        record,
        amendment,
        auditevent,
        session,
        "CREATE TRIGGER coachbook_guard_record BEFORE UPDATE OR DELETE "
        "ON coaching_record FOR EACH ROW EXECUTE FUNCTION coachbook_guard_record()",
        "CREATE TRIGGER coachbook_guard_amendment BEFORE UPDATE OR DELETE "
        "ON coaching_amendment FOR EACH ROW EXECUTE FUNCTION coachbook_guard_amendment()",
        "CREATE TRIGGER coachbook_guard_auditevent BEFORE UPDATE OR DELETE "
        "ON coaching_auditevent FOR EACH ROW "
        "EXECUTE FUNCTION coachbook_guard_auditevent()",
        # Only finalised sessions are frozen; the others change as the session runs.
        "CREATE TRIGGER coachbook_guard_session BEFORE UPDATE OR DELETE "
        "ON coaching_session FOR EACH ROW WHEN (OLD.state = 'finalised') "
        "EXECUTE FUNCTION coachbook_guard_session()",
    ]


POSTGRESQL_GUARDED = {
    "coachbook_guard_record": "coaching_record",
    "coachbook_guard_amendment": "coaching_amendment",
    "coachbook_guard_auditevent": "coaching_auditevent",
    "coachbook_guard_session": "coaching_session",
}


def _unsupported(vendor: str) -> RuntimeError:
    return RuntimeError(
        f"coachbook protects its records with triggers written for SQLite and "
        f"PostgreSQL; this database is {vendor}, which coachbook does not support."
    )


def add_guards(connection) -> None:
    if connection.vendor == "sqlite":
        statements = _sqlite_statements()
    elif connection.vendor == "postgresql":
        statements = _postgresql_statements()
    else:
        raise _unsupported(connection.vendor)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def drop_guards(connection) -> None:
    if connection.vendor == "sqlite":
        statements = [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS]
    elif connection.vendor == "postgresql":
        statements = [
            f"DROP TRIGGER IF EXISTS {name} ON {table}"
            for name, table in POSTGRESQL_GUARDED.items()
        ] + [f"DROP FUNCTION IF EXISTS {name}()" for name in POSTGRESQL_GUARDED]
    else:
        raise _unsupported(connection.vendor)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def forwards(apps, schema_editor) -> None:
    add_guards(schema_editor.connection)


def backwards(apps, schema_editor) -> None:
    drop_guards(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("coaching", "0004_rep_side"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="RetentionPermit",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("session_id", models.BigIntegerField(unique=True)),
            ],
        ),
        migrations.CreateModel(
            name="ChainAnchor",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("last_removed_number", models.PositiveIntegerField()),
                ("last_removed_hash", models.CharField(max_length=64)),
                ("removed_at", models.DateTimeField()),
                (
                    "rep",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="chain_anchor",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
