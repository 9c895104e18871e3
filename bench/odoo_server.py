#!/usr/bin/env python3
"""Odoo's start script (odoo-bin) for the servers of the scale-out bench, with one difference: when gevent
cannot monkey-patch on this machine, the websocket (gevent) process that a server with workers starts, as
``python3 <this script> gevent ...``, idles instead of failing. A failing one is started again every
second by its server, each time importing Odoo: that took the CPU of the servers measured. The jobs use
no websocket. Where gevent works, this is odoo-bin."""

# pylint: disable=print-used
# a start script: it says on stderr why its websocket process idles
import os
import subprocess
import sys
import time

GEVENT_CHECK = "import gevent.monkey; gevent.monkey.patch_all()"

if __name__ == "__main__":
    if sys.argv[1:2] == ["gevent"] and subprocess.run([sys.executable, "-c", GEVENT_CHECK], check=False).returncode:
        print("odoo_server.py: gevent cannot monkey-patch here; the websocket process idles", file=sys.stderr)
        while True:
            time.sleep(3600)  # stopped with its server (same process group)
    # set the server's time zone to UTC before the time module is imported, as odoo-bin does
    os.environ["TZ"] = "UTC"
    import odoo

    odoo.cli.main()
