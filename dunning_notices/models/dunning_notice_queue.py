# The notice queue: what the cron (or a job engine, _enqueue) processes, batch by batch, apart from the
# record and its state machine (STYLE section 8: a file per concern).
# pylint: disable=consider-merging-classes-inherited
import logging

from odoo import api, models, modules, tools
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..compat import cron_progress
from .dunning_notice import CLAIM_GRACE_SECONDS, MAX_PROCESS_ATTEMPTS, QUEUE_BATCH_SIZE

_logger = logging.getLogger(__name__)


class DunningNotice(models.Model):
    _inherit = "dunning.notice"

    # -------------------------------------------------------------------------
    # BUSINESS: queue
    # -------------------------------------------------------------------------

    def _enqueue(self):
        """Hand these queued notices to the background: here, trigger the cron, which processes the
        queue in batches committed one by one (``_cron_process_queue``). The hook of other job engines:
        ``dunning_notices_queue_job`` overrides it to split the notices into OCA queue jobs, which call
        the same claim and processing as a cron batch (``_claim_batch`` on their notices, ``_process``)."""
        self.env.ref("dunning_notices.ir_cron_dunning_notice_process")._trigger()

    @api.model
    def _cron_process_queue(self, batch_size=QUEUE_BATCH_SIZE):
        """Process one batch of queued notices and report the progress to the cron, which commits and
        calls again while some remain."""
        notices, stopped = self._claim_batch(batch_size)
        notices._process()
        notices._notify_letters_ready()
        # the stopped ones count as done: a batch of them only must not end the cron's run
        cron_progress(self.env, len(notices) + len(stopped), remaining=self.search_count([("state", "=", "queued")]))
        return notices

    @api.model
    def _claim_batch(self, batch_size, notice_ids=None, commit=True):
        """Take up to ``batch_size`` queued notices for this worker, row-locked until its transaction
        ends (``FOR UPDATE SKIP LOCKED``: two workers never take the same notice); return them, and
        apart those put in error instead (see below). ``notice_ids`` limits the claim to these notices
        (a job of a few notices); ``commit=False`` leaves the transaction to the caller (a queue job
        may not commit: its job engine counts its attempts instead).

        Each claim is counted and committed before the work starts, so that a worker that dies or hits
        its time limit (its transaction rolled back) leaves the count behind: a notice claimed more than
        MAX_PROCESS_ATTEMPTS times is put in error rather than blocking the queue forever. Between that
        commit and the new lock, the claim date keeps other workers off for CLAIM_GRACE_SECONDS."""
        # Raw SQL for the row locks (a CTE: a LIMIT in an IN subquery of an UPDATE may be evaluated more
        # than once); the cron user sees every company's notices anyway.
        self.flush_model(["state", "process_attempt_count", "process_claim_date"])
        rows = self.env.execute_query(
            SQL(
                """
                WITH claimed AS (
                    SELECT id FROM dunning_notice
                     WHERE state = 'queued' AND %s
                       AND (process_claim_date IS NULL
                            OR process_claim_date < now() AT TIME ZONE 'UTC' - make_interval(secs => %s))
                     ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED
                )
                UPDATE dunning_notice notice
                   SET process_attempt_count = COALESCE(notice.process_attempt_count, 0) + 1,
                       process_claim_date = now() AT TIME ZONE 'UTC'
                  FROM claimed
                 WHERE notice.id = claimed.id
             RETURNING notice.id, notice.process_attempt_count
                """,
                SQL("id = ANY(%s)", list(notice_ids)) if notice_ids is not None else SQL("TRUE"),
                CLAIM_GRACE_SECONDS,
                batch_size,
            )
        )
        ids = sorted(row[0] for row in rows)
        self.browse(ids).invalidate_recordset(["process_attempt_count", "process_claim_date"])
        if ids and commit and self._auto_commit():
            # the claims must outlive a worker that dies: committed before the work, as Odoo's crons do
            self.env.cr.commit()  # pylint: disable=invalid-commit
            ids = [
                row[0]
                for row in self.env.execute_query(
                    SQL(
                        "SELECT id FROM dunning_notice WHERE id = ANY(%s) AND state = 'queued' "
                        "ORDER BY id FOR UPDATE SKIP LOCKED",
                        ids,
                    )
                )
            ]
        notices = self.browse(ids)
        stopped = notices.filtered(lambda n: n.process_attempt_count > MAX_PROCESS_ATTEMPTS)
        for notice in stopped:
            notice._set_error(
                UserError(
                    self.env._(
                        "Processing this notice was stopped %(count)s times before it ended (the worker was "
                        "stopped or ran out of time); it is not retried automatically. Retry it once the cause "
                        "is fixed.",
                        count=MAX_PROCESS_ATTEMPTS,
                    )
                )
            )
        return notices - stopped, stopped

    def _notify_letters_ready(self):
        """After a batch of the background: the runs whose last letters to print it prepared tell their
        user (a letter printed in the request downloads at once)."""
        self.filtered("to_print").run_id._notify_letters_ready()

    @api.model
    def _auto_commit(self):
        """Whether the queue may commit its claims, as Odoo's own crons do: never in tests."""
        return not tools.config["test_enable"] and not modules.module.current_test

    # -------------------------------------------------------------------------
    # BUSINESS: rendering and delivery
    # -------------------------------------------------------------------------

    def _process(self):
        """Render, post and email the queued notices of ``self``, each company's in its own company:
        rendered notice by notice, posted in one batch. A notice that fails, whatever the reason, is
        recorded in error with a readable message and the others go on."""
        notices = self.filtered(lambda n: n.state == "queued")
        for company, company_notices in notices.grouped("company_id").items():
            company_notices.with_company(company)._process_batch()

    def _process_batch(self):
        # the customer rules again, as they are now: a hold or a notice sent since Apply Filters
        to_send = self._leave_out_by_customer_rules()
        to_send._create_snapshot_lines()
        notices = to_send.filtered(lambda n: n.state == "queued")  # a notice whose snapshot failed is in error
        notices = notices._leave_out_by_amount_range()
        if not notices:
            return
        with notices._pdf_rendering() as pdfs:
            mail_values = notices._render_notice_emails()  # while wkhtmltopdf runs
            for notice in notices:
                try:
                    with self.env.cr.savepoint():
                        notice._post_notice(mail_values.get(notice.id), pdfs)
                except Exception as error:  # noqa: BLE001 - any failure is the notice's, the batch goes on
                    notice._set_error(error)
        notices.filtered(lambda n: n.state == "done")._log_on_customers()
