"""The deploy files say what the docs say: the units and the compose file run the
commands of the project, the nginx site's pages exist and are bilingual, and the units
drain before they stop. (The site itself runs in test_nginx_servers.py.)"""

import configparser
import re
from pathlib import Path

import yaml
from django.conf import settings

DEPLOY = Path(settings.BASE_DIR) / "deploy"


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(DEPLOY / "systemd" / name)
    return parser


def test_the_units_run_gunicorn_the_worker_and_the_scheduler():
    web, worker, beat = (
        unit("manyi.service"),
        unit("manyi-worker.service"),
        unit("manyi-beat.service"),
    )
    assert "gunicorn config.wsgi -c config/gunicorn.conf.py" in web["Service"]["ExecStart"]
    assert "celery -A config worker" in worker["Service"]["ExecStart"]
    assert "celery -A config beat" in beat["Service"]["ExecStart"]
    for parser in (web, worker, beat):
        assert parser["Service"]["User"] == "manyi"
        assert parser["Service"]["EnvironmentFile"] == "/etc/manyi/env"


def test_the_app_server_drains_before_it_stops():
    service = unit("manyi.service")["Service"]
    text = (DEPLOY / "systemd" / "manyi.service").read_text()
    assert re.search(r"^Environment=DRAIN_FILE=/run/manyi/\S+$", text, re.MULTILINE)
    stop = service["ExecStop"]
    assert stop.index('touch "$DRAIN_FILE"') < stop.index("sleep") < stop.index("kill -TERM")
    # systemd waits longer than the drain plus gunicorn's graceful timeout (30 s).
    assert int(service["TimeoutStopSec"]) > 5 + 30


def test_the_compose_file_runs_the_whole_stack():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"db", "redis", "app1", "app2", "worker", "beat", "nginx"} <= services.keys()
    assert services["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]
    assert "/readyz" in " ".join(services["app1"]["healthcheck"]["test"])
    # nginx runs the site file itself, pointed at the two app containers.
    assert (
        "./nginx/manyi.conf:/etc/nginx/templates/manyi.conf.template:ro"
        in services["nginx"]["volumes"]
    )
    sed = (DEPLOY / "nginx" / "compose-upstream.sed").read_text()
    site = (DEPLOY / "nginx" / "manyi.conf").read_text()
    for pattern in re.findall(r"^s/(.+?)/", sed, re.MULTILINE):
        assert re.search(pattern, site), pattern


def test_every_error_page_of_the_site_exists_in_both_languages():
    site = (DEPLOY / "nginx" / "manyi.conf").read_text()
    pages = set(re.findall(r"error_page [\d ]+ /_errors/(\S+);", site))
    assert pages == {"429.html", "502.html", "503.html"}
    for page in pages:
        html = (DEPLOY / "errors" / page).read_text("utf-8")
        assert 'lang="zh-Hans"' in html and 'lang="en"' in html
        assert re.search(r"[\u4e00-\u9fff]{6,}", html)  # Chinese first


def test_the_site_hides_its_version_and_keeps_secrets_out_of_its_logs():
    site = (DEPLOY / "nginx" / "manyi.conf").read_text()
    assert site.count("server_tokens off;") == 2
    assert re.search(r"error_log \S+ crit;", site)
    log_format = site[site.index("log_format manyi") : site.index("limit_req_zone")]
    assert "$remote_addr" not in log_format and "$request_uri" not in log_format
    assert "$http_x_forwarded_for" not in log_format and "$request " not in log_format
    assert "proxy_next_upstream error timeout http_502 http_503;" in site
    assert re.search(r"max_fails=\d+ fail_timeout=\d+s", site)
