def test_smoke(db):
    from coachbook.crm.models import ImportRun
    from coachbook.crm.importers.maven import import_maven
    from pathlib import Path
    from django.db import connection

    for r in ImportRun.objects.all():
        print(r.source, r.status, r.counts, r.notes, r.data_as_of)
    rep = import_maven(Path("data/maven-crm"))
    print(rep.counts, rep.notes, rep.applied, rep.data_as_of)
    print(connection.introspection.table_names())
    assert 0
