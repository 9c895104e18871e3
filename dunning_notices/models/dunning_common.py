"""What several parts of the addon share, defined once (no model here: importable from anywhere)."""

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

_logger = logging.getLogger(__name__)

# a notice delivered: processed, and its email neither failed nor bounced (printed notices count)
UNDELIVERED_STATES = ("failed", "bounced")


def delivered_domain(path=""):
    """The one definition of a delivered notice, which the minimum interval, escalation, charges,
    the customer's last notice and the invoice's last dunning all use: a domain on ``dunning.notice``,
    or on a model reaching it through ``path`` (e.g. ``"notice_id."``)."""
    return [(f"{path}state", "=", "done"), (f"{path}delivery_state", "not in", UNDELIVERED_STATES)]


def days_overdue(as_of_date, due_date, invoice_date=False, date_basis="due_date"):
    """The one definition of an item's days overdue at ``as_of_date``: counted from its due date, or
    with the invoice-date aging basis from its invoice date (a journal entry has none: its due date;
    never from later than the due date). The selection, the notices, their lines and the wizard's
    items all count with it."""
    reference = due_date
    if date_basis == "invoice_date" and invoice_date:
        reference = min(invoice_date, due_date) if due_date else invoice_date
    return (as_of_date - reference).days


def amounts_by_currency(entries):
    """``(overdue, credits)``, each {currency: (amount in that currency, amount in company currency)},
    credits positive, from ``entries`` [(is_credit, currency, residual in currency, residual in company
    currency)] as journal items carry them (credits negative): what ``dunning.level._net_amounts``
    weighs, however the caller found the items (grouped query, snapshot, ticked items)."""
    overdue, open_credits = {}, {}
    for is_credit, currency, amount, amount_company in entries:
        bucket, sign = (open_credits, -1) if is_credit else (overdue, 1)
        previous, previous_company = bucket.get(currency, (0.0, 0.0))
        bucket[currency] = (previous + sign * amount, previous_company + sign * amount_company)
    return overdue, open_credits


class OverdueGroup(NamedTuple):
    """A row of ``dunning.level._read_overdue_groups``: a customer's overdue items in one currency."""

    partner: object  # res.partner
    currency: object  # res.currency
    amount: float  # residual in company currency
    amount_currency: float
    ids: list
    move_count: int
    names: list
    oldest_due: object  # date
    oldest_invoice: object  # date or None


@dataclass
class CustomerSummary:
    """A customer as the selection finds it (``dunning.level._select_customers``), listed or left out:
    what the wizard writes on its line."""

    move_line_ids: list = field(default_factory=list)  # the overdue items
    credit_move_line_ids: list = field(default_factory=list)  # the open credits
    invoice_count: int = 0
    invoice_names: set | str = field(default_factory=set)  # a text once the selection is done
    amount_overdue: float = 0.0  # gross, company currency
    amount_credit: float = 0.0
    amount_net: float = 0.0
    amounts_due: list = field(default_factory=list)  # [(currency, amount)]
    overdue: dict = field(default_factory=dict)  # {currency: (amount in it, in company currency)}, until netted
    credits: dict = field(default_factory=dict)  # the same of the open credits, positive
    max_days_overdue: int = 0
    blocked_count: int = 0  # its disputed items left out (a listed customer)
    blocked_amount: float = 0.0
    reason: str | bool = False  # a key of EXCLUSION_REASONS: the customer is left out
    reason_notice_id: int | bool = False  # the notice behind min_interval or duplicate
    reason_detail: str | bool = False  # escalation_wait: where its items are
    level: object = None  # the level a run of all levels gives it (dunning.level)
    details: list = field(default_factory=list)  # escalation: where its waiting items are

    def join_names(self):
        if isinstance(self.invoice_names, set):
            self.invoice_names = ", ".join(sorted(self.invoice_names))


def join_details(details, limit=20):
    """The first ``limit`` of ``details`` (sorted) in one text."""
    details = sorted(details)
    return "; ".join(details[:limit]) + ("; ..." if len(details) > limit else "")


def days_before(day, days):
    """``day`` minus ``days`` days, the earliest date rather than an overflow."""
    try:
        return day - timedelta(days=days)
    except OverflowError:
        return date.min


def positive_int_param(env, key, default):
    """The system parameter ``key`` as a whole number of at least 1; ``default`` when unset or not a number."""
    value = env["ir.config_parameter"].sudo().get_param(key)
    try:
        return max(1, int(value)) if value else default
    except ValueError:
        _logger.warning("System parameter %s=%r is not a number; using %s", key, value, default)
        return default
