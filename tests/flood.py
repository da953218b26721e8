"""One device's login flooding the hub with issue_ticket requests, as its own process (an attacker
with a kiosk's stolen credentials is another machine: it must not share the hub's interpreter).

    python tests/flood.py PORT SITE USER PASSWORD SECONDS [QOS]

Sends as fast as paho and the broker take them for SECONDS, then prints one JSON line:
{"sent": N, "seconds": S, "answered": N, "ok": N, "codes": {reason: count}}.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import uuid
from collections import Counter

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties


def main(argv: list[str]) -> int:
    port, site, user, password, seconds = int(argv[0]), argv[1], argv[2], argv[3], float(argv[4])
    qos = int(argv[5]) if len(argv) > 5 else 1
    answers: Counter = Counter()
    connected = threading.Event()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"{user}", protocol=mqtt.MQTTv5)
    client.username_pw_set(user, password)
    client.max_inflight_messages_set(1000)
    client.on_connect = lambda c, *_: (c.subscribe(f"oss/v1/{site}/reply/{user}", qos=1), connected.set())

    def on_message(_c, _u, message) -> None:
        reply = json.loads(message.payload)
        answers["ok" if reply["ok"] else reply["error"]["code"]] += 1

    client.on_message = on_message
    client.connect("127.0.0.1", port, keepalive=30)
    client.loop_start()
    connected.wait(5)
    time.sleep(0.2)
    topic = f"oss/v1/{site}/req/{user}/issue_ticket"
    props = Properties(PacketTypes.PUBLISH)
    props.ResponseTopic = f"oss/v1/{site}/reply/{user}"
    sent = 0
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        props.CorrelationData = uuid.uuid4().bytes
        payload = json.dumps({"v": 1, "request_id": uuid.uuid4().hex, "deadline_ms": int((time.time() + 60) * 1000),
                              "service": "reception", "language": "pt"}).encode()
        info = client.publish(topic, payload, qos=qos, properties=props)
        if qos:
            while len(client._out_messages) > 900:  # what paho may have in flight: wait for PUBACKs
                time.sleep(0.001)
        if info.rc == mqtt.MQTT_ERR_SUCCESS:
            sent += 1
    elapsed = time.monotonic() - start
    time.sleep(1.0)
    client.disconnect()
    client.loop_stop()
    print(json.dumps({"sent": sent, "seconds": round(elapsed, 2), "answered": sum(answers.values()),
                      "ok": answers["ok"], "codes": dict(answers)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
