"""A wheelhouse per role (docs/decisions.md, "A wheelhouse per role"): each role's programs run with
its role's wheels alone.  The hub carries no Kivy and the counter no matplotlib, so a module that a
role runs must not import what only another role installs.

Two checks, no network, no Pi: every module a role runs imports here with every distribution outside
its role's requirements blocked (a subprocess, a ``sys.meta_path`` finder that refuses them); and the
imports inside functions (read from the source, which an import does not run) either resolve to the
role's distributions or are listed below with the reason no program of that role reaches them.  On
aarch64 the rehearsal (tests/test_pi_rehearsal.py) imports the same modules in each role's own tree.
"""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import json
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from provisioning.wheelhouse import FROM_DEBIAN, ROLE_MODULES, ROLES, for_the_pi, project_dependencies

REPO = Path(__file__).resolve().parent.parent
OWN = {"contract", "siteconf", "hub", "mqttlink", "broker_config", "kiosk", "display", "counter", "hardware",
       "provisioning", "simulator", "typeset", "report", "guest", "console"}
#: (module, what it imports inside a function) that some roles never reach, and why; an import at
#: a module's top is always followed
ELSEWHERE = {
    ("mqttlink.systemd", "kivy"): "notify_from_kivy_clock: called by the kiosk and the display only",
    ("typeset.fonts", "kivy"): "register_kivy_fonts: called by the kiosk and the display only",
    ("provisioning.testprint", "hardware.printer"): "`onestop-provision test-print`: a device with a printer",
    ("console.staff_cli", "console.accounts"): "`onestop-provision staff`: on the hub, where the accounts are",
    ("provisioning.bundle", "console.main"): "`onestop-provision build`: on the technician's laptop",
    ("provisioning.doctor", "escpos"): "_serial_printer: a device whose site file names a serial printer",
}


def _elsewhere(module: str, name: str, nested: bool) -> bool:
    return nested and any(module == m and (name == prefix or name.startswith(prefix + "."))
                          for m, prefix in ELSEWHERE)


def _name(text: str) -> str:
    return text.lower().replace("_", "-")


def allowed_distributions(role: str) -> set[str]:
    """The distributions a ``role`` device installs: its requirements and theirs, as this machine's
    installed metadata states them (markers for this machine; the Pi's own, lgpio, are not here)."""
    wanted = [Requirement(r) for r in for_the_pi(project_dependencies(extra=role))]
    allowed: set[str] = set()
    while wanted:
        requirement = wanted.pop()
        name = _name(requirement.name)
        if name in allowed:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # the Pi's own (lgpio) or from Debian there (evdev)
        allowed.add(name)
        for text in dist.requires or []:
            nested = Requirement(text)
            if nested.marker is None or any(nested.marker.evaluate({"extra": e}) for e in
                                             ({""} | set(requirement.extras))):
                wanted.append(nested)
    return allowed


def blocked_modules(role: str) -> set[str]:
    allowed = allowed_distributions(role)
    blocked = set()
    for top, dists in metadata.packages_distributions().items():
        if top in OWN or top in sys.stdlib_module_names or top.startswith("_"):
            continue
        if not any(_name(d) in allowed for d in dists):
            blocked.add(top)
    return blocked


RUN = """
import importlib, json, sys
blocked, modules = json.loads(sys.argv[1]), json.loads(sys.argv[2])
class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in blocked:
            raise ModuleNotFoundError(f"{name} is not in this role's wheels", name=name)
sys.meta_path.insert(0, Refuse())
for module in modules:
    importlib.import_module(module)
print(json.dumps(sorted({m.partition(".")[0] for m in sys.modules} & set(blocked))))
"""


@pytest.mark.parametrize("role", ROLES)
def test_a_roles_programs_import_with_its_own_wheels_alone(role):
    blocked = blocked_modules(role)
    assert blocked, "nothing blocked: the check would prove nothing"
    done = subprocess.run([sys.executable, "-c", RUN, json.dumps(sorted(blocked)), json.dumps(ROLE_MODULES[role])],
                          capture_output=True, text=True, cwd=REPO, timeout=240,
                          env={"KIVY_NO_ARGS": "1", "KIVY_NO_CONSOLELOG": "1", "KIVY_NO_FILELOG": "1",
                               "PATH": "/usr/bin:/bin", "HOME": str(REPO / "build")})
    assert done.returncode == 0, f"{role}: {done.stderr[-2500:]}"
    assert json.loads(done.stdout.splitlines()[-1]) == []


def test_the_check_refuses_what_a_role_lacks():
    """The refusal is real: the hub's Python cannot import Kivy, the kiosk's cannot import matplotlib."""
    for role, module in (("hub", "kivy"), ("counter", "kivy"), ("kiosk", "matplotlib"), ("display", "aiohttp")):
        blocked = blocked_modules(role)
        assert module in blocked, (role, module)
        done = subprocess.run([sys.executable, "-c", RUN, json.dumps(sorted(blocked)),
                               json.dumps([module])], capture_output=True, text=True, cwd=REPO, timeout=120)
        assert done.returncode != 0 and "not in this role's wheels" in done.stderr


def _module_file(module: str) -> Path | None:
    base = REPO.joinpath(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.exists():
            return path
    return None


def _imports(module: str) -> list[tuple[str, bool]]:
    """(imported name, inside a function?) of a module of the project; relative names made absolute."""
    path = _module_file(module)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []

    def visit(node, nested: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = nested or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.Import):
                found.extend((alias.name, nested) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    parts = package.split(".")
                    base = ".".join(parts[:len(parts) - child.level + 1])
                    name = f"{base}.{child.module}" if child.module else base
                else:
                    name = child.module or ""
                found.append((name, nested))
                found.extend((f"{name}.{alias.name}", nested) for alias in child.names)
            visit(child, inner)

    visit(tree, False)
    return found


def _own_module(name: str) -> str | None:
    parts = name.split(".")
    while parts:
        if _module_file(".".join(parts)) is not None:
            return ".".join(parts)
        parts.pop()
    return None


@pytest.mark.parametrize("role", ROLES)
def test_imports_inside_functions_stay_within_the_roles_wheels(role):
    blocked = blocked_modules(role) | ({"evdev"} if role != "kiosk" else set())
    seen: set[str] = set()
    todo = list(ROLE_MODULES[role])
    wrong = []
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        for name, nested in _imports(module):
            top = name.partition(".")[0]
            if _elsewhere(module, name, nested):
                continue
            if top in OWN:
                own = _own_module(name)
                if own:
                    todo.extend(".".join(own.split(".")[:k]) for k in range(1, own.count(".") + 2))
            elif top in blocked:
                wrong.append(f"{module} imports {name}" + (" (in a function)" if nested else ""))
    assert len(seen) > 20
    assert not sorted(set(wrong)), f"{role} runs modules that import what its wheels lack: {sorted(set(wrong))}"
