# A collector who hears "we will pay on the 15th" while going through a run notes the promise from the
# customer's line; the run's Left Out says why a promised customer is not reminded.
# pylint: disable=consider-merging-classes-inherited
from odoo import Command, models, tools


class DunningNoticeSendLine(models.TransientModel):
    _inherit = "dunning.notice.send.line"

    def action_take_promise(self):
        """A payment promise of the line's customer for the line's items."""
        self.ensure_one()
        self.check_access("write")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Promise of %(customer)s", customer=self.partner_id.display_name),
            "res_model": "dunning.promise",
            "views": [(self.env.ref("dunning_notices.dunning_promise_view_form").id, "form")],
            "target": "new",
            "context": {
                "default_partner_id": self.partner_id.commercial_partner_id.id,
                "default_company_id": self.wizard_id.company_id.id,
                "default_move_line_ids": [Command.set(self.move_line_ids.ids)],
            },
        }

    def _get_exclusion_detail(self):
        # EXTENDS the wizard line: a promised customer's detail is the promise's date and amount
        if self.exclusion_reason != "promised":
            return super()._get_exclusion_detail()
        promise = (
            self.env["dunning.promise"]
            .sudo()
            .search(
                [
                    ("partner_id", "=", self.partner_id.commercial_partner_id.id),
                    ("company_id", "=", self.wizard_id.company_id.id),
                    ("state", "=", "open"),
                ],
                order="date_promised desc",
                limit=1,
            )
        )
        if not promise:
            return False
        return self.env._(
            "Promised to pay %(amount)s by %(date)s.",
            amount=promise._format_amount(),
            date=tools.format_date(self.env, promise.date_promised),
        )
