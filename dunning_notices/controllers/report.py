import json

from odoo import http
from odoo.http import content_disposition, request

from odoo.addons.web.controllers.report import ReportController


class DunningReportController(ReportController):
    @http.route()
    def report_download(self, data, context=None, token=None, readonly=True):
        """Odoo names a download of several records after the report ("Dunning Notice.pdf"), the report's
        ``print_report_name`` naming one record only: several notices are named by date and count."""
        response = super().report_download(data, context=context, token=token, readonly=readonly)
        url, report_type = json.loads(data)[:2]
        if report_type != "qweb-pdf" or not response or "/report/pdf/" not in url:
            return response
        reportname, _sep, docids = url.split("/report/pdf/")[1].split("?")[0].partition("/")
        ids = [int(docid) for docid in docids.split(",") if docid.isdigit()]
        if (
            len(ids) > 1
            and request.env["ir.actions.report"]._get_report_from_name(reportname).model == "dunning.notice"
        ):
            filename = request.env["dunning.notice"].browse(ids)._get_report_batch_filename()
            response.headers["Content-Disposition"] = content_disposition(f"{filename}.pdf")
        return response
