"""18.0.1.3.0, after the schema update: each level charges an interest scheme of its own company. A scheme
used by levels of several companies (the shipped presets were shared) stays with the company the pre-migrate
step gave it; each other company using it gets its own copy (for a preset, that company's copy of the preset,
``dunning_notices.<company id>_<preset>``, margins and translations kept), and its levels are moved to it.
Then every company gets the presets it lacks, as a company created after the install would."""

from odoo import api


def schemes_per_company(env):
    levels = env["dunning.level"].with_context(active_test=False).search([("interest_scheme_id", "!=", False)])
    for (scheme, company), company_levels in levels.grouped(lambda l: (l.interest_scheme_id, l.company_id)).items():
        if scheme.company_id != company:
            company_levels.interest_scheme_id = scheme._for_company(company)
    env["dunning.interest.scheme"]._create_default_schemes(env["res.company"].search([]))


def migrate(cr, version):
    schemes_per_company(api.Environment(cr, api.SUPERUSER_ID, {}))
