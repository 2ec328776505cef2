"""The admin's guards: sign-in, roles, departments, CSRF, throttling, escaping, timeouts, headers."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from admin.models import AccessLogEntry, Role
from inquiries.services import open_inquiry
from tests.admin.conftest import csrf_of, sign_in
from tests.conftest import FIXED_NOW
from tests.webhook_events import USER


def test_every_admin_page_asks_for_sign_in_first(client) -> None:
    for path in ("/admin/", "/admin/faq/", "/admin/triage/", "/admin/inquiries/", "/admin/access-log"):
        response = client.get(path)
        assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(client, make_staff) -> None:
    make_staff("suzuki")
    for login, password in (("suzuki", "wrong-password"), ("nobody", "wrong-password")):
        response = sign_in(client, login, password)
        assert response.status_code == 401
        assert "ログインIDまたはパスワードが違います" in response.get_data(as_text=True)


def test_sign_in_is_throttled_after_repeated_failures(client, make_staff) -> None:
    make_staff("suzuki")
    for _ in range(5):
        assert sign_in(client, "suzuki", "wrong-password").status_code == 401
    response = sign_in(client, "suzuki")  # even the right password waits now
    assert response.status_code == 429
    assert "15分ほど待って" in response.get_data(as_text=True)


def test_a_form_without_its_csrf_token_gets_400(signed_in) -> None:
    client = signed_in(Role.ADMIN)
    response = client.post("/admin/faq/new", data={"external_id": "x-1", "question": "q", "answer": "a"})
    assert response.status_code == 400
    response = client.post("/admin/faq/new", data={"external_id": "x-1", "question": "q", "answer": "a",
                                                   "csrf_token": "forged"})
    assert response.status_code == 400


def test_a_viewer_can_read_statistics_but_not_edit(signed_in) -> None:
    client = signed_in(Role.VIEWER)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/faq/").status_code == 403
    token = csrf_of(client, "/admin/")
    response = client.post("/admin/faq/new", data={"external_id": "x-1", "question": "q", "answer": "a",
                                                   "csrf_token": token})
    assert response.status_code == 403
    assert "権限がありません" in response.get_data(as_text=True)


def test_a_handler_sees_only_their_departments_inquiries(signed_in, session_factory) -> None:
    with session_factory.begin() as session:
        ours = open_inquiry(session, channel="line", text="ベンチが壊れています", now=FIXED_NOW, line_user_id=USER,
                            department="公園緑地課")
        theirs = open_inquiry(session, channel="line", text="税金について", now=FIXED_NOW, line_user_id=USER,
                              department="税務課")
    client = signed_in(Role.HANDLER, department="公園緑地課")
    listing = client.get("/admin/inquiries/?status=all").get_data(as_text=True)
    assert ours.receipt_number in listing and theirs.receipt_number not in listing
    assert client.get(f"/admin/inquiries/{theirs.id}").status_code == 404
    assert client.get(f"/admin/inquiries/{ours.id}").status_code == 200


def test_looking_at_an_inquiry_is_written_to_the_access_log(signed_in, session_factory) -> None:
    with session_factory.begin() as session:
        inquiry = open_inquiry(session, channel="line", text="住所は港区1-2-3です", now=FIXED_NOW, line_user_id=USER)
    client = signed_in(Role.ADMIN)
    client.get(f"/admin/inquiries/{inquiry.id}")
    with session_factory() as session:
        [entry] = session.scalars(select(AccessLogEntry)).all()
    assert (entry.action, entry.subject_id) == ("view_inquiry", str(inquiry.id))
    assert "view_inquiry" in client.get("/admin/access-log").get_data(as_text=True)


def test_citizen_text_with_a_script_tag_is_shown_escaped(signed_in, session_factory) -> None:
    with session_factory.begin() as session:
        inquiry = open_inquiry(session, channel="line", text="<script>alert('x')</script>", now=FIXED_NOW,
                               line_user_id=USER)
    page = signed_in(Role.ADMIN).get(f"/admin/inquiries/{inquiry.id}").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page


def test_an_idle_session_expires_after_thirty_minutes(signed_in, clock) -> None:
    client = signed_in(Role.ADMIN)
    assert client.get("/admin/").status_code == 200
    clock.advance(31 * 60)
    response = client.get("/admin/")
    assert response.status_code == 302 and "expired=1" in response.headers["Location"]


def test_admin_pages_carry_security_headers(signed_in) -> None:
    response = signed_in(Role.ADMIN).get("/admin/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_session_cookie_is_secure_and_http_only_in_production(settings, line, seeded_faq, make_staff) -> None:
    from bot.app import create_app

    app = create_app(settings.with_changes(admin_secure_cookies=True), line=line, start_worker=False)
    client = app.test_client()
    make_staff("suzuki")
    client.get("/admin/login")
    cookie = client.get_cookie("madoguchi_admin")
    assert cookie is not None and cookie.secure and cookie.http_only
    app.extensions["madoguchi"].engine.dispose()


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/callback"])
def test_sign_in_never_redirects_outside_the_admin(client, make_staff, target) -> None:
    make_staff("suzuki")
    response = client.post(f"/admin/login?next={target}", data={
        "login": "suzuki", "password": "correct-horse-battery", "csrf_token": csrf_of(client)})
    assert response.headers["Location"] == "/admin/"


def test_a_handler_sees_only_their_departments_reports_and_views_are_logged(signed_in, session_factory) -> None:
    from tests.reports.samples import submitted_report

    with session_factory.begin() as session:
        road = submitted_report(session, line_user_id=USER, category="road_surface").report
        park = submitted_report(session, line_user_id=USER, category="park_equipment", point=(34.70, 135.20)).report
        road_department = road.department
    client = signed_in(Role.HANDLER, department=road_department)
    listing = client.get("/admin/reports/").get_data(as_text=True)
    assert road.receipt_number in listing and park.receipt_number not in listing
    assert client.get(f"/admin/reports/{park.id}").status_code == 404
    assert client.get(f"/admin/reports/{road.id}").status_code == 200
    assert [p["id"] for p in client.get("/admin/reports/map.json").get_json()] == [road.id]
    with session_factory() as session:
        actions = [e.action for e in session.scalars(select(AccessLogEntry).order_by(AccessLogEntry.id))]
    assert actions == ["view_report", "view_report_map"]


def test_an_answered_inquiry_becomes_a_new_faq_in_one_step(signed_in, session_factory) -> None:
    from inquiries.services import reply_as_staff

    with session_factory.begin() as session:
        inquiry = open_inquiry(session, channel="line", text="犬の登録はどこでできますか", now=FIXED_NOW, line_user_id=USER)
        reply_as_staff(session, inquiry.id, "環境衛生課の窓口で登録できます。", staff_name="佐藤", now=FIXED_NOW)
    client = signed_in(Role.ADMIN)
    page = client.get(f"/admin/inquiries/{inquiry.id}").get_data(as_text=True)
    link = re.search(r'href="(/admin/faq/new\?[^"]+)"', page).group(1).replace("&amp;", "&")
    form = client.get(link).get_data(as_text=True)
    assert 'value="犬の登録はどこでできますか"' in form and "環境衛生課の窓口で登録できます。" in form


def test_the_dashboard_counts_reports_and_inquiry_response_times(signed_in, session_factory) -> None:
    from datetime import timedelta

    from inquiries.services import reply_as_staff
    from tests.reports.samples import submitted_report

    with session_factory.begin() as session:
        submitted_report(session, line_user_id=USER, category="road_surface")
        submitted_report(session, line_user_id=USER, category="road_surface", point=(34.70, 135.20))
        inquiry = open_inquiry(session, channel="line", text="質問です", now=FIXED_NOW, line_user_id=USER)
        reply_as_staff(session, inquiry.id, "回答です", staff_name="佐藤", now=FIXED_NOW + timedelta(hours=3))
    page = signed_in(Role.VIEWER).get("/admin/?from=2026-03-01&to=2026-04-30").get_data(as_text=True)
    assert re.search(r"道路の穴・段差</td><td>2</td>.*<td>2</td></tr>", page, re.S)
    assert "3.0 時間" in page


def test_an_admin_adds_suspends_and_restores_staff_and_only_admins_may(signed_in, session_factory, client) -> None:
    from admin.models import StaffUser

    admin_client = signed_in(Role.ADMIN)
    token = csrf_of(admin_client, "/admin/staff/")
    admin_client.post("/admin/staff/", data={"login": "sato", "display_name": "佐藤", "role": "handler",
                                             "department": "公園緑地課", "password": "long-enough-pw",
                                             "csrf_token": token})
    with session_factory() as session:
        sato = session.scalars(select(StaffUser).where(StaffUser.login == "sato")).one()
    assert (sato.role, sato.department, sato.active) == (Role.HANDLER, "公園緑地課", True)
    admin_client.post(f"/admin/staff/{sato.id}/active", data={"active": "0", "csrf_token": token})
    with session_factory() as session:
        assert session.get(StaffUser, sato.id).active is False
    admin_client.post("/admin/logout", data={"csrf_token": token})
    assert sign_in(client, "sato", "long-enough-pw").status_code == 401  # suspended
    editor = signed_in(Role.EDITOR)
    assert editor.get("/admin/staff/").status_code == 403


def test_staff_add_a_synonym_group_in_the_admin_and_answers_follow(signed_in, app) -> None:
    client = signed_in(Role.EDITOR)
    token = csrf_of(client, "/admin/faq/synonyms")
    response = client.post("/admin/faq/synonyms", data={"terms": "粗大ごみ、テレビ台", "csrf_token": token})
    assert response.status_code == 302
    assert "粗大ごみ、テレビ台" in client.get("/admin/faq/synonyms").get_data(as_text=True)
    assert app.extensions["madoguchi"].answerer.match("テレビ台を処分したい").hits[0].faq_id == "t-gomi-001"


def test_an_admin_adds_an_area_and_renames_a_category_for_citizens(signed_in, session_factory) -> None:
    from broadcast.preferences import enabled_areas, enabled_categories

    client = signed_in(Role.ADMIN)
    token = csrf_of(client, "/admin/settings/")
    client.post("/admin/settings/area", data={"key": "kita", "name": "北地区", "csrf_token": token})
    with session_factory() as session:
        tourism = next(c for c in enabled_categories(session) if c.key == "tourism")
    client.post(f"/admin/settings/category/{tourism.id}", data={"name": "観光・まつり", "csrf_token": token})
    with session_factory() as session:
        assert [a.name for a in enabled_areas(session)] == ["北地区"]
        names = {c.key: c.name for c in enabled_categories(session)}
    assert "tourism" not in names  # saved without the 使う box: switched off for citizens
    response = client.post("/admin/settings/area", data={"key": "Bad Key", "name": "x", "csrf_token": token})
    assert response.status_code == 302
    with session_factory() as session:
        assert len(enabled_areas(session)) == 1


def test_the_inquiry_inbox_filters_by_department(signed_in, session_factory) -> None:
    with session_factory.begin() as session:
        parks = open_inquiry(session, channel="line", text="公園", now=FIXED_NOW, line_user_id=USER, department="公園緑地課")
        taxes = open_inquiry(session, channel="line", text="税", now=FIXED_NOW, line_user_id=USER, department="税務課")
    page = signed_in(Role.ADMIN).get("/admin/inquiries/?status=all&department=税務課").get_data(as_text=True)
    assert taxes.receipt_number in page and parks.receipt_number not in page
