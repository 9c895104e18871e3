import re
from datetime import date, timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged

from odoo.addons.dunning_notices.compat import patch_server_wide_modules, server_wide_modules
from odoo.addons.dunning_notices.models.dunning_notice_mail import DunningNotice as DunningNoticeMail
from odoo.addons.dunning_notices.tests.common import DunningTestCommon
from odoo.addons.queue_job.job import Job
from odoo.addons.queue_job.tests.common import trap_jobs


class _Rollback(Exception):
    """Undoes one path of a comparison (raised inside a savepoint)."""


@tagged("post_install", "-at_install")
class TestDunningNoticeQueueJob(DunningTestCommon):
    """Issue 17: with queue_job loaded server-wide, a send's notices go to jobs (of 25 by default) in
    root.dunning, which process them as the cron does."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partners = cls.env["res.partner"].create(
            [{"name": f"Job {i:02d}", "email": f"job{i}@example.com", "lang": "en_US"} for i in range(25)]
        )
        cls.partners[0].email = False  # printed, not emailed
        for index, partner in enumerate(cls.partners):
            cls._invoice(partner, date(2026, 6, 1), 10 + index, due=date(2026, 6, 2))
        # jobs of ten (not the default 25), so that a send of the 25 customers makes several jobs
        cls.env["ir.config_parameter"].sudo().set_param("dunning_notices_queue_job.job_size", "10")

    def setUp(self):
        super().setUp()
        # the bridge is active where queue_job is loaded server-wide, as on a server that runs its jobs
        patcher = patch_server_wide_modules([*server_wide_modules(), "queue_job"])
        patcher.start()
        self.addCleanup(patcher.stop)
        self.cron = self.env.ref("dunning_notices.ir_cron_dunning_notice_process")
        self.last_message_id = self.env["mail.message"].search([], order="id desc", limit=1).id

    def _cron_triggers(self):
        return self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)])

    def _notice_mails(self, notices):
        return self.env["mail.mail"].search([("mail_message_id", "in", notices.message_id.ids)])

    def _dunning_messages(self):
        """The notices' messages posted since the test began (email or printed note)."""
        notices = self.env["dunning.notice"].search([("partner_id", "in", self.partners.ids)])
        return self.env["mail.message"].search(
            [
                ("model", "=", "dunning.notice"),
                ("res_id", "in", notices.ids),
                ("id", ">", self.last_message_id),
                ("message_type", "!=", "notification"),
            ]
        )

    def _processing_result(self, notices):
        """What processing made of the notices, per customer, the notice numbers blanked out (the
        sequence is not rolled back with the path compared)."""

        def blank(notice, text):
            names = "|".join(re.escape(name) for name in (notice.name, notice.name.replace("/", "_")))
            text = re.sub(names, "#", text or "").replace(notice.access_token or "#", "#")
            text = text.replace(f"/my/dunning/{notice.id}?", "/my/dunning/#?")
            # the QR codes: that of the notice's page holds its token, another in each path
            text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "data:image/png;base64,#", text)
            return text.replace(f'data-oe-id="{notice.id}"', 'data-oe-id="#"')

        outcome = {}
        for notice in notices:
            mails = self._notice_mails(notice)
            outcome[notice.partner_id.name] = {
                "state": notice.state,
                "error": notice.error_message,
                "to_email": notice.to_email,
                "to_print": notice.to_print,
                "lines": sorted(notice.line_ids.mapped(lambda line: (line.days_overdue, line.amount_residual))),
                "pdf": (
                    blank(notice, notice.pdf_attachment_id.name),
                    notice.pdf_attachment_id.mimetype,
                    blank(notice, (notice.pdf_attachment_id.raw or b"").decode(errors="replace")),
                ),
                "message": (
                    notice.message_id.model,
                    notice.message_id.res_id == notice.id,
                    notice.message_id.subtype_id.id,
                    notice.message_id.author_id.id,
                    blank(notice, notice.message_id.subject),
                    blank(notice, str(notice.message_id.body)),
                    sorted(blank(notice, name) for name in notice.message_id.attachment_ids.mapped("name")),
                    sorted(notice.message_id.partner_ids.ids),
                ),
                "mails": sorted((mail.email_to or "", tuple(mail.recipient_ids.ids), mail.state) for mail in mails),
            }
        return outcome

    def _send_trapped(self):
        with trap_jobs() as trap:
            wizard, action = self._send(run_queue=False)
        return wizard.notice_ids, action, trap

    def test_send_enqueues_jobs_of_ten_in_the_dunning_channel(self):
        triggers_before = self._cron_triggers()
        notices, action, trap = self._send_trapped()
        self.assertEqual(len(notices), 25)
        self.assertEqual(set(notices.mapped("state")), {"queued"})
        self.assertEqual(
            action["params"]["message"],
            f"25 notices queued: they are being sent in the background. The letters to print (1) are being "
            f"prepared: download them from run {notices.run_id.name} (Download Letters) once they are ready.",
        )
        trap.assert_jobs_count(3)
        jobs = trap.enqueued_jobs
        self.assertEqual({job.method_name for job in jobs}, {"_job_process_notices"})
        self.assertEqual({job.channel for job in jobs}, {"root.dunning"})
        self.assertEqual([len(job.recordset) for job in jobs], [10, 10, 5])
        self.assertEqual(sorted(id_ for job in jobs for id_ in job.recordset.ids), sorted(notices.ids))
        self.assertEqual(len({job.identity_key for job in jobs}), 3, "one key per set of notices")
        self.assertIn(jobs[0].recordset[0].name, jobs[0].description)
        self.assertEqual(self._cron_triggers(), triggers_before, "the jobs process the notices, not the cron")

    def test_job_size_is_a_system_parameter(self):
        """25 notices a job unless the parameter says otherwise (bench/README.md: the print delay paid once
        a job)."""
        self.env["ir.config_parameter"].sudo().set_param("dunning_notices_queue_job.job_size", False)
        with self.env.cr.savepoint(flush=False) as savepoint:
            _notices, _action, trap = self._send_trapped()
            self.assertEqual([len(job.recordset) for job in trap.enqueued_jobs], [25])
            savepoint.rollback()
        self.env.invalidate_all()
        self.env["ir.config_parameter"].sudo().set_param("dunning_notices_queue_job.job_size", "20")
        _notices, _action, trap = self._send_trapped()
        self.assertEqual([len(job.recordset) for job in trap.enqueued_jobs], [20, 5])

    def test_jobs_make_what_the_cron_makes(self):
        """The same data processed by the cron (then rolled back) and by the jobs: the same notices,
        PDFs, emails and chatter messages."""
        with patch_server_wide_modules(["base", "web"]):  # the bridge off: the cron
            try:
                with self.env.cr.savepoint():
                    _wizard, _action = self._send(run_queue=False)
                    notices = _wizard.notice_ids
                    self.assertEqual(len(notices), 25)
                    with self.mock_mail_gateway():
                        self.env["dunning.notice"]._cron_process_queue()
                    self.env.flush_all()
                    by_cron = self._processing_result(notices)
                    raise _Rollback
            except _Rollback:
                pass
        self.env.invalidate_all()
        self.assertFalse(self._dunning_messages(), "the cron's path was rolled back")
        self.assertEqual(len(by_cron), 25)
        notices, _action, trap = self._send_trapped()
        with self.mock_mail_gateway():
            trap.perform_enqueued_jobs()
        self.env.flush_all()
        by_jobs = self._processing_result(notices)
        self.assertEqual(set(notices.mapped("state")), {"done"})
        self.assertEqual(len(self._notice_mails(notices)), 24, "an email per notice but the printed one")
        self.assertEqual(len(self._dunning_messages()), 25, "a message per notice")
        self.assertTrue(all(notices.pdf_attachment_id.mapped("raw")))
        for customer, result in by_cron.items():
            for key, value in result.items():
                self.assertEqual(by_jobs[customer][key], value, f"{customer}: {key}")

    def test_job_performed_twice_sends_nothing_twice(self):
        notices, _action, trap = self._send_trapped()
        jobs = list(trap.enqueued_jobs)
        with self.mock_mail_gateway():
            trap.perform_enqueued_jobs()
        self.assertEqual(set(notices.mapped("state")), {"done"})
        mails, messages = self._notice_mails(notices), self._dunning_messages()
        self.assertEqual((len(mails), len(messages)), (24, 25))
        with self.mock_mail_gateway():
            for job in jobs:  # a retry, or the runner requeuing a job whose worker died after its commit
                job.perform()
        self.assertEqual(jobs[0].result, "0 done, 0 in error, 10 left (no longer queued, or held by another worker)")
        self.assertEqual(self._notice_mails(notices), mails)
        self.assertEqual(self._dunning_messages(), messages)

    def test_enqueuing_the_same_notices_twice_makes_one_job(self):
        """Real jobs in the database (not trapped): queue_job finds the pending job of the same key."""
        with patch.object(type(self.env["dunning.notice"]), "_enqueue"):  # the send leaves them queued
            wizard, _action = self._send(run_queue=False)
        notices = wizard.notice_ids
        jobs = self.env["queue.job"].sudo().search([("method_name", "=", "_job_process_notices")])
        notices._enqueue()
        notices._enqueue()
        new_jobs = self.env["queue.job"].sudo().search([("method_name", "=", "_job_process_notices")]) - jobs
        self.assertEqual(len(new_jobs), 3)
        self.assertEqual(set(new_jobs.mapped("channel")), {"root.dunning"})
        self.assertEqual(set(new_jobs.mapped("state")), {"pending"})

    def test_an_accountant_send_stores_the_jobs(self):
        """An accountant has no access to queue jobs: the send stores them all the same (queue_job writes
        them as superuser), each run later as that user, its notices as the superuser."""
        jobs = self.env["queue.job"].sudo().search([])
        wizard, _action = self._send(user=self.accountant, run_queue=False)
        new_jobs = self.env["queue.job"].sudo().search([]) - jobs
        self.assertEqual(len(new_jobs), 3)
        self.assertEqual(new_jobs.user_id, self.accountant)
        self.assertEqual(sorted(new_jobs.mapped(lambda job: len(job.records))), [5, 10, 10])
        self.assertEqual(set(wizard.notice_ids.mapped("state")), {"queued"})

    def test_a_failing_notice_is_in_error_and_the_job_goes_on(self):
        notices, _action, trap = self._send_trapped()
        first_job = trap.enqueued_jobs[0]
        failing = first_job.recordset[3]
        original = DunningNoticeMail._post_notice

        def post_notice(notice, *args, **kwargs):
            if notice == failing:
                raise ValueError("SMTP said no")
            return original(notice, *args, **kwargs)

        with self.mock_mail_gateway(), patch.object(DunningNoticeMail, "_post_notice", post_notice):
            trap.perform_enqueued_jobs()
        self.assertRecordValues(failing, [{"state": "error", "error_message": "SMTP said no (ValueError)"}])
        self.assertFalse(failing.message_id)
        self.assertEqual(set((notices - failing).mapped("state")), {"done"})
        self.assertEqual(first_job.result, "9 done, 1 in error, 0 left (no longer queued, or held by another worker)")

    def test_the_cron_leaves_the_queue_to_live_jobs_then_takes_what_they_left(self):
        with patch.object(type(self.env["dunning.notice"]), "_enqueue"):
            wizard, _action = self._send(run_queue=False)
        notices = wizard.notice_ids
        notices._enqueue()  # stored jobs, pending
        with self.mock_mail_gateway():
            self.assertFalse(self.env["dunning.notice"]._cron_process_queue())
        self.assertEqual(set(notices.mapped("state")), {"queued"})
        jobs = (
            self.env["queue.job"]
            .sudo()
            .search([("method_name", "=", "_job_process_notices"), ("state", "=", "pending")])
        )
        jobs[0].button_cancelled()  # e.g. cancelled by an administrator, or failed for good
        with self.mock_mail_gateway():
            self.assertFalse(self.env["dunning.notice"]._cron_process_queue(), "the other jobs are live")
        # jobs pending for more than an hour: no runner serves them, the cron takes their notices
        jobs[1:].with_context(_job_edit_sentinel=jobs.EDIT_SENTINEL).write(
            {"date_created": fields.Datetime.now() - timedelta(hours=2)}
        )
        with self.mock_mail_gateway():
            self.assertEqual(len(self.env["dunning.notice"]._cron_process_queue()), 25)
        self.assertEqual(set(notices.mapped("state")), {"done"})
        # a job that runs at last finds its notices done: nothing sent twice
        mails, messages = self._notice_mails(notices), self._dunning_messages()
        with self.mock_mail_gateway():
            for job_record in jobs[1:]:
                job = Job.load(self.env, job_record.uuid)
                job.perform()
                self.assertRegex(job.result, r"^0 done, 0 in error, \d+ left")
        self.assertEqual(self._notice_mails(notices), mails)
        self.assertEqual(self._dunning_messages(), messages)

    def test_without_queue_job_server_wide_the_cron_processes_the_queue(self):
        """Installed but not loaded server-wide (no job runner there): the cron, as without the bridge."""
        triggers_before = self._cron_triggers()
        with patch_server_wide_modules(["base", "web"]), trap_jobs() as trap:
            wizard, _action = self._send(run_queue=False)
        trap.assert_jobs_count(0)
        self.assertEqual(len(self._cron_triggers() - triggers_before), 1)
        self.assertEqual(set(wizard.notice_ids.mapped("state")), {"queued"})
