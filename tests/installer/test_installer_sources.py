"""The installer's sources, checked without building the frozen app (that is installer/build_linux.sh and
smoke_test.sh, minutes long): the spec, the scripts, the menu entry, the WiX source and the example policies.
Where wixl is installed, the MSI is built from the WiX source over a stand-in payload."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gvm_desktop.core.demo_accounts import DEMO_ACCOUNTS
from gvm_desktop.core.machine_policy import parse_machine_policy
from gvm_desktop.core.policy import Role

REPO = Path(__file__).resolve().parents[2]
INSTALLER = REPO / "installer"
WXS = INSTALLER / "windows" / "gvm-desktop.wxs"
WIX = "{http://schemas.microsoft.com/wix/2006/wi}"
# The one UpgradeCode for the life of the product (installer/README.md): a new one orphans every install.
UPGRADE_CODE = "2B520E07-4106-47B6-B602-4273E8D27B4D"
SCRIPTS = ("build_linux.sh", "build_deb.sh", "smoke_test.sh", "windows/build_msi.sh")


def test_the_spec_and_its_entry_point_are_python() -> None:
    for name in ("gvm-desktop.spec", "entry.py"):
        path = INSTALLER / name
        compile(path.read_text(encoding="utf-8"), str(path), "exec")


def test_the_spec_builds_one_folder_with_a_console_executable_and_on_windows_a_windowed_one() -> None:
    spec = (INSTALLER / "gvm-desktop.spec").read_text(encoding="utf-8")
    assert "COLLECT(" in spec, "one-folder: a COLLECT step; one-file would unpack to temp"
    assert 'executable("gvm-desktop", console=True)' in spec
    assert 'executable("gvm-desktop-gui", console=False)' in spec
    assert "upx=False" in spec


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_scripts_parse(script: str) -> None:
    done = subprocess.run(["bash", "-n", str(INSTALLER / script)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr


def test_the_smoke_test_signs_in_with_the_published_auditor_password() -> None:
    auditor = next(a for a in DEMO_ACCOUNTS if a.role is Role.AUDITOR)
    script = (INSTALLER / "smoke_test.sh").read_text(encoding="utf-8")
    assert f'auditor="{auditor.username}"' in script
    assert f'auditor_password="{auditor.password}"' in script


def test_the_desktop_entry_has_what_a_menu_needs() -> None:
    path = REPO / "resources" / "gvm-desktop.desktop"
    entry = configparser.ConfigParser(interpolation=None, strict=True)
    entry.optionxform = str  # type: ignore[assignment,method-assign]  # the keys are case-sensitive
    entry.read(path, encoding="utf-8")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application"
    assert desktop["Exec"] == "gvm-desktop", "the .deb's /usr/bin/gvm-desktop"
    assert desktop["Icon"] == "gvm-desktop", "the .deb's hicolor icons"
    assert desktop["Name"]
    assert desktop["Categories"].endswith(";")
    assert desktop["Terminal"] == "false"
    if shutil.which("desktop-file-validate"):
        done = subprocess.run(["desktop-file-validate", str(path)], capture_output=True, text=True, timeout=30)
        # Its hints (another category beside Security) are advice; errors and warnings are not.
        assert done.returncode == 0 and not re.search(r": (error|warning):", done.stdout), done.stdout + done.stderr


def test_the_deb_ships_every_icon_size_and_the_policy_only_as_an_example() -> None:
    script = (INSTALLER / "build_deb.sh").read_text(encoding="utf-8")
    for size in (48, 128, 256):
        assert (REPO / "resources" / f"gvm-desktop-{size}.png").is_file()
    assert "usr/share/doc/gvm-desktop/policy.example.toml" in script
    assert "/etc/" not in re.sub(r"#.*", "", script), "the workstation's administrator writes /etc, not the package"
    control = (INSTALLER / "debian" / "control.in").read_text(encoding="utf-8")
    for placeholder in ("@VERSION@", "@ARCH@", "@INSTALLED_SIZE@", "@DEPENDS@", "@MAINTAINER@"):
        assert placeholder in control


def _wix() -> ET.Element:
    return ET.parse(WXS).getroot()


def test_the_wix_source_installs_per_machine_with_a_fixed_upgrade_code() -> None:
    product = _wix().find(f"{WIX}Product")
    assert product is not None
    assert product.get("UpgradeCode") == UPGRADE_CODE
    assert product.get("Id") == "*", "a new ProductCode each build: every MSI is a major upgrade"
    package = product.find(f"{WIX}Package")
    assert package is not None and package.get("InstallScope") == "perMachine"
    assert product.find(f"{WIX}MajorUpgrade") is not None
    assert UPGRADE_CODE in (INSTALLER / "README.md").read_text(encoding="utf-8")


def test_the_wix_source_installs_into_program_files_with_a_start_menu_entry() -> None:
    root = _wix()
    folders = {d.get("Id"): d for d in root.iter(f"{WIX}Directory")}
    assert folders["INSTALLDIR"].get("Name") == "gvm-desktop"
    assert folders["INSTALLDIR"] in list(folders["ProgramFiles64Folder"])
    shortcuts = list(root.iter(f"{WIX}Shortcut"))
    assert len(shortcuts) == 1
    assert shortcuts[0].get("Target") == "[INSTALLDIR]gvm-desktop-gui.exe", "the windowed executable: no console"
    refs = [ref.get("Id") for ref in root.iter(f"{WIX}ComponentGroupRef")]
    assert refs == ["CG.Payload"]


def test_the_installer_never_writes_the_policy_key() -> None:
    for value in _wix().iter(f"{WIX}RegistryValue"):
        assert "Policies" not in (value.get("Key") or ""), "Group Policy's key is the estate's, not the installer's"


def test_the_example_policies_parse_and_agree() -> None:
    values = tomllib.loads((REPO / "resources" / "policy.example.toml").read_text(encoding="utf-8"))
    policy = parse_machine_policy(values, "example")
    assert policy.max_idle_lock_minutes is not None and policy.unencrypted_exports is False
    registry = (INSTALLER / "windows" / "policy.example.reg").read_text(encoding="utf-8")
    assert r"[HKEY_LOCAL_MACHINE\Software\Policies\gvm-desktop]" in registry
    dwords = {name: int(number, 16) for name, number in re.findall(r'^"(\w+)"=dword:([0-9a-f]{8})', registry, re.M)}
    assert dwords == {name: int(value) for name, value in values.items()}


def test_wixl_builds_the_msi_over_a_stand_in_payload(tmp_path: Path) -> None:
    # Not skipped when missing: the README's test command installs wixl and msitools (scripts/system-packages.sh).
    missing = [tool for tool in ("wixl", "wixl-heat", "msiinfo") if shutil.which(tool) is None]
    assert not missing, f"{', '.join(missing)} missing: run `bash scripts/system-packages.sh test` (Debian: wixl msitools)"
    payload = tmp_path / "gvm-desktop"
    for name in ("gvm-desktop.exe", "gvm-desktop-gui.exe", "_internal/python311.dll",
                 "_internal/gvm_desktop/resources/fonts/DejaVuSans.ttf", "_internal/PySide6/plugins/platforms/qwindows.dll"):
        (payload / name).parent.mkdir(parents=True, exist_ok=True)
        (payload / name).write_bytes(b"stand-in " + name.encode())
    msi = tmp_path / "gvm-desktop.msi"
    done = subprocess.run([str(INSTALLER / "windows" / "build_msi.sh"), str(payload), str(msi), "1.2.3"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNING" not in done.stderr and "CRITICAL" not in done.stderr, done.stderr
    assert msi.stat().st_size > 0

    def table(name: str) -> str:
        return subprocess.run(["msiinfo", "export", str(msi), name], capture_output=True, text=True, timeout=30,
                              check=True).stdout

    assert re.search(r"^ALLUSERS\t1$", table("Property"), re.M)
    assert re.search(r"^ProductVersion\t1\.2\.3$", table("Property"), re.M)
    assert "{" + UPGRADE_CODE + "}" in table("Upgrade")
    assert "[INSTALLDIR]gvm-desktop-gui.exe" in table("Shortcut")
    files = table("File")
    for name in ("gvm-desktop.exe", "gvm-desktop-gui.exe", "python311.dll", "DejaVuSans.ttf", "qwindows.dll"):
        assert f"\t{name}\t" in files
