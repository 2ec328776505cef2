"""Staff accounts: creation, sign-in with throttling, and the personal-data access log.

Services take a Session and never commit; the admin views and the CLI own the transaction.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from admin.models import AccessLogEntry, LoginAttempt, Role, StaffUser

# argon2id with the library's defaults (RFC 9106's second recommended option).
_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_LOGIN = 5
MAX_FAILURES_PER_ADDRESS = 20
# Verifying against this when the login is unknown keeps the answer time the same either way.
_DUMMY_HASH = _hasher.hash("madoguchi-no-such-user")


class AccountError(Exception):
    """A staff account cannot be created or changed as asked."""


class ThrottledError(Exception):
    """Too many failed sign-ins: wait before trying again."""


def create_staff(session: Session, *, login: str, display_name: str, password: str, role: Role,
                 department: str = "", now: datetime) -> StaffUser:
    """Add a staff account; the password is stored only as an argon2id hash."""
    login = login.strip().lower()
    if not login or len(login) > 64:
        raise AccountError("ログインIDを64文字以内で入力してください。")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"パスワードは{MIN_PASSWORD_LENGTH}文字以上にしてください。")
    if session.scalar(select(StaffUser.id).where(StaffUser.login == login)) is not None:
        raise AccountError(f"ログインID「{login}」はすでに使われています。")
    staff = StaffUser(login=login, display_name=display_name.strip() or login, password_hash=_hasher.hash(password),
                      role=role, department=department.strip(), active=True, created_at=now)
    session.add(staff)
    session.flush()
    return staff


def authenticate(session: Session, login: str, password: str, *, address: str, now: datetime) -> StaffUser | None:
    """The active account for these credentials, or None; raises ThrottledError after repeated failures."""
    login = login.strip().lower()[:64]
    if is_throttled(session, login=login, address=address, now=now):
        raise ThrottledError(login)
    staff = session.scalars(select(StaffUser).where(StaffUser.login == login, StaffUser.active.is_(True))).first()
    ok = _verify(staff.password_hash if staff else _DUMMY_HASH, password) and staff is not None
    session.add(LoginAttempt(login=login, address=address[:64], succeeded=ok, attempted_at=now))
    if not ok:
        return None
    staff.last_login_at = now
    if _hasher.check_needs_rehash(staff.password_hash):
        staff.password_hash = _hasher.hash(password)
    return staff


def is_throttled(session: Session, *, login: str, address: str, now: datetime) -> bool:
    """True while too many recent sign-ins failed for this login or from this address."""
    since = now - THROTTLE_WINDOW
    failures = select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.succeeded.is_(False), LoginAttempt.attempted_at >= since)
    by_login = session.scalar(failures.where(LoginAttempt.login == login)) or 0
    by_address = session.scalar(failures.where(LoginAttempt.address == address)) or 0
    return by_login >= MAX_FAILURES_PER_LOGIN or by_address >= MAX_FAILURES_PER_ADDRESS


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def log_access(session: Session, staff: StaffUser, action: str, subject_type: str, subject_id: object, *,
               address: str, now: datetime) -> None:
    """Write down that a staff member looked at a citizen's personal data."""
    session.add(AccessLogEntry(staff_id=staff.id, action=action, subject_type=subject_type,
                               subject_id=str(subject_id), address=address[:64], accessed_at=now))


def recent_access(session: Session, *, limit: int = 200) -> list[tuple[AccessLogEntry, StaffUser]]:
    """The newest access-log entries with who made them."""
    statement = (select(AccessLogEntry, StaffUser).join(StaffUser, StaffUser.id == AccessLogEntry.staff_id)
                 .order_by(AccessLogEntry.id.desc()).limit(limit))
    return [(entry, staff) for entry, staff in session.execute(statement)]


def list_staff(session: Session) -> list[StaffUser]:
    """Every staff account, active ones first."""
    return list(session.scalars(select(StaffUser).order_by(StaffUser.active.desc(), StaffUser.login)))


def set_active(session: Session, staff_id: int, active: bool, *, acting: StaffUser) -> StaffUser:
    """Suspend or restore an account; an admin cannot lock themselves out."""
    staff = session.get(StaffUser, staff_id)
    if staff is None:
        raise AccountError("その職員アカウントはありません。")
    if staff.id == acting.id and not active:
        raise AccountError("自分のアカウントは停止できません。")
    staff.active = active
    return staff


def reset_password(session: Session, staff_id: int, password: str) -> StaffUser:
    """Give an account a new password (an admin does it when someone forgot theirs)."""
    staff = session.get(StaffUser, staff_id)
    if staff is None:
        raise AccountError("その職員アカウントはありません。")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"パスワードは{MIN_PASSWORD_LENGTH}文字以上にしてください。")
    staff.password_hash = _hasher.hash(password)
    return staff
