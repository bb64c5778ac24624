"""Background contact imports: draft → queued → running → done, batches committed with their counts, resumed
after a killed worker without writing or counting a row twice; notes and labels columns."""

from __future__ import annotations

import pytest
from django_tasks_db.models import DBTaskResult

from conversations import import_jobs
from conversations.import_jobs import (
    contact_import_create,
    contact_import_discard,
    contact_import_process,
    contact_import_start,
    import_progress,
)
from conversations.imports import BATCH
from conversations.labels import label_create
from conversations.models import Contact, ContactImport
from conversations.services import contact_create, contact_update
from smsinbox.errors import ServiceError
from tests.pipeline import drain_tasks


def _rows(n: int, start: int = 0) -> bytes:
    return ("phone,first name\n" + "".join(f"+1415555{start + i:04d},P{start + i}\n" for i in range(n))).encode()


def test_an_upload_is_a_draft_with_its_columns_guessed_and_its_rows_counted(org_a):
    job = contact_import_create(
        organization=org_a.organization, actor=org_a.user, file_name="c.csv", data=b"Mobile,Name\n4155550101,Ann\n\n"
    )
    assert (job.status, job.total_rows, job.headers, job.mapping) == (
        "draft",
        1,
        ["Mobile", "Name"],
        {"phone": 0, "name": 1},
    )
    assert Contact.objects.count() == 0
    assert not DBTaskResult.objects.exists()  # nothing runs before staff start it


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ("phone\n4155550101,Jos\xe9\n".encode("latin-1"), "not UTF-8"),
        (b"phone,name\n\n", "no rows"),
        (b"", "empty"),
    ],
)
def test_a_refused_file_leaves_no_row(org_a, data, says):
    with pytest.raises(ServiceError) as refused:
        contact_import_create(organization=org_a.organization, actor=org_a.user, file_name="x.csv", data=data)
    assert says in refused.value.message
    assert not ContactImport.objects.exists()


def test_a_file_over_the_size_limit_is_refused(org_a, monkeypatch):
    monkeypatch.setattr(import_jobs, "IMPORT_FILE_MAX_BYTES", 100)
    with pytest.raises(ServiceError) as refused:
        contact_import_create(organization=org_a.organization, actor=org_a.user, file_name="x.csv", data=_rows(10))
    assert "MB" in refused.value.message
    assert not ContactImport.objects.exists()


@pytest.mark.django_db(transaction=True)  # the real db_worker runs the task
def test_started_once_runs_in_the_background_to_its_counts(org_a):
    org = org_a.organization
    contact_create(organization=org, phone="+14155550001", first_name="Kept")
    data = _rows(3) + b"12,Bad\n+14155550002,Again\n"
    job = contact_import_create(organization=org, actor=org_a.user, file_name="c.csv", data=data)
    contact_import_start(organization=org, import_id=job.pk, mapping={"phone": 0, "first_name": 1})
    with pytest.raises(ServiceError) as again:
        contact_import_start(organization=org, import_id=job.pk, mapping={"phone": 0})
    assert again.value.code == "conflict"
    assert DBTaskResult.objects.count() == 1  # one task for one start
    drain_tasks()
    job.refresh_from_db()
    assert (job.status, job.processed_rows, job.total_rows) == ("done", 5, 5)
    assert (job.created, job.updated, job.duplicates, job.errors) == (2, 1, 1, 1)
    assert [row[:3] for row in job.error_rows] == [[5, "error", "12"], [6, "duplicate", "+14155550002"]]
    assert Contact.objects.get(phone="+14155550001").first_name == "P1"
    assert import_progress(job)["finished"] is True
    assert bytes(job.data) == b""  # the file is not kept once imported
    assert contact_import_process(import_id=job.pk) == "nothing to do"  # a task run twice


def test_another_organization_cannot_start_or_discard_it(org_a, org_b):
    job = contact_import_create(organization=org_a.organization, actor=org_a.user, file_name="c.csv", data=_rows(2))
    with pytest.raises(ServiceError) as refused:
        contact_import_start(organization=org_b.organization, import_id=job.pk, mapping={"phone": 0})
    assert refused.value.code == "not_found"
    assert contact_import_discard(organization=org_b.organization, import_id=job.pk) is False
    assert ContactImport.objects.get(pk=job.pk).status == "draft"


def test_a_killed_worker_resumes_after_the_last_committed_batch(org_a, monkeypatch):
    """The first run dies after its first batch (a fault injected where the worker would be killed); the next
    run finishes. Every row is written once and counted once; duplicates across the cut are still duplicates."""
    org = org_a.organization
    data = _rows(BATCH + 500) + b"+14155550007,Repeat of a row before the cut\n"
    job = contact_import_create(organization=org, actor=org_a.user, file_name="big.csv", data=data)
    contact_import_start(organization=org, import_id=job.pk, mapping={"phone": 0, "first_name": 1})
    real_commit = import_jobs._commit_batch
    calls = []

    def dies_after_one(*args, **kwargs):
        if calls:
            raise SystemExit("worker killed")
        calls.append(1)
        real_commit(*args, **kwargs)

    monkeypatch.setattr(import_jobs, "_commit_batch", dies_after_one)
    with pytest.raises(SystemExit):
        contact_import_process(import_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.processed_rows, job.created, job.position) == ("running", BATCH, BATCH, BATCH + 1)
    assert Contact.objects.count() == BATCH
    monkeypatch.setattr(import_jobs, "_commit_batch", real_commit)
    assert contact_import_process(import_id=job.pk) == "done"
    job.refresh_from_db()
    assert (job.processed_rows, job.created, job.updated, job.duplicates) == (BATCH + 501, BATCH + 500, 0, 1)
    assert Contact.objects.count() == BATCH + 500


def test_a_batch_committed_by_another_run_is_skipped_not_written_twice(org_a):
    org = org_a.organization
    job = contact_import_create(organization=org, actor=org_a.user, file_name="c.csv", data=_rows(3))
    contact_import_start(organization=org, import_id=job.pk, mapping={"phone": 0})
    assert contact_import_process(import_id=job.pk) == "done"
    # As if a second run had started before the first finished (the file still there, the job running).
    ContactImport.objects.filter(pk=job.pk).update(status="running", data=_rows(3))
    assert contact_import_process(import_id=job.pk) == "done"
    job.refresh_from_db()
    assert (job.processed_rows, job.created) == (3, 3)


def test_notes_fill_only_empty_notes_and_labels_add_existing_ones(org_a):
    org = org_a.organization
    vip = label_create(organization=org, name="VIP")
    wrote = contact_update(contact=contact_create(organization=org, phone="+14155550001"), notes="Staff wrote this")
    contact_create(organization=org, phone="+14155550002")
    data = (
        b"phone,notes,labels\n"
        b"+14155550001,From the file,vip\n"
        b"+14155550002,Filled,VIP; Nope\n"
        b"+14155550003,New person,Nope|vip\n"
    )
    job = contact_import_create(organization=org, actor=org_a.user, file_name="c.csv", data=data)
    contact_import_start(organization=org, import_id=job.pk, mapping={"phone": 0, "notes": 1, "labels": 2})
    contact_import_process(import_id=job.pk)
    notes = dict(Contact.objects.values_list("phone", "notes"))
    assert notes == {"+14155550001": "Staff wrote this", "+14155550002": "Filled", "+14155550003": "New person"}
    assert wrote.notes == "Staff wrote this"
    assert sorted(str(p) for p in vip.contacts.values_list("phone", flat=True)) == [
        "+14155550001", "+14155550002", "+14155550003"
    ]  # fmt: skip
    job.refresh_from_db()
    assert job.unknown_labels == ["Nope"]


def test_notes_too_long_are_an_error_with_the_row(org_a):
    org = org_a.organization
    data = f"phone,notes\n+14155550001,{'x' * 2001}\n".encode()
    job = contact_import_create(organization=org, actor=org_a.user, file_name="c.csv", data=data)
    contact_import_start(organization=org, import_id=job.pk, mapping={"phone": 0, "notes": 1})
    contact_import_process(import_id=job.pk)
    job.refresh_from_db()
    assert (job.errors, job.error_rows[0][0]) == (1, 2)
    assert "2,000" in job.error_rows[0][3]
    assert not Contact.objects.exists()


def test_a_column_mapped_twice_is_refused(org_a):
    org = org_a.organization
    job = contact_import_create(organization=org, actor=org_a.user, file_name="c.csv", data=_rows(1))
    with pytest.raises(ServiceError) as refused:
        contact_import_start(organization=org, import_id=job.pk, mapping={"phone": 0, "first_name": 0})
    assert "once" in refused.value.message
    assert ContactImport.objects.get(pk=job.pk).status == "draft"
