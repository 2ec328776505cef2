"""The admin's guards: who is signed in, what their role allows, CSRF, idle timeout, security headers."""
from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from flask import Response, abort, g, redirect, request, session, url_for

from admin.models import Role, StaffUser

IDLE_TIMEOUT = timedelta(minutes=30)
CSRF_FIELD = "csrf_token"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

# What each role may do; a view names the permission it needs.
PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.ADMIN: frozenset({"view", "faq", "broadcast", "cases", "staff"}),
    Role.EDITOR: frozenset({"view", "faq", "broadcast"}),
    Role.HANDLER: frozenset({"view", "cases"}),
    Role.VIEWER: frozenset({"view"}),
}


def can(staff: StaffUser | None, permission: str) -> bool:
    """True when the staff member's role allows the permission."""
    return staff is not None and permission in PERMISSIONS.get(staff.role, frozenset())


def requires(permission: str) -> Callable:
    """Decorator: sign-in required (redirect), and the permission (403 otherwise)."""
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if g.get("staff") is None:
                return redirect(url_for("admin_auth.login", next=request.path))
            if not can(g.staff, permission):
                abort(403)
            return view(*args, **kwargs)
        return guarded
    return decorator


def csrf_token() -> str:
    """The session's CSRF token, created on first use (templates put it in every form)."""
    if CSRF_FIELD not in session:
        session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return session[CSRF_FIELD]


def check_csrf() -> None:
    """Refuse a state-changing request whose token is missing or wrong (400)."""
    if request.method in _SAFE_METHODS:
        return
    sent = request.form.get(CSRF_FIELD) or request.headers.get("X-CSRF-Token", "")
    expected = session.get(CSRF_FIELD, "")
    if not expected or not secrets.compare_digest(str(sent), str(expected)):
        abort(400, description="CSRF token missing or invalid")


def set_security_headers(response: Response) -> Response:
    """Headers every admin page carries: no framing, no sniffing, a strict content policy."""
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    # Map tiles are the one outside resource the admin may load (OpenStreetMap, when online).
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data: https://tile.openstreetmap.org; style-src 'self'; "
        "script-src 'self'; frame-ancestors 'none'; form-action 'self'")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def client_address() -> str:
    """The address sign-in throttling counts (the proxy's view is configured at the WSGI layer)."""
    return request.remote_addr or "unknown"


def sign_in(staff: StaffUser, now: datetime) -> None:
    """Start a fresh session for the staff member (a new session defeats session fixation)."""
    session.clear()
    session["staff_id"] = staff.id
    session["last_seen"] = now.timestamp()
    csrf_token()
