"""The queue authority of a site: the only place tickets are numbered and called.

    onestop-hub --device /etc/onestop/device.toml      # systemd runs it; SIGHUP re-reads the site file

or, in a program (the demo and the tests, through ``simulator.LocalCentre``):

    site = load_site("site.toml")
    with HubService(site, "hub.db", BrokerAddress("127.0.0.1", 1883, HUB_ID, password)) as hub:
        hub.wait_ready()

``queues`` holds the current service day's queues as pure logic (``QueueModel``:
issue, call by the priority ratio and weighted wait, recall, no-show, transfer,
void); ``engine`` judges a batch of requests, applies them, persists them in one
SQLite transaction (``store``) and says what to publish (replies, events, the
retained ``snapshots``), with no I/O of its own and time from ``clock``;
``service`` is the paho client, the worker thread and the outbox around it;
``limits`` judges request rates before anything is parsed, ``retention`` folds
old tickets into anonymous daily figures, ``content`` reads the information
point's packs, ``main`` is ``onestop-hub``.  What the hub sends is built by
``contract.payloads``.
"""
