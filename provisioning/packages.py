"""Which top-level packages are this firmware's, and whether the ones imported really are.

The firmware's folders have plain names (``hub``, ``kiosk``, ``display``, ``counter``, ``hardware``,
``typeset``, ``simulator``, ``siteconf``...), and several are also names of unrelated PyPI
distributions.  A device's environment sees Debian's packages too (``--system-site-packages``, for
python3-evdev), so a package of the same name installed there, or a stray folder on the path, could
be imported instead of ours and fail far from the cause.  All of ours are installed side by side
(one wheel, one ``site-packages``; one checkout in development): ``foreign()`` names any that was
found anywhere else.  ``onestop-provision doctor`` runs it on a device.
"""

from __future__ import annotations

import importlib
from pathlib import Path

#: the firmware's top-level packages (pyproject.toml's ``packages.find`` includes exactly these)
FIRMWARE_PACKAGES = ("contract", "siteconf", "hub", "mqttlink", "broker_config", "kiosk", "display", "counter",
                     "hardware", "provisioning", "simulator", "typeset", "guest", "report", "console")


def foreign(packages: tuple[str, ...] = FIRMWARE_PACKAGES) -> dict[str, str]:
    """{package: where it was found} for every firmware package that is not beside this one."""
    home = Path(__file__).resolve().parent.parent
    wrong = {}
    for name in packages:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:  # a missing one is as wrong as a foreign one
            wrong[name] = f"cannot be imported ({exc})"
            continue
        where = Path(getattr(module, "__file__", None) or next(iter(getattr(module, "__path__", [])), ""))
        if where.resolve().parent.parent != home:
            wrong[name] = str(where)
    return wrong
