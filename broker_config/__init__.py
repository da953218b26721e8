"""Mosquitto configuration made from the site file and the wire contract.

``credentials`` keeps one password per device, ``passwords`` hashes them in
Mosquitto 2.0's own format (no mosquitto_passwd needed), ``generate`` writes
mosquitto.conf, the ACL (from ``contract.acl.RULES``) and the password file,
and ``runner`` starts a real broker on exactly those files for tests and demos.
"""

from .credentials import CredentialChanges, CredentialsError, SiteCredentials
from .generate import BrokerFiles, write_broker_files
from .passwords import hash_password, new_password, verify_password
from .runner import BrokerError, Mosquitto, find_mosquitto

__all__ = [
    "BrokerError", "BrokerFiles", "CredentialChanges", "CredentialsError", "Mosquitto",
    "SiteCredentials", "find_mosquitto", "hash_password", "new_password", "verify_password",
    "write_broker_files",
]
