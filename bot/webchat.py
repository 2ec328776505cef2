"""The homepage web chat: /api/chat (JSON) for the embeddable widget, its static files and a demo page.

The same engine and the same logs as LINE (channel "web"), with an opaque random session id standing
in for the LINE user id. A web visitor cannot be pushed to, so staff replies to an inquiry are
fetched by the widget (GET /api/chat/inquiry). The API is called from other sites' pages, so it
checks the Origin against WEBCHAT_ALLOWED_ORIGINS, limits each visitor's address to
WEBCHAT_RATE_LIMIT calls a minute, and refuses oversized or malformed bodies with a JSON message
in Japanese that the widget shows as it is. Question and inquiry text is never logged.
"""
from __future__ import annotations

import ipaddress
import json
import logging
import math
import re
import secrets
import threading
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import RequestEntityTooLarge

from bot import webchat_texts
from bot.runtime import runtime
from faq.index import FaqDocument
from faq.match import Match, Outcome
from faq.models import QuestionLog, QuestionOutcome
from faq.services import log_question, record_choice, record_feedback
from handlers import texts
from handlers.answers import MAX_CANDIDATES, answer_messages
from inquiries.models import Inquiry
from inquiries.services import MAX_INQUIRY_TEXT, add_citizen_message, latest_open_inquiry, open_inquiry

log = logging.getLogger(__name__)

blueprint = Blueprint("webchat", __name__, static_folder="static/widget", static_url_path="/static/widget",
                      template_folder="templates")

MAX_BODY_BYTES = 16 * 1024
MAX_QUESTION_LENGTH = 500
MAX_FAQ_ID = 64
# Ids we issue are 32 characters of secrets.token_urlsafe; anything else the client sends is replaced.
SESSION_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")
RATE_WINDOW_SECONDS = 60.0
PREFLIGHT_MAX_AGE = 600
CONFIG_MAX_AGE = 300
ALLOWED_METHODS = "GET, POST, OPTIONS"
_LIMITER_KEY = "madoguchi_webchat_limiter"
_api_endpoints: dict[str, bool] = {}  # endpoint → counts against the rate limit


class WebChatError(Exception):
    """A request the API refuses, with the status and the Japanese message the visitor sees."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(code)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


class SlidingWindowLimiter:
    """At most `limit` calls per key in any `window` seconds (a sliding window, not calendar minutes).

    In-process: each web process counts on its own, which is enough to stop one visitor's script.
    Memory is bounded: idle keys are swept when the table fills up.
    """

    def __init__(self, window: float = RATE_WINDOW_SECONDS, max_keys: int = 50_000) -> None:
        self.window, self.max_keys = window, max_keys
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, *, limit: int, now: float) -> float:
        """Count a call; 0 when allowed, else the seconds until one would be (refused calls do not count)."""
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                if len(self._hits) >= self.max_keys:
                    self._sweep(now)
                hits = self._hits[key] = deque()
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= limit:
                return hits[0] + self.window - now
            hits.append(now)
            return 0.0

    def _sweep(self, now: float) -> None:
        self._hits = {key: hits for key, hits in self._hits.items() if hits and hits[-1] > now - self.window}
        if len(self._hits) >= self.max_keys:
            self._hits.clear()  # a flood of distinct addresses: forget rather than grow without bound


@blueprint.record_once
def _install_limiter(state: Any) -> None:
    state.app.extensions.setdefault(_LIMITER_KEY, SlidingWindowLimiter())


def _api(rule: str, *, methods: list[str], limited: bool = True) -> Callable:
    """Register an API view: it gets the origin check, the rate limit (unless not `limited`) and CORS headers."""
    def register(view: Callable) -> Callable:
        _api_endpoints[f"{blueprint.name}.{view.__name__}"] = limited
        return blueprint.route(rule, methods=[*methods, "OPTIONS"], provide_automatic_options=False)(view)
    return register


# --- the guard around every API call: origin, preflight, rate limit, body size ---------------------------

@blueprint.before_request
def _guard() -> Response | None:
    if request.endpoint not in _api_endpoints:
        return None  # the demo page and the widget's files are open to all
    origin = request.headers.get("Origin")
    if request.method == "OPTIONS":
        return _preflight(origin)
    if origin is not None and not _is_allowed_origin(origin):
        raise WebChatError(403, "origin_denied", webchat_texts.ORIGIN_DENIED)
    if _api_endpoints[request.endpoint]:
        _check_rate_limit()
    if request.method == "POST":
        if (request.content_length or 0) > MAX_BODY_BYTES:
            raise _too_large()
        request.max_content_length = MAX_BODY_BYTES  # also caps chunked bodies that declare no length
    return None


def _preflight(origin: str | None) -> Response:
    """Answer the browser's CORS preflight: allowed origins may POST JSON; others get 403 and no CORS headers."""
    if origin is None:
        return Response(status=204, headers={"Allow": ALLOWED_METHODS})
    if not _is_allowed_origin(origin):
        return Response(status=403)
    response = Response(status=204)
    response.headers.update({
        "Access-Control-Allow-Methods": ALLOWED_METHODS,
        "Access-Control-Allow-Headers": "Content-Type",
        "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE),
    })
    response.vary.update(("Access-Control-Request-Method", "Access-Control-Request-Headers"))
    return response


@blueprint.after_request
def _cors_headers(response: Response) -> Response:
    if request.endpoint not in _api_endpoints:
        return response
    response.vary.add("Origin")  # caches must not hand one site's answer to another
    origin = request.headers.get("Origin")
    if origin is not None and _is_allowed_origin(origin):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = "Retry-After"
    response.headers.setdefault("Cache-Control", "no-store")  # answers carry a visitor's own questions
    return response


def _is_allowed_origin(origin: str) -> bool:
    """The page's own host, or an origin on WEBCHAT_ALLOWED_ORIGINS (scheme, host and port as the browser sends)."""
    normalized = origin.strip().rstrip("/").lower()
    if normalized in runtime().settings.webchat_allowed_origins:
        return True
    try:
        host = urlsplit(normalized).netloc
    except ValueError:  # "http://[oops": not an origin any browser sends
        return False
    # Same host counts as same origin whatever the scheme: a TLS-terminating proxy makes us see http.
    return host == request.host.lower() != ""


def _check_rate_limit() -> None:
    rt = runtime()
    limit = rt.settings.webchat_rate_limit
    if limit <= 0:
        return
    limiter: SlidingWindowLimiter = current_app.extensions[_LIMITER_KEY]
    wait = limiter.hit(_client_key(), limit=limit, now=rt.clock().timestamp())
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise WebChatError(429, "rate_limited", webchat_texts.RATE_LIMITED.format(seconds=seconds),
                           {"Retry-After": str(seconds)})


def _client_key() -> str:
    """The visitor's address; behind WEBCHAT_TRUST_PROXY proxies, the entry the nearest trusted one added."""
    address = request.remote_addr or "unknown"
    hops = runtime().settings.webchat_trust_proxy
    if hops > 0:
        # Entries left of the trusted ones were written by the client and could be anything.
        forwarded = [part.strip() for part in ",".join(request.headers.getlist("X-Forwarded-For")).split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    # One IPv6 home or phone gets a whole /64: counting per address would let it rotate freely.
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)


@blueprint.errorhandler(WebChatError)
def _refused(error: WebChatError) -> tuple[Response, int, dict[str, str]]:
    return jsonify(error=error.code, message=error.message), error.status, error.headers


@blueprint.errorhandler(SQLAlchemyError)
def _database_unavailable(error: SQLAlchemyError) -> tuple[Response, int]:
    log.error("webchat: database error on %s: %s", request.endpoint, type(error).__name__)
    return jsonify(error="unavailable", message=webchat_texts.UNAVAILABLE), 503


def _too_large() -> WebChatError:
    return WebChatError(413, "body_too_large", webchat_texts.BODY_TOO_LARGE.format(limit=MAX_QUESTION_LENGTH))


# --- reading requests ----------------------------------------------------------------------------------

def _json_body() -> dict[str, Any]:
    """The request's JSON object; anything else is a 400 with a message, never a 500."""
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise _too_large() from None
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise _bad_request() from None
    if not isinstance(payload, dict):
        raise _bad_request()
    return payload


def _bad_request(message: str = webchat_texts.BAD_REQUEST, code: str = "bad_request") -> WebChatError:
    return WebChatError(400, code, message)


def _session_id(value: Any) -> str:
    """The visitor's session id if it is one we could have issued, else a new random one."""
    if isinstance(value, str) and SESSION_ID_PATTERN.fullmatch(value):
        return value
    return secrets.token_urlsafe(24)


def _question_id(value: Any) -> int:
    # Question ids are INTEGER columns: on PostgreSQL a larger one made the query fail with a 503.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
        raise _bad_request()
    return value


def _text(value: Any, *, limit: int, empty: str, too_long: str) -> str:
    """Stripped text of at most `limit` characters; otherwise a 400 that says what to fix."""
    if not isinstance(value, str) or "\x00" in value or not _is_utf8(value):
        # NUL (PostgreSQL refuses it in text) and lone surrogates from "\ud800" escapes (no database can
        # store them) made a 500 or 503 instead of a message.
        raise _bad_request()
    text = value.strip()
    if not text:
        raise _bad_request(empty, "empty_text")
    if len(text) > limit:
        raise _bad_request(too_long.format(limit=limit), "text_too_long")
    return text


def _is_utf8(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _question_text(value: Any) -> str:
    return _text(value, limit=MAX_QUESTION_LENGTH, empty=texts.EMPTY_TEXT, too_long=texts.TOO_LONG)


def _inquiry_text(value: Any) -> str:
    return _text(value, limit=MAX_INQUIRY_TEXT, empty=webchat_texts.INQUIRY_EMPTY,
                 too_long=webchat_texts.INQUIRY_TOO_LONG)


# --- the API --------------------------------------------------------------------------------------------

@_api("/api/chat/config", methods=["GET"], limited=False)
def config() -> Response:
    """The widget's wording and limits: it has no Japanese of its own."""
    response = jsonify(greeting=webchat_texts.GREETING, texts=webchat_texts.WIDGET,
                       limits={"question": MAX_QUESTION_LENGTH, "inquiry": MAX_INQUIRY_TEXT})
    response.headers["Cache-Control"] = f"public, max-age={CONFIG_MAX_AGE}"  # fetched on every page view
    return response


@_api("/api/chat", methods=["POST"])
def ask() -> Response:
    """Answer a question: the FAQ entry, up to three candidates, or an apology with 職員に問い合わせる."""
    payload = _json_body()
    session_id = _session_id(payload.get("session_id"))
    text = _question_text(payload.get("text"))
    rt = runtime()
    with rt.session_factory() as session:
        rt.answerer.sync(session)  # staff edits made in another process (at most one check a second)
    result = rt.answerer.match(text)  # outside the transaction: pure CPU, holds no locks
    offered = [hit.faq_id for hit in result.hits[:MAX_CANDIDATES]] if result.outcome is Outcome.CANDIDATES else []
    with rt.session_factory.begin() as session:
        question_id = log_question(
            session, channel="web", web_session_id=session_id, text=text,
            outcome=QuestionOutcome(result.outcome.value),
            faq_external_id=result.hits[0].faq_id if result.outcome is Outcome.ANSWERED else None,
            candidate_ids=offered, confidence=result.confidence, now=rt.clock())
    log.info("webchat: question %d %s", question_id, result.outcome.value)
    return jsonify(session_id=session_id, question_id=question_id, **_reply_for(result, question_id))


def _reply_for(result: Match, question_id: int) -> dict[str, Any]:
    """What the visitor sees: LINE's wording, with candidates and actions as data for buttons."""
    if result.outcome is Outcome.ANSWERED:
        document = runtime().answerer.index.get(result.hits[0].faq_id)
        if document is not None:
            return _answer(document, question_id)
    if result.outcome is Outcome.CANDIDATES and result.hits:
        candidates = [{"faq_id": hit.faq_id, "question": hit.question} for hit in result.hits[:MAX_CANDIDATES]]
        return _reply("candidates", [texts.CANDIDATES_INTRO], candidates=candidates)
    if result.outcome is Outcome.MEANINGLESS:
        return _reply("meaningless", [texts.MEANINGLESS])
    return _reply("unanswered", [texts.UNANSWERED],
                  actions=[{"type": "inquiry", "label": texts.ASK_STAFF}])


def _answer(document: FaqDocument, question_id: int) -> dict[str, Any]:
    messages = [message["text"] for message in answer_messages(document, question_id)]
    answer = {"faq_id": document.id, "question": document.question, "answer": document.answer,
              "category": document.category}
    actions = [{"type": "feedback", "helpful": True, "label": texts.FEEDBACK_HELPFUL},
               {"type": "feedback", "helpful": False, "label": texts.FEEDBACK_NOT_HELPFUL}]
    return _reply("answered", messages, answer=answer, actions=actions)


def _reply(outcome: str, messages: list[str], *, answer: dict[str, str] | None = None,
           candidates: list[dict[str, str]] | None = None, actions: list[dict[str, Any]] | None = None) -> dict:
    return {"outcome": outcome, "messages": messages, "answer": answer, "candidates": candidates or [],
            "actions": actions or []}


@_api("/api/chat/choose", methods=["POST"])
def choose() -> Response:
    """A もしかして candidate was chosen: answer it and count the question as answered by it."""
    payload = _json_body()
    session_id = _session_id(payload.get("session_id"))
    question_id = _question_id(payload.get("question_id"))
    faq_id = payload.get("faq_id")
    if not isinstance(faq_id, str) or not 0 < len(faq_id) <= MAX_FAQ_ID:
        raise _bad_request()
    rt = runtime()
    document = rt.answerer.index.get(faq_id)
    with rt.session_factory.begin() as session:
        chosen = record_choice(session, question_id, faq_id, web_session_id=session_id) if document else None
    if chosen is None or document is None:  # not this visitor's question, or not one of its candidates
        raise WebChatError(404, "not_found", texts.CHOICE_EXPIRED)
    return jsonify(session_id=session_id, question_id=question_id, **_answer(document, question_id))


@_api("/api/chat/feedback", methods=["POST"])
def feedback() -> Response:
    """役に立った / 役に立たなかった on one of this visitor's answered questions (the last word counts)."""
    payload = _json_body()
    session_id = _session_id(payload.get("session_id"))
    question_id = _question_id(payload.get("question_id"))
    helpful = payload.get("helpful")
    if not isinstance(helpful, bool):
        raise _bad_request()
    rt = runtime()
    with rt.session_factory.begin() as session:
        recorded = record_feedback(session, question_id, helpful, web_session_id=session_id, now=rt.clock())
    if recorded is None:
        raise WebChatError(404, "not_found", webchat_texts.NOT_FOUND)
    return jsonify(session_id=session_id, question_id=question_id, helpful=helpful,
                   messages=[texts.FEEDBACK_THANKS if helpful else texts.FEEDBACK_SORRY])


@_api("/api/chat/inquiry", methods=["POST"])
def inquire() -> Response:
    """Pass a question to staff: an inquiry with a receipt number, linked to the unanswered question if given."""
    payload = _json_body()
    session_id = _session_id(payload.get("session_id"))
    text = _inquiry_text(payload.get("text"))
    question_id = payload.get("question_id")
    rt = runtime()
    with rt.session_factory.begin() as session:
        if question_id is not None:
            question = session.get(QuestionLog, _question_id(question_id))
            if question is None or question.web_session_id != session_id:
                raise WebChatError(404, "not_found", webchat_texts.NOT_FOUND)
        inquiry = open_inquiry(session, channel="web", text=text, now=rt.clock(), web_session_id=session_id,
                               question_log_id=question_id)
        receipt_number = inquiry.receipt_number
    log.info("webchat: inquiry %s opened", receipt_number)
    return jsonify(session_id=session_id, receipt_number=receipt_number,
                   message=webchat_texts.INQUIRY_RECEIVED.format(receipt_number=receipt_number))


@_api("/api/chat/inquiry/messages", methods=["POST"])
def follow_up() -> Response:
    """A follow-up from the visitor joins their latest open inquiry (and sends an answered one back to staff)."""
    payload = _json_body()
    session_id = _session_id(payload.get("session_id"))
    text = _inquiry_text(payload.get("text"))
    rt = runtime()
    with rt.session_factory.begin() as session:
        inquiry = latest_open_inquiry(session, web_session_id=session_id)
        if inquiry is None:
            raise WebChatError(404, "not_found", webchat_texts.INQUIRY_NONE)
        add_citizen_message(session, inquiry, text, now=rt.clock())
        receipt_number = inquiry.receipt_number
    return jsonify(session_id=session_id, receipt_number=receipt_number,
                   message=webchat_texts.INQUIRY_FOLLOW_UP_RECEIVED.format(receipt_number=receipt_number))


@_api("/api/chat/inquiry", methods=["GET"])
def inquiry_status() -> Response:
    """The visitor's latest open inquiry and its conversation: staff replies are read here, not pushed."""
    session_id = _session_id(request.args.get("session_id"))
    with runtime().session_factory.begin() as session:
        inquiry = latest_open_inquiry(session, web_session_id=session_id)
        found = _inquiry_json(inquiry) if inquiry is not None else None
    message = webchat_texts.INQUIRY_NONE if found is None else webchat_texts.INQUIRY_STATUS_INTRO.format(
        receipt_number=found["receipt_number"], status=found["status_label"])
    return jsonify(session_id=session_id, inquiry=found, message=message)


def _inquiry_json(inquiry: Inquiry) -> dict[str, Any]:
    status = inquiry.status.value
    # Staff are shown by role, not by name: the visitor needs the answer, not who typed it.
    return {"receipt_number": inquiry.receipt_number, "status": status,
            "status_label": webchat_texts.INQUIRY_STATUS.get(status, status),
            "created_at": inquiry.created_at.isoformat(),
            "messages": [{"author": "staff" if m.author == "staff" else "citizen", "text": m.text,
                          "created_at": m.created_at.isoformat()} for m in inquiry.messages]}


# --- the demo homepage ----------------------------------------------------------------------------------

@blueprint.get("/webchat/demo")
def demo() -> str:
    """A fictional みなと市 homepage with the widget embedded by its one script tag."""
    return render_template("webchat_demo.html", madoguchi_url=request.host_url.rstrip("/"))

