"""jobs.later: the jobs asked for in a unit of work go out when it commits, for every commit of a
database session the worker keeps open across several (the check run writes each report in its own
commit), and never after a rollback."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import Session, SQLModel, create_engine

from identity_app import jobs
from identity_app.jobs import Job, JobKind

pytestmark = pytest.mark.fast


@pytest.fixture
def sent(monkeypatch):
    out: list[Job] = []
    monkeypatch.setattr(jobs, "send", out.append)  # the queue itself is tested in test_jobs_after_commit
    return out


def test_every_commit_of_one_session_sends_its_own_jobs(sent):
    engine = create_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as db:
        for n in range(1, 4):
            jobs.later(db, Job(JobKind.WEBHOOK_DELIVERY, n))
            jobs.later(db, Job(JobKind.WEBHOOK_DELIVERY, n))  # asked twice, sent once
            db.commit()
        db.exec(text("select 1"))  # a unit of work that began, asked for a job, then failed
        jobs.later(db, Job(JobKind.WEBHOOK_DELIVERY, 99))
        db.rollback()
        db.commit()
        jobs.later(db, Job(JobKind.WEBHOOK_DELIVERY, 4))
        db.commit()
    assert [j.id for j in sent] == [1, 2, 3, 4]
