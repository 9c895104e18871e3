import subprocess
import sys
from pathlib import Path
from unittest import skipUnless

from odoo.tests import BaseCase, tagged

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "readme_rst.py"


@tagged("post_install", "-at_install")
class TestReadme(BaseCase):
    @skipUnless(SCRIPT.exists(), "the repository's scripts are not shipped with the addon")
    def test_readme_rst_follows_the_fragments(self):
        """Each addon's README.rst is what its readme/ fragments give (OCA's layout, our generator)."""
        result = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False)
        self.assertEqual(result.returncode, 0, result.stderr)
