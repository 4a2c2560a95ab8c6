"""`load_divisions`: Wuhan's districts from the data file, so that a fresh database
reaches a working console with `migrate`, `load_divisions` and `create_staff` alone."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import StaffProfile
from communities.models import District

pytestmark = pytest.mark.django_db

WUHAN = {
    "420102": "江岸区", "420103": "江汉区", "420104": "硚口区", "420105": "汉阳区",
    "420106": "武昌区", "420107": "青山区", "420111": "洪山区", "420112": "东西湖区",
    "420113": "汉南区", "420114": "蔡甸区", "420115": "江夏区", "420116": "黄陂区",
    "420117": "新洲区",
}  # fmt: skip


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_it_loads_wuhans_thirteen_districts_with_their_codes():
    assert District.objects.count() == 0  # migrate alone creates none
    assert "13 created" in run("load_divisions")
    assert dict(District.objects.values_list("code", "name")) == WUHAN
    qiaokou = District.objects.get(code="420104")
    assert (qiaokou.name_en, qiaokou.city_code, qiaokou.city_name) == (
        "Qiaokou District",
        "420100",
        "武汉市",
    )


def test_it_is_idempotent_and_repairs_a_changed_name():
    run("load_divisions")
    District.objects.filter(code="420104").update(name="旧名")
    assert "0 created, 13 already there" in run("load_divisions")
    assert District.objects.count() == 13
    assert District.objects.get(code="420104").name == "硚口区"


def test_a_bad_data_file_is_refused_with_the_row_and_nothing_is_loaded(tmp_path):
    bad = tmp_path / "divisions.csv"
    bad.write_text(
        "code,name,name_en,city_code,city_name\n420104,硚口区,Qiaokou,420100,武汉市\n42010X,坏,,420100,武汉市\n",
        "utf-8",
    )
    with pytest.raises(CommandError, match="row 3"):
        run("load_divisions", "--file", str(bad))
    assert District.objects.count() == 0


def test_a_fresh_database_reaches_a_working_console_with_three_commands():
    # `migrate` has run (the test database); then only these two:
    run("load_divisions")
    output = run("create_staff", "li.na", "--role", "district", "--district", "420104")
    password = output.split("password: ", 1)[1].strip()
    assert "硚口区" in output
    profile = StaffProfile.objects.get(user__username="li.na")
    assert list(profile.districts.values_list("code", flat=True)) == ["420104"]

    client = Client()
    response = client.post("/console/login/", {"username": "li.na", "password": password})
    assert response.status_code == 302
    dashboard = client.get(response["Location"])
    assert dashboard.status_code == 200
    assert "li.na" in dashboard.content.decode()
