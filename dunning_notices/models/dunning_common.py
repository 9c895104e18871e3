"""What several parts of the addon share, defined once (no model here: importable from anywhere)."""

# a notice delivered: processed, and its email neither failed nor bounced (printed notices count)
UNDELIVERED_STATES = ("failed", "bounced")


def delivered_domain(path=""):
    """The one definition of a delivered notice, which the minimum interval, escalation, charges,
    the customer's last notice and the invoice's last dunning all use: a domain on ``dunning.notice``,
    or on a model reaching it through ``path`` (e.g. ``"notice_id."``)."""
    return [(f"{path}state", "=", "done"), (f"{path}delivery_state", "not in", UNDELIVERED_STATES)]
