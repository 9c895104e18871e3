from odoo import models

# Milliseconds wkhtmltopdf waits for scripts once a dunning notice is loaded. Odoo waits
# ``report.print_delay`` (1 s by default) for every report, which is most of the time of a notice's
# call: the notice runs no script. A template that adds scripts can set it back with this parameter.
PRINT_DELAY_PARAM = "dunning_notices.report_print_delay"
# Context key: the paper format of a dunning notice, resolved by the batch in the notice's company, so
# that a rendering thread reads the paper format only (a thread's cursor does not see a company that
# a test created, and has nothing else to read of it).
PAPERFORMAT_CONTEXT_KEY = "dunning_notice_paperformat_id"


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    def get_paperformat(self):
        paperformat_id = self.env.context.get(PAPERFORMAT_CONTEXT_KEY)
        if paperformat_id and self.model == "dunning.notice":
            return self.env["report.paperformat"].browse(paperformat_id)
        return super().get_paperformat()

    def retrieve_attachment(self, record):
        # OVERRIDE: Odoo finds a report's stored PDF by its file name among the record's attachments, which
        # anyone who may comment on a notice can upload: a notice's PDF is the one the server stored.
        if self.model == "dunning.notice":
            # the report is read as the server here (Odoo calls this on its sudo report): the stored PDF
            # goes only to whom may read the notice (accounting users of its company)
            record.check_access("read")
            return record.sudo().pdf_attachment_id.with_env(self.env) or None
        return super().retrieve_attachment(record)

    def _run_wkhtmltopdf(self, bodies, report_ref=False, **kwargs):
        if report_ref and self._get_report(report_ref).model == "dunning.notice":
            delay = self.env["ir.config_parameter"].sudo().get_param(PRINT_DELAY_PARAM, "0")
            self = self.with_context(dunning_notice_print_delay=delay)  # noqa: PLW0642
        return super()._run_wkhtmltopdf(bodies, report_ref=report_ref, **kwargs)

    def _build_wkhtmltopdf_args(self, *args, **kwargs):
        command_args = super()._build_wkhtmltopdf_args(*args, **kwargs)
        delay = self.env.context.get("dunning_notice_print_delay")
        if delay is not None and "--javascript-delay" in command_args:
            command_args[command_args.index("--javascript-delay") + 1] = str(delay)
        return command_args
