# The one selection of the addon (who is reminded, for how much, and why not), kept apart from the
# level's record and constraints (STYLE section 8: a file per concept).
# pylint: disable=consider-merging-classes-inherited
from odoo import api, models

from .dunning_common import CustomerSummary, OverdueGroup, days_before, days_overdue, delivered_domain
from .dunning_level import NOT_TO_DUN, OPEN_TO_DUN, PROMISED


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
            limit = days_before(as_of_date, days)
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
        return days_overdue(as_of_date, line.date_maturity, line.invoice_date, date_basis)

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
        """The overdue items of ``domain`` summed per customer and currency (``OverdueGroup``s): one
        grouped query."""
        groups = (
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
        return [OverdueGroup(*group) for group in groups]

    @api.model
    def _summarize_overdue(self, groups, as_of_date, date_basis):
        """{customer: summary} from ``_read_overdue_groups``."""
        summaries = {}
        for group in groups:
            if not group.partner:
                continue
            summary = summaries.setdefault(group.partner, CustomerSummary())
            summary.move_line_ids += group.ids
            summary.invoice_count += group.move_count
            summary.invoice_names.update(group.names)
            summary.amount_overdue += group.amount
            summary.overdue[group.currency] = (group.amount_currency, group.amount)
            summary.max_days_overdue = max(
                summary.max_days_overdue,
                days_overdue(as_of_date, group.oldest_due, group.oldest_invoice, date_basis),
            )
        return summaries

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
                    summaries[partner].blocked_count += count
                    summaries[partner].blocked_amount += amount
                continue
            total_count, total_amount = blocked.get(partner, (0, 0.0))
            blocked[partner] = (total_count + count, total_amount + amount)
        return blocked

    def _get_promised_partners(self, domain, blocked):
        """The customers of ``blocked`` ({customer: (count, amount)}, nothing left to dun) who promised
        to pay some of it (an open ``dunning.promise``): the promise, rather than a block or a dispute,
        is what the collector waits for. One grouped query."""
        if not blocked:
            return set()
        groups = (
            self.env["account.move.line"]
            .with_context(active_test=False)
            ._read_group(
                [*domain, PROMISED, ("partner_id", "in", [partner.id for partner in blocked])],
                ["partner_id"],
                [],
            )
        )
        return {partner for (partner,) in groups}

    def _select_customers(self, as_of_date, date_basis, partner_domain=None, picked=None, move_line_ids=None):
        """The customers this level reminds, and those it leaves out with the reason: the one selection
        of the addon, used by the wizard. ``picked``: the customers chosen explicitly (listed even when
        archived; reported ``no_overdue`` when nothing of theirs is overdue). ``move_line_ids``: the
        overdue items to list, whatever their days overdue (a run of all levels has chosen them).

        Returns ``(listed, left_out)``, both {commercial partner: ``CustomerSummary``}; a customer left
        out has its ``reason``.

        Disputed or promised items and items of invoices in payment or blocked are dropped before the
        amount range (``promised``: a customer with nothing left to dun who promised to pay);
        a customer on hold, reminded too recently or already given this level's notice for this date is
        left out (``_get_customer_reasons``). In sequential escalation, the items not at the level before
        this one (or not long enough) are dropped too; a customer with none left waits
        (``escalation_wait``). Twelve grouped queries at most, whatever the number of customers and items:
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
        blocked_domain = self._get_blocked_lines_domain(as_of_date, date_basis, partner_domain)
        blocked = self._get_blocked_by_partner(blocked_domain, summaries, waits)
        promised = self._get_promised_partners(blocked_domain, blocked)
        customer_reasons = self._get_customer_reasons(as_of_date, [*summaries, *blocked, *waits])
        handling = self.credit_handling
        if summaries and handling != "ignore":
            for partner, currency, amount, amount_currency, ids in move_lines._read_group(
                self._get_open_credits_domain(as_of_date, self.env["res.partner"].concat(*summaries)),
                ["partner_id", "currency_id"],
                ["amount_residual:sum", "amount_residual_currency:sum", "id:array_agg"],
            ):
                summaries[partner].credits[currency] = (-amount_currency, -amount)
                summaries[partner].credit_move_line_ids += ids
        company_currency = self.currency_id
        foreign = self.env["res.currency"].browse(
            {c.id for summary in summaries.values() for c in summary.overdue} - {company_currency.id}
        )
        rates = self._get_rates(foreign, as_of_date) if foreign else {}
        listed, left_out = {}, {}
        for partner, summary in summaries.items():
            net = self._net_amounts(summary.overdue, summary.credits, rates, handling, company_currency)
            summary.amount_credit = net["amount_credit"]
            summary.amount_net = net["amount_net"] if handling == "net" else summary.amount_overdue
            summary.amounts_due = net["amounts_due"]
            summary.move_line_ids.sort()
            summary.credit_move_line_ids.sort()
            if not partner.active and partner not in picked:
                summary.reason = "archived"
            elif partner in customer_reasons:
                summary.reason, summary.reason_notice_id = customer_reasons[partner]
            elif handling == "net" and net["covered"]:
                summary.reason = "credits_cover"
            else:
                summary.reason = self._check_amount_range(summary.amount_net)
            (left_out if summary.reason else listed)[partner] = summary
        for partner, (count, amount) in blocked.items():
            default = ("promised" if partner in promised else "all_blocked", False)
            reason, notice_id = customer_reasons.get(partner, default)
            left_out[partner] = CustomerSummary(
                amount_overdue=amount, invoice_count=count, reason=reason, reason_notice_id=notice_id
            )
        for partner, summary in waits.items():
            left_out[partner] = self._get_wait_reason(partner, summary, picked, customer_reasons)
        for partner in picked.commercial_partner_id:
            if partner not in listed and partner not in left_out:
                left_out[partner] = CustomerSummary(reason="no_overdue")
        for summary in (*listed.values(), *left_out.values()):
            summary.join_names()
        return listed, left_out

    def _get_customer_reasons(self, as_of_date, partners, notices_to_send=None, sent_on=None):
        """{customer: (reason key, notice id or False)} for the customers of ``partners`` (commercial
        partners) left out whatever they owe: on hold at ``as_of_date``, already given a notice of this
        level for this date, or reminded fewer than the company's minimum interval days before it. Three
        grouped queries whatever the number of customers; a hold comes first, then a duplicate.
        ``notices_to_send``: the notices being sent (a run reviewed, the queue), which are not their own
        earlier notice; ``sent_on``: the day they are sent, when later than ``as_of_date``, from which the
        minimum interval counts back then."""
        self.ensure_one()
        if not partners:
            return {}
        partner_ids = [partner.id for partner in partners]
        others = [("id", "not in", notices_to_send.ids)] if notices_to_send else []
        reasons = {}
        # sudo: the rules read the customers' flags and the company's notices, whoever runs the wizard
        notices = self.env["dunning.notice"].sudo().with_context(active_test=False)
        interval = self.company_id.dunning_min_interval_days
        interval_end = max(as_of_date, sent_on or as_of_date)
        if interval > 0:
            for partner, notice_id in notices._read_group(
                [
                    ("company_id", "=", self.company_id.id),
                    ("partner_id", "in", partner_ids),
                    *others,
                    *delivered_domain(),
                    ("date_sent", "<=", interval_end),
                    ("date_sent", ">", days_before(interval_end, interval)),
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
                *others,
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
