"""Open311 GeoReport v2: every response checked against the fields the spec documents, in JSON and XML."""
from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from datetime import timedelta

import jsonschema
import pytest

from core.config import Settings
from reports.services import change_status, set_hidden
from reports.status import ReportStatus
from tests.conftest import FIXED_NOW
from tests.reports.samples import CITY_HALL, FAR_IN_CITY, OUTSIDE_CITY, submitted_report
from tests.webhook_events import USER

API_KEY = "open311-test-key"
STRING = {"type": "string"}
# GeoReport v2 (wiki.open311.org/GeoReport_v2): the documented fields of each response.
SERVICE = {"type": "object", "additionalProperties": False,
           "required": ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"],
           "properties": {"service_code": STRING, "service_name": STRING, "description": STRING,
                          "metadata": {"type": "boolean"}, "type": {"enum": ["realtime", "batch", "blackbox"]},
                          "keywords": STRING, "group": STRING}}
DEFINITION = {"type": "object", "required": ["service_code", "attributes"],
              "properties": {"service_code": STRING, "attributes": {"type": "array"}}}
REQUEST = {"type": "object", "additionalProperties": False,
           "required": ["service_request_id", "status", "service_code", "requested_datetime"],
           "properties": {"service_request_id": STRING, "status": {"enum": ["open", "closed"]},
                          "status_notes": STRING, "service_name": STRING, "service_code": STRING,
                          "description": STRING, "agency_responsible": STRING, "service_notice": STRING,
                          "requested_datetime": STRING, "updated_datetime": STRING, "expected_datetime": STRING,
                          "address": STRING, "address_id": STRING, "zipcode": STRING,
                          "lat": {"type": ["number", "null"]}, "long": {"type": ["number", "null"]},
                          "media_url": STRING}}
CREATED = {"type": "array", "minItems": 1, "maxItems": 1, "items": {
    "type": "object", "required": ["service_request_id"], "anyOf": [{"required": ["token"]}, {"required": ["service_request_id"]}],
    "properties": {"service_request_id": STRING, "token": STRING, "service_notice": STRING, "account_id": STRING}}}
ERRORS = {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["code", "description"],
                                                     "properties": {"code": {"type": "integer"}, "description": STRING}}}


def _list_of(schema: dict) -> dict:
    return {"type": "array", "items": schema}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Open311 with one API key."""
    return settings.with_changes(open311_api_keys=(API_KEY,))


@pytest.fixture
def reports(app, session_factory):
    """Three reports from LINE: one open, one resolved with a public note, one hidden."""
    with session_factory.begin() as session:
        open_report = submitted_report(session, line_user_id=USER, point=CITY_HALL).report
        fixed = submitted_report(session, line_user_id=USER, point=FAR_IN_CITY, category="street_light").report
        change_status(session, fixed.id, ReportStatus.RESOLVED, message="電球を交換しました。", now=FIXED_NOW)
        hidden = submitted_report(session, line_user_id=USER, point=(34.70, 135.18), category="sign").report
        set_hidden(session, hidden.id, True, now=FIXED_NOW)
    return open_report, fixed, hidden


def _post(client, **form: str):
    return client.post("/open311/v2/requests.json", data={"api_key": API_KEY, **form})


def test_services_list_every_category_with_the_specs_fields(client) -> None:
    response = client.get("/open311/v2/services.json")
    assert response.status_code == 200
    services = response.get_json()
    jsonschema.validate(services, _list_of(SERVICE))
    assert [s["service_name"] for s in services][:2] == ["道路の穴・段差", "側溝・ふた"]
    xml = ElementTree.fromstring(client.get("/open311/v2/services.xml").data)
    assert xml.tag == "services" and len(xml.findall("service")) == len(services)
    assert xml.find("service/metadata").text == "false"


def test_a_service_definition_and_an_unknown_service(client) -> None:
    jsonschema.validate(client.get("/open311/v2/services/road_surface.json").get_json(), DEFINITION)
    assert ElementTree.fromstring(client.get("/open311/v2/services/road_surface.xml").data).tag == "service_definition"
    missing = client.get("/open311/v2/services/nothing.json")
    assert missing.status_code == 404
    jsonschema.validate(missing.get_json(), ERRORS)
    error = ElementTree.fromstring(client.get("/open311/v2/services/nothing.xml").data)
    assert error.tag == "errors" and error.find("error/code").text == "404"


def test_public_requests_carry_no_personal_data_and_hide_what_staff_hid(client, reports) -> None:
    open_report, fixed, hidden = reports
    response = client.get("/open311/v2/requests.json")
    rows = response.get_json()
    jsonschema.validate(rows, _list_of(REQUEST))
    by_id = {row["service_request_id"]: row for row in rows}
    assert set(by_id) == {open_report.receipt_number, fixed.receipt_number}
    assert by_id[fixed.receipt_number]["status"] == "closed"
    assert by_id[fixed.receipt_number]["status_notes"] == "電球を交換しました。"
    assert by_id[open_report.receipt_number]["agency_responsible"] == "道路管理課"
    assert by_id[open_report.receipt_number]["requested_datetime"] == "2026-04-01T18:00:00+09:00"
    body = response.get_data(as_text=True)
    assert USER not in body and "穴があります" not in body and "公園の入口" not in body


def test_requests_filter_by_status_code_window_and_id(client, reports) -> None:
    open_report, fixed, _ = reports
    assert [r["service_request_id"] for r in client.get("/open311/v2/requests.json?status=open").get_json()] == [
        open_report.receipt_number]
    assert [r["service_code"] for r in client.get("/open311/v2/requests.json?service_code=street_light").get_json()] == [
        "street_light"]
    by_id = client.get(f"/open311/v2/requests.json?service_request_id={fixed.receipt_number}&status=open")
    assert [r["service_request_id"] for r in by_id.get_json()] == [fixed.receipt_number]  # ids override filters
    before = (FIXED_NOW - timedelta(days=30)).isoformat()
    assert client.get(f"/open311/v2/requests.json?end_date={before}").get_json() == []


def test_requests_older_than_90_days_are_left_out_by_default(client, reports, clock) -> None:
    clock.advance(timedelta(days=91).total_seconds())
    assert client.get("/open311/v2/requests.json").get_json() == []


@pytest.mark.parametrize("query", ["status=pending", "start_date=yesterday",
                                   "start_date=2026-01-01T00:00:00%2B09:00&end_date=2026-06-01T00:00:00%2B09:00",
                                   "start_date=2026-01-01T00:00:00"])
def test_bad_query_parameters_get_the_specs_error_shape(client, query) -> None:
    response = client.get(f"/open311/v2/requests.json?{query}")
    assert response.status_code == 400
    jsonschema.validate(response.get_json(), ERRORS)


def test_one_request_by_id_in_json_and_xml(client, reports) -> None:
    open_report, _, hidden = reports
    rows = client.get(f"/open311/v2/requests/{open_report.receipt_number}.json").get_json()
    jsonschema.validate(rows, _list_of(REQUEST))
    assert len(rows) == 1
    xml = ElementTree.fromstring(client.get(f"/open311/v2/requests/{open_report.receipt_number}.xml").data)
    assert xml.tag == "service_requests"
    assert xml.find("request/service_request_id").text == open_report.receipt_number
    assert xml.find("request/lat").text == "34.69"
    assert client.get(f"/open311/v2/requests/{hidden.receipt_number}.json").status_code == 404
    assert client.get("/open311/v2/requests/R000000-0000.json").status_code == 404
    assert client.get("/open311/v2/requests.csv").status_code == 404


def test_posting_a_request_needs_a_valid_api_key(client) -> None:
    for key in ("", "wrong"):
        response = client.post("/open311/v2/requests.json", data={"api_key": key, "service_code": "river",
                                                                   "lat": "34.69", "long": "135.195"})
        assert response.status_code == 403
        jsonschema.validate(response.get_json(), ERRORS)


def test_a_posted_request_is_received_and_can_be_read_back(client, session_factory) -> None:
    response = _post(client, service_code="river", lat="34.69", long="135.195", description="水路にごみ",
                     email="someone@example.jp", first_name="太郎")
    assert response.status_code == 200
    created = response.get_json()
    jsonschema.validate(created, CREATED)
    request_id = created[0]["service_request_id"]
    [row] = client.get(f"/open311/v2/requests/{request_id}.json").get_json()
    assert row["service_code"] == "river" and row["status"] == "open" and row["agency_responsible"] == "河川課"
    body = client.get("/open311/v2/requests.json").get_data(as_text=True)
    assert "someone@example.jp" not in body and "太郎" not in body and "水路にごみ" not in body


def test_posting_in_xml_answers_in_xml(client) -> None:
    response = client.post("/open311/v2/requests.xml", data={"api_key": API_KEY, "service_code": "river",
                                                              "address_string": "みなと市港町3丁目"})
    xml = ElementTree.fromstring(response.data)
    assert response.status_code == 200 and xml.find("request/service_request_id").text.startswith("R")


@pytest.mark.parametrize(("form", "status"), [
    ({"lat": "34.69", "long": "135.195"}, 400),                                   # no service_code
    ({"service_code": "nothing", "lat": "34.69", "long": "135.195"}, 404),
    ({"service_code": "river"}, 400),                                             # no location at all
    ({"service_code": "river", "lat": "north", "long": "east"}, 400),
    ({"service_code": "river", "lat": str(OUTSIDE_CITY[0]), "long": str(OUTSIDE_CITY[1])}, 400),
])
def test_a_post_the_city_cannot_take_is_refused_in_the_specs_shape(client, form, status) -> None:
    response = _post(client, **form)
    assert response.status_code == status
    jsonschema.validate(response.get_json(), ERRORS)
