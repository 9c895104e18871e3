# What a send makes of the wizard: the dunning.run and its notices, apart from the wizard's fields, filters
# and buttons (a file per concern).
# pylint: disable=consider-merging-classes-inherited
import re

import psycopg2

from odoo import Command, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_date, mute_logger


class DunningNoticeSend(models.TransientModel):
    _inherit = "dunning.notice.send"

    def _lock_run(self):
        """Lock the wizard (a double click waits here); True when this run was already made."""
        self.env.cr.execute(SQL("SELECT id FROM dunning_notice_send WHERE id = %s FOR UPDATE", self.id))
        self.invalidate_recordset(["state", "notice_ids"])
        return self.state == "sent"

    def _create_run(self, state, run_vals=None):
        """The ``dunning.run`` of the ticked lines, in ``state`` (``sent``: notices queued; ``draft``:
        notices to review), with its left-out customers and ``run_vals``; returns the notices."""
        if not self.filters_applied:
            raise UserError(self.env._("Apply the filters first to list the customers to remind."))
        lines = self.line_ids.filtered(lambda line: line.to_print or line.to_email)
        if not lines:
            raise UserError(self.env._("Tick Print or Email for at least one customer."))
        lines._check_email_recipients()
        if lines.filtered(lambda line: line.to_email and not (self.mail_template_id or line.level_id.mail_template_id)):
            raise UserError(self.env._("Choose an email template to email the notices."))
        # sudo: users have no create right on runs and notices, which only runs make; the notices'
        # constraints check what they hold (the customer's own items, dunning templates).
        # its "created" line in the company's language, as the run's later lines (dunning.run)
        run = (
            self.env["dunning.run"]
            .sudo()
            .with_context(lang=self.company_id.partner_id.lang or self.env.lang)
            .create({**self._prepare_run_vals(state), **(run_vals or {})})
            .with_context(lang=self.env.lang)
        )
        vals_list = [
            {**vals, "run_id": run.id, "state": "draft" if state == "draft" else "queued"}
            for vals in lines._prepare_notice_vals()
        ]
        try:
            # another run made some of these notices since Apply Filters (the unique index of
            # dunning.notice): nothing is created, the user is told which customers (not a server error)
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                # No "created" log, follower or tracking: thousands of notices per run, their story
                # is the customer's.
                notices = (
                    self.env["dunning.notice"]
                    .sudo()
                    .with_context(tracking_disable=True)
                    .create(vals_list)
                    .with_env(self.env)
                )
        except psycopg2.errors.UniqueViolation as error:
            raise UserError(self._get_duplicates_message(lines.partner_id, error)) from None
        self._write_run({"state": "sent", "notice_ids": [Command.set(notices.ids)]})
        return notices

    def _prepare_run_vals(self, state):
        self.ensure_one()
        return {
            "company_id": self.company_id.id,
            "user_id": self.env.user.id,
            "level_id": self.level_id.id,
            "as_of_date": self.as_of_date,
            "date_basis": self.date_basis,
            "customer_ref_from": self.customer_ref_from,
            "customer_ref_to": self.customer_ref_to,
            "customer_type": self.customer_type,
            "category_ids": [Command.set(self.category_ids.ids)],
            "partner_ids": [Command.set(self.with_context(active_test=False).partner_ids.ids)],
            "state": state,
            "left_out_ids": [
                Command.create(
                    {
                        "partner_id": line.partner_id.id,
                        "level_id": (line.level_id or self.level_id).id,
                        "reason": line.exclusion_reason,
                        "detail": line.exclusion_detail,
                        "notice_id": line.exclusion_notice_id.id,
                        "amount_overdue": line.amount_overdue,
                        "amount_net": line.amount_net,
                    }
                )
                for line in self.excluded_line_ids
            ],
        }

    def _get_duplicates_message(self, partners, error):
        self.env.invalidate_all()
        existing = (
            self.env["dunning.notice"]
            .sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("partner_id", "in", partners.ids),
                    ("level_id", "in", (self.level_id or self.line_ids.level_id).ids),
                    ("as_of_date", "=", self.as_of_date),
                    ("state", "not in", ("cancel", "error")),
                ]
            )
        )
        customers = existing.partner_id
        if not customers:
            # a run committed while this one waited: this transaction's snapshot does not show its
            # notices, the database names the customer ("Key (partner_id, ...)=(42, ...) already exists.")
            found = re.search(r"=\((\d+),", error.diag.message_detail or "")
            customers = partners.filtered(lambda partner: found and partner.id == int(found.group(1)))
        return self.env._(
            "Another run already made the %(level)s notice as of %(date)s for %(customers)s: nothing was "
            "sent. Apply the filters again to list the customers still to remind.",
            level=self.level_id.name or self.env._("All levels"),
            date=format_date(self.env, self.as_of_date),
            customers=", ".join(sorted(customers.mapped("display_name"))) or "-",
        )

    def _prepare_notice_vals(self):
        """The values the notices of this run share."""
        self.ensure_one()
        return {
            "company_id": self.company_id.id,
            "level_id": self.level_id.id,
            "credit_handling": self.applied_credit_handling or self.level_id.credit_handling,
            "sender_user_id": self.sender_user_id.id,
            "sender_name": self.sender_user_id.name,
            "sender_email": self.sender_user_id.email,
            "sender_phone": self.sender_phone,
            "as_of_date": self.as_of_date,
            "date_basis": self.date_basis,
            "report_id": self.report_id.id,
            "mail_template_id": self.mail_template_id.id,
            "attach_invoices": self.attach_invoices,
        }
