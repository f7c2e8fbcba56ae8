"""Settings, read from the environment (prefix ``LOCATION_OPS_``) in this one place.

Every field carries a description; ``tests/test_settings.py`` fails when one of
them is missing from the configuration table in README.md.
"""

from __future__ import annotations

import datetime as dt
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """All settings of location-ops."""

    model_config = SettingsConfigDict(env_prefix="LOCATION_OPS_", extra="ignore")

    # --- where things are ---
    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'var' / 'location-ops.db'}",
        description="SQLAlchemy URL of the database: SQLite (default, under var/) or "
        "postgresql+psycopg://user:pass@host/db in production.",
    )
    mqtt_url: str = Field(
        default="mqtt://127.0.0.1:1884",
        description="MQTT broker the alarm bridge connects to, mqtt://user:pass@host:port.",
    )
    site: str = Field(
        default="main",
        description="Short name of this site; part of MQTT topics and of the bridge's client id.",
    )
    secret_key: str = Field(
        default="",
        description="Secret for signing (webhooks, calendar feed tokens). Generated and kept "
        "under var/ when empty.",
    )
    var_dir: Path = Field(
        default=PROJECT_ROOT / "var",
        description="Folder for the SQLite database, the generated secret and backups.",
    )

    # --- web ---
    host: str = Field(default="127.0.0.1", description="Address `location-ops serve` binds to.")
    port: int = Field(default=8000, description="Port `location-ops serve` listens on.")
    forwarded_allow_ips: str = Field(
        default="127.0.0.1",
        description="Addresses of reverse proxies whose X-Forwarded-For is trusted (comma-separated, or *). "
        "Login rate limits count per client address, so set this behind a proxy.",
    )
    backup_recipient: str = Field(
        default="",
        description="The collective's public key in age format (age1…): `location-ops backup` encrypts every "
        "backup to it and refuses to write one without it, unless given --unencrypted.",
    )
    audit_retention_days: int = Field(
        default=365, description="Audit log entries (they hold client addresses) are deleted after this many days."
    )
    secure_cookies: bool = Field(
        default=False,
        description="Mark cookies Secure; turn on whenever the site is served over https.",
    )
    quick_exit_url: str = Field(
        default="https://www.google.com/",
        description="Where the quick-exit control on worker pages goes: a neutral site.",
    )
    default_language: str = Field(
        default="nl", description="Language when neither the user nor the browser chooses one."
    )
    request_json_max_bytes: int = Field(
        default=256 * 1024, ge=1,
        description="Largest request body accepted that is not a form (JSON), in bytes; a larger one is "
        "refused with 413 while it is being read.",
    )
    request_form_max_bytes: int = Field(
        default=1024 * 1024, ge=1,
        description="Largest form body (urlencoded or multipart, uploads included) accepted, in bytes; a larger "
        "one is refused with 413 while it is being read.",
    )

    # --- sessions and login ---
    session_idle_minutes_host: int = Field(
        default=720, description="Idle timeout of a host session (the reception tablet: a shift)."
    )
    session_idle_minutes_worker: int = Field(
        default=30, description="Idle timeout of a worker session (a phone: short)."
    )
    session_idle_minutes_other: int = Field(
        default=60, description="Idle timeout for operators, caseworkers and security."
    )
    session_absolute_hours_host: int = Field(
        default=14, description="Longest life of a host session, however active."
    )
    session_absolute_hours_other: int = Field(
        default=12, description="Longest life of any other session, however active."
    )
    api_token_minutes: int = Field(
        default=60, description="Lifetime of a bearer token from POST /api/v1/auth/login."
    )
    login_free_attempts: int = Field(
        default=5,
        description="Failed logins per account (or 4x that per address) within the window "
        "before each further attempt must wait.",
    )
    login_window_minutes: int = Field(
        default=15, description="Window in which failed logins are counted."
    )
    login_max_delay_seconds: int = Field(
        default=300,
        description="Longest wait imposed after repeated failures; nobody is locked out longer.",
    )
    password_min_length: int = Field(default=10, description="Shortest password accepted.")
    argon2_time_cost: int = Field(default=3, description="argon2id time cost for new hashes.")
    argon2_memory_kib: int = Field(
        default=65536, description="argon2id memory cost (KiB) for new hashes."
    )
    mfa_issuer: str = Field(
        default="location-ops", description="Issuer name shown in authenticator apps."
    )

    # --- alarms (MQTT bridge, escalation, supervision) ---
    mqtt_client_id: str = Field(
        default="",
        description="MQTT client id of the alarm bridge; stable per site so the broker keeps its "
        "session. Empty: location-ops-<site>.",
    )
    mqtt_session_expiry_seconds: int = Field(
        default=7 * 24 * 3600,
        description="How long the broker keeps the bridge's session (and queued presses) while the "
        "app is down.",
    )
    mqtt_version: int = Field(
        default=5,
        description="MQTT protocol of the bridge: 5 (session expiry, default) or 3 for MQTT 3.1.1 "
        "(clean_session off), for brokers without MQTT 5 such as the demo's embedded amqtt.",
    )
    mqtt_keepalive_seconds: int = Field(
        default=5, description="MQTT keepalive of the bridge; a dead broker is noticed within 1.5x this."
    )
    bridge_reconnect_min_seconds: int = Field(
        default=1, description="First wait before the bridge reconnects to the broker."
    )
    bridge_reconnect_max_seconds: int = Field(
        default=8, description="Longest wait between the bridge's reconnection attempts (backoff doubles)."
    )
    alarm_escalation_seconds: int = Field(
        default=30, description="An alarm nobody acknowledged after this many seconds is escalated."
    )
    alarm_siren_topic: str = Field(
        default="",
        description="MQTT topic the escalation publishes to (a siren or light); empty: none.",
    )
    alarm_siren_on_payload: str = Field(
        default="",
        description="What the siren topic gets to sound (e.g. ON for a Tasmota relay); empty: a JSON object "
        '{"state": "on", ...} with the alarm.',
    )
    alarm_siren_off_payload: str = Field(
        default="",
        description="What the siren topic gets when the last unacknowledged alarm is acknowledged or resolved "
        '(e.g. OFF); empty: a JSON object {"state": "off", ...}.',
    )
    alarm_siren_immediately: bool = Field(
        default=False,
        description="Sound the siren as soon as an alarm is raised instead of only when it escalates.",
    )
    alarm_webhook_urls: list[str] = Field(
        default_factory=list,
        description="URLs the escalation POSTs a JSON alarm to (JSON list in the environment).",
    )
    alarm_webhook_secret: str = Field(
        default="",
        description="HMAC-SHA256 key for the X-Location-Ops-Signature header of webhooks; "
        "the secret key when empty.",
    )
    smtp_host: str = Field(default="", description="SMTP server for escalation e-mail; empty: no e-mail.")
    smtp_port: int = Field(default=25, description="Port of the SMTP server.")
    smtp_from: str = Field(default="location-ops@localhost", description="Sender of escalation e-mail.")
    alarm_email_recipients: list[str] = Field(
        default_factory=list, description="Who gets escalation e-mail (JSON list in the environment)."
    )
    supervision_battery_hours: int = Field(
        default=25, description="A battery button silent longer than this shows as silent (EN 50134-2: 24 h)."
    )
    supervision_mains_minutes: int = Field(
        default=10, description="A mains-powered device silent longer than this shows as silent."
    )
    device_test_interval_days: int = Field(
        default=7, description="Every device must pass a test press at least this often."
    )
    low_battery_percent: int = Field(
        default=20, description="A battery at or below this percentage shows as low."
    )
    broker_dropped_warning_hours: int = Field(
        default=24,
        description="After the MQTT broker's count of dropped messages ($SYS/broker/publish/messages/dropped) "
        "grew, the board, alarms and devices pages warn for this many hours.",
    )
    alarm_retention_days: int = Field(
        default=365, description="Resolved alarms (and their events) are deleted after this many days."
    )
    device_simulator: bool = Field(
        default=False,
        description="Show a 'simulate press' button per device (demo and trials; publishes over MQTT).",
    )

    # --- demo ---
    demo_mqtt_port: int = Field(
        default=1884, description="Port of the embedded MQTT broker that `location-ops demo` runs."
    )

    max_rooms: int = Field(default=15, description="Most rooms a location may have.")

    # --- rentals ---
    booking_horizon_days: int = Field(
        default=28, description="How many days ahead a worker may book a room."
    )
    cancellation_deadline_hours: int = Field(
        default=24,
        description="Cancelling is free until this many hours before the start; later, the "
        "contract's late-cancellation charge applies.",
    )
    no_show_release_minutes: int = Field(
        default=60,
        description="A booking not checked in this many minutes after its start is released "
        "as a no-show (by the app itself).",
    )
    hourly_rental: bool = Field(
        default=False, description="Allow renting a room by the hour besides the shifts."
    )
    hourly_min_hours: int = Field(
        default=4, description="Shortest hourly rental, in hours (when hourly rental is on)."
    )
    hourly_rate_cents: int = Field(
        default=1500, description="Price of one hour of hourly rental, in euro cents."
    )

    # --- rota ---
    talk_request_retention_days: int = Field(
        default=7, description="Talk requests are deleted this many days after the visit they were for."
    )

    # --- hygiene ---
    hygiene_block_check_in: bool = Field(
        default=False,
        description="Block the check-in of a room until its turnover round is done; off: check-in only warns.",
    )
    hygiene_worker_rounds: bool = Field(
        default=False,
        description="Let a worker do the turnover round of the room they had, after their shift.",
    )
    hygiene_worker_window_hours: int = Field(
        default=3, description="How long after the end of their shift a worker may do that round."
    )
    hygiene_daily_due_time: dt.time = Field(
        default=dt.time(12, 0), description="Local time (HH:MM) by which each room's daily round is due."
    )
    hygiene_weekly_due_weekday: int = Field(
        default=1, ge=1, le=7,
        description="ISO weekday (1 = Monday) by whose daily due time the weekly deep clean is due.",
    )

    hygiene_round_retention_days: int = Field(
        default=730, ge=1,
        description="Done hygiene rounds (the inspection record), their results and holds are deleted after this "
        "many days; restocked supply needs too.",
    )
    hygiene_note_retention_days: int = Field(
        default=365, ge=1, description="Notes written inside hygiene rounds are blanked after this many days."
    )

    # --- bookkeeping ---
    bookkeeping_retention_years: int = Field(
        default=7, ge=1,
        description="Bookings, payments and ended contracts are kept this many years (the Dutch tax rules' "
        "bookkeeping period), then deleted.",
    )

    # --- reception ---
    reception_late_minutes: int = Field(
        default=15,
        description="A check-in this many minutes after the booking's start is marked late; a check-out "
        "this much before or after its end is marked early or late.",
    )
    reception_visitor_retention_days: int = Field(
        default=30, description="Visitor entries of the reception log are deleted after this many days."
    )
    reception_log_retention_days: int = Field(
        default=365, description="Other reception log entries and host shifts are deleted after this many days."
    )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def secret(self) -> str:
        """Return ``secret_key``, or a random one generated once and kept in var/secret."""
        if self.secret_key:
            return self.secret_key
        path = self.var_dir / "secret"
        if not path.exists():
            self.var_dir.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(48))
        return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings, read once from the environment."""
    return Settings()
