"""The PDPA corpus through ingest under gunicorn, read back from Kafka: no form survives in `votes.v1` (the API's
comment and staff) or in `comments.v1` (a LINE conversation's comment), nor anywhere in the raw records."""

from __future__ import annotations

import requests

from shared.vote_rules import BATCH_MAX, STAFF_MAX
from tests.integration.ingest_env import AUTH
from tests.support import line_api as line
from tests.support.kafka_read import read_topic
from tests.unit.test_pdpa_corpus import FORMS, NEW_FORMS, _survives

CORPUS = FORMS + NEW_FORMS
LINE_SAMPLE = NEW_FORMS[::6]  # a conversation each; every class of the new corpus is in the sample


def _single_line(text: str) -> str:
    return " ".join(text.split())[:STAFF_MAX]


def test_every_form_posted_to_the_api_reaches_votes_v1_redacted(line_ingest, settings):
    vote_ids: dict[str, tuple[str, str]] = {}
    for at in range(0, len(CORPUS), BATCH_MAX):
        chunk = CORPUS[at:at + BATCH_MAX]
        votes = [{"district_code": "3706", "score": 4, "comment": text, "staff": _single_line(text),
                  "idempotency_key": f"pdpa-{at + i}"} for i, (_case, text, _) in enumerate(chunk)]
        response = requests.post(line_ingest.url + "/v1/votes/batch", json={"votes": votes}, headers=AUTH, timeout=60)
        assert response.status_code == 200, response.text
        results = response.json()["results"]
        assert [r["status"] for r in results] == [202] * len(chunk), results
        vote_ids.update({r["vote_id"]: (case, secret) for r, (case, _, secret) in zip(results, chunk, strict=True)})
    events = {e["vote_id"]: e for _, e in read_topic(settings.kafka_bootstrap, settings.topics.votes)}
    assert set(events) == set(vote_ids)
    leaks = [case for vote_id, (case, secret) in vote_ids.items()
             if _survives(events[vote_id]["comment"], secret) or _survives(events[vote_id]["staff"] or "", secret)]
    assert not leaks, leaks


def _converse(line_ingest, line_api, user: str, comment: str) -> None:
    for event in (line.follow(user), line.text(user, "อำเภอพยัคฆภูมิพิสัย")):
        assert _post(line_ingest, event).status_code == 200
    assert _post(line_ingest, line.postback(user, line.button_data(line_api.replies()[-1], "4"))).status_code == 200
    assert _post(line_ingest, line.text(user, comment)).status_code == 200


def _post(line_ingest, event):
    body = line.payload(event)
    return requests.post(line_ingest.url + "/v1/channels/line/webhook", data=body, timeout=15,
                         headers={"Content-Type": "application/json", "X-Line-Signature": line.sign(body)})


def test_a_sample_of_the_new_forms_as_line_comments_reaches_comments_v1_redacted(line_ingest, settings, line_api):
    for _case, text, _secret in LINE_SAMPLE:
        _converse(line_ingest, line_api, line.user_id(), text)
    # a text that names someone answers the praise question (issue 19): it travels as `staff`, redacted alike
    comments = [c["comment"] or c["staff"] for _, c in read_topic(settings.kafka_bootstrap, settings.topics.comments)]
    assert len(comments) == len(LINE_SAMPLE)
    leaks = [case for case, _text, secret in LINE_SAMPLE if any(_survives(c, secret) for c in comments)]
    assert not leaks, leaks
