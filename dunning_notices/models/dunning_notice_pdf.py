# One file per concept of the notice (STYLE section 8), as Odoo splits account.move's.
# pylint: disable=consider-merging-classes-inherited
import functools
import logging
import math
from concurrent.futures import Future
from contextlib import contextmanager

from odoo import models, tools
from odoo.exceptions import UserError
from odoo.tools import split_every

from ..tools.pdf_rendering import (
    RenderingPool,
    RenderingTimeout,
    count_letterheads,
    default_workers,
    is_wkhtmltopdf_patched,
    keep_letterheads,
    render_invoice_pdf,
    run_wkhtmltopdf,
    split_into,
)

_logger = logging.getLogger(__name__)

# Notices printed by one wkhtmltopdf call, with the build of patched Qt that can print several.
PDF_NOTICES_PER_CALL = 10
# Notices whose HTML is rendered at once, with the other builds (one process per notice).
PDF_HTML_CHUNK = 10
# Seconds a PDF may take to render before it is stopped and its notice put in error: half of Odoo's
# default time limit of a cron run (limit_time_real_cron), so that the render is stopped before its worker.
PDF_TIMEOUT_PARAM = "dunning_notices.pdf_timeout"
PDF_TIMEOUT_DEFAULT = 60
# Threads (each driving a wkhtmltopdf process) rendering notice PDFs; default: the cores, at most 4.
PDF_WORKERS_PARAM = "dunning_notices.pdf_workers"
# Invoice PDFs rendered at once per notice thread: most of such a call is wkhtmltopdf waiting.
INVOICE_PDFS_PER_WORKER = 3


class BatchPdfs:
    """The PDFs being rendered for a batch of notices: ``notice_pdf(notice)`` and
    ``invoice_pdf(invoice)`` wait for theirs, at most the pool's timeout; None when there is none or
    it failed (render it alone); a UserError when it took too long and was stopped (rendering it
    alone could hang again)."""

    def __init__(self, notice_pool, notice_futures, invoice_pool, invoice_futures):
        self._notice_pool = notice_pool
        self._notices = notice_futures
        self._invoice_pool = invoice_pool
        self._invoices = invoice_futures

    def started(self, notice):
        return notice.id in self._notices

    def notice_pdf(self, notice):
        try:
            return self._result(self._notice_pool, self._notices.get(notice.id))
        except RenderingTimeout:
            raise UserError(
                notice.env._(
                    "The PDF of notice %(name)s took longer than %(seconds)s s to render and was stopped.",
                    name=notice.name,
                    seconds=self._notice_pool.timeout,
                )
            ) from None

    def invoice_pdf(self, invoice):
        try:
            return self._result(self._invoice_pool, self._invoices.get(invoice.id))
        except RenderingTimeout:
            raise UserError(
                invoice.env._(
                    "The PDF of invoice %(name)s took longer than %(seconds)s s to render and was stopped.",
                    name=invoice.name,
                    seconds=self._invoice_pool.timeout,
                )
            ) from None

    @staticmethod
    def _result(pool, future):
        if future is None:
            return None
        try:
            return pool.result(future)
        except RenderingTimeout:
            raise
        except Exception:
            _logger.info("A PDF failed to render in batch, rendering it alone", exc_info=True)
            return None


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

    def _renders_pdf_files(self):
        """False in tests, where Odoo renders reports as HTML unless asked otherwise: the batch
        renderings are left to the notice-by-notice path, which gets that HTML."""
        return not tools.config["test_enable"] or bool(self.env.context.get("force_report_rendering"))

    def _get_pdf_timeout(self):
        return self._get_positive_int_param(PDF_TIMEOUT_PARAM, PDF_TIMEOUT_DEFAULT)

    def _get_pdf_workers(self):
        return self._get_positive_int_param(PDF_WORKERS_PARAM, default_workers())

    def _get_positive_int_param(self, key, default):
        value = self.env["ir.config_parameter"].sudo().get_param(key)
        try:
            return max(1, int(value)) if value else default
        except ValueError:
            _logger.warning("System parameter %s=%r is not a number; using %s", key, value, default)
            return default

    @contextmanager
    def _pdf_rendering(self):
        """Start rendering the PDFs the notices ``self`` need (theirs, and the invoices they attach)
        and yield a ``BatchPdfs`` that the batch asks for each of them. The rendering threads are
        stopped when the batch leaves it. The wkhtmltopdf calls of notices run on threads even in
        tests: they read only the report and its paper format, committed data; invoice PDFs read the
        invoices, so a test renders them at once (``RenderingPool`` ``inline``)."""
        timeout, workers = self._get_pdf_timeout(), self._get_pdf_workers()
        with (
            RenderingPool(self.env, workers, timeout, inline=False) as notice_pool,
            RenderingPool(self.env, INVOICE_PDFS_PER_WORKER * workers, timeout) as invoice_pool,
        ):
            yield BatchPdfs(
                notice_pool,
                self._start_pdf_rendering(notice_pool),
                invoice_pool,
                self._start_invoice_pdf_rendering(invoice_pool),
            )

    def _get_pdf_content(self, pdfs=None):
        """The notice PDF: the one rendered for the batch, else rendered now. A UserError when the
        batch's rendering was stopped for taking too long."""
        self.ensure_one()
        content = pdfs.notice_pdf(self) if pdfs else None
        return content if content is not None else self._render_pdf_alone()

    def _start_pdf_rendering(self, pool):
        """Start rendering the PDFs of the notices on ``pool`` and return {notice id: Future of the
        PDF}, the processes running while the caller goes on. A notice missing from the result, or
        whose future fails, is rendered on its own later."""
        todo = self.filtered(lambda n: n._needs_pdf() and not n._get_stored_pdf())
        if not todo or not self._renders_pdf_files():
            return {}
        futures = {}
        for report, notices in todo.grouped("report_id").items():
            try:
                futures.update(notices._start_pdf_processes(report, pool))
            except Exception:
                _logger.info("Batch PDF rendering failed, rendering notice by notice", exc_info=True)
        return futures

    def _start_pdf_processes(self, report, pool):
        """wkhtmltopdf processes on the pool's threads. With the wkhtmltopdf build of patched Qt, a
        process prints several notices, split per notice afterwards as Odoo splits a report; with the
        others, one process per notice. The HTML is rendered a few notices at a time, the first ones
        alone so that the threads start at once, the next ones while they run."""
        workers = min(len(self), pool.workers)
        if is_wkhtmltopdf_patched():
            # about PDF_NOTICES_PER_CALL notices a call, as many calls on each thread: they end together
            calls = workers * math.ceil(len(self) / (workers * PDF_NOTICES_PER_CALL))
            per_call = math.ceil(len(self) / calls)
            chunks = list(split_every(per_call, self.ids))
        else:
            per_call = 1
            chunks = [self.ids[:workers], *split_every(PDF_HTML_CHUNK, self.ids[workers:])]
        paperformat = report.get_paperformat()  # in the notices' company
        futures = {}
        for chunk in chunks:
            for notice_ids, bodies, run_kwargs in self.browse(chunk)._prepare_pdf_bodies(report, per_call):
                pdf = pool.submit(run_wkhtmltopdf, bodies, run_kwargs, paperformat.id)
                if len(notice_ids) == 1:
                    futures[notice_ids[0]] = pdf
                    continue
                parts = [pool.link(pdf, Future()) for _notice_id in notice_ids]
                pdf.add_done_callback(functools.partial(split_into, parts))
                futures.update(zip(notice_ids, parts, strict=True))
        return futures

    def _start_invoice_pdf_rendering(self, pool):
        """Start rendering on ``pool`` the PDFs of the invoices to attach that have none of their own
        yet: {invoice id: Future of its PDF}. Each goes through Odoo's invoice report as it would alone,
        several at a time: most of such a call is wkhtmltopdf waiting, not working."""
        to_attach = self.filtered(lambda n: n.to_email and n.attach_invoices and not n.invoice_attachment_ids)
        invoices = to_attach.move_line_ids.move_id.filtered(
            lambda m: m.is_invoice(include_receipts=True) and not m.invoice_pdf_report_id
        )
        if not invoices or not self._renders_pdf_files():
            return {}
        return {invoice_id: pool.submit(render_invoice_pdf, invoice_id) for invoice_id in invoices.ids}

    def _prepare_pdf_bodies(self, report, per_call=1):
        """The wkhtmltopdf calls printing the notices, ``per_call`` notices each, from one QWeb
        rendering of them: [(notice ids, HTML bodies, arguments of run_wkhtmltopdf)]. Odoo's
        ``_prepare_html`` gives one header and footer HTML holding every notice's letterhead, of which
        the minimal layout shows on a page the one at the index of the page's body in its call: each
        call gets the letterheads of its own notices, in order. Empty when the HTML cannot be split
        per notice."""
        report_model = self.env["ir.actions.report"].with_context(debug=False)
        html = report_model._render_qweb_html(report, self.ids, data={"report_type": "pdf", "debug": False})[0]
        bodies, html_ids, header, footer, paperformat_args = report.with_context(debug=False)._prepare_html(
            html, report_model=report.model
        )
        if len(bodies) != len(self) or set(html_ids) != set(self.ids):
            return []
        if count_letterheads(header) not in (0, len(bodies)) or count_letterheads(footer) not in (0, len(bodies)):
            return []
        calls = []
        for start in range(0, len(bodies), per_call):
            stop = start + per_call
            run_kwargs = {
                "report_ref": report.id,
                "header": keep_letterheads(header, start, stop),
                "footer": keep_letterheads(footer, start, stop),
                "landscape": self.env.context.get("landscape"),
                "specific_paperformat_args": paperformat_args,
                "set_viewport_size": self.env.context.get("set_viewport_size"),
            }
            calls.append((html_ids[start:stop], bodies[start:stop], run_kwargs))
        return calls

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
