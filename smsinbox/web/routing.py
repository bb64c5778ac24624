from django.urls import path

from smsinbox.web.consumers import InboxConsumer

websocket_urlpatterns = [
    path("ws/inbox/", InboxConsumer.as_asgi(), name="inbox-socket"),
]

# So pages can name websocket routes: ``reverse("inbox-socket", urlconf="smsinbox.web.routing")``.
urlpatterns = websocket_urlpatterns
