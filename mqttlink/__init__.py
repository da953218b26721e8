"""How every device (and tool) talks to its site's broker.

    device, link = open_link("/etc/onestop/device.toml", "kiosk")   # exit 2 with a message on a bad file
    with link:                                                        # start(), then close() on the way out
        link.subscribe(link.topics.site_config(), on_config)          # survives reconnects
        result = link.request("issue_ticket", service="reception", language="uk")
        link.publish_health(printer="ok")

``link.DeviceLink`` is the connection: the device's own credentials (password or
client certificate), a retained presence with a last will, MQTT v5 requests
with response topic, correlation data and expiry, replies as futures, and
subscriptions handed the decoded JSON (``contract.payloads.read``).
``paho_setup.make_client`` is the one place a paho client is made (MQTT v5,
TCP_NODELAY, TLS); ``bootstrap`` starts a role from its device file; ``systemd``
tells systemd a role is ready and alive.
"""
