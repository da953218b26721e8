"""``fleet`` and ``doctor`` log in as themselves: every connection stays, the hub's stored session survives.

Issue 10: the broker binds the client id to the identity, so a tool that logged
in with a device's credentials would take the device's connection over
(``fleet`` used the hub's, ``doctor`` its device's).  Each tool has a
read-only identity of its own (``monitor.fleet``, ``doctor.<id>``).  Here
the hub and every device are connected, the displays over the TLS listener
with their certificates, the others with passwords on the loopback listener;
``fleet`` runs with the hub's files, ``doctor`` on the hub (password), on a
kiosk (password) and on a display (its doctor certificate, TLS), once with
the hub up and once while it is away with requests queued in its session.
"""

from __future__ import annotations

import pytest
import tomli_w

from broker_config.generate import TlsListener
from broker_config.runner import free_port
from contract.acl import FLEET_ID, doctor_id
from provisioning.doctor import probe_broker
from provisioning.fleet import read_fleet
from provisioning.identity import DOCTOR_FILE
from siteconf.device import load_device_file
from simulator.centre import FAST, LocalCentre
from sites import SITE_ID, small_site, small_site_dict

PATIENT = FAST.model_copy(update={"request_timeout_s": 30.0, "request_expiry_s": 30.0})
DOCTORED = ("hub", "kiosk-1", "display-ground")


@pytest.fixture
def tls_centre(tmp_path, test_pki):
    cert, key = test_pki.ca.server_paths
    tls = TlsListener(free_port(), str(test_pki.ca.ca_path), str(cert), str(key), str(test_pki.ca.crl_path),
                      host="127.0.0.1")
    centre = LocalCentre(small_site(), tmp_path / "centre", tls=tls).start()
    yield centre
    centre.close()


def device_file_for(centre: LocalCentre, test_pki, device_id: str, folder) -> str:
    """What build installs on a device: its device file, and doctor.toml beside it (the displays on TLS)."""
    folder.mkdir(parents=True)
    broker: dict = {"host": "127.0.0.1", "port": centre.port, "password": centre.credentials.password_for(device_id)}
    tls = None
    if device_id.startswith("display"):
        mine, tls = test_pki.client(device_id), test_pki.client(doctor_id(device_id))
        broker = {"host": "127.0.0.1", "port": centre.tls.port, "tls_ca": mine.ca, "tls_cert": mine.cert,
                  "tls_key": mine.key}
    path = folder / "device.toml"
    path.write_text(tomli_w.dumps({"device_id": device_id, "site_id": SITE_ID, "state_dir": str(folder),
                                   "broker": broker}))
    centre.write_tool_file(folder / DOCTOR_FILE, doctor_id(device_id), tls)
    return str(path)


@pytest.mark.broker
def test_fleet_and_doctor_leave_every_connection_and_the_hubs_stored_session_alone(tls_centre, test_pki, tmp_path):
    centre = tls_centre
    site_file = tmp_path / "site.toml"
    site_file.write_text(tomli_w.dumps(small_site_dict()))
    device_files = {"hub": str(centre.write_hub_device_file(site_file))}  # with fleet.toml, the hub's doctor.toml
    device_files |= {d: device_file_for(centre, test_pki, d, tmp_path / d) for d in DOCTORED if d != "hub"}
    dropped: list[str] = []
    links = {}
    for device in centre.site.devices:
        if device.role != "hub":
            tls = test_pki.client(device.id) if device.role == "display" else None
            links[device.id] = centre.link(device.id, tls=tls, timing=PATIENT)
            links[device.id].on_connection_change = lambda up, d=device.id: up or dropped.append(d)

    def run_the_tools(hub_online: bool) -> None:
        _site, statuses = read_fleet(device_files["hub"], timeout=5)
        assert {s.device: s.online for s in statuses} == {d.id: True for d in centre.site.devices} | \
            {"hub": hub_online}
        for device_id in DOCTORED:
            device = load_device_file(device_files[device_id])
            finding = probe_broker(device, device_files[device_id], timeout=3).finding
            assert finding.status == "ok", finding
            assert f"as {doctor_id(device_id)} and read this device's configuration from the hub" in finding.message

    run_the_tools(hub_online=True)

    centre.stop_hub()  # away, its session stored: the broker queues the kiosk's request for it
    pending = links["kiosk-1"].request_async("issue_ticket", service="reception", language="pt", priority=False)
    run_the_tools(hub_online=False)
    centre.start_hub()
    reply = pending.result(timeout=15)  # the request queued in the hub's session survived the tools
    assert reply["ok"] is True and reply["result"]["ticket"]["code"].startswith("A")

    broker = centre.broker
    assert broker.takeovers() == [] and dropped == [], (broker.takeovers(), dropped)
    logins = broker.logins()
    assert all(client_id == user for client_id, user in logins), logins  # the client id is the identity
    users = {user for _client_id, user in logins}
    assert {FLEET_ID, *(doctor_id(d) for d in DOCTORED)} <= users
    # the hub logged in twice (start, restart), every device once: no tool used their names
    assert sorted(user for _c, user in logins if "." not in user) == \
        sorted(["hub", "hub"] + [d for d in links])


@pytest.mark.broker
def test_a_monitor_sends_no_request_and_the_hub_answers_none(centre):
    """Read only at both ends: DeviceLink refuses to send for a tool, the broker refuses its PUBLISH
    (PUBACK 135), and the hub, which answers only devices of its site file, issues nothing."""
    from mqtt_peer import Peer

    from mqttlink.link import LinkError

    with pytest.raises(LinkError, match="read-only monitor"):
        centre.monitor().request("issue_ticket", service="reception", language="pt", priority=False)
    raw = Peer("127.0.0.1", centre.port, FLEET_ID, centre.credentials.password_for(FLEET_ID), client_id=FLEET_ID,
               log=centre.broker.log_text)  # fleet's login, publishing by hand
    assert raw.connect() == 0
    topics = centre.hub.topics
    assert raw.publish(topics.request(FLEET_ID, "issue_ticket"), b'{"v": 1}') == 135
    assert raw.publish(topics.request("kiosk-1", "issue_ticket"), b'{"v": 1}') == 135
    raw.close()
    assert centre.hub.engine.model.by_ref == {}  # no ticket
    assert centre.link("kiosk-1").request("issue_ticket", service="reception", language="pt", priority=False)
    assert centre.broker.takeovers() == []
