from django.urls import path

from conversations.views import contacts, inbox
from messaging.views import message_media

urlpatterns = [
    path("", inbox.inbox, name="home"),
    path("c/<int:conversation_id>/", inbox.inbox, name="inbox-thread"),
    path("c/<int:conversation_id>/older/", inbox.older_messages, name="inbox-older"),
    path("c/<int:conversation_id>/read/", inbox.mark_read, name="inbox-read"),
    path("c/<int:conversation_id>/status/", inbox.set_status, name="inbox-status"),
    path("c/<int:conversation_id>/assign/", inbox.assign, name="inbox-assign"),
    path("c/<int:conversation_id>/send/", inbox.send, name="inbox-send"),
    path("inbox/sync/", inbox.sync, name="inbox-sync"),
    path("organization/", inbox.switch_organization, name="switch-organization"),
    path("contacts/", contacts.contacts, name="contacts"),
    path("contacts/new/", contacts.contact_new, name="contact-new"),
    path("contacts/<int:contact_id>/", contacts.contact_edit, name="contact-edit"),
    path("contacts/<int:contact_id>/message/", contacts.contact_message, name="contact-message"),
    path("media/<int:message_id>/<int:position>/", message_media, name="message-media"),
]
