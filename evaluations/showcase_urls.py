"""Console pages for showcases and company replies; included under /console/
in the "console" namespace (evaluations/console_urls.py)."""

from django.urls import path

from . import showcase_views as views

urlpatterns = [
    path("showcases/", views.showcase_list, name="showcases"),
    path("showcases/<int:pk>/", views.showcase_detail, name="showcase"),
    path("showcases/<int:pk>/add/<str:kind>/", views.showcase_add, name="showcase_add"),
    path("showcases/<int:pk>/headline/", views.showcase_headline, name="showcase_headline"),
    path("showcases/<int:pk>/reply/", views.showcase_reply, name="showcase_reply"),
    path("showcase-items/<int:pk>/edit/", views.showcase_item_edit, name="showcase_item_edit"),
    path(
        "showcase-items/<int:pk>/withdraw/",
        views.showcase_item_withdraw,
        name="showcase_item_withdraw",
    ),
    path("moderation/", views.moderation_queue, name="moderation"),
    path("moderation/items/<int:pk>/", views.moderation_item, name="moderation_item"),
    path("moderation/replies/<int:pk>/", views.moderation_reply, name="moderation_reply"),
]
