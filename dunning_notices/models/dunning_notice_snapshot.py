# The notice's snapshot (its items as the customer is told, taken when it is sent) and the amounts the
# templates read from it, apart from the record (STYLE section 8: a file per concern).
# pylint: disable=consider-merging-classes-inherited
import logging

from odoo import models

from .dunning_common import amounts_by_currency
from .dunning_level import OPEN_TO_DUN

_logger = logging.getLogger(__name__)


class DunningNotice(models.Model):
    _inherit = "dunning.notice"

    # -------------------------------------------------------------------------
    # BUSINESS: snapshot
    # -------------------------------------------------------------------------

    def _create_snapshot_lines(self):
        """Record each overdue item as it is now, when the notice is about to be sent: the notice stays
        what the customer was told whatever happens to the invoices later. Done here rather than in the
        wizard so that a run of thousands of customers returns at once. All at once; should that fail,
        notice by notice, the faulty one in error."""
        todo = self.filtered(lambda n: not n.line_ids)
        if not todo:
            return
        try:
            with self.env.cr.savepoint():
                todo._create_snapshot_lines_batch()
            return
        except Exception:  # noqa: BLE001
            if len(todo) > 1:
                _logger.info("Taking the snapshot of %s dunning notices at once failed, one by one", len(todo))
            self.env.invalidate_all()
        for notice in todo:
            try:
                with self.env.cr.savepoint():
                    notice._create_snapshot_lines_batch()
            except Exception as error:  # noqa: BLE001
                self.env.invalidate_all()
                notice._set_error(error)

    def _create_snapshot_lines_batch(self):
        """The snapshot, read again when the notice is processed (minutes or hours after Apply Filters):
        items paid, reversed or cancelled since are dropped, amounts are today's. A notice left with
        nothing to ask for is cancelled, not sent."""
        line_model = self.env["dunning.notice.line"]
        # today's open credits of the customers, those recorded since Apply Filters too: one search a level
        credits_found = {}
        for (level, as_of_date), notices in (
            self.filtered(lambda n: n.credit_handling != "ignore").grouped(lambda n: (n.level_id, n.as_of_date)).items()
        ):
            domain = level._get_open_credits_domain(as_of_date, notices.partner_id)
            found = self.env["account.move.line"].search(domain)
            for partner, items in found.grouped("partner_id").items():
                credits_found[level, as_of_date, partner] = items
        items_by_notice = {notice: notice._get_items_to_remind() for notice in self}
        charges, fees = self._get_charges(items_by_notice)
        vals_list = []
        for notice in self:
            items = items_by_notice[notice]
            open_credits = credits_found.get(
                (notice.level_id, notice.as_of_date, notice.partner_id), self.env["account.move.line"]
            )
            vals_list += [
                {
                    "notice_id": notice.id,
                    **line_model._prepare_vals_from_move_line(item, notice._get_days_overdue(item)),
                    **charges.get((notice.id, item.id), {}),
                }
                for item in items.sorted(lambda i: (i.date_maturity, i.id))
            ]
            vals_list += [
                {"notice_id": notice.id, **line_model._prepare_vals_from_move_line(item, 0), "line_type": "credit"}
                for item in open_credits.sorted(lambda i: (i.date, i.id))
            ]
        line_model.sudo().create(vals_list)  # lines are written by the server only
        for notice_id, fee in fees.items():
            self.browse(notice_id)._write_state({"amount_fee_fixed": fee})
        settled = self.filtered(
            lambda n: (
                not any(line.line_type == "overdue" for line in n.line_ids)
                or (n.credit_handling == "net" and n.currency_id.is_zero(n.amount_net))
            )
        )
        settled._write_state(
            {"state": "cancel", "cancel_reason": self.env._("Settled before sending: nothing is overdue any more.")}
        )

    def _get_items_to_remind(self):
        """The notice's chosen items still open and dunned now: paid, reversed, disputed or blocked ones
        are dropped (the snapshot, and a draft's preview)."""
        self.ensure_one()
        still_open = [("parent_state", "=", "posted"), ("reconciled", "=", False), ("amount_residual", ">", 0)]
        return self.move_line_ids.filtered_domain([*still_open, *OPEN_TO_DUN])

    def _get_days_overdue(self, item):
        self.ensure_one()
        return self.env["dunning.level"]._get_days_overdue(item, self.as_of_date, self.date_basis)

    # -------------------------------------------------------------------------
    # HELPERS for the templates
    # -------------------------------------------------------------------------

    def _get_net_amounts(self):
        """What the notice asks for, from its snapshot (or, queued, its chosen items), credits weighed per
        its ``credit_handling``: ``dunning.level._net_amounts``'s result plus ``amount_overdue``."""
        self.ensure_one()
        if self.line_ids:
            # the snapshot's credit lines carry their residual as the journal item does (negative)
            entries = [
                (line.line_type == "credit", line.currency_id, line.amount_residual, line.amount_residual_company)
                for line in self.line_ids
            ]
        else:
            entries = [
                (False, item.currency_id, item.amount_residual_currency, item.amount_residual)
                for item in self.move_line_ids
            ] + [
                (True, item.currency_id, item.amount_residual_currency, item.amount_residual)
                for item in self.credit_move_line_ids
            ]
        overdue, open_credits = amounts_by_currency(entries)
        amount_overdue = sum(amount_company for _currency, amount_company in overdue.values())
        level = self.level_id
        company_currency = self.company_id.currency_id
        foreign = set(overdue) - {company_currency}
        rates = level._get_rates(foreign, self.as_of_date) if foreign else {}
        result = level._net_amounts(overdue, open_credits, rates, self.credit_handling or "net", company_currency)
        result["amount_overdue"] = company_currency.round(amount_overdue)
        if self.credit_handling != "net":
            result["amount_net"] = result["amount_overdue"]
        return result

    def _get_overdue_lines(self):
        if self.state == "draft":
            return self._get_preview_lines()[0]
        return self.line_ids.filtered(lambda line: line.line_type == "overdue")

    def _get_credit_lines(self):
        if self.state == "draft":
            return self._get_preview_lines()[1]
        return self.line_ids.filtered(lambda line: line.line_type == "credit")

    def _get_amounts_by_currency(self):
        """[(currency, amount due)] in the items' currencies: net of the open credits when they are
        deducted."""
        self.ensure_one()
        return self._get_net_amounts()["amounts_due"]

    def _get_currency_summary(self):
        """Per currency, for the notice and its email: overdue, credits, net amount due, and whether the
        credits were offset (False: a currency with credits only, nothing overdue in it)."""
        self.ensure_one()
        return self._get_net_amounts()["rows"]
