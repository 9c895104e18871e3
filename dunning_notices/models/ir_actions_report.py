from odoo import models


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    def retrieve_attachment(self, record):
        # OVERRIDE: Odoo finds a report's stored PDF by its file name among the record's attachments, which
        # anyone who may comment on a notice can upload: a notice's PDF is the one the server stored.
        if self.model == "dunning.notice":
            # the report is read as the server here (Odoo calls this on its sudo report): the stored PDF
            # goes only to whom may read the notice (accounting users of its company)
            record.check_access("read")
            return record.sudo().pdf_attachment_id.with_env(self.env) or None
        return super().retrieve_attachment(record)
