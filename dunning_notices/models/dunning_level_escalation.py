# Escalation: the levels an item climbs one after the other, and a run of all levels (each customer at
# the highest level one of its items is eligible for), apart from the selection itself (STYLE section 8).
# pylint: disable=consider-merging-classes-inherited
from datetime import timedelta

from odoo import api, models
from odoo.tools import format_date

from .dunning_common import CustomerSummary, days_overdue, delivered_domain, join_details


class DunningLevel(models.Model):
    _inherit = "dunning.level"

    def _split_escalation_waits(self, domain, groups, as_of_date):
        """Sequential escalation: ``(groups, waits)``, the ``_read_overdue_groups`` of the items of
        ``domain`` that may move on to this level, and {customer: summary} of the customers with items
        that may not, with ``details``: where these items are. Two grouped queries at most."""
        if self.escalation_mode != "sequential":
            return groups, {}
        waiting = self._get_escalation_waits(
            as_of_date,
            {item_id: name for group in groups for item_id, name in zip(group.ids, group.names, strict=True)},
        )
        if not waiting:
            return groups, {}
        waits = {}
        for group in groups:
            waiting_ids = [item_id for item_id in group.ids if item_id in waiting]
            if not group.partner or not waiting_ids:
                continue
            summary = waits.setdefault(group.partner, CustomerSummary())
            summary.invoice_count += group.move_count
            summary.invoice_names.update(group.names)
            summary.amount_overdue += group.amount
            summary.details += [waiting[item_id] for item_id in waiting_ids]
        return self._read_overdue_groups([*domain, ("id", "not in", list(waiting))]), waits

    @api.model
    def _get_wait_reason(self, partner, summary, picked, customer_reasons):
        """The summary of a customer none of whose items may move on, with the reason it is left out."""
        if not partner.active and partner not in picked:
            summary.reason = "archived"
        elif partner in customer_reasons:
            summary.reason, summary.reason_notice_id = customer_reasons[partner]
        else:
            summary.reason, summary.reason_detail = "escalation_wait", join_details(summary.details)
        return summary

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
                    *delivered_domain("notice_id."),
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
            left_out[partner] = CustomerSummary(
                invoice_count=len(customer["names"]),
                invoice_names=", ".join(sorted(customer["names"])),
                amount_overdue=customer["amount"],
                max_days_overdue=customer["days"],
                reason="escalation_wait" if customer["details"] else "no_overdue",
                reason_detail=join_details(customer["details"]) or False,
                level=self.browse(),
            )
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
                    summary.level = level
                    result[partner] = summary
        for partner in picked.commercial_partner_id:
            if partner not in listed and partner not in left_out:
                left_out[partner] = CustomerSummary(reason="no_overdue", level=self.browse())
        return listed, left_out

    def _get_all_levels_customers(self, levels, groups, as_of_date, date_basis):
        """{customer: {ids, names, amount, days, best, details}} from the overdue items ``groups`` (per
        customer and dates): ``best`` the index of the highest sequential level one of its items may
        move on to (-1: none), ``details`` where the others are. One grouped query."""
        item_ids = [item_id for *_dates, ids, _names, _amount in groups for item_id in ids]
        reached = self._get_escalation_reached(levels, item_ids)
        sequential = any(level.escalation_mode == "sequential" for level in levels)
        customers = {}
        for partner, due, invoice_date, ids, names, amount in groups:
            if not partner:
                continue
            days = days_overdue(as_of_date, due, invoice_date, date_basis)
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
