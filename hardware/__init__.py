"""Device drivers shared by the roles: the ESC/POS ticket printer
(``hardware.printer``), barcode/QR scanners (``hardware.scanner``) and the
health report that tells the hub how they are (``hardware.health``).

Drivers know nothing of Kivy or of the kiosk: the kiosk and the sorting
office's counter both use them.
"""
