"""The wall display of one zone: calls shown very large and announced aloud (``onestop-display``).

    board = BoardModel("display-ground")          # what to show, from the hub's messages; no Kivy
    board.on_site_config(site_payload)
    board.on_device_config(device_payload)        # -> the zone to follow
    board.on_zone_state(zone_state_payload)        # the retained picture
    calls = board.on_event(event_payload)          # a live call: on screen at once, and to announce
    view = board.view()                            # BoardView: newest call, previous calls, waits, ticker

    DisplayApp(link, "display-ground").run()       # the Kivy screen (display.main sets Kivy up first)

``board`` decides everything the screen shows (sequence gaps, highlight time,
the offline mark, calls too old to announce) and is tested without a window;
``widgets`` + ``board.kv`` only draw a ``BoardView``; ``feed`` moves MQTT
messages to Kivy's main thread; ``announce/`` plans, synthesises (espeak-ng,
cached) and plays the chime and the spoken calls; ``theme`` holds sizes for
10 m and WCAG colours; ``memory`` keeps the last picture on disk;
``console`` is ``--console`` (no screen).
"""
