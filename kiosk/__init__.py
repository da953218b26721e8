"""The touchscreen kiosk: ticket dispenser and information point (``onestop-kiosk``).

    flow = KioskFlow(KioskConfig.from_payloads(site_config, device))   # the visitor's state, no Kivy
    flow.choose_language("uk")
    request = flow.open_entry("health")       # IssueRequest("health", "uk", False): ask the hub
    flow.ticket_issued(reply["ticket"])       # the hub answered: the ticket screen
    views.ticket_view(flow, site_config)      # what that screen says, as plain strings

    app = make_kiosk("/etc/onestop/device.toml")   # kiosk.launch: the Kivy app, not running yet
    app.run()

``flow`` (what the visitor does and what happens to them) and ``views`` (what
each screen says, in their language) are plain Python, tested without a
window; ``screens`` + ``kv/`` (one kv file per screen) only assign views to
widgets; ``app`` wires the flow to the hub (``connection``, over
``mqttlink.DeviceLink``), the printer (``printing``) and the scanner.
``sizing`` keeps every target 15 mm on the glass, ``i18n`` holds the kiosk's
gettext catalogs, ``console`` is ``--console`` (no screen).
"""
