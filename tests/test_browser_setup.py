"""The browser tests' set-up: Chromium is installed when missing where the machine allows it, and where
it cannot be, the tests fail with a message that says how (they never skip)."""
from __future__ import annotations

import pytest

from bench import ui


def test_missing_chromium_without_apt_fails_and_says_how(monkeypatch, tmp_path):
    monkeypatch.setattr(ui, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.setattr(ui.shutil, "which", lambda name: None)
    with pytest.raises(ui.BrowserSetupError, match="apt-get install chromium"):
        ui.ensure_chromium()


def test_missing_chromium_is_installed_with_apt(monkeypatch, tmp_path):
    target = tmp_path / "chromium"
    calls = []

    def fake_run(cmd, **kw):
        calls.append(cmd)
        if cmd[:2] == ["apt-get", "install"]:
            target.write_text("")
        return type("Done", (), {"returncode": 0, "stderr": ""})()

    monkeypatch.setattr(ui, "CHROMIUM", target)
    monkeypatch.setattr(ui.shutil, "which", lambda name: "/usr/bin/apt-get")
    monkeypatch.setattr(ui.os, "geteuid", lambda: 0)
    monkeypatch.setattr(ui.subprocess, "run", fake_run)
    assert ui.ensure_chromium() == target
    assert calls == [["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]]


def test_a_failed_install_is_reported(monkeypatch, tmp_path):
    monkeypatch.setattr(ui, "CHROMIUM", tmp_path / "chromium")
    monkeypatch.setattr(ui.shutil, "which", lambda name: "/usr/bin/apt-get")
    monkeypatch.setattr(ui.os, "geteuid", lambda: 0)
    monkeypatch.setattr(ui.subprocess, "run", lambda cmd, **kw: type("Done", (), {"returncode": 100,
                                                                                  "stderr": "E: no network"})())
    with pytest.raises(ui.BrowserSetupError, match="no network"):
        ui.ensure_chromium()
