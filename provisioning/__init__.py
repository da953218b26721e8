"""The technician's tool: from one site file to working devices (``docs/technician.md``).

    onestop-provision new ~/centres/porto --site-id cnai-porto --name "CNAI Porto"
    onestop-provision check ~/centres/porto/site.toml
    onestop-provision build ~/centres/porto/site.toml            # CA, certificates, broker, bundles
    onestop-provision sd-card ~/centres/porto/site.toml kiosk-01 --to /media/$USER/bootfs
    sudo onestop-provision doctor                                # on a device: what is wrong, how to fix it
    sudo onestop-provision fleet                                 # on the hub: who is online, who needs paper

``cli`` is ``onestop-provision``; ``workspace`` and ``sitefile`` keep a site's
folder and edit its site file keeping comments; ``bundle`` lays out each
device's files as installed; ``firstboot``, ``wheelhouse``, ``timesync``,
``units`` and ``udev`` make the offline first boot; ``doctor``, ``fleet``
(through ``device_reports``) and ``operator`` (``void``, ``erase``) are the
tools on site, each with a broker identity of its own (``identity``).
"""
