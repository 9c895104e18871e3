from odoo import models

NOTICE_PAPERFORMAT = "dunning_notices.paperformat_dunning_notice"
NOTICE_PAPERFORMAT_LETTER = "dunning_notices.paperformat_dunning_notice_letter"


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    def get_paperformat(self):
        # EXTENDS: the notice's paper format gives the letter its margins; its page size is the company's,
        # as for the company's other documents: the US Letter variant for a company printing on Letter.
        paperformat = super().get_paperformat()
        if (
            paperformat == self.env.ref(NOTICE_PAPERFORMAT, raise_if_not_found=False)
            and self.env.company.paperformat_id.format == "Letter"
        ):
            return self.env.ref(NOTICE_PAPERFORMAT_LETTER, raise_if_not_found=False) or paperformat
        return paperformat

    def retrieve_attachment(self, record):
        # OVERRIDE: Odoo finds a report's stored PDF by its file name among the record's attachments, which
        # anyone who may comment on a notice can upload: a notice's PDF is the one the server stored.
        if self.model == "dunning.notice":
            # the report is read as the server here (Odoo calls this on its sudo report): the stored PDF
            # goes only to whom may read the notice (accounting users of its company)
            record.check_access("read")
            return record.sudo().pdf_attachment_id.with_env(self.env) or None
        return super().retrieve_attachment(record)
