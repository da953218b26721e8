"""Device drivers shared by the roles: the ESC/POS ticket printer
(``hardware.printer``), barcode/QR scanners (``hardware.scanner``) and the
health report that tells the hub how they are (``hardware.health``); the
counter's call buttons (``hardware.buttons``), status light (``hardware.leds``)
and small display (``hardware.counter_display``), all on gpiozero pins or an
I2C bus, with one timer thread per device (``hardware.scheduler``).

Drivers know nothing of Kivy or of the kiosk: the kiosk and the sorting
office's counter both use them.
"""
