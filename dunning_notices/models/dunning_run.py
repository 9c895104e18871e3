from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from .res_company import DATE_BASIS_SELECTION


def format_customer_filters(record):
    """The customer filters of a run, or of the wizard (the same fields), in the user's words."""
    env = record.env
    parts = []
    if record.customer_ref_from or record.customer_ref_to:
        parts.append(
            env._(
                "References %(start)s to %(end)s",
                start=record.customer_ref_from or "...",
                end=record.customer_ref_to or "...",
            )
        )
    if record.customer_type and record.customer_type != "all":
        parts.append(dict(record._fields["customer_type"]._description_selection(env))[record.customer_type])
    if record.category_ids:
        parts.append(env._("Tags: %(tags)s", tags=", ".join(record.category_ids.mapped("name"))))
    if partners := record.with_context(active_test=False).partner_ids:
        parts.append(env._("Customers: %(customers)s", customers=", ".join(partners.mapped("display_name"))))
    return "; ".join(parts) or env._("All customers")


class DunningRun(models.Model):
    """What one run of the wizard, or one automatic run of a level, did: its filters, the customers it
    reminded (its notices) and those it left out, and why. A run saved for review holds draft notices
    until someone sends or discards it. Written by the server only, like the notices."""

    _name = "dunning.run"
    _description = "Dunning Run"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _check_company_auto = True
    _mail_post_access = "read"

    name = fields.Char(string="Number", required=True, readonly=True, copy=False, default="/")
    company_id = fields.Many2one("res.company", required=True, readonly=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one("res.users", string="Run By", readonly=True, default=lambda self: self.env.user)
    # empty: a run of all levels, each customer at its own level
    level_id = fields.Many2one("dunning.level", string="Dunning Level", readonly=True, check_company=True)
    as_of_date = fields.Date(string="As of", required=True, readonly=True)
    date_basis = fields.Selection(DATE_BASIS_SELECTION, string="Aging Basis", required=True, readonly=True)
    # the run's customer filters, as the wizard had them
    customer_ref_from = fields.Char(string="Customers from", readonly=True)
    customer_ref_to = fields.Char(string="Customers to", readonly=True)
    customer_type = fields.Selection(
        [("all", "All"), ("company", "Companies"), ("person", "Individuals")], default="all", readonly=True
    )
    category_ids = fields.Many2many("res.partner.category", string="Customer Tags", readonly=True)
    partner_ids = fields.Many2many("res.partner", string="Customers Picked", readonly=True)
    filter_summary = fields.Char(string="Filters", compute="_compute_filter_summary")
    automatic = fields.Boolean(readonly=True, help="Made by the level's automatic runs, not by a user.")
    # the day of an automatic run: one per level and day (see init)
    auto_date = fields.Date(string="Automatic Run Date", readonly=True)
    state = fields.Selection(
        [("draft", "To Review"), ("sent", "Sent"), ("discarded", "Discarded"), ("error", "Error")],
        required=True,
        readonly=True,
        default="sent",
        tracking=True,
        index=True,
    )
    error_message = fields.Text(readonly=True)
    notice_ids = fields.One2many("dunning.notice", "run_id", readonly=True)
    # what the form lists: the notices the run sends (Net Due is their total), the cancelled ones apart
    # (settled or left out before sending); those left out in review are on Left Out
    sent_notice_ids = fields.One2many(
        "dunning.notice",
        "run_id",
        string="Notices Sent",
        readonly=True,
        domain=[("state", "!=", "cancel"), ("review_excluded", "=", False)],
    )
    cancelled_notice_ids = fields.One2many(
        "dunning.notice", "run_id", string="Cancelled Notices", readonly=True, domain=[("state", "=", "cancel")]
    )
    level_display = fields.Char(string="Level", compute="_compute_level_display")
    left_out_ids = fields.One2many("dunning.run.left.out", "run_id", readonly=True)
    notice_count = fields.Integer(string="Number of Notices", compute="_compute_counts")
    emailed_count = fields.Integer(string="Emailed", compute="_compute_counts")
    printed_count = fields.Integer(string="Printed", compute="_compute_counts")
    failed_count = fields.Integer(string="Failed", compute="_compute_counts")
    # printed notices still queued: their letters are being prepared in the background
    letters_pending_count = fields.Integer(string="Letters Being Prepared", compute="_compute_counts")
    left_out_count = fields.Integer(string="Customers Left Out", compute="_compute_counts")
    left_out_summary = fields.Char(string="Left Out by Reason", compute="_compute_counts")
    amount_net = fields.Monetary(string="Net Due", compute="_compute_counts", currency_field="currency_id")

    def init(self):
        res = super().init()
        # at most one automatic run per level and day, however many cron workers run
        self.env.cr.execute(
            SQL(
                """
                CREATE UNIQUE INDEX IF NOT EXISTS dunning_run_level_auto_date_uniq
                    ON dunning_run (level_id, auto_date) WHERE auto_date IS NOT NULL
                """
            )
        )
        return res

    # -------------------------------------------------------------------------
    # COMPUTE
    # -------------------------------------------------------------------------

    @api.depends("notice_ids.state", "notice_ids.delivery_state", "notice_ids.review_excluded", "left_out_ids")
    @api.depends_context("lang")  # the reasons' labels in the summary
    def _compute_counts(self):
        counts = {run: dict.fromkeys(("notices", "emailed", "printed", "failed", "pending"), 0) for run in self}
        amounts = dict.fromkeys(self, 0.0)
        for run, state, to_email, to_print, left_out, count, amount in (
            self.env["dunning.notice"]
            .with_context(active_test=False)
            ._read_group(
                [("run_id", "in", self.ids)],
                ["run_id", "state", "to_email", "to_print", "review_excluded"],
                ["__count", "amount_net:sum"],
            )
        ):
            if state == "cancel" or left_out:
                continue
            amounts[run] += amount  # the notices the form lists, errors included (they can be retried)
            if state == "error":
                counts[run]["failed"] += count
                continue
            counts[run]["notices"] += count
            if state == "done":
                counts[run]["emailed"] += count if to_email else 0
                counts[run]["printed"] += count if to_print else 0
            elif state == "queued" and to_print:
                counts[run]["pending"] += count
        left_out_model = self.env["dunning.run.left.out"]
        reasons = dict(left_out_model._fields["reason"]._description_selection(self.env))
        left_out = {run: [] for run in self}
        for run, reason, count in left_out_model._read_group(
            [("run_id", "in", self.ids)], ["run_id", "reason"], ["__count"], order="reason"
        ):
            left_out[run].append((reasons.get(reason, reason), count))
        for run in self:
            run.notice_count = counts[run]["notices"]
            run.emailed_count = counts[run]["emailed"]
            run.printed_count = counts[run]["printed"]
            run.failed_count = counts[run]["failed"]
            run.letters_pending_count = counts[run]["pending"]
            run.amount_net = amounts[run]
            run.left_out_count = sum(count for _reason, count in left_out[run])
            run.left_out_summary = ", ".join(
                self.env._("%(reason)s: %(count)s", reason=reason, count=count) for reason, count in left_out[run]
            )

    @api.depends("level_id")
    def _compute_level_display(self):
        for run in self:
            run.level_display = run.level_id.name or self.env._("All levels")

    @api.depends("customer_ref_from", "customer_ref_to", "customer_type", "category_ids", "partner_ids")
    def _compute_filter_summary(self):
        for run in self:
            run.filter_summary = format_customer_filters(run)

    # -------------------------------------------------------------------------
    # CRUD
    # -------------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("dunning.run") or "/"
        return super().create(vals_list)

    def _write_state(self, vals):
        """The one way runs change. ``sudo``: users may only read runs; callers check their rights."""
        self.sudo().write(vals)

    def _check_can_act(self):
        if not self.env.su and not self.env.user.has_group("account.group_account_invoice"):
            raise AccessError(self.env._("You are not allowed to act on dunning runs."))
        self.check_access("read")

    # -------------------------------------------------------------------------
    # ACTIONS: review
    # -------------------------------------------------------------------------

    def action_send(self):
        """Send a run saved for review: its draft notices are numbered, rendered and sent as the wizard
        does; those left out in review are cancelled. Sending twice does nothing more."""
        self.ensure_one()
        self._check_can_act()
        self._lock_for_update()
        if self.state != "draft":
            raise UserError(self.env._("Run %(run)s was already sent or discarded.", run=self.name))
        drafts = self.notice_ids.filtered(lambda n: n.state == "draft")
        kept = drafts.filtered(lambda n: not n.review_excluded and (n.to_print or n.to_email))
        if not kept:
            raise UserError(
                self.env._("Every notice of run %(run)s is left out: discard the run instead.", run=self.name)
            )
        (drafts - kept)._write_state(
            {"state": "cancel", "cancel_reason": self.env._("Left out in review of run %(run)s.", run=self.name)}
        )
        # the customer rules as they are now (a hold put since the run was saved): left out, not numbered
        reviewed = kept
        kept = kept._leave_out_by_customer_rules()
        kept._confirm_drafts()
        self._write_state({"state": "sent"})
        self.message_post(body=self._company_env()._("Run sent by %(user)s.", user=self.env.user.name))
        self.activity_ids.action_feedback(feedback=self.env._("Sent"))
        kept._process_or_enqueue()
        # the notification, then the run again with its notices' states
        return reviewed._get_result_action(next_action={"type": "ir.actions.client", "tag": "soft_reload"})

    def action_discard(self):
        """Drop a run saved for review: its draft notices are cancelled, no number is used."""
        self._check_can_act()
        for run in self:
            run._lock_for_update()
            if run.state != "draft":
                raise UserError(self.env._("Run %(run)s was already sent or discarded.", run=run.name))
            run.notice_ids.filtered(lambda n: n.state == "draft")._write_state(
                {"state": "cancel", "cancel_reason": self.env._("Run %(run)s discarded.", run=run.name)}
            )
            run._write_state({"state": "discarded"})
            run.message_post(body=run._company_env()._("Run discarded by %(user)s.", user=self.env.user.name))
            run.activity_ids.action_feedback(feedback=self.env._("Discarded"))
        return True

    def _company_env(self):
        """The environment in the run's company language, for the lines of its story: whoever reads the
        chatter later reads the same words, not those of the user who clicked."""
        self.ensure_one()
        return self.with_context(lang=self.company_id.partner_id.lang or self.env.lang).env

    def _lock_for_update(self):
        """Two reviewers clicking at once: the second waits, then finds the run no longer in draft."""
        self.env.cr.execute(SQL("SELECT id FROM dunning_run WHERE id IN %s FOR UPDATE", tuple(self.ids)))
        self.invalidate_recordset(["state"])

    def action_download_letters(self):
        """Download the letters of the run's printed notices, as stored when they were processed (in the
        background: no PDF is rendered here). Those still queued are left for later."""
        self.ensure_one()
        self._check_can_act()
        # stored PDFs only: a notice without one would be rendered in this request
        printed = self.notice_ids.filtered(lambda n: n.to_print and n.state == "done" and n.sudo().pdf_attachment_id)
        if not printed:
            raise UserError(
                self.env._("No letter of run %(run)s is ready yet: they are being prepared.", run=self.name)
                if self.letters_pending_count
                else self.env._("Run %(run)s printed no letter.", run=self.name)
            )
        action = printed.action_print()
        printed._mark_letters_printed()
        return action

    def _notify_letters_ready(self):
        """Tell the user of each run whose last letters to print were just prepared in the background
        that they are ready: a note on the run (no email) and a notification in their open web client, from
        which they download them."""
        for run in self.filtered(lambda r: r.printed_count and not r.letters_pending_count):
            # in the words of the user it is for (the queue runs in no user's language)
            env = run.with_context(lang=run.user_id.lang or self.env.lang).env
            message = env._(
                "The letters to print of run %(run)s are ready (%(count)s): download them with Download Letters on "
                "the run.",
                count=run.printed_count,
                run=run.name,
            )
            run.sudo()._message_log(body=message)
            # shown with Download Letters and Open Run buttons (static/src/js/letters_ready_service.js)
            run.user_id._bus_send(
                "dunning_notices/letters_ready",
                {
                    "run_id": run.id,
                    "title": env._("Dunning notices"),
                    "message": env._(
                        "The letters to print of run %(run)s are ready (%(count)s).",
                        count=run.printed_count,
                        run=run.name,
                    ),
                },
            )

    def action_view_notices(self):
        self.ensure_one()
        action = self.env["ir.actions.actions"]._for_xml_id("dunning_notices.dunning_notice_action")
        action["domain"] = [("run_id", "=", self.id)]
        action["context"] = {"create": False, "active_test": False}
        return action
