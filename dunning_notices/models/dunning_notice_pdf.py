import functools
import logging
import math
import os
from concurrent.futures import Future
from contextlib import contextmanager

from odoo import models, tools
from odoo.tools import split_every

from ..tools.pdf_rendering import (
    RenderingPool,
    get_future_result,
    is_wkhtmltopdf_patched,
    render_invoice_pdf,
    run_wkhtmltopdf,
    split_into,
)

_logger = logging.getLogger(__name__)

# Notices printed by one wkhtmltopdf call, with the build of patched Qt that can print several.
PDF_NOTICES_PER_CALL = 10
# Notices whose HTML is rendered at once, with the other builds (one process per notice).
PDF_HTML_CHUNK = 10


class BatchPdfs:
    """The PDFs being rendered for a batch of notices: ``notice_pdf(notice)`` and
    ``invoice_pdf(invoice)`` wait for theirs; None when there is none (render it alone)."""

    def __init__(self, notice_futures, invoice_futures):
        self._notices = notice_futures
        self._invoices = invoice_futures

    def started(self, notice):
        return notice.id in self._notices

    def notice_pdf(self, notice):
        return get_future_result(self._notices.get(notice.id))

    def invoice_pdf(self, invoice):
        return get_future_result(self._invoices.get(invoice.id))


class DunningNotice(models.Model):
    """The notice PDFs and the invoice PDFs a notice attaches: rendered for a whole batch, on
    wkhtmltopdf processes that run while the batch goes on."""

    _inherit = "dunning.notice"

    def _get_pdf_filename(self):
        self.ensure_one()
        return f"{self.name.replace('/', '_')}.pdf"

    def _needs_pdf(self):
        self.ensure_one()
        return self.to_print or (self.to_email and self.level_id.attach_notice_pdf)

    def _renders_pdf_files(self):
        """False in tests, where Odoo renders reports as HTML unless asked otherwise: the batch
        renderings are left to the notice-by-notice path, which gets that HTML."""
        return not tools.config["test_enable"] or bool(self.env.context.get("force_report_rendering"))

    @contextmanager
    def _pdf_rendering(self):
        """Start rendering the PDFs the notices ``self`` need (theirs, and the invoices they attach)
        and yield a ``BatchPdfs`` that the batch asks for each of them."""
        yield BatchPdfs(self._start_pdf_rendering(), self._start_invoice_pdf_rendering())

    def _get_pdf_content(self, pdfs=None):
        """The notice PDF: the one rendered for the batch, else rendered now."""
        self.ensure_one()
        content = pdfs.notice_pdf(self) if pdfs else None
        return content if content is not None else self._render_pdf_alone()

    def _start_pdf_rendering(self):
        """Start rendering the PDFs of the notices and return {notice id: Future of the PDF}, the
        processes running while the caller goes on. A notice missing from the result, or whose future
        fails, is rendered on its own later."""
        todo = self.filtered(lambda n: n._needs_pdf() and not n._get_stored_pdf())
        if not todo or not self._renders_pdf_files():
            return {}
        futures = {}
        for report, notices in todo.grouped("report_id").items():
            try:
                futures.update(notices._start_pdf_processes(report))
            except Exception:
                _logger.info("Batch PDF rendering failed, rendering notice by notice", exc_info=True)
        return futures

    def _start_pdf_processes(self, report):
        """wkhtmltopdf processes on a pool of threads, one per core. With the wkhtmltopdf build of
        patched Qt, a process prints several notices, split per notice afterwards as Odoo splits a
        report; with the others, one process per notice. The HTML is rendered a few notices at a time,
        the first ones alone so that the cores start at once, the next ones while they run."""
        workers = min(len(self), os.cpu_count() or 1)
        if is_wkhtmltopdf_patched():
            # about PDF_NOTICES_PER_CALL notices a call, as many calls on each core: they end together
            calls = workers * math.ceil(len(self) / (workers * PDF_NOTICES_PER_CALL))
            per_call = math.ceil(len(self) / calls)
            chunks = list(split_every(per_call, self.ids))
        else:
            per_call = 1
            chunks = [self.ids[:workers], *split_every(PDF_HTML_CHUNK, self.ids[workers:])]
        futures = {}
        with RenderingPool(self.env, workers) as pool:
            for chunk in chunks:
                items = self.browse(chunk)._prepare_pdf_bodies(report)
                for call in split_every(per_call, items):
                    bodies, run_kwargs = [body for _id, body, _kwargs in call], call[0][2]
                    pdf = pool.submit(run_wkhtmltopdf, bodies, run_kwargs)
                    if len(call) == 1:
                        futures[call[0][0]] = pdf
                        continue
                    parts = [Future() for _item in call]
                    pdf.add_done_callback(functools.partial(split_into, parts))
                    futures.update({notice_id: part for (notice_id, _b, _k), part in zip(call, parts, strict=True)})
        return futures

    def _start_invoice_pdf_rendering(self):
        """Start rendering the PDFs of the invoices to attach that have none of their own yet:
        {invoice id: Future of its PDF}. Each goes through Odoo's invoice report as it would alone,
        several at a time: most of such a call is wkhtmltopdf waiting, not working."""
        to_attach = self.filtered(lambda n: n.to_email and n.attach_invoices and not n.invoice_attachment_ids)
        invoices = to_attach.move_line_ids.move_id.filtered(lambda m: not m.invoice_pdf_report_id)
        if not invoices or not self._renders_pdf_files():
            return {}
        with RenderingPool(self.env, min(len(invoices), 3 * (os.cpu_count() or 1))) as pool:
            return {invoice_id: pool.submit(render_invoice_pdf, invoice_id) for invoice_id in invoices.ids}

    def _prepare_pdf_bodies(self, report):
        """[(notice id, HTML body, arguments of run_wkhtmltopdf)] from one QWeb rendering of the
        notices; empty when the HTML cannot be split per notice."""
        report_model = self.env["ir.actions.report"].with_context(debug=False)
        html = report_model._render_qweb_html(report, self.ids, data={"report_type": "pdf", "debug": False})[0]
        bodies, html_ids, header, footer, paperformat_args = report.with_context(debug=False)._prepare_html(
            html, report_model=report.model
        )
        if len(bodies) != len(self) or set(html_ids) != set(self.ids):
            return []
        run_kwargs = {
            "report_ref": report.id,
            "header": header,
            "footer": footer,
            "landscape": self.env.context.get("landscape"),
            "specific_paperformat_args": paperformat_args,
            "set_viewport_size": self.env.context.get("set_viewport_size"),
        }
        return [(notice_id, body, run_kwargs) for notice_id, body in zip(html_ids, bodies, strict=True)]

    def _get_stored_pdf(self):
        self.ensure_one()
        if self.pdf_attachment_id:
            return self.pdf_attachment_id
        return self.report_id.retrieve_attachment(self) if self.report_id.attachment else self.env["ir.attachment"]

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
        moves = self.line_ids.move_id
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
            generated = self.env["ir.attachment"].create(vals_list)
        self.sudo().invoice_attachment_ids = existing | generated  # notices are written by the server only
        return existing | generated
