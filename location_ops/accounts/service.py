"""Account rules: passwords, users, sessions and tokens, login rate limit, MFA."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import re
import secrets
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import pyotp
from confusable_homoglyphs import confusables
from passlib.context import CryptContext
from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from location_ops import events
from location_ops.accounts.models import MFA_REQUIRED, AuthSession, LoginAttempt, Role, User
from location_ops.clock import local_today, utcnow
from location_ops.config import Settings
from location_ops.i18n import _, available_languages
from location_ops.privacy.service import audit

USERNAME_MAX = 64


class AccountError(ValueError):
    """A rule about accounts was broken; the message is a sentence for the user.

    ``field``: what the refusal is about ("username", "password", "role", "current", "code"), for forms.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# --- passwords -------------------------------------------------------------------


@lru_cache
def _crypt_context(time_cost: int, memory_kib: int) -> CryptContext:
    return CryptContext(
        schemes=["argon2"],
        argon2__type="ID",
        argon2__time_cost=time_cost,
        argon2__memory_cost=memory_kib,
        argon2__parallelism=1,
    )


def crypt_context(settings: Settings) -> CryptContext:
    return _crypt_context(settings.argon2_time_cost, settings.argon2_memory_kib)


def hash_password(password: str, settings: Settings) -> str:
    """Hash a password with argon2id and the configured cost."""
    return crypt_context(settings).hash(password)


def check_password_rules(password: str, settings: Settings) -> None:
    if len(password) < settings.password_min_length:
        raise AccountError(
            _("The password must be at least %(n)d characters long.")
            % {"n": settings.password_min_length}, field="password"
        )
    if len(password) > 1024:
        raise AccountError(_("The password is too long."), field="password")


# --- users -----------------------------------------------------------------------


def normalise_username(username: str) -> str:
    """Return the username as it is stored and shown: NFKC-normalised, without surrounding spaces."""
    return unicodedata.normalize("NFKC", username).strip()


def username_key(username: str) -> str:
    """Return the uniqueness key of a username: NFKC, then case-folded ("Straße" and "STRASSE" are one)."""
    return unicodedata.normalize("NFKC", normalise_username(username).casefold())


def _legacy_key(username: str) -> str:
    # Accounts made before NFKC and case folding were keyed on the lower-cased name.
    return username.strip().lower()


@lru_cache(maxsize=1)
def _prototypes() -> tuple[dict[str, str], list[tuple[str, str]]]:
    """One representative per class of confusable characters (Unicode confusables.txt, UTS #39).

    confusable-homoglyphs lists, per character, the characters it can be confused with; its
    classes are the connected groups of that list. Returns the map of single characters and the
    sequences of several characters (such as "rn" for "m"), longest first.
    """
    parent: dict[str, str] = {}

    def find(char: str) -> str:
        parent.setdefault(char, char)
        while parent[char] != char:
            parent[char] = parent[parent[char]]
            char = parent[char]
        return char

    for char, glyphs in confusables.confusables_data.items():
        for glyph in glyphs:
            parent[find(char.strip(_MARKS))] = find(glyph["c"].strip(_MARKS))
    members: dict[str, list[str]] = {}
    for text in list(parent):
        members.setdefault(find(text), []).append(text)
    representative = {}
    for group in members.values():
        chosen = min(group, key=lambda t: (not t.isascii(), len(t), t))  # prototypes are mostly ASCII
        representative.update((text, chosen) for text in group)
    sequences = sorted(((text, rep) for text, rep in representative.items() if len(text) > 1 and text != rep),
                       key=lambda pair: -len(pair[0]))
    return {t: r for t, r in representative.items() if len(t) == 1}, sequences


_MARKS = "\u200e\u200f"  # the data wraps right-to-left characters in direction marks


def _skeleton(text: str) -> str:
    representative, sequences = _prototypes()
    text = "".join(ch for ch in unicodedata.normalize("NFD", text)
                   if unicodedata.category(ch) != "Cf")  # default-ignorable: invisible
    text = "".join(representative.get(ch, ch) for ch in text)
    for sequence, prototype in sequences:
        if sequence in text:
            text = text.replace(sequence, prototype)
    return unicodedata.normalize("NFD", "".join(representative.get(ch, ch) for ch in text))


@lru_cache(maxsize=4096)
def username_skeletons(username: str) -> frozenset[str]:
    """Return what a username looks like (UTS #39 skeletons): names sharing one are confusable.

    Both the name as written and its case-folded key: "Iila" looks like "lila", but folded it is "iila".
    """
    return frozenset({_skeleton(normalise_username(username)), _skeleton(username_key(username))})


#: What a username may hold besides letters (with their accents) and digits.
USERNAME_PUNCTUATION = frozenset(".-_")


def _username_char(ch: str) -> bool:
    # Letters of any script and their combining marks (a worker's name in her own language),
    # decimal digits (not "²" or "½"), and . - _ ; no spaces, symbols, emoji or markup.
    return unicodedata.category(ch)[0] in "LM" or unicodedata.category(ch) == "Nd" or ch in USERNAME_PUNCTUATION


def username_rule() -> str:
    """The sentence that says what a username may contain (shown beside the field and in the refusal)."""
    return _("A username takes letters, digits, dots (.), hyphens (-) and underscores (_) only; no spaces.")


def check_username(username: str) -> None:
    """Refuse a username that is empty, too long, or has anything but letters, digits, ``.``, ``-`` and ``_``."""
    if not username:
        raise AccountError(_("A username is required."), field="username")
    if len(username) > USERNAME_MAX or len(username_key(username)) > USERNAME_MAX:
        raise AccountError(_("A username can be at most %(n)d characters long.") % {"n": USERNAME_MAX},
                           field="username")
    if any(ch.isspace() and ch != " " for ch in username) or not username.isprintable():
        raise AccountError(_("A username cannot contain line breaks or control characters."), field="username")
    if not all(_username_char(ch) for ch in username):
        raise AccountError(username_rule(), field="username")
    if unicodedata.category(username[0])[0] == "M":
        raise AccountError(username_rule(), field="username")


def check_username_available(*, db_session: Session, username: str) -> None:
    """Refuse a username that is taken, looks like an existing one (Unicode skeletons, UTS #39) or mixes
    look-alike scripts."""
    key, skeletons = username_key(username), username_skeletons(username)
    for existing in db_session.scalars(select(User.username)):
        if username_key(existing) == key or _legacy_key(existing) == _legacy_key(username):
            raise AccountError(_("That username is taken."), field="username")
        if username_skeletons(existing) & skeletons:
            raise AccountError(_("That username looks too much like an existing one; choose another."),
                               field="username")
    if confusables.is_dangerous(username):
        raise AccountError(_("A username cannot mix letters of different scripts that look alike "
                             "(such as a Cyrillic о in a Latin name)."))


def attempt_key(username: str) -> str:
    """The key a login attempt is counted under: the username's key, storable in any database.

    A NUL character (which PostgreSQL cannot store, and no username contains) is replaced.
    """
    return username_key(username).replace("\x00", "\ufffd")[:USERNAME_MAX]


def get_by_username(*, db_session: Session, username: str) -> User | None:
    """Return the user with this username, ignoring case (and NFKC differences)."""
    key, legacy = username_key(username), _legacy_key(username)
    if "\x00" in key + legacy or len(key) > USERNAME_MAX or len(legacy) > USERNAME_MAX:
        return None  # no username holds these; PostgreSQL could not even compare them
    found = db_session.scalars(select(User).where(User.username_key.in_({key, legacy}))).all()
    return min(found, key=lambda user: user.username_key != key, default=None)


def create_user(
    *,
    db_session: Session,
    settings: Settings,
    username: str,
    password: str,
    role: Role | str,
    language: str | None = None,
    actor_id: int | None = None,
) -> User:
    """Create an account; the caller commits."""
    username = normalise_username(username)
    check_username(username)
    try:
        role = Role(role)
    except ValueError:
        raise AccountError(
            _("Unknown role. Choose one of: %(roles)s.") % {"roles": ", ".join(r.value for r in Role)}, field="role"
        ) from None
    check_password_rules(password, settings)
    if language is not None and language not in available_languages():
        raise AccountError(_("That language is not available."))
    check_username_available(db_session=db_session, username=username)
    user = User(
        username=username,
        username_key=username_key(username),
        role=role,
        language=language,
        password_hash=hash_password(password, settings),
        created_at=utcnow(),
    )
    db_session.add(user)
    try:
        db_session.flush()
    except IntegrityError:
        db_session.rollback()
        raise AccountError(_("That username is taken."), field="username") from None
    audit(db_session=db_session, action="user.create", actor_id=actor_id,
          target_type="user", target_id=user.id)
    return user


def list_users(*, db_session: Session) -> list[User]:
    return list(db_session.scalars(select(User).order_by(User.role, User.username_key)))


def change_role(*, db_session: Session, user: User, role: Role, actor_id: int) -> None:
    """Give a user another role and end their sessions, so the old rights go with them."""
    user.role = role
    end_all_sessions(db_session=db_session, user_id=user.id)
    audit(db_session=db_session, action="user.role_change", actor_id=actor_id,
          target_type="user", target_id=user.id)


def set_password(*, db_session: Session, settings: Settings, user: User, password: str,
                 actor_id: int) -> None:
    check_password_rules(password, settings)
    user.password_hash = hash_password(password, settings)
    audit(db_session=db_session, action="user.password_change", actor_id=actor_id,
          target_type="user", target_id=user.id)


def change_own_password(*, db_session: Session, settings: Settings, user: User, current: str, new: str,
                        keep_session_id: int) -> None:
    """Change one's own password after checking the current one; end every other session."""
    if not crypt_context(settings).verify(current, user.password_hash):
        raise AccountError(_("The current password is not right."), field="current")
    set_password(db_session=db_session, settings=settings, user=user, password=new, actor_id=user.id)
    events.queue_event(db_session, events.session_end(user.id, keep_session_id=keep_session_id))
    db_session.execute(delete(AuthSession).where(AuthSession.user_id == user.id, AuthSession.id != keep_session_id))


def reset_password(*, db_session: Session, settings: Settings, user: User, new: str, actor_id: int) -> None:
    """Give a user a new password (an operator helping someone who forgot it); end their sessions."""
    set_password(db_session=db_session, settings=settings, user=user, password=new, actor_id=actor_id)
    end_all_sessions(db_session=db_session, user_id=user.id)


def set_language(*, db_session: Session, user: User, language: str | None) -> None:
    user.language = language


# --- login rate limit --------------------------------------------------------------


@dataclass(frozen=True)
class Throttle:
    """How long the next attempt must wait, in seconds (0: go ahead)."""

    wait_seconds: int


def _delay(failures: int, free: int, max_delay: int) -> int:
    """Exponential delay after the free attempts: 1 s, 2 s, 4 s … capped."""
    if failures < free:
        return 0
    return min(max_delay, 2 ** (failures - free))


def login_throttle(*, db_session: Session, settings: Settings, username: str, address: str) -> Throttle:
    """Tell whether a login for this account from this address must wait.

    Failures are counted per account and per address within a window. Beyond the free
    attempts each try must wait a doubling delay that never exceeds
    ``login_max_delay_seconds``: a guesser is slowed to a crawl, but nobody can lock
    a user out for longer than that by typing wrong passwords for them.
    """
    key = attempt_key(username)
    _serialise_attempts(db_session, f"account:{key}", f"address:{address}")
    now = utcnow()
    since = now - dt.timedelta(minutes=settings.login_window_minutes)
    waits = []
    for column, value, free in (
        (LoginAttempt.username_key, key, settings.login_free_attempts),
        (LoginAttempt.address, address, settings.login_free_attempts * 4),
    ):
        failures, last = db_session.execute(
            select(func.count(), func.max(LoginAttempt.at)).where(column == value, LoginAttempt.at >= since)
        ).one()
        if last is None:
            continue
        if last.tzinfo is None:
            last = last.replace(tzinfo=dt.UTC)
        delay = _delay(failures, free, settings.login_max_delay_seconds)
        ready_at = last + dt.timedelta(seconds=delay)
        if ready_at > now:
            waits.append(math.ceil((ready_at - now).total_seconds()))
    return Throttle(max(waits, default=0))


def _serialise_attempts(db_session: Session, *names: str) -> None:
    """Make logins for the same account (and address) wait for each other until commit.

    Otherwise parallel guesses all pass the check before any failure is recorded, and
    the doubling wait would hold back only one guess per round. SQLite needs nothing:
    its transactions start with BEGIN IMMEDIATE and so run one at a time already.
    """
    if db_session.get_bind().dialect.name != "postgresql":
        return
    for name in names:  # always in this order: no deadlock
        lock = int.from_bytes(hashlib.sha256(f"location-ops-login:{name}".encode()).digest()[:8], "big", signed=True)
        db_session.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": lock})


def record_failure(*, db_session: Session, username: str, address: str, user: User | None) -> None:
    db_session.add(LoginAttempt(
        username_key=attempt_key(username), address=address, at=utcnow()
    ))
    audit(db_session=db_session, action="login.failure", target_type="user",
          target_id=user.id if user else None, address=address)


# --- authentication ----------------------------------------------------------------


class LoginFailed(Exception):
    """Wrong username or password: the same for both, on purpose."""


class LoginThrottled(Exception):
    def __init__(self, wait_seconds: int) -> None:
        super().__init__(wait_seconds)
        self.wait_seconds = wait_seconds


_DUMMY_HASH: dict[tuple[int, int], str] = {}


def authenticate(
    *, db_session: Session, settings: Settings, username: str, password: str, address: str
) -> User:
    """Check a username and password; upgrade the hash if its parameters are old.

    Raises LoginThrottled before checking anything when the rate limit applies, and
    LoginFailed for an unknown user or a wrong password alike, after the same work
    (an unknown user is checked against a dummy hash).
    """
    throttle = login_throttle(db_session=db_session, settings=settings, username=username, address=address)
    if throttle.wait_seconds:
        raise LoginThrottled(throttle.wait_seconds)
    context = crypt_context(settings)
    user = get_by_username(db_session=db_session, username=username)
    if user is None or not user.active:
        cost = (settings.argon2_time_cost, settings.argon2_memory_kib)
        if cost not in _DUMMY_HASH:
            _DUMMY_HASH[cost] = context.hash(secrets.token_hex(16))
        context.verify(password, _DUMMY_HASH[cost])
        record_failure(db_session=db_session, username=username, address=address, user=None)
        db_session.commit()
        raise LoginFailed()
    valid, new_hash = context.verify_and_update(password, user.password_hash)
    if not valid:
        record_failure(db_session=db_session, username=username, address=address, user=user)
        db_session.commit()
        raise LoginFailed()
    if new_hash:
        user.password_hash = new_hash
        audit(db_session=db_session, action="user.password_rehash", target_type="user", target_id=user.id)
    return user


# --- sessions and tokens -----------------------------------------------------------


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def idle_limit(settings: Settings, role: Role) -> dt.timedelta:
    minutes = {
        Role.HOST: settings.session_idle_minutes_host,
        Role.WORKER: settings.session_idle_minutes_worker,
    }.get(Role(role), settings.session_idle_minutes_other)
    return dt.timedelta(minutes=minutes)


def absolute_limit(settings: Settings, role: Role) -> dt.timedelta:
    hours = settings.session_absolute_hours_host if role == Role.HOST else settings.session_absolute_hours_other
    return dt.timedelta(hours=hours)


def start_session(
    *, db_session: Session, settings: Settings, user: User, kind: str = "web", mfa_passed: bool
) -> tuple[str, AuthSession]:
    """Open a new session with a fresh random id; return the token for the cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    lifetime = (
        dt.timedelta(minutes=settings.api_token_minutes) if kind == "api" else absolute_limit(settings, user.role)
    )
    auth_session = AuthSession(
        token_hash=_hash_token(token), kind=kind, user_id=user.id, csrf_token=secrets.token_urlsafe(32),
        mfa_passed=mfa_passed, created_at=now, last_seen_at=now, expires_at=now + lifetime,
    )
    db_session.add(auth_session)
    db_session.flush()
    return token, auth_session


def load_session(*, db_session: Session, settings: Settings, token: str, kind: str) -> AuthSession | None:
    """Return the live session for a token, or None when unknown, idle too long or expired."""
    auth_session = db_session.scalar(
        select(AuthSession).where(AuthSession.token_hash == _hash_token(token), AuthSession.kind == kind)
    )
    if auth_session is None:
        return None
    now = utcnow()
    expired = now >= auth_session.expires_at or not auth_session.user.active
    if kind == "web" and now - auth_session.last_seen_at > idle_limit(settings, auth_session.user.role):
        expired = True
    if expired:
        db_session.delete(auth_session)
        db_session.commit()
        return None
    # Touch at most once a minute, so reading pages does not write on every request.
    if now - auth_session.last_seen_at > dt.timedelta(minutes=1):
        auth_session.last_seen_at = now
        db_session.commit()
    return auth_session


def end_session(*, db_session: Session, auth_session: AuthSession) -> None:
    """End one session; its open event streams close when this commits."""
    events.queue_event(db_session, events.session_end(auth_session.user_id, session_id=auth_session.id))
    db_session.delete(auth_session)


def end_all_sessions(*, db_session: Session, user_id: int) -> None:
    """End every session of a user (role change, deactivation, new password) and their streams."""
    events.queue_event(db_session, events.session_end(user_id))
    db_session.execute(delete(AuthSession).where(AuthSession.user_id == user_id))


# --- MFA (TOTP) ------------------------------------------------------------------------


def mfa_required(user: User) -> bool:
    return Role(user.role) in MFA_REQUIRED


def mfa_enrolment_needed(user: User) -> bool:
    """True for a user whose role requires MFA but who has not set it up yet."""
    return mfa_required(user) and not user.mfa_enabled


def begin_mfa_enrolment(*, db_session: Session, user: User) -> str:
    """Give the user a new, not yet active, TOTP secret and return it."""
    if user.mfa_enabled:
        raise AccountError(_("Two-step login is already on."))
    user.mfa_secret = pyotp.random_base32()
    user.mfa_last_step = None
    return user.mfa_secret


def provisioning_uri(user: User, settings: Settings) -> str:
    return pyotp.TOTP(user.mfa_secret).provisioning_uri(name=user.username, issuer_name=settings.mfa_issuer)


def verify_totp(user: User, code: str) -> bool:
    """Check a six-digit code, allowing one step of clock drift either way, and use it up.

    A code is accepted once: the step it belongs to is remembered on the user (the
    caller commits), and that step or an older one is refused afterwards, so a code
    seen over a shoulder cannot be replayed within its 90 seconds.
    """
    if not user.mfa_secret:
        return False
    code = code.replace(" ", "").strip()
    if not re.fullmatch(r"[0-9]{6}", code):  # ASCII digits only: "²".isdigit() is true
        return False
    totp = pyotp.TOTP(user.mfa_secret)
    now = utcnow()
    current = totp.timecode(now)
    for offset in (-1, 0, 1):
        step = current + offset
        if hmac.compare_digest(totp.generate_otp(step), code):
            if user.mfa_last_step is not None and step <= user.mfa_last_step:
                return False
            user.mfa_last_step = step
            return True
    return False


def confirm_mfa_enrolment(*, db_session: Session, user: User, code: str) -> None:
    if user.mfa_enabled or not user.mfa_secret:
        raise AccountError(_("Start setting up two-step login first."))
    if not verify_totp(user, code):
        raise AccountError(_("That code is not right. Check the time on your phone and try again."), field="code")
    user.mfa_enabled = True
    audit(db_session=db_session, action="mfa.enable", actor_id=user.id, target_type="user", target_id=user.id)


def disable_mfa(*, db_session: Session, user: User, actor_id: int) -> None:
    """Turn MFA off (an operator resetting a lost phone, or a user for themselves)."""
    if mfa_required(user) and actor_id == user.id:
        raise AccountError(_("Your role requires two-step login; it cannot be turned off."))
    user.mfa_enabled = False
    user.mfa_secret = None
    user.mfa_last_step = None
    audit(db_session=db_session, action="mfa.disable", actor_id=actor_id, target_type="user", target_id=user.id)


# --- the worker's start page --------------------------------------------------------------


def worker_start(*, db_session: Session, worker_id: int) -> dict:
    """What a worker sees first: her next bookings, news and this week's visits."""
    from location_ops.bookings import service as bookings_service
    from location_ops.rota import service as rota_service

    return {
        "next_bookings": bookings_service.worker_bookings(db_session=db_session, worker_id=worker_id,
                                                          since=utcnow(), limit=3),
        "start": rota_service.start_content(db_session=db_session),
        "first_steps": bookings_service.first_steps(db_session=db_session, worker_id=worker_id,
                                                    today=local_today()),
        "show_details": True,
    }
