from odoo import api, fields, models
from odoo.tools import SQL

from ..models.dunning_common import UNDELIVERED_STATES

# The windows after sending, in days: a settlement on day N (N days after the notice was sent) is within N.
CASH_WINDOWS = (7, 30, 60)
OTHER_WINDOW = 30


class DunningEffectivenessReport(models.Model):
    """What each delivered notice brought in: one row per notice, a SQL view in the way of
    ``account.invoice.report``.

    A settlement is a partial reconciliation of an overdue item of the notice (``max_date``, the later
    of its two lines' dates, is its date). It is *cash* when its counterpart is a payment's or a bank
    statement line's journal item, *other* otherwise (credit notes, write-offs, exchange differences).
    Each settlement counts once, for the latest delivered notice covering its item sent on or before
    its date; settlements dated before a notice never count for it.
    """

    _name = "dunning.effectiveness.report"
    _description = "Dunning Effectiveness Analysis"
    _auto = False
    _rec_name = "notice_id"
    _order = "date_sent desc, notice_id desc"

    notice_id = fields.Many2one("dunning.notice", readonly=True)
    level_id = fields.Many2one("dunning.level", string="Dunning Level", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    user_id = fields.Many2one("res.users", string="Collector", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", string="Company Currency", readonly=True)
    date_sent = fields.Date(string="Sent On", readonly=True)
    amount_dunned = fields.Monetary(
        string="Dunned",
        readonly=True,
        currency_field="currency_id",
        help="What the notice's overdue items were due when it was sent, in the company's currency.",
    )
    cash_7d = fields.Monetary(
        string="Cash within 7 Days",
        readonly=True,
        currency_field="currency_id",
        help="Of the notice's overdue items, the amount paid (payments, bank statement lines) within 7 days "
        "after it was sent.",
    )
    cash_30d = fields.Monetary(
        string="Cash within 30 Days",
        readonly=True,
        currency_field="currency_id",
        help="Of the notice's overdue items, the amount paid (payments, bank statement lines) within 30 days "
        "after it was sent.",
    )
    cash_60d = fields.Monetary(
        string="Cash within 60 Days",
        readonly=True,
        currency_field="currency_id",
        help="Of the notice's overdue items, the amount paid (payments, bank statement lines) within 60 days "
        "after it was sent.",
    )
    other_30d = fields.Monetary(
        string="Settled Otherwise within 30 Days",
        readonly=True,
        currency_field="currency_id",
        help="Of the notice's overdue items, the amount settled without cash (credit notes, write-offs) "
        "within 30 days after it was sent.",
    )
    days_to_first_cash = fields.Integer(
        string="Days to First Cash",
        readonly=True,
        aggregator="avg",
        help="Days from sending to the first payment of one of the notice's overdue items; empty when none "
        "came in. Averaged when grouped.",
    )
    rate_30d = fields.Float(
        string="Collection Rate (30 Days)",
        readonly=True,
        aggregator="sum",  # never summed: recomputed from the sums, see _read_group_select
        help="Cash within 30 days divided by the amount dunned; grouped, the sum of the cash divided by the "
        "sum dunned.",
    )

    # what the customer did on the notice's page (summed when grouped)
    viewed_count = fields.Integer(
        string="Viewed", readonly=True, help="1 when the customer opened the notice's page; grouped, how many did."
    )
    amount_paid_online = fields.Monetary(
        string="Paid Online",
        readonly=True,
        currency_field="currency_id",
        help="What the customer paid with Pay All on the notice's page, in the company's currency.",
    )
    dispute_count = fields.Integer(string="Disputes Opened", readonly=True)
    promise_count = fields.Integer(string="Promises Made", readonly=True)
    promise_kept_count = fields.Integer(string="Promises Kept", readonly=True)

    _depends = {
        "dunning.notice": [
            "company_id",
            "partner_id",
            "level_id",
            "sender_user_id",
            "date_sent",
            "state",
            "delivery_state",
        ],
        "dunning.notice.line": ["notice_id", "line_type", "move_line_id", "amount_residual", "amount_residual_company"],
        "account.partial.reconcile": ["debit_move_id", "credit_move_id", "amount", "debit_amount_currency", "max_date"],
        "account.move.line": ["payment_id", "statement_line_id"],
        "account.move": ["dunning_dispute_notice_id"],
        "dunning.promise": ["notice_id", "state"],
        "payment.transaction": ["dunning_notice_id", "state", "payment_id"],
        "account.payment": ["amount_company_currency_signed"],
        "res.company": ["currency_id"],
    }

    @property
    def _table_query(self) -> SQL:
        return SQL("%s %s %s %s", self._with(), self._select(), self._from(), self._group_by())

    @api.model
    def _with(self) -> SQL:
        # notice: the delivered notices (processed; an email that failed or bounced reached nobody).
        # settlement: each partial reconciliation of a dunned item with the latest such notice sent on or
        # before its date (DISTINCT ON the partial), so that two levels never claim one payment.
        return SQL(
            """
            WITH notice AS (
                SELECT n.id,
                       n.company_id,
                       n.partner_id,
                       n.level_id,
                       n.sender_user_id,
                       n.portal_first_view IS NOT NULL AS viewed,
                       COALESCE(n.date_sent, n.create_date::date) AS date_sent  -- notices older than date_sent
                  FROM dunning_notice n
                 WHERE n.state = 'done'
                   AND n.delivery_state NOT IN %(undelivered)s
            ),
            settlement AS (
                SELECT DISTINCT ON (partial.id)
                       notice.id AS notice_id,
                       partial.max_date - notice.date_sent AS days,
                       -- valued at the item's rate when dunned: a payment of a foreign-currency item settles
                       -- what was dunned whatever the day's rate, and the exchange difference Odoo books
                       -- against the item (no amount in its currency) settles nothing
                       COALESCE(
                           partial.debit_amount_currency * item.amount_residual_company
                               / NULLIF(item.amount_residual, 0),
                           partial.amount
                       ) AS amount,
                       (counterpart.payment_id IS NOT NULL OR counterpart.statement_line_id IS NOT NULL) AS is_cash
                  FROM notice
                  JOIN dunning_notice_line item
                    ON item.notice_id = notice.id
                   AND item.line_type = 'overdue'
                  JOIN account_partial_reconcile partial
                    ON partial.debit_move_id = item.move_line_id
                   AND partial.max_date >= notice.date_sent
                  JOIN account_move_line counterpart ON counterpart.id = partial.credit_move_id
              ORDER BY partial.id, notice.date_sent DESC, notice.id DESC
            )
            """,
            undelivered=UNDELIVERED_STATES,
        )

    @api.model
    def _select(self) -> SQL:
        cash = {
            days: SQL(
                "COALESCE(SUM(settlement.amount) FILTER (WHERE settlement.is_cash AND settlement.days <= %s), 0.0)",
                days,
            )
            for days in CASH_WINDOWS
        }
        return SQL(
            """
            SELECT notice.id,
                   notice.id AS notice_id,
                   notice.level_id,
                   notice.partner_id,
                   notice.sender_user_id AS user_id,
                   notice.company_id,
                   company.currency_id,
                   notice.date_sent,
                   COALESCE(dunned.amount, 0.0) AS amount_dunned,
                   %(cash_7)s AS cash_7d,
                   %(cash_30)s AS cash_30d,
                   %(cash_60)s AS cash_60d,
                   COALESCE(SUM(settlement.amount) FILTER (
                       WHERE NOT settlement.is_cash AND settlement.days <= %(other_days)s
                   ), 0.0) AS other_30d,
                   MIN(settlement.days) FILTER (WHERE settlement.is_cash) AS days_to_first_cash,
                   %(cash_30)s / NULLIF(dunned.amount, 0.0) AS rate_30d,
                   CASE WHEN notice.viewed THEN 1 ELSE 0 END AS viewed_count,
                   COALESCE(online.amount, 0.0) AS amount_paid_online,
                   COALESCE(disputes.count, 0) AS dispute_count,
                   COALESCE(promises.made, 0) AS promise_count,
                   COALESCE(promises.kept, 0) AS promise_kept_count
            """,
            cash_7=cash[7],
            cash_30=cash[30],
            cash_60=cash[60],
            other_days=OTHER_WINDOW,
        )

    @api.model
    def _from(self) -> SQL:
        return SQL(
            """
              FROM notice
              JOIN res_company company ON company.id = notice.company_id
         LEFT JOIN LATERAL (
                    SELECT SUM(item.amount_residual_company) AS amount
                      FROM dunning_notice_line item
                     WHERE item.notice_id = notice.id
                       AND item.line_type = 'overdue'
                   ) dunned ON TRUE
         LEFT JOIN settlement ON settlement.notice_id = notice.id
         LEFT JOIN LATERAL (
                    SELECT SUM(payment.amount_company_currency_signed) AS amount
                      FROM payment_transaction tx
                      JOIN account_payment payment ON payment.id = tx.payment_id
                     WHERE tx.dunning_notice_id = notice.id
                       AND tx.state = 'done'
                   ) online ON TRUE
         LEFT JOIN LATERAL (
                    SELECT COUNT(*) AS count FROM account_move move WHERE move.dunning_dispute_notice_id = notice.id
                   ) disputes ON TRUE
         LEFT JOIN LATERAL (
                    SELECT COUNT(*) AS made, COUNT(*) FILTER (WHERE promise.state = 'kept') AS kept
                      FROM dunning_promise promise
                     WHERE promise.notice_id = notice.id
                   ) promises ON TRUE
            """
        )

    @api.model
    def _group_by(self) -> SQL:
        return SQL(
            """
          GROUP BY notice.id, notice.level_id, notice.partner_id, notice.sender_user_id, notice.company_id,
                   company.currency_id, notice.date_sent, dunned.amount, notice.viewed, online.amount,
                   disputes.count, promises.made, promises.kept
            """
        )

    def _read_group_select(self, aggregate_spec, query):
        # EXTENDS: a rate of groups is the sum of the cash over the sum dunned, never a sum or an average
        # of the rows' rates (the pivot, the graph, the list's groups and _read_group all come here)
        if aggregate_spec.startswith("rate_30d:"):
            cash = self._field_to_sql(self._table, "cash_30d", query)
            dunned = self._field_to_sql(self._table, "amount_dunned", query)
            return SQL("SUM(%s) / NULLIF(SUM(%s), 0.0)", cash, dunned)
        return super()._read_group_select(aggregate_spec, query)
