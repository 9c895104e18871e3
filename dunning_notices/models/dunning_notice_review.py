# Draft notices, made by a run saved for review: previewed without storing anything, left out or kept by
# the reviewer, then numbered and queued when the run is sent (dunning.run).
# pylint: disable=consider-merging-classes-inherited
from odoo import models
from odoo.exceptions import UserError


class DunningNotice(models.Model):
    _inherit = "dunning.notice"

    def _get_preview_lines(self):
        """(overdue lines, credit lines) of a draft notice as it would be sent now: new records, not
        stored; the snapshot is taken when the run is sent."""
        self.ensure_one()
        line_model = self.env["dunning.notice.line"]
        items = self._get_items_to_remind()
        charges, _fees = self._get_charges({self: items})
        overdue = line_model.concat(
            *(
                line_model.new(
                    {
                        **line_model._prepare_vals_from_move_line(item, self._get_days_overdue(item)),
                        **charges.get((self.id, item.id), {}),
                    }
                )
                for item in items.sorted(lambda i: (i.date_maturity, i.id))
            )
        )
        credits_ = line_model.concat(
            *(
                line_model.new({**line_model._prepare_vals_from_move_line(item, 0), "line_type": "credit"})
                for item in self.credit_move_line_ids.filtered(lambda i: not i.reconciled)
            )
        )
        return overdue, credits_

    def _check_draft(self):
        self._check_can_act()
        if any(notice.state != "draft" for notice in self):
            raise UserError(
                self.env._(
                    "Only the notices of a run to review can be previewed or left out: %(notices)s.",
                    notices=", ".join(self.filtered(lambda n: n.state != "draft").mapped("display_name")),
                )
            )

    def action_review_leave_out(self):
        self._check_draft()
        kept = self.filtered(lambda n: not n.review_excluded)
        kept._write_state({"review_excluded": True})
        # the run's Left Out tab and its count by reason list them, as the wizard's left-out customers
        # sudo: runs and their left-out customers are written by the server only
        self.env["dunning.run.left.out"].sudo().create(
            [
                {
                    "run_id": notice.run_id.id,
                    "partner_id": notice.partner_id.id,
                    "level_id": notice.level_id.id,
                    "reason": "review",
                    "notice_id": notice.id,
                    "detail": self.env._("by %(user)s", user=self.env.user.name),
                    "amount_overdue": notice.amount_overdue,
                    "amount_net": notice.amount_net,
                }
                for notice in kept
            ]
        )
        return True

    def action_review_include(self):
        self._check_draft()
        self._write_state({"review_excluded": False})
        self.env["dunning.run.left.out"].sudo().search(
            [("notice_id", "in", self.ids), ("reason", "=", "review")]
        ).unlink()
        return True

    def action_preview_pdf(self):
        """The notice's PDF rendered now, not stored (the report stores processed notices only)."""
        self.ensure_one()
        self._check_draft()
        return self.report_id.report_action(self, config=False)

    def action_preview_email(self):
        """The email as the customer would get it (subject, From, To, body in their language), rendered
        now and not sent: an HTML page of its own, not the template editor's preview."""
        self.ensure_one()
        self._check_draft()
        self._get_preview_template()
        return self.env.ref("dunning_notices.action_report_dunning_notice_email_preview").report_action(
            self, config=False
        )

    def _get_preview_template(self):
        template = self.mail_template_id or self.level_id.mail_template_id
        if not template:
            raise UserError(
                self.env._("The notice of %(customer)s has no email template.", customer=self.partner_id.display_name)
            )
        return template

    def _get_email_preview(self):
        """{subject, email_from, email_to, body} of a draft notice's email, rendered by its template in
        the customer's language; the subject says DRAFT where the number will be."""
        self.ensure_one()
        self._check_draft()
        template = self._get_preview_template()
        subject = template._render_field("subject", self.ids, compute_lang=True)[self.id] or ""
        body = template._render_field("body_html", self.ids, compute_lang=True)[self.id] or ""
        draft = self.with_context(lang=self.partner_id.lang or self.env.lang).env._("DRAFT")
        marked = subject.replace(f"({self.name})", f"({draft})")
        return {
            "subject": marked if marked != subject else f"[{draft}] {subject}",
            "email_from": self._get_sender_email_from(),
            "email_to": ", ".join(self.recipient_ids.mapped("email_formatted")),
            "body": body,
        }

    def _confirm_drafts(self):
        """Draft notices of a run being sent: numbered, then queued like any notice."""
        for company, notices in self.grouped("company_id").items():
            names = self._get_next_names(company, len(notices))
            for notice, name in zip(notices, names, strict=True):
                notice._write_state({"name": name, "state": "queued"})
