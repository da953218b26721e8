"""Reason codes of error replies.

A device shows or logs the code; the message is for technicians.  Codes are
part of the contract: never rename one, only add.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    MALFORMED_JSON = "malformed_json"
    UNSUPPORTED_VERSION = "unsupported_version"
    INVALID_FIELDS = "invalid_fields"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNKNOWN_ACTION = "unknown_action"
    UNKNOWN_DEVICE = "unknown_device"
    FORBIDDEN = "forbidden"
    EXPIRED = "expired"
    UNKNOWN_SERVICE = "unknown_service"
    UNKNOWN_COUNTER = "unknown_counter"
    UNKNOWN_TICKET = "unknown_ticket"
    NOT_PRIORITY_ELIGIBLE = "not_priority_eligible"
    ILLEGAL_TRANSITION = "illegal_transition"
    RECALL_LIMIT = "recall_limit"
    NO_SHOW_NEEDS_RECALL = "no_show_needs_recall"
    SERVICE_NOT_AT_COUNTER = "service_not_at_counter"
    NOT_A_TRANSFER_TARGET = "not_a_transfer_target"
    COUNTER_CLOSED = "counter_closed"
    SITE_CLOSED = "site_closed"
    UNKNOWN_APPOINTMENT = "unknown_appointment"
    #: the device sent more requests than its limit (site file ``limits``); nothing was read
    RATE_LIMITED = "rate_limited"
    #: the device has issued its ``tickets_per_day``, or the service's ticket numbers are used up
    QUOTA_EXCEEDED = "quota_exceeded"
    #: the request came as QoS 0: the hub would have nothing to acknowledge, so it never applies one
    QOS_REQUIRED = "qos_required"
    #: the hub failed on this request (a bug or a poison payload); nothing of it was applied
    INTERNAL = "internal"
    #: ``answer_survey`` for a ticket whose survey was already answered (issue 14)
    ALREADY_ANSWERED = "already_answered"
    #: ``answer_survey`` for a ticket that was not served (finished) today
    NOT_SERVED = "not_served"
    #: ``issue_ticket`` for a service a supervisor paused for now (``service_state``, issue 17)
    SERVICE_PAUSED = "service_paused"
    #: ``issue_ticket`` for a service a supervisor closed for the rest of the service day
    SERVICE_CLOSED = "service_closed"


class ContractError(Exception):
    """A request the hub refuses; becomes an error reply, changes nothing."""

    def __init__(self, reason: Reason, message: str):
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message
