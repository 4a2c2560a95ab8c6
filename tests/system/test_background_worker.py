"""`make run`'s background jobs (issue 12, item 3): with the queue `make run` uses —
kombu's filesystem transport, no broker to install — a request that starts a notice
job answers at once with the job queued, and a worker (here one in a thread, as
`make run` starts one beside the server) runs it to the end."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.urls import reverse

from config.celery import app
from notices.models import NoticeJob
from tests.conftest import remove_audit_rows_on_sqlite


@pytest.fixture
def filesystem_queue(tmp_path):
    """The app's Celery configured as `make run` configures it (config/settings.py,
    CELERY_BROKER_URL=filesystem://), and put back afterwards."""
    folders = {name: tmp_path / name for name in ("messages", "processed", "control")}
    for folder in folders.values():
        folder.mkdir()
    saved = {
        key: app.conf[key]
        for key in ("broker_url", "broker_transport_options", "task_always_eager")
    }
    app.conf.update(
        broker_url="filesystem://",
        broker_transport_options={
            "data_folder_in": str(folders["messages"]),
            "data_folder_out": str(folders["messages"]),
            "processed_folder": str(folders["processed"]),
            "control_folder": str(folders["control"]),
        },
        task_always_eager=False,
    )
    _forget_connections()
    yield folders["messages"]
    _forget_connections()
    app.conf.update(saved)
    remove_audit_rows_on_sqlite()  # before the flush, which the audit's trigger refuses


def _forget_connections():
    """The app's pools of connections to the broker are made on first use: drop them,
    so that the next use connects to the broker now configured."""
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None


# Committed for real: the worker reads the job from its own connection.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_notice_job_started_from_the_console_is_queued_and_the_worker_prints_it(
    client, city_officer, enrollment, filesystem_queue
):
    client.force_login(city_officer)
    started = client.post(
        reverse("console:campaign_notices", args=[enrollment.campaign.slug]),
        {"scope": "campaign"},
    )
    job = NoticeJob.objects.get()
    assert started["Location"] == reverse("console:notice_job", args=[job.pk])
    # The request did not print anything: the job waits in the queue for a worker.
    assert job.status == NoticeJob.Status.QUEUED and job.notices == 0
    assert len(list(filesystem_queue.iterdir())) == 1
    page = client.get(started["Location"])
    assert page["Refresh"] == "3" and "排队中" in page.content.decode()

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        for _ in range(600):  # until the worker has finished it (at most a minute)
            job.refresh_from_db()
            if job.finished:
                break
            time.sleep(0.1)
    assert job.status == NoticeJob.Status.DONE, job.error
    assert job.notices == enrollment.households
    assert not list(filesystem_queue.iterdir())  # taken from the queue
    page = client.get(started["Location"])
    assert "Refresh" not in page and 'value="100"' in page.content.decode()
    download = client.get(reverse("console:notice_job_file", args=[job.pk, 0]))
    assert download.status_code == 200 and download.content[:2] == b"PK"


@pytest.mark.parametrize(
    ("environment", "broker", "eager"),
    [
        ({}, "memory://", True),  # the tests, a bare runserver: eager
        ({"REDIS_URL": "redis://10.0.0.5:6379/0"}, "redis://10.0.0.5:6379/0", False),
        ({"CELERY_BROKER_URL": "filesystem://"}, "filesystem://", False),  # make run
    ],
)
def test_the_broker_follows_the_environment(environment, broker, eager, tmp_path):
    """REDIS_URL alone makes Redis the broker (a later settings line once reset it to
    nothing, and workers looked for AMQP on localhost); make run's filesystem queue
    gets its folders."""
    from tests.system.test_security_settings import STRONG, _start

    result = _start(
        {
            "SECRET_KEY": STRONG,
            "HOUSEHOLD_CODE_KEY": STRONG[::-1],
            "REDIS_URL": None,
            "CELERY_BROKER_URL": None,
            "CELERY_TASK_ALWAYS_EAGER": None,
            "CELERY_QUEUE_FOLDER": str(tmp_path / "queue"),
            **environment,
        },
        "from config.celery import app; "
        "print(app.conf.broker_url, app.conf.task_always_eager, "
        "(app.conf.broker_transport_options or {}).get('data_folder_in', '-'), sep='|')",
    )
    assert result.returncode == 0, result.stderr
    url, always_eager, folder = result.stdout.strip().splitlines()[-1].split("|")
    assert (url, always_eager) == (broker, str(eager))
    if broker == "filesystem://":
        assert folder == str(tmp_path / "queue" / "messages")
        assert (tmp_path / "queue" / "messages").is_dir()
