from odoo import api, models


class DunningNoticeEmailPreviewReport(models.AbstractModel):
    """The values of the email preview page (``report_dunning_notice_email_preview``): the draft notices
    the user may act on, checked before anything renders, as Odoo's own report models check theirs."""

    _name = "report.dunning_notices.report_dunning_notice_email_preview"
    _description = "Dunning Notice Email Preview"

    @api.model
    def _get_report_values(self, docids, data=None):
        notices = self.env["dunning.notice"].browse(docids)
        notices._check_draft()  # billing users of the notices' company, draft notices only
        return {
            "doc_ids": docids,
            "doc_model": "dunning.notice",
            "docs": notices,
            "emails": {notice.id: notice._get_email_preview() for notice in notices},
        }
