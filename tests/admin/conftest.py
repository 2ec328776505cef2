"""Staff accounts and signed-in clients for the admin tests."""
from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from admin.accounts import create_staff
from admin.models import Role
from tests.conftest import FIXED_NOW

PASSWORD = "correct-horse-battery"


@pytest.fixture
def make_staff(session_factory) -> Callable[..., str]:
    """Create a staff account; returns its login."""
    def make(login: str, role: Role = Role.ADMIN, department: str = "") -> str:
        with session_factory.begin() as session:
            create_staff(session, login=login, display_name=f"{login}さん", password=PASSWORD, role=role,
                         department=department, now=FIXED_NOW)
        return login
    return make


def csrf_of(client: FlaskClient, path: str = "/admin/login") -> str:
    """The CSRF token the page at `path` carries in its forms."""
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(client: FlaskClient, login: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    """Post the login form as a browser would."""
    return client.post("/admin/login", data={"login": login, "password": password, "csrf_token": csrf_of(client)})


@pytest.fixture
def signed_in(client, make_staff) -> Callable[..., FlaskClient]:
    """A client signed in as a new staff member of the given role (and department)."""
    def as_role(role: Role = Role.ADMIN, department: str = "", login: str | None = None) -> FlaskClient:
        name = make_staff(login or f"{role.value}{department}", role, department)
        response = sign_in(client, name)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client
    return as_role
