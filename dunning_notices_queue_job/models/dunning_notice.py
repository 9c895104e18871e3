from datetime import timedelta

from odoo import SUPERUSER_ID, api, fields, models
from odoo.tools import split_every

from odoo.addons.dunning_notices.compat import server_wide_modules
from odoo.addons.dunning_notices.models.dunning_common import positive_int_param
from odoo.addons.queue_job.job import identity_exact

# Notices per job (system parameter): a job is one HTTP request on one worker, small enough to be
# retried cheaply and to spread a run over every server, large enough that the one wkhtmltopdf call of
# its notices (and Odoo's print delay of 1 s a call) is paid by many: 25 (two workers 7.2 notices/s against
# 4.0 with jobs of 10, bench/README.md).
JOB_SIZE_PARAM = "dunning_notices_queue_job.job_size"
JOB_SIZE_DEFAULT = 25
# queue_job's states of a job that will still run (its worker may have died: the runner requeues it)
LIVE_JOB_STATES = ("wait_dependencies", "pending", "enqueued", "started")
# Jobs older than this are not waited for: no job runner may serve this database (its channel moved to one
# nobody serves, a runner filtering databases); the cron then takes their notices, and a job that runs later
# finds them done (the claim skips them), so nothing is sent twice.
LIVE_JOB_MAX_AGE = timedelta(hours=1)


class DunningNotice(models.Model):
    _inherit = "dunning.notice"

    @api.model
    def _queue_job_enabled(self):
        """Whether the notices go to queue jobs: only where queue_job is loaded server-wide, which is
        what starts its job runner and serves its jobs. A database with the bridge installed but served
        without it (a server started with the default ``server_wide_modules``) keeps the cron: jobs
        would wait there for a runner that never comes."""
        return "queue_job" in server_wide_modules()

    def _enqueue(self):
        # OVERRIDE: jobs of a few notices each, on every server's workers, instead of the cron's batches
        if not self._queue_job_enabled():
            return super()._enqueue()
        size = positive_int_param(self.env, JOB_SIZE_PARAM, JOB_SIZE_DEFAULT)
        for chunk_ids in split_every(size, sorted(self.ids)):
            chunk = self.browse(chunk_ids)
            # the channel is the job function's (root.dunning, in the data): an administrator may move it.
            # identity_exact: the job's key is its notices (and method), so enqueuing them twice makes one job.
            chunk.with_delay(
                identity_key=identity_exact,
                description=self.env._(
                    "Dunning notices %(first)s to %(last)s (%(count)s)",
                    first=chunk[0].name,
                    last=chunk[-1].name,
                    count=len(chunk),
                ),
            )._job_process_notices()

    def _job_process_notices(self):
        """The queue job: process those of these notices still queued, exactly as a batch of the cron
        does: the same claim (``_claim_batch``: row locks, skipping a notice another worker holds, the
        cron's or another job's) and the same processing (``_process``: each notice in its savepoint, a
        failure puts that notice in error and the others go on), as the superuser, as the cron runs.

        A job that runs again (a retry, a worker that died, the same notices enqueued twice) finds the
        notices it already processed done and leaves them: the processing and the notice's state are in
        one transaction, which queue_job commits when the job ends, so no notice is emailed twice.
        No commit here: queue_job forbids it inside a job (its lock shows the job alive), and counts a
        dead job's attempts itself; the cron's count of attempts (``MAX_PROCESS_ATTEMPTS``) is not used."""
        notice_model = self.env["dunning.notice"].with_user(SUPERUSER_ID)
        claimed, stopped = notice_model._claim_batch(len(self), notice_ids=self.ids, commit=False)
        claimed._process()
        claimed._notify_letters_ready()
        return self.env._(
            "%(done)s done, %(failed)s in error, %(skipped)s left (no longer queued, or held by another worker)",
            done=len(claimed.filtered(lambda n: n.state == "done")),
            failed=len((claimed | stopped).filtered(lambda n: n.state == "error")),
            skipped=len(self) - len(claimed) - len(stopped),
        )

    @api.model
    def _cron_process_queue(self, *args, **kwargs):
        # EXTENDS: with queue jobs, the cron is only the safety net. It is no longer triggered by a send
        # (``_enqueue``); its hourly run leaves the queue to the dunning jobs of the last hour while any of
        # them will still run (queue_job requeues those of a dead worker), then takes what they left queued:
        # notices of a job that failed for good, was cancelled or waits for a runner that does not come, or
        # queued before the bridge was installed.
        if self._queue_job_enabled() and self._has_live_jobs():
            return self.browse()
        return super()._cron_process_queue(*args, **kwargs)

    @api.model
    def _has_live_jobs(self):
        return bool(
            self.env["queue.job"]
            .sudo()
            .search_count(
                [
                    ("model_name", "=", self._name),
                    ("method_name", "=", "_job_process_notices"),
                    ("state", "in", LIVE_JOB_STATES),
                    ("date_created", ">", fields.Datetime.now() - LIVE_JOB_MAX_AGE),
                ],
                limit=1,
            )
        )
