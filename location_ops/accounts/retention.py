"""What the accounts capability stores, who sees it and how long (see privacy/declarations.py)."""

from location_ops.i18n import lazy
from location_ops.privacy.declarations import OPERATOR, WHILE_ACCOUNT, DataRule, declare

declare(
    DataRule(
        table="users",
        holds=lazy("Accounts: login name (for a worker her work name, a pseudonym), role, language, "
                   "password hash, second-factor secret"),
        purpose=lazy("Logging in, and showing each role only what it may see"),
        seen_by=OPERATOR, kept_while=WHILE_ACCOUNT,
        notice=lazy("Your work name (a pseudonym, not your legal name), your language, and your password "
                    "(only as a hash that cannot be read back)")),
    DataRule(
        table="auth_sessions",
        holds=lazy("Login sessions and access tokens: which account, since when, until when"),
        purpose=lazy("Keeping you logged in; ending a session everywhere"),
        seen_by=frozenset(), kept_while=lazy("until the session ends or expires"), time_column="expires_at",
        notice=lazy("Your login sessions, until you log out or they expire")),
    DataRule(
        table="login_attempts",
        holds=lazy("Failed logins: the login name tried and the address it came from"),
        purpose=lazy("Stopping password guessing"),
        seen_by=frozenset(), period="login_window_minutes", time_column="at"),
)
