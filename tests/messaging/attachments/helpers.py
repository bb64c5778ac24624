"""Uploads built as the browser posts them, through the real service."""

from django.core.files.uploadedfile import SimpleUploadedFile

from messaging.attachments.services import attachment_upload

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


def upload(org, conversation, *, name="photo.png", content_type="image/png", data=PNG):
    return attachment_upload(
        organization=org.organization,
        user=org.user,
        conversation=conversation,
        upload=SimpleUploadedFile(name, data, content_type=content_type),
    )
