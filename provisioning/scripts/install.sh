#!/bin/bash
# install.sh: install the One-Stop-Shop firmware on a Raspberry Pi from this bundle, offline.
#
# Run as root from the boot partition by firstrun.sh (Raspberry Pi OS Bookworm) or by
# cloud-init's runcmd (newer images), both written by `onestop-provision sd-card`:
#     bash /boot/firmware/onestop/install.sh [all|configure|packages]
# configure: service user and groups, the bundle's etc/ tree (device file, certificates,
#            units, udev rules, time), host name, time zone, Wi-Fi, the firmware in
#            /opt/onestop/venv from the bundle's wheelhouse (no internet), the role's service.
# packages:  the Debian packages the role needs (from debs/ in the bundle, else apt);
#            without network it leaves onestop-packages.service to retry at the next boot.
# Afterwards the secrets (device key, passwords, Wi-Fi) are removed from the boot partition.
#
# ONESTOP_ROOT=/a/folder installs into that folder instead of / (tests): no users, no
# chown, and systemctl calls are written to var/lib/onestop-setup/systemctl.log.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="${ONESTOP_ROOT:-}"
PHASE="${1:-all}"
SETUP="$ROOT/var/lib/onestop-setup"
VENV="$ROOT/opt/onestop/venv"
MARK="$ROOT/etc/onestop/installed"

# shellcheck source=/dev/null
. "$HERE/manifest.env"

# each line with the time (UTC): a technician reading the first boot's log sees what took long
log() { echo "onestop-install [$DEVICE_ID] $(date -u +%H:%M:%S): $*"; }
real_system() { [ -z "$ROOT" ]; }
run_systemctl() {
    if real_system; then systemctl "$@"; else echo "systemctl $*" >> "$SETUP/systemctl.log"; fi
}

configure() {
    if [ ! -d "$HERE/etc" ]; then
        if [ -e "$MARK" ]; then log "already installed ($(cat "$MARK"))"; return 0; fi
        log "this bundle has no etc/ folder: rebuild it with onestop-provision"; exit 3
    fi
    mkdir -p "$SETUP" "$ROOT/etc/onestop"

    log "service user and hardware groups"
    if real_system; then
        for group in $HW_GROUPS; do getent group "$group" >/dev/null || groupadd --system "$group"; done
        getent group onestop >/dev/null || groupadd --system onestop
        id onestop >/dev/null 2>&1 || useradd --system --gid onestop --home-dir /var/lib/onestop \
            --no-create-home --shell /usr/sbin/nologin onestop
    fi

    log "configuration, certificates, units, udev rules, time"
    cp -R --no-preserve=ownership "$HERE/etc/." "$ROOT/etc/"
    chmod 0750 "$ROOT/etc/onestop"
    chmod 0640 "$ROOT/etc/onestop/device.toml"
    if [ -d "$ROOT/etc/onestop/tls" ]; then
        chmod 0750 "$ROOT/etc/onestop/tls"
        chmod 0640 "$ROOT/etc/onestop/tls/device.key"
    fi
    # doctor's and fleet's own broker identities: for root (sudo onestop-provision ...) only
    for secret in doctor.toml fleet.toml tls/doctor.key; do
        if [ -f "$ROOT/etc/onestop/$secret" ]; then chmod 0600 "$ROOT/etc/onestop/$secret"; fi
    done
    real_system && chown -R root:onestop "$ROOT/etc/onestop"
    protect_broker_files
    guest_page_server
    supervisor_console

    log "host name $HOST_NAME, time zone $TIMEZONE"
    echo "$HOST_NAME" > "$ROOT/etc/hostname"
    if [ -f "$ROOT/etc/hosts" ] && grep -q '^127\.0\.1\.1' "$ROOT/etc/hosts"; then
        sed -i "s/^127\.0\.1\.1.*/127.0.1.1\t$HOST_NAME/" "$ROOT/etc/hosts"
    else
        printf '127.0.1.1\t%s\n' "$HOST_NAME" >> "$ROOT/etc/hosts"
    fi
    ln -sf "/usr/share/zoneinfo/$TIMEZONE" "$ROOT/etc/localtime"
    echo "$TIMEZONE" > "$ROOT/etc/timezone"

    if [ -f "$HERE/wifi.nmconnection" ]; then
        log "Wi-Fi"
        install -D -m 0600 "$HERE/wifi.nmconnection" \
            "$ROOT/etc/NetworkManager/system-connections/onestop-wifi.nmconnection"
        real_system && command -v rfkill >/dev/null && rfkill unblock wifi || true
    fi

    log "the firmware, from the wheelhouse (no internet needed)"
    firmware
    log "the firmware installed"

    log "services: $SERVICE"
    run_systemctl enable "$SERVICE"
    if [ "$ROLE" != "hub" ]; then
        run_systemctl enable systemd-timesyncd.service
    fi  # the hub's mosquitto and chrony are enabled by the packages step, once installed

    # what the packages phase needs later (no secrets)
    cp "$HERE/install.sh" "$HERE/manifest.env" "$SETUP/"
    if [ -d "$HERE/debs" ]; then cp -R "$HERE/debs" "$SETUP/"; fi
    date -u +"%Y-%m-%dT%H:%M:%SZ $DEVICE_ID" > "$MARK"
}

# the visitors' page server beside the hub (issue 16): a user of its own that reads its own copy of
# guest.toml and nothing of /etc/onestop (the hub reads the other copy for the guest ids' key)
guest_page_server() {
    [ -d "$ROOT/etc/onestop-guest" ] || return 0
    if real_system; then
        getent group onestop-guest >/dev/null || groupadd --system onestop-guest
        id onestop-guest >/dev/null 2>&1 || useradd --system --gid onestop-guest --home-dir /nonexistent \
            --no-create-home --shell /usr/sbin/nologin onestop-guest
        chown -R root:onestop-guest "$ROOT/etc/onestop-guest"
    fi
    chmod 0750 "$ROOT/etc/onestop-guest"
    chmod 0640 "$ROOT/etc/onestop-guest/guest.toml" "$ROOT/etc/onestop/guest.toml"
    run_systemctl enable onestop-guest.service
    guest_firewall
}

# the guest network's firewall (provisioning/guestnet.py), loaded at every boot by Debian's nftables.service;
# nftables is one of the hub's packages, so on a fresh card this runs again after the packages step
guest_firewall() {
    [ -f "$ROOT/etc/nftables.d/onestop-guest.nft" ] || return 0
    if [ -f "$ROOT/lib/systemd/system/nftables.service" ] || [ -f "$ROOT/usr/lib/systemd/system/nftables.service" ]; then
        if [ -f "$ROOT/etc/nftables.conf" ] && ! grep -q 'onestop-guest.nft' "$ROOT/etc/nftables.conf"; then
            echo 'include "/etc/nftables.d/onestop-guest.nft"' >> "$ROOT/etc/nftables.conf"
        fi
        run_systemctl enable nftables.service
    else
        log "nftables is not installed yet: the guest network's firewall is loaded once it is"
    fi
    return 0
}

firmware() {
    local wheels="$HERE/wheelhouse" python="${ONESTOP_PYTHON:-python3}"
    if [ ! -d "$wheels" ]; then log "no wheelhouse/ in the bundle: cannot install the firmware"; exit 3; fi
    if [ ! -x "$VENV/bin/python" ]; then
        mkdir -p "$(dirname "$VENV")"
        # --without-pip: Raspberry Pi OS Lite may lack ensurepip; pip comes from the wheelhouse.
        # --system-site-packages: what PyPI has no aarch64 wheel for comes from Debian (python3-evdev)
        "$python" -m venv --without-pip --system-site-packages "$VENV"
        local pip_wheel
        pip_wheel="$(ls "$wheels"/pip-*.whl 2>/dev/null | head -n 1)"
        if [ -z "$pip_wheel" ]; then log "no pip wheel in the wheelhouse"; exit 3; fi
        "$VENV/bin/python" "$pip_wheel/pip" install --quiet --no-index --find-links "$wheels" pip
    fi
    # exactly the wheels the wheelhouse holds (one version of each), whatever the network
    "$VENV/bin/python" -m pip install --quiet --no-index --no-deps --find-links "$wheels" "$wheels"/*.whl
}

protect_broker_files() {
    local dir="$ROOT/etc/mosquitto/onestop"
    [ -d "$dir" ] || return 0
    chmod 0640 "$dir/passwd"
    [ -f "$dir/tls/server.key" ] && chmod 0640 "$dir/tls/server.key"
    [ -f "$dir/bridge/bridge.key" ] && chmod 0640 "$dir/bridge/bridge.key"
    [ -f "$dir/conf.d/bridge.conf" ] && chmod 0640 "$dir/conf.d/bridge.conf"
    if real_system && getent group mosquitto >/dev/null; then
        chgrp -R mosquitto "$dir"
    fi
    return 0
}

packages() {
    mkdir -p "$SETUP"
    local missing=() package
    for package in $PACKAGES; do
        if ! real_system || ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
            missing+=("$package")
        fi
    done
    if ((${#missing[@]} == 0)); then rm -f "$SETUP/packages-pending"; enable_hub_services; return 0; fi
    echo "${missing[*]}" > "$SETUP/packages-pending"
    if ! real_system; then return 0; fi
    export DEBIAN_FRONTEND=noninteractive
    if [ -d "$SETUP/debs" ] && ls "$SETUP"/debs/*.deb >/dev/null 2>&1; then
        log "Debian packages from the bundle: ${missing[*]}"
        apt-get install -y --no-install-recommends "$SETUP"/debs/*.deb
        log "Debian packages installed"
    elif apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
        log "Debian packages installed: ${missing[*]}"
    else
        log "no network for ${missing[*]}: onestop-packages.service retries at the next boot"
        run_systemctl enable onestop-packages.service
        return 0
    fi
    rm -f "$SETUP/packages-pending"
    run_systemctl disable onestop-packages.service || true
    protect_broker_files
    enable_hub_services
}

enable_hub_services() {
    if [ "$ROLE" = "hub" ]; then run_systemctl enable chrony.service mosquitto.service onestop-report.timer; fi
    if [ "$ROLE" = "hub" ]; then guest_firewall; fi
    return 0
}

# the supervisor's console on the hub (issue 17): a user of its own that reads console.toml, its
# certificate and its copy of the site file in /etc/onestop-console, writes its staff accounts in
# /var/lib/onestop-console (its unit's StateDirectory) and reads the daily reports through the onestop group
supervisor_console() {
    [ -f "$ROOT/etc/onestop-console/console.toml" ] || return 0
    if real_system; then
        getent group onestop-console >/dev/null || groupadd --system onestop-console
        id onestop-console >/dev/null 2>&1 || useradd --system --gid onestop-console --groups onestop \
            --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin onestop-console
        chown -R root:onestop-console "$ROOT/etc/onestop-console"
    fi
    chmod 0750 "$ROOT/etc/onestop-console"
    chmod 0640 "$ROOT"/etc/onestop-console/*
    run_systemctl enable onestop-console.service
}

forget_secrets() {
    [ "${ONESTOP_KEEP_BUNDLE:-}" = "1" ] && return 0
    # the boot partition is FAT: anyone with the card could read these
    rm -rf "$HERE/etc" "$HERE/wifi.nmconnection"
}

case "$PHASE" in
    configure) configure; forget_secrets ;;
    packages) packages ;;
    all) configure; packages; forget_secrets ;;
    *) echo "usage: install.sh [all|configure|packages]" >&2; exit 2 ;;
esac
log "done ($PHASE)"
