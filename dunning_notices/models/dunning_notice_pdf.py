# One file per concept of the notice (STYLE section 8), as Odoo splits account.move's.
# pylint: disable=consider-merging-classes-inherited
import logging
from contextlib import contextmanager
from dataclasses import dataclass, field

from odoo import models
from odoo.tools import split_every

from .dunning_common import positive_int_param

_logger = logging.getLogger(__name__)

# Notices printed by one call of the report engine (one wkhtmltopdf process). Each call also waits
# Odoo's report.print_delay (1 s by default) for scripts: the more notices a call, the less that
# wait costs each of them: a queue batch (50) in one call (bench/README.md).
PDF_NOTICES_PER_CALL_PARAM = "dunning_notices.pdf_notices_per_call"
PDF_NOTICES_PER_CALL_DEFAULT = 50


@dataclass
class BatchPdfs:
    """The PDFs rendered for a batch of notices, per record id: ``notice_pdf(notice)`` and
    ``invoice_pdf(invoice)`` give theirs, None when the batch could not render or split it (the
    caller renders it alone)."""

    notices: dict = field(default_factory=dict)
    invoices: dict = field(default_factory=dict)

    def notice_pdf(self, notice):
        return self.notices.get(notice.id)

    def invoice_pdf(self, invoice):
        return self.invoices.get(invoice.id)


class DunningNotice(models.Model):
    """The notice PDFs and the invoice PDFs a notice attaches: rendered for a whole batch, on
    wkhtmltopdf processes that run while the batch goes on."""

    _inherit = "dunning.notice"

    def _get_pdf_filename(self):
        self.ensure_one()
        return f"{self.name.replace('/', '_')}.pdf"

    def _get_report_base_filename(self):
        """The name of a notice's PDF download (the report's ``print_report_name``): its number and
        customer, "DUN-2026-00001 - Customer"."""
        self.ensure_one()
        number = self.env._("Draft") if self.state == "draft" else self.name  # a preview: not numbered yet
        return f"{number} - {self.partner_id.name}".replace("/", "-")

    def _get_report_batch_filename(self):
        """The name of a download of several notices (see controllers/report.py): their as-of date and
        count, "Dunning notices 2026-11-28 (12)"."""
        dates = sorted(set(self.mapped("as_of_date")))
        period = f"{dates[0]}" if len(dates) == 1 else f"{dates[0]} - {dates[-1]}"
        return self.env._("Dunning notices %(date)s (%(count)s)", date=period, count=len(self))

    def _needs_pdf(self):
        self.ensure_one()
        return self.to_print or (self.to_email and self._attaches_notice_pdf())

    def _get_pdf_notices_per_call(self):
        return positive_int_param(self.env, PDF_NOTICES_PER_CALL_PARAM, PDF_NOTICES_PER_CALL_DEFAULT)

    @contextmanager
    def _pdf_rendering(self):
        """Render the PDFs the notices ``self`` (of one company) need, theirs and those of the invoices
        they attach, and yield a ``BatchPdfs`` that the batch asks for each of them. Through Odoo's
        report engine, several records a call, split per record by the engine (as
        ``account.move.send`` does); parallelism comes from Odoo's workers (cron workers, queue_job)."""
        yield BatchPdfs(self._render_batch_pdfs(), self._render_batch_invoice_pdfs())

    def _get_pdf_content(self, pdfs=None):
        """The notice PDF: the one rendered for the batch, else rendered now."""
        self.ensure_one()
        content = pdfs.notice_pdf(self) if pdfs else None
        return content if content is not None else self._render_pdf_alone()

    @staticmethod
    def _render_split(report_ref, records, per_call):
        """{record id: PDF} of ``records`` rendered by Odoo's report engine, ``per_call`` records a call
        (``_pre_render_qweb_pdf``: the streams of ``_render_qweb_pdf`` before it merges them), in the
        records' company. A call that fails, or whose PDF the engine cannot split per record, leaves its
        records out: they are rendered alone, where a faulty one fails on its own."""
        report_model = records.env["ir.actions.report"].with_company(records.company_id[:1])
        contents = {}
        for ids in split_every(per_call, records.ids):
            try:
                with records.env.cr.savepoint():
                    streams, report_type = report_model._pre_render_qweb_pdf(report_ref, res_ids=list(ids))
            except Exception:
                _logger.info(
                    "Rendering %s records of %s at once failed, one by one", len(ids), report_ref, exc_info=True
                )
                continue
            if report_type != "pdf":  # reports rendered as HTML (tests without force_report_rendering)
                continue
            for res_id in ids:
                stream = (streams.get(res_id) or {}).get("stream")
                if stream is not None and False not in streams:
                    contents[res_id] = stream.getvalue()
            for stream_data in streams.values():
                if stream_data.get("stream"):
                    stream_data["stream"].close()
        return contents

    def _render_batch_pdfs(self):
        """{notice id: PDF} of the notices that need one and have none stored yet, per report."""
        todo = self.filtered(lambda n: n._needs_pdf() and not n._get_stored_pdf())
        per_call = self._get_pdf_notices_per_call()
        contents = {}
        for report, notices in todo.grouped("report_id").items():
            contents.update(self._render_split(report, notices, per_call))
        return contents

    def _render_batch_invoice_pdfs(self):
        """{invoice id: PDF} of the invoices to attach that have no PDF of their own yet, rendered with
        Odoo's invoice report, several a call."""
        to_attach = self.filtered(lambda n: n.to_email and n.attach_invoices and not n.invoice_attachment_ids)
        invoices = to_attach.move_line_ids.move_id.filtered(
            lambda m: m.is_invoice(include_receipts=True) and not m.invoice_pdf_report_id
        )
        if not invoices:
            return {}
        return self._render_split("account.account_invoices", invoices, self._get_pdf_notices_per_call())

    def _get_stored_pdf(self):
        self.ensure_one()
        return self.pdf_attachment_id  # the one the server stored, never a file found by its name

    def _render_pdf_alone(self):
        """The notice PDF of a notice left out of (or failed in) the batch rendering."""
        self.ensure_one()
        content, _report_type = (
            self.env["ir.actions.report"]
            .with_context(report_pdf_no_attachment=True)
            ._render_qweb_pdf(self.report_id, self.ids)
        )
        return content

    def _get_invoice_attachments(self, pdfs=None):
        """The overdue invoices' PDFs: the one Odoo produced when the invoice was printed or sent, else
        one generated now with the current invoice report (or started for the batch, ``pdfs``) and
        kept on the notice."""
        self.ensure_one()
        if self.invoice_attachment_ids:  # a retried notice keeps the PDFs it had
            return self.invoice_attachment_ids
        # invoices and receipts only: credits and journal entries (opening balances) have no invoice PDF
        moves = self._get_overdue_lines().move_id.filtered(lambda m: m.is_invoice(include_receipts=True))
        existing = moves.invoice_pdf_report_id
        missing = moves.filtered(lambda m: not m.invoice_pdf_report_id)
        generated = self.env["ir.attachment"]
        if missing:
            report = self.env["ir.actions.report"]
            vals_list = []
            for move in missing:
                content = pdfs.invoice_pdf(move) if pdfs else None
                if content is None:
                    content, _report_type = report._render_qweb_pdf("account.account_invoices", move.ids)
                vals_list.append(
                    {
                        "name": f"{move._get_report_base_filename()}.pdf".replace("/", "_"),
                        "raw": content,
                        "res_model": self._name,
                        "res_id": self.id,
                        "mimetype": "application/pdf",
                    }
                )
            generated = self.env["ir.attachment"].sudo().create(vals_list)  # on a notice: server-written
        self.sudo().invoice_attachment_ids = existing | generated  # notices are written by the server only
        return existing | generated
