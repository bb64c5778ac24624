from django.urls import include, path, register_converter

from smsinbox.parsing import IdConverter
from smsinbox.web.media import message_media
from smsinbox.web.pages import (
    account,
    canned,
    contacts,
    exports,
    failed,
    inbox,
    labels,
    notes,
    profile,
    pwa,
    session,
    snooze,
)

register_converter(IdConverter, "id")  # <id:…>: an id a row can have; a larger number is a 404, not an overflow

urlpatterns = [
    path("", inbox.inbox, name="home"),
    path("c/<id:conversation_id>/", inbox.inbox, name="inbox-thread"),
    path("c/<id:conversation_id>/older/", inbox.older_messages, name="inbox-older"),
    path("c/<id:conversation_id>/read/", inbox.mark_read, name="inbox-read"),
    path("c/<id:conversation_id>/unread/", inbox.mark_unread, name="inbox-unread"),
    path("c/<id:conversation_id>/status/", inbox.set_status, name="inbox-status"),
    path("c/<id:conversation_id>/snooze/", snooze.snooze, name="inbox-snooze"),
    path("c/<id:conversation_id>/unsnooze/", snooze.unsnooze, name="inbox-unsnooze"),
    path("c/<id:conversation_id>/assign/", inbox.assign, name="inbox-assign"),
    path("c/<id:conversation_id>/send/", inbox.send, name="inbox-send"),
    path("c/<id:conversation_id>/note/", notes.add_note, name="inbox-note"),
    path("c/<id:conversation_id>/contact/", profile.contact_save, name="inbox-contact"),
    path("c/<id:conversation_id>/transcript.csv", exports.conversation_export, name="inbox-transcript"),
    path("inbox/sync/", inbox.sync, name="inbox-sync"),
    path("session/", session.session_state, name="session-state"),
    path("organization/", inbox.switch_organization, name="switch-organization"),
    path("failed/", failed.failed, name="failed"),
    path("failed/retry/", failed.retry, name="failed-retry"),
    path("contacts/", contacts.contacts, name="contacts"),
    path("contacts/new/", contacts.contact_new, name="contact-new"),
    path("contacts/export.csv", exports.contacts_export, name="contacts-export"),
    path("contacts/<id:contact_id>/", contacts.contact_edit, name="contact-edit"),
    path("contacts/<id:contact_id>/message/", contacts.contact_message, name="contact-message"),
    path("c/<id:conversation_id>/labels/", labels.conversation_labels, name="inbox-labels"),
    path("labels/", labels.manage, name="labels"),
    path("labels/apply/", labels.apply, name="labels-apply"),
    path("labels/palette.css", labels.palette_css, name="labels-palette"),
    path("contacts/<id:contact_id>/labels/", labels.contact_labels, name="contact-labels"),
    path("views/", labels.view_create, name="views-create"),
    path("views/counts/", labels.view_counts, name="views-counts"),
    path("views/<id:view_id>/delete/", labels.view_delete, name="views-delete"),
    path("", include("smsinbox.web.pages.integrations")),  # /integrations/…
    path("canned-replies/", canned.canned_replies, name="canned-replies"),
    path("canned-replies/<id:reply_id>/", canned.canned_reply_edit, name="canned-reply-edit"),
    path("canned-replies/<id:reply_id>/delete/", canned.canned_reply_remove, name="canned-reply-delete"),
    path("media/<id:message_id>/<id:position>/", message_media, name="message-media"),
    path("settings/", account.account_settings, name="account-settings"),
    path("settings/push/subscribe/", account.push_subscribe, name="push-subscribe"),
    path("settings/push/unsubscribe/", account.push_unsubscribe, name="push-unsubscribe"),
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("sw.js", pwa.service_worker, name="service-worker"),
]
