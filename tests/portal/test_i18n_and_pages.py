"""Chinese first, English second; the home page (/healthz: tests/system/test_outages.py)."""

from pathlib import Path

import polib
import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

LOCALE = Path(settings.BASE_DIR) / "locale"


def test_every_message_has_a_chinese_translation():
    po = polib.pofile(str(LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert untranslated == []
    assert fuzzy == []


def test_the_compiled_catalogue_matches_the_po_file():
    po = polib.pofile(str(LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    mo = polib.mofile(str(LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.mo"))
    compiled = {e.msgid: e.msgstr for e in mo}
    stale = [e.msgid for e in po.translated_entries() if compiled.get(e.msgid) != e.msgstr]
    assert stale == [], "run `make messages` to recompile"


def test_pages_are_chinese_by_default(client, household_code):
    page = client.get(f"/r/{household_code}").content.decode()
    assert 'lang="zh-Hans"' in page
    assert "提交评议" in page
    assert "Submit my rating" not in page


def test_the_english_switch_works_without_javascript(client, household_code):
    response = client.post("/i18n/setlang/", {"language": "en", "next": f"/r/{household_code}"})
    assert response.status_code == 302
    page = client.get(f"/r/{household_code}").content.decode()
    assert 'lang="en"' in page
    assert "Submit my rating" in page
    assert "Basic service in place" in page  # criteria carry English names as data
    assert "At most 500 characters" in page  # help texts are translated per request
    assert "提交评议" not in page


def test_a_browser_asking_for_english_gets_english(client, db):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Is my community on it?" in page


def test_home_lists_the_campaigns_open_for_rating(client, open_campaign):
    page = client.get("/").content.decode()
    assert "测试评选" in page
    assert "现在评议您小区的物业服务" in page
    assert 'action="/r/"' in page


def test_home_says_so_when_nothing_is_open(client, db):
    assert "目前没有正在进行的评议" in client.get("/").content.decode()
