"""The wire contract between the hub and the devices of a site.

Topics (``topics``), the shape of every id and code (``fields``), what is sent
(``payloads``: one builder per payload), the request models and the reply,
ticket, call and event shapes (``messages``), reason codes (``errors``), the
role matrix the broker ACLs come from (``acl``) and the ticket QR payload
(``qr``).  The bottom layer: it imports nothing else of the project.
docs/protocol.md is generated in part from these modules (``contract.docs``,
``python tools/protocol_doc.py --write docs/protocol.md``) and a test keeps the
two in step.

    from contract import payloads
    from contract.topics import HUB_ID, Topics

    topics = Topics("cnai-lisboa")
    client.publish(topics.presence(HUB_ID), payloads.encode(payloads.presence(HUB_ID, "hub", True, now)))
"""

from .topics import CONTRACT_VERSION, HUB_ID, Topics  # noqa: F401
