# Automatic runs of a level: one daily cron runs each level whose next date has come, as the level's
# sender would through the wizard, sent at once or saved for review.
# pylint: disable=consider-merging-classes-inherited
import logging

import psycopg2
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import mute_logger

_logger = logging.getLogger(__name__)

AUTO_MODE_SELECTION = [
    ("manual", "Manual"),
    ("review", "Automatic, reviewed before sending"),
    ("send", "Automatic, sent at once"),
]
# read after the number, in the form's "Every 1 week(s)"
AUTO_INTERVAL_TYPES = [("days", "day(s)"), ("weeks", "week(s)"), ("months", "month(s)")]


class DunningLevel(models.Model):
    _inherit = "dunning.level"

    auto_mode = fields.Selection(
        AUTO_MODE_SELECTION,
        string="Automatic Runs",
        required=True,
        default="manual",
        help="Manual: the level is run from the wizard only. Automatic: a scheduled action runs it on its next "
        "date, as its sender would from the wizard (all customers, today's date, email when the customer has "
        "an address, print otherwise), and either sends the notices or saves the run for review.",
    )
    auto_interval_number = fields.Integer(string="Run Every", default=1)
    auto_interval_type = fields.Selection(AUTO_INTERVAL_TYPES, string="Interval Unit", default="weeks")
    auto_next_date = fields.Date(string="Next Automatic Run")
    auto_sender_user_id = fields.Many2one(
        "res.users",
        string="Automatic Runs Sender",
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
        help="The notices of automatic runs are sent in this user's name, with this user's rights; the runs to "
        "review are assigned to this user.",
    )
    auto_run_ids = fields.One2many("dunning.run", "level_id", string="Runs", readonly=True)

    @api.constrains("auto_mode", "auto_interval_number", "auto_next_date", "auto_sender_user_id")
    def _check_auto_run(self):
        for level in self.filtered(lambda level: level.auto_mode != "manual"):
            if level.auto_interval_number < 1 or not level.auto_next_date or not level.auto_sender_user_id:
                raise ValidationError(
                    self.env._(
                        "Automatic runs of level %(level)s need an interval of at least 1, a next date and a sender.",
                        level=level.name,
                    )
                )
            sender = level.auto_sender_user_id
            if not sender.has_group("account.group_account_invoice") or level.company_id not in sender.company_ids:
                raise ValidationError(
                    self.env._(
                        "%(user)s cannot send the notices of level %(level)s: the sender must be a billing user "
                        "of %(company)s.",
                        user=sender.name,
                        level=level.name,
                        company=level.company_id.name,
                    )
                )

    @api.onchange("auto_mode")
    def _onchange_auto_mode(self):
        """An automatic mode chosen: what it needs, proposed (weekly, from tomorrow so that nothing leaves
        the day it is set up, by the company's default sender or the user), what was set kept."""
        if self.auto_mode == "manual":
            return
        self.auto_interval_number = max(self.auto_interval_number, 1)
        self.auto_interval_type = self.auto_interval_type or "weeks"
        self.auto_next_date = self.auto_next_date or fields.Date.context_today(self) + relativedelta(days=1)
        self.auto_sender_user_id = self.auto_sender_user_id or self._get_default_auto_sender()

    def _get_default_auto_sender(self):
        """The company's default dunning sender, else the current user, if a billing user of the company
        (the constraint's condition)."""
        self.ensure_one()
        company = self.company_id or self.env.company
        for user in (company.dunning_sender_user_id, self.env.user):
            if user and user.has_group("account.group_account_invoice") and company in user.company_ids:
                return user
        return self.env["res.users"]

    # -------------------------------------------------------------------------
    # BUSINESS: automatic runs
    # -------------------------------------------------------------------------

    @api.model
    def _cron_auto_run(self):
        """Run every automatic level whose next date has come, each in its company and its sender's
        timezone. A failing level is recorded on its run (state error) and does not stop the others."""
        levels = self.search([("auto_mode", "!=", "manual"), ("auto_next_date", "!=", False)])
        for level in levels:
            today = fields.Date.context_today(level.with_context(tz=level.auto_sender_user_id.tz or "UTC"))
            if level.auto_next_date > today:
                continue
            level._auto_run(today)
            if self.env["dunning.notice"]._auto_commit():
                # a level's run stays made whatever happens to the next ones
                self.env.cr.commit()  # pylint: disable=invalid-commit

    def _auto_run(self, day):
        """One automatic run of the level as of ``day``, at most once per day; then the next date."""
        self.ensure_one()
        runs = self.env["dunning.run"].sudo()
        if not runs.search_count([("level_id", "=", self.id), ("auto_date", "=", day)]):
            auto_vals = {"automatic": True, "auto_date": day}
            try:
                with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                    self._auto_run_as_sender(day, auto_vals)
            except psycopg2.errors.UniqueViolation:
                _logger.info("Dunning level %s: already run automatically on %s", self.name, day)
            except Exception as error:
                _logger.warning("Automatic dunning run of level %s failed", self.name, exc_info=True)
                self.env.invalidate_all()
                message = error.args[0] if error.args and isinstance(error.args[0], str) else repr(error)
                runs.create(
                    {
                        **auto_vals,
                        "company_id": self.company_id.id,
                        "user_id": self.auto_sender_user_id.id,
                        "level_id": self.id,
                        "as_of_date": day,
                        "date_basis": self.company_id.dunning_date_basis,
                        "state": "error",
                        "error_message": message,
                    }
                )
        self.auto_next_date = self._get_next_auto_date(day)

    def _auto_run_as_sender(self, day, auto_vals):
        """Run the wizard as the level's sender would: all customers, as of ``day``, Print or Email as
        Apply Filters proposes them (email when the customer has an address that did not bounce)."""
        sender = self.auto_sender_user_id
        wizard = (
            self.env["dunning.notice.send"]
            .with_user(sender)
            .with_company(self.company_id)
            .create(
                {
                    "company_id": self.company_id.id,
                    "sender_user_id": sender.id,
                    "level_id": self.id,
                    "date_mode": "custom",
                    "as_of_date": day,
                }
            )
        )
        wizard.action_apply_filters()
        state = "draft" if self.auto_mode == "review" else "sent"
        if not wizard.line_ids.filtered(lambda line: line.to_print or line.to_email):
            # nothing to remind: the run is recorded with the customers left out, if any
            self.env["dunning.run"].sudo().create({**wizard._prepare_run_vals("sent"), **auto_vals})
            return
        notices = wizard._create_run(state, auto_vals)
        run = notices.run_id
        if state == "draft":
            run.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=sender.id,
                summary=self.env._(
                    "%(count)s dunning notices to review (%(level)s)", count=len(notices), level=self.name
                ),
            )
        else:
            notices._process_or_enqueue()

    def _get_next_auto_date(self, day):
        """The first date after ``day`` on the level's schedule (a level late by several intervals runs
        once, then goes back on schedule)."""
        self.ensure_one()
        step = relativedelta(**{self.auto_interval_type or "weeks": max(self.auto_interval_number, 1)})
        next_date = self.auto_next_date or day
        while next_date <= day:
            next_date += step
        return next_date
