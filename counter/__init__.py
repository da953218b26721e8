"""The staff controls of one counter (``onestop-counter``): buttons, light and small display.

    device, link = open_link("/etc/onestop/device.toml", "counter")   # mqttlink.bootstrap
    with CounterDevice(link) as desk:    # builds the desk from its config/device slice, then rebuilds it
        link.start()                     # presses become requests; state/counter drives the light and LCD
        ...

``controller`` decides what each press means (the repeat window, the transfer
choice, refusing while the hub is away) from button events and the hub's
retained state, with no pins and no MQTT; ``indications`` are the light's
meanings and blink patterns, ``screen`` what the LCD or the 4-digit module
shows; ``device`` builds the drivers of ``hardware`` from the site file
(``CounterHardware``) and wires them to the controller and the link
(``CounterDevice``), printing the sorting office's second ticket;
``console`` is ``--console``, the keyboard instead of the buttons.
"""
