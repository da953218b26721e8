"""The wire contract between the hub and the devices of a site.

Topics (``topics``), payloads (``messages``), reason codes (``errors``), the
role matrix the broker ACLs come from (``acl``) and the ticket QR payload
(``qr``).  docs/protocol.md is generated in part from these modules
(``python -m contract.docs``) and a test keeps the two in step.
"""

from .topics import CONTRACT_VERSION, HUB_ID, Topics  # noqa: F401
