"""18.0.1.3.0, before the schema update: what belonged to every company becomes each company's.

- **Holds.** ``dunning_hold``, ``dunning_hold_reason`` and ``dunning_hold_until`` of ``res.partner`` become
  company_dependent, which Odoo 18 stores as jsonb ``{"<company id>": value}``. Left to itself, the schema update
  casts each column in place (``ALTER COLUMN ... TYPE jsonb USING column::jsonb``): a boolean or a date does not
  cast to jsonb and a reason is no JSON, so the update stops. Each column is converted here instead, its value
  given to every company, so that no company loses a hold (values of a lifted hold are kept as they were).
- **Interest schemes** get a (required) company: each existing scheme is given one before the schema update
  would give them all the current company. A shipped preset stays the main company's, as on a fresh install;
  another scheme goes to the first company whose levels use it (the main company when none does). The
  post-migrate step gives the other companies using a scheme their own copy of it.
"""

from odoo.tools import SQL, sql

from odoo.addons.dunning_notices.models.dunning_interest_scheme import PRESETS

HOLD_COLUMNS = ("dunning_hold", "dunning_hold_reason", "dunning_hold_until")


def holds_to_company_dependent(cr):
    """Convert the plain hold columns of res_partner to company_dependent jsonb, each value for every
    company; columns already converted are left alone."""
    columns = sql.table_columns(cr, "res_partner")
    cr.execute("SELECT id FROM res_company ORDER BY id")
    company_ids = [str(company_id) for (company_id,) in cr.fetchall()]
    for name in HOLD_COLUMNS:
        if name not in columns or columns[name]["udt_name"] == "jsonb":
            continue
        column = SQL.identifier(name)
        per_company = SQL(
            "jsonb_build_object(%s)",
            SQL(", ").join(SQL("%s::text, to_jsonb(%s)", company_id, column) for company_id in company_ids),
        )
        # a hold is a true flag (false is no hold: NULL, as Odoo stores a value equal to the fallback)
        kept = SQL("%s", column) if name == "dunning_hold" else SQL("%s IS NOT NULL", column)
        cr.execute(
            SQL(
                "ALTER TABLE res_partner ALTER COLUMN %s TYPE jsonb USING CASE WHEN %s THEN %s END",
                column,
                kept,
                per_company,
            )
        )


def schemes_to_owner_company(cr):
    """Give each interest scheme without a company its owner (see the module docstring)."""
    cr.execute("ALTER TABLE dunning_interest_scheme ADD COLUMN IF NOT EXISTS company_id int4")
    cr.execute(
        SQL(
            """
            WITH main AS (
                SELECT COALESCE(
                    (SELECT res_id FROM ir_model_data WHERE module = 'base' AND name = 'main_company'),
                    (SELECT min(id) FROM res_company)
                ) AS id
            ), presets AS (
                SELECT res_id AS id FROM ir_model_data
                 WHERE module = 'dunning_notices' AND model = 'dunning.interest.scheme' AND name = ANY(%(presets)s)
            )
            UPDATE dunning_interest_scheme scheme
               SET company_id = COALESCE(
                       (SELECT main.id FROM main WHERE scheme.id IN (SELECT id FROM presets)),
                       (SELECT min(level.company_id) FROM dunning_level level
                         WHERE level.interest_scheme_id = scheme.id),
                       (SELECT main.id FROM main)
                   )
             WHERE scheme.company_id IS NULL
            """,
            presets=list(PRESETS),
        )
    )


def migrate(cr, version):
    holds_to_company_dependent(cr)
    schemes_to_owner_company(cr)
