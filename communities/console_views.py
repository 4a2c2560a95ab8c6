from django.shortcuts import render

from evaluations.access import permission_required


@permission_required("communities.add_community")
def import_upload(request):
    return render(request, "console/dashboard.html", {})
