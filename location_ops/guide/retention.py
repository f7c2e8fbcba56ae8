"""The wegwijzer holds public information about help services only."""

from location_ops.i18n import lazy
from location_ops.privacy.declarations import EVERYONE, WHILE_CONFIGURED, DataRule, declare

declare(
    DataRule(table="help_services", personal=False,
             holds=lazy("The wegwijzer: help services, how to reach them, opening hours"),
             purpose=lazy("Support: what help exists"), seen_by=EVERYONE, kept_while=WHILE_CONFIGURED),
)
