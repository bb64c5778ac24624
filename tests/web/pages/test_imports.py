"""The import pages: upload, mapping with a preview, start, progress (page and poll), the error report."""

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile

from conversations.import_jobs import contact_import_create, contact_import_process
from conversations.models import Contact, ContactImport


def _upload(client, data: bytes, name: str = "people.csv"):
    return client.post("/contacts/import/", {"file": SimpleUploadedFile(name, data, "text/csv")})


def test_upload_map_preview_start_and_watch(client, org_a):
    client.force_login(org_a.user)
    response = _upload(client, b"Mobile,Who,Extra\n4155550101,Ann Lee,x\n12,Bad,y\n")
    job = ContactImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/contacts/import/{job.pk}/"
    page = client.get(f"/contacts/import/{job.pk}/").content.decode()
    assert "2 rows of contacts" in page
    assert '<option value="0" selected>Mobile</option>' in page  # the phone column guessed from its name
    assert "New contact" in page  # the preview's outcomes, before anything is written
    assert "Error" in page
    assert not Contact.objects.exists()
    preview = client.post(f"/contacts/import/{job.pk}/", {"action": "preview", "map-phone": "0", "map-first_name": "2"})
    assert preview.status_code == 200
    started = client.post(f"/contacts/import/{job.pk}/", {"action": "start", "map-phone": "0", "map-name": "1"})
    assert started.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.mapping) == ("queued", {"phone": 0, "name": 1})
    waiting = client.get(f"/contacts/import/{job.pk}/").content.decode()
    assert "Waiting to start" in waiting
    assert 'role="status"' in waiting
    contact_import_process(import_id=job.pk)
    status = client.get(f"/contacts/import/{job.pk}/status/").json()
    assert (status["status"], status["created"], status["errors"], status["finished"]) == ("done", 1, 1, True)
    assert Contact.objects.get().first_name == "Ann"
    report = client.get(f"/contacts/import/{job.pk}/errors.csv")
    rows = list(csv.reader(io.StringIO(b"".join(report.streaming_content).decode()[1:])))
    assert rows[0] == ["row", "phone", "outcome", "reason"]
    assert rows[1][:3] == ["3", "12", "Error"]
    assert rows[1][3]


def test_a_bad_file_says_why_and_keeps_nothing(client, org_a):
    client.force_login(org_a.user)
    response = _upload(client, "phone\n4155550101,Jos\xe9\n".encode("latin-1"))
    assert response.status_code == 400
    assert "CSV UTF-8" in response.content.decode()
    assert client.post("/contacts/import/", {}).status_code == 400
    assert not ContactImport.objects.exists()


def test_starting_without_a_phone_column_is_a_clear_error(client, org_a):
    client.force_login(org_a.user)
    _upload(client, b"Who\nAnn\n")
    job = ContactImport.objects.get()
    response = client.post(f"/contacts/import/{job.pk}/", {"action": "start", "map-first_name": "0"})
    assert response.status_code == 400
    assert "phone numbers" in response.content.decode()
    assert ContactImport.objects.get().status == "draft"


def test_discard_deletes_a_draft(client, org_a):
    client.force_login(org_a.user)
    job = contact_import_create(
        organization=org_a.organization, actor=org_a.user, file_name="c.csv", data=b"phone\n1\n"
    )
    assert client.post(f"/contacts/import/{job.pk}/", {"action": "discard"}).status_code == 302
    assert not ContactImport.objects.exists()


def test_another_organizations_import_is_not_found(client, org_a, org_b):
    job = contact_import_create(
        organization=org_a.organization, actor=org_a.user, file_name="c.csv", data=b"phone\n1\n"
    )
    client.force_login(org_b.user)
    for url in ("", "status/", "errors.csv"):
        assert client.get(f"/contacts/import/{job.pk}/{url}").status_code == 404
    assert client.post(f"/contacts/import/{job.pk}/", {"action": "start", "map-phone": "0"}).status_code == 404
    assert ContactImport.objects.get().status == "draft"


def test_the_lookup_checkbox_runs_the_import_with_the_line_type_check(client, org_a):
    from django_tasks_db.models import DBTaskResult

    client.force_login(org_a.user)
    _upload(client, b"phone\n+15005550020\n")
    job = ContactImport.objects.get()
    page = client.get(f"/contacts/import/{job.pk}/").content.decode()
    assert 'name="check_line_types"' in page
    assert "Check numbers with Twilio Lookup" in page
    client.post(f"/contacts/import/{job.pk}/", {"action": "start", "map-phone": "0", "check_line_types": "1"})
    job.refresh_from_db()
    assert (job.status, job.check_line_types) == ("queued", True)
    assert DBTaskResult.objects.get().task_path == "messaging.tasks.contact_import_checked_task"
    assert "Landlines (Twilio Lookup)" in client.get(f"/contacts/import/{job.pk}/").content.decode()
