"""The preload's entry points, read from preload/hooks.def: the one list the library is built from."""
import pathlib
import re

HOOKS_DEF = pathlib.Path(__file__).resolve().parents[2] / "preload" / "hooks.def"
_ENTRY = re.compile(r"^AGENTGUARD_ENTRY\(\s*(\w+),\s*(\w+),\s*(\w+),\s*(\w+),\s*(\w+)\)", re.M)


def entries():
    """(symbol, group, export) for every line of hooks.def."""
    return [(m.group(2), m.group(3), m.group(4)) for m in _ENTRY.finditer(HOOKS_DEF.read_text())]


def exported(group, kind="exported"):
    """The symbols of one group (exec, file, tls, socket) with that export kind."""
    return {symbol for symbol, g, export in entries() if g == group and export == kind}
