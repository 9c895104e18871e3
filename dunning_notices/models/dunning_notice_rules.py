# The customer rules applied again when a notice is actually sent (a run saved for review and sent later,
# the queue, a retry): the state of the customer may have changed since Apply Filters (STYLE section 9).
# pylint: disable=consider-merging-classes-inherited
from odoo import fields, models


class DunningNotice(models.Model):
    _inherit = "dunning.notice"

    def _leave_out_by_customer_rules(self):
        """Cancel the notices of ``self`` whose customer is now on hold, was reminded within the
        company's minimum interval, or was given this level's notice for this date by another run, by
        the selection's own rules (``dunning.level._get_customer_reasons``); their run lists the customer
        as left out, with the reason. Returns the notices kept. Three grouped queries per level and date."""
        left_out = {}
        for (level, as_of_date), notices in self.grouped(lambda n: (n.level_id, n.as_of_date)).items():
            reasons = level._get_customer_reasons(
                as_of_date, notices.partner_id, notices_to_send=notices, sent_on=fields.Date.context_today(self)
            )
            for notice in notices:
                if reason := reasons.get(notice.partner_id):
                    left_out[notice] = reason
        self._leave_out(left_out)
        return self.filtered(lambda n: n not in left_out)

    def _leave_out_by_amount_range(self):
        """Cancel the notices of ``self`` whose amount, as the snapshot just found it, is now outside
        their level's range (a partial payment since Apply Filters). Returns the notices kept."""
        left_out = {
            notice: (reason, False)
            for notice in self
            if (reason := notice.level_id._check_amount_range(notice.amount_net))
        }
        self._leave_out(left_out)
        return self.filtered(lambda n: n not in left_out)

    def _leave_out(self, left_out):
        """``left_out``: {notice: (reason key, earlier notice id or False)}. Cancels them with the reason
        and records each on its run's customers left out."""
        if not left_out:
            return
        reasons = dict(self.env["dunning.run.left.out"]._fields["reason"]._description_selection(self.env))
        vals_list = []
        for notice, (reason, earlier_id) in left_out.items():
            notice._write_state(
                {
                    "state": "cancel",
                    "cancel_reason": self.env._("Left out when sent: %(reason)s.", reason=reasons[reason]),
                }
            )
            if notice.run_id:
                vals_list.append(
                    {
                        "run_id": notice.run_id.id,
                        "partner_id": notice.partner_id.id,
                        "level_id": notice.level_id.id,
                        "reason": reason,
                        "notice_id": earlier_id,
                        "amount_overdue": notice.amount_overdue,
                        "amount_net": notice.amount_net,
                    }
                )
        # sudo: what runs hold is written by the server only
        self.env["dunning.run.left.out"].sudo().create(vals_list)
