# pylint: disable=invalid-commit
# These tests commit on connections of their own on purpose: two workers only see committed notices.
# Everything they commit is removed at the end of each test.
import threading
from contextlib import closing
from unittest.mock import patch

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import UserError
from odoo.sql_db import db_connect
from odoo.tests import tagged

from odoo.addons.base.tests.common import BaseCommon


@tagged("post_install", "-at_install")
class TestQueueConcurrency(BaseCommon):
    """Two cron workers on the same queue, as Odoo runs them in multi-worker mode: each on its own
    database connection. The queued notices are committed for both to see, and removed at the end."""

    def _committed_env(self, cr):
        return api.Environment(cr, SUPERUSER_ID, {"tz": "UTC"})

    def _setup_queue(self, count, notices=True):
        with closing(db_connect(self.env.cr.dbname).cursor()) as cr:
            env = self._committed_env(cr)
            level = env.ref("dunning_notices.dunning_level_1")
            partners = env["res.partner"].create(
                [{"name": f"Concurrent {i}", "email": f"concurrent{i}@example.com"} for i in range(count)]
            )
            invoices = (
                env["account.move"]
                .with_company(level.company_id)
                .create(
                    [
                        {
                            "move_type": "out_invoice",
                            "partner_id": partner.id,
                            "invoice_date": "2026-06-01",
                            "invoice_date_due": "2026-06-02",
                            "invoice_line_ids": [
                                Command.create({"name": "Service", "quantity": 1, "price_unit": 10, "tax_ids": []})
                            ],
                        }
                        for partner in partners
                    ]
                )
            )
            invoices.action_post()
            receivable = {
                line.partner_id: line.id
                for line in invoices.line_ids.filtered(lambda line: line.account_type == "asset_receivable")
            }
            if not notices:
                cr.commit()
                return partners.ids, []
            notices = env["dunning.notice"].create(
                [
                    {
                        "company_id": level.company_id.id,
                        "partner_id": partner.id,
                        "level_id": level.id,
                        "as_of_date": "2026-06-30",
                        "date_basis": "due_date",
                        "report_id": level.report_id.id,
                        "mail_template_id": level.mail_template_id.id,
                        "to_email": True,
                        "recipient_ids": [Command.set(partner.ids)],
                        "move_line_ids_data": [receivable[partner]],
                    }
                    for partner in partners
                ]
            )
            cr.commit()
            return partners.ids, notices.ids

    def _dunning_message_count(self, cr, partner_ids):
        """Dunning messages on these customers' notices, as another connection sees them."""
        cr.execute(
            "SELECT count(*) FROM mail_message m"
            " JOIN dunning_notice n ON m.model = 'dunning.notice' AND m.res_id = n.id"
            " WHERE n.partner_id = ANY(%s) AND m.subtype_id = %s",
            [partner_ids, self.env.ref("dunning_notices.mt_dunning_notice").id],
        )
        return cr.fetchone()[0]

    def _cleanup(self, partner_ids, notice_ids):
        with closing(db_connect(self.env.cr.dbname).cursor()) as cr:
            cr.execute("DELETE FROM mail_message WHERE model = 'dunning.notice' AND res_id = ANY(%s)", [notice_ids])
            cr.execute("DELETE FROM dunning_notice WHERE id = ANY(%s)", [notice_ids])
            cr.execute("DELETE FROM mail_message WHERE model = 'res.partner' AND res_id = ANY(%s)", [partner_ids])
            env = self._committed_env(cr)
            invoices = env["account.move"].search([("partner_id", "in", partner_ids)])
            invoices.button_draft()
            invoices.with_context(force_delete=True).unlink()
            env["res.partner"].browse(partner_ids).unlink()
            cr.commit()

    def test_two_workers_never_process_the_same_notice(self):
        partner_ids, notice_ids = self._setup_queue(6)
        try:
            with (
                closing(db_connect(self.env.cr.dbname).cursor()) as cr_a,
                closing(db_connect(self.env.cr.dbname).cursor()) as cr_b,
            ):
                cr_b.execute("SET lock_timeout = '10s'")  # a bug would make worker B wait, not hang
                # worker A takes a batch and is still working on it (its transaction is open)...
                batch_a = self._committed_env(cr_a)["dunning.notice"]._cron_process_queue(batch_size=4)
                # ...when worker B runs: it skips A's locked notices and takes the rest
                batch_b = self._committed_env(cr_b)["dunning.notice"]._cron_process_queue(batch_size=10)
                ids_a, ids_b = set(batch_a.ids), set(batch_b.ids)
                cr_b.commit()
                cr_a.commit()
            self.assertEqual(len(ids_a), 4)
            self.assertFalse(ids_a & ids_b, "a notice was taken by both workers")
            self.assertEqual(ids_a | ids_b, set(notice_ids))
            with closing(db_connect(self.env.cr.dbname).cursor()) as cr:
                notices = self._committed_env(cr)["dunning.notice"].browse(notice_ids)
                self.assertEqual(set(notices.mapped("state")), {"done"})
                cr.execute(
                    "SELECT n.partner_id, count(*) FROM mail_message m"
                    " JOIN dunning_notice n ON m.model = 'dunning.notice' AND m.res_id = n.id"
                    " WHERE n.partner_id = ANY(%s) AND m.subtype_id = %s GROUP BY n.partner_id",
                    [partner_ids, self.env.ref("dunning_notices.mt_dunning_notice").id],
                )
                self.assertEqual(dict(cr.fetchall()), dict.fromkeys(partner_ids, 1), "one message per customer")
                cr.execute(
                    "SELECT count(*) FROM mail_mail m JOIN mail_message msg ON msg.id = m.mail_message_id"
                    " WHERE msg.model = 'dunning.notice' AND msg.res_id = ANY(%s)",
                    [notice_ids],
                )
                self.assertEqual(cr.fetchone()[0], 6, "one email per notice")
        finally:
            self._cleanup(partner_ids, notice_ids)

    def test_worker_killed_mid_batch_then_restarted(self):
        partner_ids, notice_ids = self._setup_queue(4)
        try:
            with closing(db_connect(self.env.cr.dbname).cursor()) as cr:
                processed = self._committed_env(cr)["dunning.notice"]._cron_process_queue(batch_size=10)
                self.assertEqual(len(processed), 4)
                cr.rollback()  # the worker dies before its commit: nothing of the batch remains
            with closing(db_connect(self.env.cr.dbname).cursor()) as cr:
                env = self._committed_env(cr)
                self.assertEqual(set(env["dunning.notice"].browse(notice_ids).mapped("state")), {"queued"})
                self.assertEqual(self._dunning_message_count(cr, partner_ids), 0)
                # the restarted worker finishes the queue
                self.assertEqual(len(env["dunning.notice"]._cron_process_queue(batch_size=10)), 4)
                cr.commit()
                self.assertEqual(set(env["dunning.notice"].browse(notice_ids).mapped("state")), {"done"})
                self.assertEqual(self._dunning_message_count(cr, partner_ids), 4)
        finally:
            self._cleanup(partner_ids, notice_ids)

    def test_committed_claims_survive_a_dead_worker_and_stop_after_three(self):
        """In production a worker commits its claim before the work: a worker killed afterwards (its
        work rolled back) leaves the claim counted, other workers keep off a fresh claim, and a notice
        whose processing was stopped three times goes to error instead of blocking the queue."""
        partner_ids, notice_ids = self._setup_queue(2)
        notice_model = type(self.env["dunning.notice"])
        try:
            with patch.object(notice_model, "_auto_commit", return_value=True):
                for attempt in range(1, 4):
                    with closing(db_connect(self.env.cr.dbname).cursor()) as cr:
                        claimed, _stopped = self._committed_env(cr)["dunning.notice"]._claim_batch(10)
                        self.assertEqual(claimed.ids, notice_ids)
                        cr.rollback()  # the worker dies: its work is lost, its claim is not
                    with closing(db_connect(self.env.cr.dbname).cursor()) as cr:
                        cr.execute(
                            "SELECT process_attempt_count, state FROM dunning_notice WHERE id = ANY(%s)", [notice_ids]
                        )
                        self.assertEqual(set(cr.fetchall()), {(attempt, "queued")})
                        # a claim this fresh may be a live worker between its commit and its lock
                        self.assertFalse(self._committed_env(cr)["dunning.notice"]._claim_batch(10)[0])
                        cr.execute(
                            "UPDATE dunning_notice SET process_claim_date = process_claim_date - interval '2 minutes'"
                            " WHERE id = ANY(%s)",
                            [notice_ids],
                        )
                        cr.commit()
                with closing(db_connect(self.env.cr.dbname).cursor()) as cr:
                    env = self._committed_env(cr)
                    self.assertFalse(env["dunning.notice"]._cron_process_queue(batch_size=10))
                    cr.commit()
                    notices = env["dunning.notice"].browse(notice_ids)
                    self.assertEqual(set(notices.mapped("state")), {"error"})
                    self.assertIn("stopped 3 times", notices[0].error_message)
                    self.assertEqual(self._dunning_message_count(cr, partner_ids), 0)
        finally:
            self._cleanup(partner_ids, notice_ids)

    def test_two_committing_workers_never_take_the_same_notice(self):
        partner_ids, notice_ids = self._setup_queue(6)
        notice_model = type(self.env["dunning.notice"])
        try:
            with (
                patch.object(notice_model, "_auto_commit", return_value=True),
                closing(db_connect(self.env.cr.dbname).cursor()) as cr_a,
                closing(db_connect(self.env.cr.dbname).cursor()) as cr_b,
            ):
                cr_b.execute("SET lock_timeout = '10s'")
                batch_a = self._committed_env(cr_a)["dunning.notice"]._cron_process_queue(batch_size=4)
                batch_b = self._committed_env(cr_b)["dunning.notice"]._cron_process_queue(batch_size=10)
                self.assertEqual(len(batch_a), 4)
                self.assertFalse(set(batch_a.ids) & set(batch_b.ids), "a notice was taken by both workers")
                self.assertEqual(set(batch_a.ids) | set(batch_b.ids), set(notice_ids))
                cr_b.commit()
                cr_a.commit()
            with closing(db_connect(self.env.cr.dbname).cursor()) as cr:
                notices = self._committed_env(cr)["dunning.notice"].browse(notice_ids)
                self.assertEqual(set(notices.mapped("state")), {"done"})
                self.assertEqual(self._dunning_message_count(cr, partner_ids), 6)
        finally:
            self._cleanup(partner_ids, notice_ids)

    def test_two_wizards_on_two_connections_make_one_notice(self):
        """Two accountants apply the same level, date and customer, then send at the same moment: the
        second waits for the first's transaction and is told, by name, that the notice exists."""
        partner_ids, _notice_ids = self._setup_queue(1, notices=False)
        try:
            with (
                closing(db_connect(self.env.cr.dbname).cursor()) as cr_a,
                closing(db_connect(self.env.cr.dbname).cursor()) as cr_b,
            ):
                cr_b.execute("SET lock_timeout = '20s'")  # a bug would make B fail, not hang
                wizards = []
                for cr in (cr_a, cr_b):
                    env = self._committed_env(cr)
                    wizard = env["dunning.notice.send"].create(
                        {
                            "date_mode": "custom",
                            "as_of_date": "2026-06-10",  # 8 days overdue: the first level
                            "level_id": env.ref("dunning_notices.dunning_level_1").id,
                            "partner_ids": [Command.set(partner_ids)],
                        }
                    )
                    wizard.action_apply_filters()
                    self.assertEqual(wizard.line_ids.partner_id.ids, partner_ids)
                    wizard.line_ids.write({"to_print": False, "to_email": True})
                    wizards.append(wizard)
                wizards[0].action_send()  # A's notice is made; A's transaction is still open...
                committer = threading.Timer(1.0, cr_a.commit)
                committer.start()
                # ...B's waits on the unique index until A commits, then is refused in words
                with self.assertRaisesRegex(UserError, "Another run already made .* Concurrent 0"):
                    wizards[1].action_send()
                committer.join()
                self.assertEqual(wizards[1].state, "draft")
                cr_b.rollback()
            with closing(db_connect(self.env.cr.dbname).cursor()) as cr:
                cr.execute("SELECT id, state FROM dunning_notice WHERE partner_id = ANY(%s)", [partner_ids])
                rows = cr.fetchall()
                _notice_ids = [row[0] for row in rows]
            self.assertEqual(len(rows), 1, "one notice for the customer, level and date")
            self.assertEqual(rows[0][1], "done")
        finally:
            with closing(db_connect(self.env.cr.dbname).cursor()) as cr:
                cr.execute("SELECT id FROM dunning_notice WHERE partner_id = ANY(%s)", [partner_ids])
                notice_ids = [row[0] for row in cr.fetchall()]
            self._cleanup(partner_ids, notice_ids)
