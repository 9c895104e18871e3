# The one selection of the addon (who is reminded, for how much, and why not), kept apart from the
# level's record and constraints (STYLE section 8: a file per concept).
# pylint: disable=consider-merging-classes-inherited
from datetime import date, timedelta

from odoo import api, models
from odoo.tools import format_date

from .dunning_level import NOT_TO_DUN, OPEN_TO_DUN

# a notice delivered: processed, and its email neither failed nor bounced (printed notices count)
UNDELIVERED_STATES = ("failed", "bounced")


def _new_summary():
    return {
        "move_line_ids": [],
        "credit_move_line_ids": [],
        "invoice_count": 0,
        "invoice_names": set(),
        "amount_overdue": 0.0,
        "amount_credit": 0.0,
        "amount_net": 0.0,
        "amounts_due": [],
        "overdue": {},
        "credits": {},
        "max_days_overdue": 0,
        "blocked_count": 0,
        "blocked_amount": 0.0,
        "reason_notice_id": False,
        "reason_detail": False,
    }


def _join_details(details, limit=20):
    """The first ``limit`` of ``details`` (sorted) in one text."""
    details = sorted(details)
    return "; ".join(details[:limit]) + ("; ..." if len(details) > limit else "")


def _days_before(day, days):
    """``day`` minus ``days`` days, the earliest date rather than an overflow."""
    try:
        return day - timedelta(days=days)
    except OverflowError:
        return date.min


class DunningLevel(models.Model):
    _inherit = "dunning.level"

    # -------------------------------------------------------------------------
    # BUSINESS: selection rules
    # -------------------------------------------------------------------------

    def _get_overdue_lines_domain(self, as_of_date, date_basis, partner_domain=None, days_bounds=True):
        """Posted receivable items with an open amount due before ``as_of_date`` whose days overdue,
        counted from ``date_basis``, fall in the level's range: invoices, sales receipts and journal
        entries such as imported opening balances alike. Working on journal items rather than invoices
        makes each instalment count on its own due date. Items of invoices in payment or blocked are
        not overdue (see ``_get_blocked_lines_domain``)."""
        return [*self._get_selected_lines_domain(as_of_date, date_basis, partner_domain, days_bounds), *OPEN_TO_DUN]

    def _get_blocked_lines_domain(self, as_of_date, date_basis, partner_domain=None, days_bounds=True):
        """The items of the level's range that are not dunned: their invoice is paid and waiting for
        the bank (``in_payment``), or Odoo's payment block is on (``blocked``)."""
        return [*self._get_selected_lines_domain(as_of_date, date_basis, partner_domain, days_bounds), *NOT_TO_DUN]

    def _get_selected_lines_domain(self, as_of_date, date_basis, partner_domain=None, days_bounds=True):
        """The open receivable items due before ``as_of_date``; with ``days_bounds``, those whose days
        overdue are in the level's range (its minimum only in sequential escalation)."""
        self.ensure_one()
        domain = [
            ("company_id", "=", self.company_id.id),
            ("parent_state", "=", "posted"),
            ("account_type", "=", "asset_receivable"),
            ("reconciled", "=", False),
            ("amount_residual", ">", 0),
            ("date", "<=", as_of_date),
            ("date_maturity", "<", as_of_date),
        ]
        for operator, days in (("<=", self.min_days_overdue), (">=", self.max_days_overdue)):
            if not days_bounds:
                break
            if operator == ">=" and (not days or self.escalation_mode == "sequential"):
                continue
            limit = _days_before(as_of_date, days)
            if date_basis == "invoice_date":  # a journal entry has no invoice date: its due date counts
                domain += [
                    "|",
                    ("invoice_date", operator, limit),
                    "&",
                    ("invoice_date", "=", False),
                    ("date_maturity", operator, limit),
                ]
            else:
                domain.append(("date_maturity", operator, limit))
        if partner_domain:
            domain.append(("partner_id", "any", partner_domain))
        return domain

    def _get_open_credits_domain(self, as_of_date, partners):
        """The open credits of ``partners``: posted receivable items with an amount in the customer's
        favour (credit notes, payments and advances not matched yet), in any journal."""
        self.ensure_one()
        return [
            ("company_id", "=", self.company_id.id),
            ("parent_state", "=", "posted"),
            ("account_type", "=", "asset_receivable"),
            ("reconciled", "=", False),
            ("amount_residual", "<", 0),
            ("date", "<=", as_of_date),
            ("partner_id", "in", partners.ids),
        ]

    @api.model
    def _get_days_overdue(self, line, as_of_date, date_basis):
        reference = line.invoice_date if date_basis == "invoice_date" else line.date_maturity
        return (as_of_date - (reference or line.date_maturity)).days

    def _check_amount_range(self, amount):
        """None when ``amount`` is in the level's range, else the reason key it is not."""
        self.ensure_one()
        currency = self.currency_id
        if self.min_amount_overdue and currency.compare_amounts(amount, self.min_amount_overdue) < 0:
            return "below_min_amount"
        if self.max_amount_overdue and currency.compare_amounts(amount, self.max_amount_overdue) > 0:
            return "above_max_amount"
        return None

    def _get_rates(self, currencies, as_of_date):
        """{currency: rate to the company currency at ``as_of_date``}, one look-up per currency."""
        self.ensure_one()
        company = self.company_id
        return {
            currency: currency._get_conversion_rate(currency, company.currency_id, company, as_of_date)
            for currency in currencies
        }

    @api.model
    def _net_amounts(self, overdue, open_credits, rates, handling, company_currency):
        """What a customer owes once its open credits are weighed, per ``handling`` (see
        ``credit_handling``). ``overdue`` and ``credits``: {currency: (amount in that currency, amount
        in company currency)}, credits positive; ``rates``: {currency: rate to the company currency}.

        Credits offset overdue items of their own currency only; credits in a currency without overdue
        items are "not offset". Returns a dict: ``rows`` [{currency, overdue, credit, net, offset}]
        (overdue currencies first), ``amount_credit`` (credits offset or shown, company currency),
        ``amount_net`` (the sum of the positive nets, converted at the rates), ``covered`` (every
        overdue currency's net is zero or less) and ``amounts_due`` [(currency, amount due)]."""
        rows, amount_credit, amount_net = [], 0.0, 0.0
        for currency, (due, _due_company) in overdue.items():
            credit, credit_company = open_credits.get(currency, (0.0, 0.0)) if handling != "ignore" else (0.0, 0.0)
            net = currency.round(due - credit) if handling == "net" else due
            rows.append({"currency": currency, "overdue": due, "credit": credit, "net": net, "offset": True})
            amount_credit += credit_company
            # ids compared: this runs for each customer of a run, and comparing records costs more
            foreign = currency.id != company_currency.id
            amount_net += max(net, 0.0) * rates.get(currency, 1.0) if foreign else max(net, 0.0)
        if handling != "ignore":
            for currency, (credit, _credit_company) in open_credits.items():
                if currency not in overdue:
                    rows.append({"currency": currency, "overdue": 0.0, "credit": credit, "net": 0.0, "offset": False})
        return {
            "rows": rows,
            "amount_credit": company_currency.round(amount_credit),
            "amount_net": company_currency.round(amount_net),
            "covered": all(row["net"] <= 0 for row in rows if row["offset"]),
            "amounts_due": [(row["currency"], max(row["net"], 0.0)) for row in rows if row["offset"]],
        }

    def _read_overdue_groups(self, domain):
        """The overdue items of ``domain`` summed per customer and currency: one grouped query."""
        return (
            self.env["account.move.line"]
            .with_context(active_test=False)
            ._read_group(
                domain,
                ["partner_id", "currency_id"],
                [
                    "amount_residual:sum",
                    "amount_residual_currency:sum",
                    "id:array_agg",
                    "move_id:count_distinct",
                    "move_name:array_agg",
                    "date_maturity:min",
                    "invoice_date:min",
                ],
                order="partner_id, currency_id",
            )
        )

    @api.model
    def _summarize_overdue(self, groups, as_of_date, date_basis):
        """{customer: summary} from ``_read_overdue_groups``."""
        summaries = {}
        for partner, currency, amount, amount_currency, ids, move_count, names, oldest_due, oldest_invoice in groups:
            if not partner:
                continue
            oldest = oldest_due if date_basis != "invoice_date" else min(filter(None, (oldest_invoice, oldest_due)))
            summary = summaries.setdefault(partner, _new_summary())
            summary["move_line_ids"] += ids
            summary["invoice_count"] += move_count
            summary["invoice_names"].update(names)
            summary["amount_overdue"] += amount
            summary["overdue"][currency] = (amount_currency, amount)
            summary["max_days_overdue"] = max(summary["max_days_overdue"], (as_of_date - oldest).days)
        return summaries

    def _split_escalation_waits(self, domain, groups, as_of_date):
        """Sequential escalation: ``(groups, waits)``, the ``_read_overdue_groups`` of the items of
        ``domain`` that may move on to this level, and {customer: summary} of the customers with items
        that may not, with ``details``: where these items are. Two grouped queries at most."""
        if self.escalation_mode != "sequential":
            return groups, {}
        waiting = self._get_escalation_waits(
            as_of_date,
            {item_id: name for group in groups for item_id, name in zip(group[4], group[6], strict=True)},
        )
        if not waiting:
            return groups, {}
        waits = {}
        for partner, _currency, amount, _amount_currency, ids, move_count, names, *_dates in groups:
            waiting_ids = [item_id for item_id in ids if item_id in waiting]
            if not partner or not waiting_ids:
                continue
            summary = waits.setdefault(partner, {**_new_summary(), "details": []})
            summary["invoice_count"] += move_count
            summary["invoice_names"].update(names)
            summary["amount_overdue"] += amount
            summary["details"] += [waiting[item_id] for item_id in waiting_ids]
        return self._read_overdue_groups([*domain, ("id", "not in", list(waiting))]), waits

    @api.model
    def _get_wait_reason(self, partner, summary, picked, customer_reasons):
        """The summary of a customer none of whose items may move on, with the reason it is left out."""
        details = summary.pop("details")
        if not partner.active and partner not in picked:
            summary["reason"] = "archived"
        elif partner in customer_reasons:
            summary["reason"], summary["reason_notice_id"] = customer_reasons[partner]
        else:
            summary.update(reason="escalation_wait", reason_detail=_join_details(details))
        return summary

    def _get_blocked_by_partner(self, domain, summaries, waits):
        """The items not dunned (in payment, blocked, disputed) of ``domain``, by customer and document, in
        one scan: {customer: (count, amount)} for the customers with nothing else overdue (neither in
        ``summaries`` nor in ``waits``); the disputed items of the customers listed are added to their
        summary (``blocked_count``, ``blocked_amount``: a note on their line)."""
        groups = (
            self.env["account.move.line"]
            .with_context(active_test=False)
            ._read_group(domain, ["partner_id", "move_id"], ["__count", "amount_residual:sum"])
        )
        disputed = self.env["account.move"].browse({move.id for _p, move, _c, _a in groups}).filtered("dunning_blocked")
        blocked = {}
        for partner, move, count, amount in groups:
            if not partner or partner in waits:
                continue
            if partner in summaries:
                if move in disputed:
                    summaries[partner]["blocked_count"] += count
                    summaries[partner]["blocked_amount"] += amount
                continue
            total_count, total_amount = blocked.get(partner, (0, 0.0))
            blocked[partner] = (total_count + count, total_amount + amount)
        return blocked

    def _select_customers(self, as_of_date, date_basis, partner_domain=None, picked=None, move_line_ids=None):
        """The customers this level reminds, and those it leaves out with the reason: the one selection
        of the addon, used by the wizard. ``picked``: the customers chosen explicitly (listed even when
        archived; reported ``no_overdue`` when nothing of theirs is overdue). ``move_line_ids``: the
        overdue items to list, whatever their days overdue (a run of all levels has chosen them).

        Returns ``(listed, left_out)``, both {commercial partner: summary}; a summary holds
        ``move_line_ids`` and ``credit_move_line_ids`` (the overdue items and open credits),
        ``invoice_count``, ``invoice_names``, ``amount_overdue`` (gross, company currency),
        ``amount_credit``, ``amount_net``, ``amounts_due`` [(currency, amount)], ``max_days_overdue``,
        ``blocked_count`` and ``blocked_amount`` (its disputed items left out, listed customers), and,
        for a customer left out, ``reason`` (a key of EXCLUSION_REASONS), ``reason_notice_id`` (the
        notice behind ``min_interval`` or ``duplicate``) and ``reason_detail`` (``escalation_wait``: where
        its items are).

        Disputed items and items of invoices in payment or blocked are dropped before the amount range;
        a customer on hold, reminded too recently or already given this level's notice for this date is
        left out (``_get_customer_reasons``). In sequential escalation, the items not at the level before
        this one (or not long enough) are dropped too; a customer with none left waits
        (``escalation_wait``). Eleven grouped queries at most, whatever the number of customers and items:
        the journal items are summed in the database, not loaded as records. The amount range applies to
        the net in ``net`` mode, to the overdue total otherwise."""
        self.ensure_one()
        picked = picked or self.env["res.partner"]
        # archived customers' items too: they are reported as left out unless picked
        move_lines = self.env["account.move.line"].with_context(active_test=False)
        days_bounds = move_line_ids is None
        domain = self._get_overdue_lines_domain(as_of_date, date_basis, partner_domain, days_bounds)
        if not days_bounds:
            domain.append(("id", "in", move_line_ids))

        groups = self._read_overdue_groups(domain)
        # sequential escalation: the items not at the level before, or not for long enough, wait
        groups, waits = self._split_escalation_waits(domain, groups, as_of_date) if days_bounds else (groups, {})
        summaries = self._summarize_overdue(groups, as_of_date, date_basis)
        waits = {partner: summary for partner, summary in waits.items() if partner not in summaries}
        blocked = self._get_blocked_by_partner(
            self._get_blocked_lines_domain(as_of_date, date_basis, partner_domain), summaries, waits
        )
        customer_reasons = self._get_customer_reasons(as_of_date, [*summaries, *blocked, *waits])
        handling = self.credit_handling
        if summaries and handling != "ignore":
            for partner, currency, amount, amount_currency, ids in move_lines._read_group(
                self._get_open_credits_domain(as_of_date, self.env["res.partner"].concat(*summaries)),
                ["partner_id", "currency_id"],
                ["amount_residual:sum", "amount_residual_currency:sum", "id:array_agg"],
            ):
                summaries[partner]["credits"][currency] = (-amount_currency, -amount)
                summaries[partner]["credit_move_line_ids"] += ids
        company_currency = self.currency_id
        foreign = self.env["res.currency"].browse(
            {c.id for summary in summaries.values() for c in summary["overdue"]} - {company_currency.id}
        )
        rates = self._get_rates(foreign, as_of_date) if foreign else {}
        listed, left_out = {}, {}
        for partner, summary in summaries.items():
            net = self._net_amounts(summary.pop("overdue"), summary.pop("credits"), rates, handling, company_currency)
            summary.update(
                amount_credit=net["amount_credit"],
                amount_net=net["amount_net"] if handling == "net" else summary["amount_overdue"],
                amounts_due=net["amounts_due"],
            )
            summary["move_line_ids"].sort()
            summary["credit_move_line_ids"].sort()
            summary["invoice_names"] = ", ".join(sorted(summary["invoice_names"]))
            if not partner.active and partner not in picked:
                summary["reason"] = "archived"
            elif partner in customer_reasons:
                summary["reason"], summary["reason_notice_id"] = customer_reasons[partner]
            elif handling == "net" and net["covered"]:
                summary["reason"] = "credits_cover"
            else:
                summary["reason"] = self._check_amount_range(summary["amount_net"])
            (left_out if summary["reason"] else listed)[partner] = summary
        for partner, (count, amount) in blocked.items():
            left_out[partner] = {**_new_summary(), "amount_overdue": amount, "invoice_count": count}
            left_out[partner]["reason"], left_out[partner]["reason_notice_id"] = customer_reasons.get(
                partner, ("all_blocked", False)
            )
        for partner, summary in waits.items():
            left_out[partner] = self._get_wait_reason(partner, summary, picked, customer_reasons)
        for partner in picked.commercial_partner_id:
            if partner not in listed and partner not in left_out:
                left_out[partner] = {**_new_summary(), "reason": "no_overdue"}
        for summary in left_out.values():
            summary.pop("overdue", None)
            summary.pop("credits", None)
            if isinstance(summary["invoice_names"], set):
                summary["invoice_names"] = ", ".join(sorted(summary["invoice_names"]))
        return listed, left_out

    def _get_customer_reasons(self, as_of_date, partners):
        """{customer: (reason key, notice id or False)} for the customers of ``partners`` (commercial
        partners) left out whatever they owe: on hold at ``as_of_date``, already given a notice of this
        level for this date, or reminded fewer than the company's minimum interval days before it. Three
        grouped queries whatever the number of customers; a hold comes first, then a duplicate."""
        self.ensure_one()
        if not partners:
            return {}
        partner_ids = [partner.id for partner in partners]
        reasons = {}
        # sudo: the rules read the customers' flags and the company's notices, whoever runs the wizard
        notices = self.env["dunning.notice"].sudo().with_context(active_test=False)
        interval = self.company_id.dunning_min_interval_days
        if interval > 0:
            for partner, notice_id in notices._read_group(
                [
                    ("company_id", "=", self.company_id.id),
                    ("partner_id", "in", partner_ids),
                    ("state", "=", "done"),
                    ("date_sent", "<=", as_of_date),
                    ("date_sent", ">", _days_before(as_of_date, interval)),
                ],
                ["partner_id"],
                ["id:max"],
            ):
                reasons[partner.with_env(self.env)] = ("min_interval", notice_id)
        for partner, notice_id in notices._read_group(
            [
                ("partner_id", "in", partner_ids),
                ("level_id", "=", self.id),
                ("as_of_date", "=", as_of_date),
                ("state", "not in", ("cancel", "error")),
            ],
            ["partner_id"],
            ["id:max"],
        ):
            reasons[partner.with_env(self.env)] = ("duplicate", notice_id)
        on_hold = (  # the hold of the level's company (company_dependent), not another company's
            self.env(su=True)["res.partner"]
            .with_company(self.company_id)
            .with_context(active_test=False)
            .search_fetch(
                [
                    ("id", "in", partner_ids),
                    ("dunning_hold", "=", True),
                    "|",
                    ("dunning_hold_until", "=", False),
                    ("dunning_hold_until", ">=", as_of_date),
                ],
                ["dunning_hold"],
            )
        )
        for partner in on_hold.with_env(self.env):
            reasons[partner] = ("on_hold", False)
        return reasons

    # -------------------------------------------------------------------------
    # BUSINESS: escalation
    # -------------------------------------------------------------------------

    def _get_escalation_levels(self):
        """The levels an item climbs, in order: the active levels of the level's company."""
        self.ensure_one()
        levels = self.search([("company_id", "=", self.company_id.id)])
        return levels if self in levels else (levels | self).sorted()

    def _get_escalation_reached(self, levels, item_ids):
        """{item id: (index in ``levels`` of the highest level it was delivered at, date sent)} for the
        items of ``item_ids`` delivered once at least: one grouped query over the notices' items."""
        if not item_ids:
            return {}
        position = {level.id: index for index, level in enumerate(levels)}
        reached = {}
        # sudo: the company's notices decide, whoever runs the wizard
        for item, level, date_sent in (
            self.env["dunning.notice.line"]
            .sudo()
            ._read_group(
                [
                    ("move_line_id", "in", list(item_ids)),
                    ("line_type", "=", "overdue"),
                    ("notice_id.state", "=", "done"),
                    ("notice_id.delivery_state", "not in", UNDELIVERED_STATES),
                ],
                ["move_line_id", "level_id"],
                ["date_sent:max"],
            )
        ):
            index = position.get(level.id)
            if index is not None and index >= reached.get(item.id, (-1, None))[0]:
                reached[item.id] = (index, date_sent)
        return reached

    @api.model
    def _get_escalation_next(self, levels, reached, as_of_date):
        """(index of the level an item may move on to, the first date it may) from ``reached``, its
        ``(index, date sent)`` or None when never delivered; the index is past the last level when the
        item has reached the last one."""
        if not reached:
            return 0, as_of_date
        index, date_sent = reached
        if index + 1 >= len(levels):
            return index + 1, None
        return index + 1, (date_sent or as_of_date) + timedelta(days=levels[index + 1].min_days_since_previous)

    def _get_escalation_waits(self, as_of_date, names):
        """{item id: where it is} for the items of ``names`` ({item id: name}) that may not move on to
        this level at ``as_of_date``: not delivered at the level before it (or, for the first level,
        reminded already), or not long enough ago."""
        self.ensure_one()
        levels = self._get_escalation_levels()
        position = list(levels).index(self)
        reached = self._get_escalation_reached(levels, names)
        waiting = {}
        for item_id, name in names.items():
            next_index, next_date = self._get_escalation_next(levels, reached.get(item_id), as_of_date)
            if next_index == position and next_date <= as_of_date:
                continue
            waiting[item_id] = self._get_escalation_wait_detail(
                levels, name, reached.get(item_id), next_index, next_date
            )
        return waiting

    def _get_escalation_wait_detail(self, levels, name, reached, next_index, next_date):
        if not reached:
            return self.env._("%(item)s: never reminded, starts at %(level)s", item=name, level=levels[0].name)
        level = levels[reached[0]].name
        if next_date is None:
            return self.env._("%(item)s: at %(level)s, the last level", item=name, level=level)
        return self.env._(
            "%(item)s: at %(level)s, moves on to %(next)s from %(date)s",
            item=name,
            level=level,
            next=levels[next_index].name,
            date=format_date(self.env, next_date),
        )

    @api.model
    def _select_customers_all_levels(self, company, as_of_date, date_basis, partner_domain=None, picked=None):
        """A run of all levels: each customer is given the highest level one of its overdue items is
        eligible for (sequential levels: the level after the one the item was delivered at, once its
        days overdue reach it and it waited long enough; levels by days range: the range holds the
        customer's oldest item) and listed by that level's rules with all its overdue items.

        Returns ``(listed, left_out)`` as ``_select_customers`` does, each summary with its ``level``.
        Three grouped queries, then those of ``_select_customers`` per level found: constant whatever
        the number of customers."""
        levels = self.search([("company_id", "=", company.id)])
        picked = picked or self.env["res.partner"]
        if not levels:
            return {}, {}
        move_lines = self.env["account.move.line"].with_context(active_test=False)
        groups = move_lines._read_group(
            levels[0]._get_overdue_lines_domain(as_of_date, date_basis, partner_domain, days_bounds=False),
            ["partner_id", "date_maturity:day", "invoice_date:day"],
            ["id:array_agg", "move_name:array_agg", "amount_residual:sum"],
        )
        customers = self._get_all_levels_customers(levels, groups, as_of_date, date_basis)
        by_level, listed, left_out = {}, {}, {}
        for partner, customer in customers.items():
            for index, level in enumerate(levels):
                if (
                    level.escalation_mode == "range"
                    and level.min_days_overdue <= customer["days"]
                    and (not level.max_days_overdue or customer["days"] <= level.max_days_overdue)
                ):
                    customer["best"] = max(customer["best"], index)
            if customer["best"] >= 0:
                by_level.setdefault(levels[customer["best"]], {})[partner] = customer["ids"]
                continue
            left_out[partner] = {
                **_new_summary(),
                "invoice_count": len(customer["names"]),
                "invoice_names": ", ".join(sorted(customer["names"])),
                "amount_overdue": customer["amount"],
                "max_days_overdue": customer["days"],
                "reason": "escalation_wait" if customer["details"] else "no_overdue",
                "reason_detail": _join_details(customer["details"]) or False,
                "level": self.browse(),
            }
        for level, partner_items in by_level.items():
            partner_ids = [partner.id for partner in partner_items]
            level_listed, level_left_out = level._select_customers(
                as_of_date,
                date_basis,
                [*(partner_domain or []), ("id", "in", partner_ids)],
                picked=picked.filtered(lambda p, ids=partner_ids: p.commercial_partner_id.id in ids),
                move_line_ids=[item_id for ids in partner_items.values() for item_id in ids],
            )
            for result, found in ((listed, level_listed), (left_out, level_left_out)):
                for partner, summary in found.items():
                    result[partner] = {**summary, "level": level}
        for partner in picked.commercial_partner_id:
            if partner not in listed and partner not in left_out:
                left_out[partner] = {**_new_summary(), "reason": "no_overdue", "level": self.browse()}
        return listed, left_out

    def _get_all_levels_customers(self, levels, groups, as_of_date, date_basis):
        """{customer: {ids, names, amount, days, best, details}} from the overdue items ``groups`` (per
        customer and dates): ``best`` the index of the highest sequential level one of its items may
        move on to (-1: none), ``details`` where the others are. One grouped query."""
        reached = self._get_escalation_reached(levels, [item_id for group in groups for item_id in group[3]])
        sequential = any(level.escalation_mode == "sequential" for level in levels)
        customers = {}
        for partner, due, invoice_date, ids, names, amount in groups:
            if not partner:
                continue
            days = (as_of_date - (invoice_date if date_basis == "invoice_date" and invoice_date else due)).days
            customer = customers.setdefault(
                partner, {"ids": [], "names": set(), "amount": 0.0, "days": 0, "best": -1, "details": []}
            )
            customer["ids"] += ids
            customer["names"].update(names)
            customer["amount"] += amount
            customer["days"] = max(customer["days"], days)
            for item_id, name in zip(ids, names, strict=True):
                next_index, next_date = self._get_escalation_next(levels, reached.get(item_id), as_of_date)
                level = levels[next_index] if next_index < len(levels) else None
                if (
                    level
                    and level.escalation_mode == "sequential"
                    and days >= level.min_days_overdue
                    and next_date <= as_of_date
                ):
                    customer["best"] = max(customer["best"], next_index)
                elif sequential:
                    customer["details"].append(
                        levels[0]._get_escalation_wait_detail(levels, name, reached.get(item_id), next_index, next_date)
                    )
        return customers
