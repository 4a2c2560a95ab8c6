from django.urls import path, re_path

from evaluations import views

app_name = "evaluations"

urlpatterns = [
    path("r/", views.code_entry, name="code_entry"),
    # The address printed in household QR codes (SPEC: stable interface). A
    # trailing slash, dashes and lower case are tolerated; the view normalises.
    re_path(r"^r/(?P<code>[^/]{1,64})/?$", views.rate, name="rate"),
    # Before receipts/<receipt>/, which would take "check" for a receipt number.
    path("receipts/check/", views.receipt_check, name="receipt_check"),
    path("receipts/thanks/", views.receipt, name="receipt"),
]
