from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

admin.site.site_header = "smsinbox administration"
admin.site.site_title = "smsinbox admin"
admin.site.index_title = "Organizations, contacts and messages"

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/twilio/", include("messaging.twilio.urls")),
    path("api/", include("smsinbox.web.api.urls")),
    path("", include("smsinbox.web.urls")),
]
