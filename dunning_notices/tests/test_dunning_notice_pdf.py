import io
from datetime import date
from unittest.mock import patch

from markupsafe import Markup
from reportlab.pdfgen import canvas

from odoo.tests import Form, tagged
from odoo.tools.pdf import PdfFileReader

from odoo.addons.dunning_notices.models.dunning_notice import DunningNotice
from odoo.addons.dunning_notices.tools.pdf_rendering import split_pdf_per_document

from .common import DunningTestCommon


def _pdf_of_pages(texts):
    stream = io.BytesIO()
    pdf = canvas.Canvas(stream)
    for text in texts:
        pdf.drawString(100, 700, text)
        pdf.showPage()
    pdf.save()
    return stream.getvalue()


@tagged("post_install", "-at_install")
class TestDunningNoticePdf(DunningTestCommon):
    def test_batch_renders_real_pdfs_of_notice_and_invoices(self):
        """With wkhtmltopdf itself (tests otherwise render reports as HTML): the notice PDF and the PDF of
        an invoice that has none come from the batch rendering, stored once and attached to the email."""
        self.level_early.attach_notice_pdf = True
        form = self._wizard_form()
        form.attach_invoices = True
        wizard = self._apply(form)
        wizard.line_ids.write({"to_email": False, "to_print": False})
        wizard.line_ids.filtered(lambda line: line.partner_id == self.alpha).to_email = True
        started = {}
        original_notices = DunningNotice._start_pdf_rendering
        original_invoices = DunningNotice._start_invoice_pdf_rendering

        def spy_notices(notices):
            started["notices"] = original_notices(notices)
            return started["notices"]

        def spy_invoices(notices):
            started["invoices"] = original_invoices(notices)
            return started["invoices"]

        with (
            patch.object(DunningNotice, "_start_pdf_rendering", spy_notices),
            patch.object(DunningNotice, "_start_invoice_pdf_rendering", spy_invoices),
            patch.object(DunningNotice, "_render_pdf_alone", side_effect=AssertionError("rendered alone")),
            self.mock_mail_gateway(),
        ):
            wizard.with_context(force_report_rendering=True).action_send()
        notice = wizard.notice_ids
        self.assertEqual(notice.state, "done", notice.error_message)
        self.assertEqual(list(started["notices"]), notice.ids)
        self.assertEqual(list(started["invoices"]), self.alpha_inv.ids)
        self.assertTrue(notice.pdf_attachment_id.raw.startswith(b"%PDF"))
        self.assertTrue(notice.invoice_attachment_ids.raw.startswith(b"%PDF"))
        self.assertEqual(notice.invoice_attachment_ids.raw, started["invoices"][self.alpha_inv.id].result())
        self.assertEqual(notice.pdf_attachment_id.raw, started["notices"][notice.id].result())
        mail = self.env["mail.mail"].search([("mail_message_id", "=", notice.message_id.id)])
        self.assertEqual(
            sorted(mail.attachment_ids.mapped("name")),
            sorted([notice._get_pdf_filename(), notice.invoice_attachment_ids.name]),
        )

    def test_patched_wkhtmltopdf_prints_several_notices_per_call(self):
        """With the wkhtmltopdf of patched Qt, one call prints several notices (here: a stand-in printing
        a page per document, as the real one does for one-page notices); each notice gets its page."""
        more = self.env["res.partner"].create(
            [{"name": f"Patched {i}", "email": f"p{i}@example.com"} for i in range(3)]
        )
        for partner in more:
            self._invoice(partner, date(2026, 6, 1), 10, due=date(2026, 6, 2))
        self.level_early.attach_notice_pdf = True
        wizard = self._apply(self._wizard_form())
        wizard.line_ids.write({"to_email": False, "to_print": True})
        calls = []

        def fake_wkhtmltopdf(report, bodies, **kwargs):
            calls.append(len(bodies))
            return _pdf_of_pages([f"notice {index}" for index in range(len(bodies))])

        report_class = type(self.env["ir.actions.report"])
        with (
            patch("odoo.addons.dunning_notices.models.dunning_notice.is_wkhtmltopdf_patched", return_value=True),
            patch.object(report_class, "_run_wkhtmltopdf", fake_wkhtmltopdf),
            patch.object(DunningNotice, "_render_pdf_alone", side_effect=AssertionError("rendered alone")),
        ):
            wizard.with_context(force_report_rendering=True).action_send()
        notices = wizard.notice_ids
        self.assertEqual(set(notices.mapped("state")), {"done"})
        self.assertEqual(sum(calls), len(notices))
        self.assertLess(len(calls), len(notices), "several notices per call")
        for notice in notices:
            self.assertEqual(len(PdfFileReader(io.BytesIO(notice.pdf_attachment_id.raw)).pages), 1)

    def testsplit_pdf_per_document(self):
        three_pages = _pdf_of_pages(["a", "b", "c"])
        parts = split_pdf_per_document(three_pages, 3)
        self.assertEqual([len(PdfFileReader(io.BytesIO(part)).pages) for part in parts], [1, 1, 1])
        # more pages than documents and no outline to tell where each starts: not split
        self.assertIsNone(split_pdf_per_document(three_pages, 2))

    def test_notice_pdf_does_not_wait_for_scripts(self):
        """wkhtmltopdf waits Odoo's report.print_delay (1 s) for scripts; a notice runs none, so its
        call does not wait (the parameter of the addon can set a delay back), other reports still do."""
        report_model = self.env["ir.actions.report"]
        report_class = type(report_model)
        original = report_class._build_wkhtmltopdf_args
        delays = []

        def spy(report, *args, **kwargs):
            command_args = original(report, *args, **kwargs)
            delays.append(command_args[command_args.index("--javascript-delay") + 1])
            return command_args

        body = Markup("<html><body><p>Notice</p></body></html>")
        notice_report = self.env.ref("dunning_notices.action_report_dunning_notice")
        with patch.object(report_class, "_build_wkhtmltopdf_args", spy):
            pdf = report_model._run_wkhtmltopdf([body], report_ref=notice_report.id)
            report_model._run_wkhtmltopdf([body], report_ref="account.account_invoices")
            self.env["ir.config_parameter"].set_param("dunning_notices.report_print_delay", "250")
            report_model._run_wkhtmltopdf([body], report_ref=notice_report.id)
        self.assertTrue(pdf.startswith(b"%PDF"))
        self.assertEqual(delays, ["0", "1000", "250"])

    def test_real_pdf_rendering_with_wkhtmltopdf(self):
        """wkhtmltopdf for real: every notice gets a PDF of its own (several per call where the engine
        splits its output, else one process per notice on all cores)."""
        if self.env["ir.actions.report"].get_wkhtmltopdf_state() != "ok":
            self.skipTest("wkhtmltopdf is not installed")

        def edit(line):
            line.to_print = True
            line.to_email = False

        form = self._wizard_form()
        wizard = self._apply(form)
        with Form(wizard) as wizard_form:
            for index in range(len(wizard_form.line_ids)):
                with wizard_form.line_ids.edit(index) as line:
                    edit(line)
        wizard = wizard.with_context(force_report_rendering=True)
        action = wizard.action_send()
        notices = wizard.notice_ids
        self.assertEqual(len(notices), 3)
        for notice in notices:
            self.assertTrue(notice.pdf_attachment_id.raw.startswith(b"%PDF"), notice.name)
            self.assertEqual(notice.pdf_attachment_id.mimetype, "application/pdf")
        self.assertEqual(len(set(notices.pdf_attachment_id.mapped("checksum"))), 3, "one document per notice")
        self.assertEqual(action["type"], "ir.actions.report")
