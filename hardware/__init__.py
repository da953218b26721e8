"""Device drivers shared by the roles: the ESC/POS ticket printer
(``hardware.printer``), barcode/QR scanners (``hardware.scanner``) and the
health report that tells the hub how they are (``hardware.health``); the
counter's call buttons (``hardware.buttons``), status light (``hardware.leds``)
and small display (``hardware.counter_display``), all on gpiozero pins or an
I2C bus, with one timer thread per device (``hardware.scheduler``).

    with StatusLight(5, 6, 13) as light, CallButtons({"next": 17}) as buttons:
        buttons.add_press_listener(print)   # ButtonEvent(button='next', kind='press', at=...)
        light.play(pattern)
        light                               # <StatusLight red=5 green=6 blue=13 idle>

Every driver has gpiozero's shape (``hardware.device``): where it is as its
first arguments, options keyword-only, ``add_<event>_listener`` for its events,
``start()``, idempotent ``close()``, ``closed``, ``with`` and a ``repr`` with
pins and state.  Drivers know nothing of Kivy or of the kiosk: the kiosk and the
sorting office's counter both use them.
"""
