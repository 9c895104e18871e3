# One file per concept of the notice (STYLE section 8), as Odoo splits account.move's.
# pylint: disable=consider-merging-classes-inherited
from odoo import models

# Notices without a PDF to render processed before the wizard returns; larger runs go to the queue.
SYNC_PROCESS_LIMIT = 20


class DunningNotice(models.Model):
    """Where a run's notices are processed: in the user's HTTP request, or in the background (the
    queue, ``_enqueue``). The HTTP request is not a worker pool (STYLE section 9): wkhtmltopdf fetches
    the report's stylesheets from this very server, so a request waiting on it holds a worker that the
    fetch may need; two such requests on a server of two workers wait for each other until their time
    limit, and nothing is sent. Then what the user is told, and where the letters are."""

    _inherit = "dunning.notice"

    def _needs_rendering(self):
        """Whether processing the notice runs wkhtmltopdf: its own PDF (printed, or attached to its
        email), the invoice PDFs its email attaches (rendered when an invoice has none yet), or the
        reports its email template attaches."""
        self.ensure_one()
        return self._needs_pdf() or (
            self.to_email and (self.attach_invoices or bool(self.mail_template_id.report_template_ids))
        )

    def _process_or_enqueue(self):
        """A single notice is processed at once, as Odoo's own Print renders one document in the
        request; so are the notices of a small run that render no PDF (emails without attachments), so
        that the user sees their result. Notices with a PDF to render, and larger runs, go to the
        background (``_enqueue``): the user downloads the letters from the run once they are ready
        (``dunning.run.action_download_letters``)."""
        if len(self) <= 1:
            self._process()
            return
        rendering = self.filtered(lambda notice: notice._needs_rendering())
        if len(self) <= SYNC_PROCESS_LIMIT:
            (self - rendering)._process()
            if rendering:
                rendering._enqueue()
        else:
            self._enqueue()

    def _get_result_action(self, next_action=None):
        """Say what the run of these notices did, then open them with their delivery state, or the run
        whose letters are being prepared, or ``next_action``; the letters processed at once download
        first, in one PDF (the client action ``dunning_notices.download_then_open``)."""
        notices = self
        printed = notices.filtered(lambda n: n.to_print and n.state == "done")
        action = next_action
        letters_run = notices.filtered(lambda n: n.to_print and n.state == "queued").run_id
        if not action and len(letters_run) == 1:  # where the letters can be downloaded once ready
            action = letters_run._get_records_action()
        elif not action:
            action = self.env["ir.actions.actions"]._for_xml_id("dunning_notices.dunning_notice_action")
            action["domain"] = [("id", "in", sorted(notices.ids))]
            action["context"] = {"create": False}
        if printed:  # letters done at once: the user gets them, then the notices
            action = {
                "type": "ir.actions.client",
                "tag": "dunning_notices.download_then_open",
                "params": {"report": printed.sorted("name").action_print(), "next": action},
            }
            printed._mark_letters_printed()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Dunning notices"),
                "message": self._get_result_message(),
                "type": "warning" if "error" in notices.mapped("state") else "success",
                "sticky": False,
                "next": action,
            },
        }

    def _get_result_message(self):
        notices = self
        queued = notices.filtered(lambda n: n.state == "queued")
        done = notices.filtered(lambda n: n.state == "done")
        cancelled = notices.filtered(lambda n: n.state == "cancel")
        # a notice the customer rules left out when it was sent has its customer on its run's Left Out
        left_out_keys = {(record.run_id.id, record.partner_id.id) for record in cancelled.run_id.left_out_ids}
        left_out = cancelled.filtered(lambda n: (n.run_id.id, n.partner_id.id) in left_out_keys)
        summary = self.env._(
            "%(emailed)s emailed, %(printed)s printed, %(failed)s failed, %(settled)s settled before sending.",
            emailed=len(done.filtered("to_email")),
            printed=len(done.filtered("to_print")),
            failed=len(notices.filtered(lambda n: n.state == "error")),
            settled=len(cancelled - left_out),
        )
        if left_out:
            summary += " " + self.env._(
                "%(count)s left out when sent (on hold, reminded too recently, amount): see the run's Left Out.",
                count=len(left_out),
            )
        if not queued:
            return summary
        parts = [summary] if queued != notices else []
        parts.append(self.env._("%(count)s notices queued: they are being sent in the background.", count=len(queued)))
        if letters := queued.filtered("to_print"):
            parts.append(
                self.env._(
                    "The letters to print (%(count)s) are being prepared: download them from run %(run)s "
                    "(Download Letters) once they are ready.",
                    count=len(letters),
                    run=", ".join(letters.run_id.mapped("name")),
                )
            )
        return " ".join(parts)
