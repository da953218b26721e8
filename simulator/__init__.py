"""A whole centre on one machine: the demo, and the back end every test runs against.

    ./onestop demo                 # or: onestop-demo --speed 60 --site siteconf/examples/cnai-lisboa.toml

    with LocalCentre(site, workdir) as centre:      # Mosquitto on the generated config, and the hub
        kiosk = centre.link("kiosk-1")               # one connection per device, its own login
        kiosk.request("issue_ticket", service="reception", language="en")
        probe = centre.monitor()                     # a read-only observer

``centre.LocalCentre`` starts Mosquitto with exactly the files a real hub gets
(per-device credentials, ACLs, optionally the TLS listener) and the real hub;
``actors`` are the simulated visitors, clerks and wall displays of the demo;
``main`` is ``onestop-demo``.
"""
