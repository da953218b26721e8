"""What the bundle forgot, found by the rehearsal: the Pi's own requirement markers, I2C for an LCD,
and the Debian packages for an offline first boot (issue "The Pi path, rehearsed")."""

from __future__ import annotations

from pathlib import Path


from provisioning.bundle import needs_i2c
from provisioning.debs import deb_name, planned
from provisioning.firstboot import with_i2c
from provisioning.wheelhouse import for_the_pi, project_dependencies
from siteconf import EXAMPLE_SITE, load_site


def test_the_wheelhouse_takes_what_the_pi_needs_not_what_the_laptop_would():
    """pip evaluates markers for the machine it runs on: lgpio (gpiozero's driver on Bookworm)
    was left out of every wheelhouse made on an x86 laptop."""
    wanted = for_the_pi(project_dependencies())
    assert "lgpio>=0.2" in wanted and all(";" not in r for r in wanted)
    assert for_the_pi(["pywin32; sys_platform == 'win32'", "evdev>=1.6; sys_platform == 'linux'"]) == ["evdev>=1.6"]


def test_a_counter_with_an_lcd_turns_i2c_on_and_others_do_not():
    site = load_site(EXAMPLE_SITE)
    lcd = [d.id for d in site.devices if needs_i2c(d)]
    assert lcd and all(site.device(d).small_display.kind == "lcd_i2c" for d in lcd)
    assert not needs_i2c(site.device("kiosk-01"))
    config = "dtparam=audio=on\n#dtparam=i2c_arm=on\ndtparam=i2c_arm=off\n"
    assert with_i2c(config) == "dtparam=audio=on\n#dtparam=i2c_arm=on\ndtparam=i2c_arm=on\n"
    assert with_i2c(with_i2c(config)) == with_i2c(config)


def test_apts_plan_names_the_files_it_downloads():
    simulation = ("NOTE: This is only a simulation!\n"
                  "Inst libbpf1 (1:1.1.2-0+deb12u1 Debian:12.8/stable [arm64])\n"
                  "Inst mosquitto (2.0.11-1.2+deb12u1 Debian-Security:12/stable-security [arm64])\n"
                  "Conf mosquitto (2.0.11-1.2+deb12u1 Debian-Security:12/stable-security [arm64])\n")
    plan = planned(simulation)
    assert plan == [("libbpf1", "1:1.1.2-0+deb12u1", "arm64"), ("mosquitto", "2.0.11-1.2+deb12u1", "arm64")]
    assert deb_name(*plan[0]) == "libbpf1_1%3a1.1.2-0+deb12u1_arm64.deb"


def test_the_hubs_packages_and_their_dependencies_come_down_for_arm64(tmp_path):
    from provisioning.debs import fetch_debs
    debs = fetch_debs(["mosquitto"], tmp_path / "debs", Path("/var/cache/onestop-pi/apt"))
    names = {d.name.split("_")[0] for d in debs}
    assert "mosquitto" in names and "libc6" in names, "without the Pi's status, every dependency comes"
    assert all(d.name.endswith("_arm64.deb") or d.name.endswith("_all.deb") for d in debs)
