"""Every area listed as an extension is there: a typo or a lost module would
otherwise hide a whole area (its API and its commands) without an error."""
from __future__ import annotations

from edge.api import EXTENSIONS, installed
from edge.cli import CLI_EXTENSIONS, build_parser


def test_every_listed_blueprint_module_exists_and_is_registered(app):
    assert installed(EXTENSIONS) == list(EXTENSIONS)
    import importlib
    for name in EXTENSIONS:
        assert importlib.import_module(name).bp.name in app.blueprints, name


def test_every_listed_command_line_module_adds_its_commands():
    assert installed(CLI_EXTENSIONS) == list(CLI_EXTENSIONS)
    commands = set(build_parser()._subparsers._group_actions[0].choices)
    for command in ("sync", "central", "camera", "tls", "backup", "restore", "report", "labels"):
        assert command in commands, command
