"""Runs an Argo CD health check (Lua) on an object, with the real Lua 5.1 interpreter.

Argo CD runs health.lua with the object as the global `obj` (converted from JSON) and takes
the returned table's `status` and `message`, in a VM limited to the base, table, string and
math libraries. The harness does the same: Python writes the object as a Lua table literal,
and lua5.1 runs the unchanged script file as a chunk whose environment holds only those
libraries and `obj`.
"""

from __future__ import annotations

import datetime
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

_HARNESS = """
local obj = %(obj)s
local chunk = assert(loadfile(%(script)s))
local env = {obj = obj, string = string, table = table, math = math}
for _, name in ipairs({"assert", "error", "ipairs", "next", "pairs", "pcall", "select",
                       "tonumber", "tostring", "type", "unpack", "xpcall"}) do
  env[name] = _G[name]
end
setfenv(chunk, env)
local hs = chunk()
if type(hs) ~= "table" then error("health script returned " .. type(hs)) end
io.write(tostring(hs.status or ""), "\\n", tostring(hs.message or ""))
"""

_DUMP = """
local function str(s)
  return '"' .. s:gsub('[%%c"\\\\]', function(c)
    return string.format("\\\\u%%04x", c:byte())
  end) .. '"'
end
local function dump(v)
  local t = type(v)
  if t == "table" then
    local keys, n = {}, 0
    for k in pairs(v) do keys[#keys + 1] = k; n = n + 1 end
    if n > 0 and #v == n then
      local items = {}
      for i = 1, n do items[i] = dump(v[i]) end
      return "[" .. table.concat(items, ",") .. "]"
    end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    local parts = {}
    for _, k in ipairs(keys) do
      parts[#parts + 1] = str(tostring(k)) .. ":" .. dump(v[k])
    end
    return "{" .. table.concat(parts, ",") .. "}"
  elseif t == "string" then return str(v)
  elseif t == "number" then return string.format("%%.17g", v)
  else return tostring(v) end
end
io.write(dump(%(obj)s))
"""


def lua_binary() -> str:
    found = shutil.which("lua5.1")
    if found is None:
        pytest.fail("lua5.1 is not installed (Debian package lua5.1; .ci/run installs it)")
    return found


def _string(text: str) -> str:
    out = []
    for byte in text.encode("utf-8"):
        char = chr(byte)
        if char.isascii() and char.isprintable() and char not in '"\\':
            out.append(char)
        else:
            out.append(f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


def lua_literal(value: Any) -> str:  # noqa: PLR0911 - one return per type
    """`value` (parsed YAML/JSON) as a Lua expression, the way Argo CD converts objects:
    maps to tables with string keys, lists to 1-based arrays, null to nil."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return _string(value.isoformat().replace("+00:00", "Z"))
    if isinstance(value, list):
        return "{" + ", ".join(lua_literal(item) for item in value) + "}"
    if isinstance(value, dict):
        return (
            "{"
            + ", ".join(f"[{_string(str(k))}] = {lua_literal(v)}" for k, v in value.items())
            + "}"
        )
    raise TypeError(f"cannot convert {type(value).__name__} to Lua")


def _lua(program: str) -> str:
    ran = subprocess.run(
        [lua_binary(), "-"], input=program, capture_output=True, text=True, check=False, timeout=30
    )
    assert ran.returncode == 0, f"lua5.1 failed:\n{ran.stderr}"
    return ran.stdout


def run_health(script: Path, obj: dict[str, Any]) -> tuple[str, str]:
    """(status, message) that the health script returns for `obj`."""
    output = _lua(_HARNESS % {"obj": lua_literal(obj), "script": _string(str(script))})
    status, _, message = output.partition("\n")
    return status, message


def round_trip(obj: Any) -> Any:
    """`obj` converted to Lua and printed back by Lua as JSON: proves the conversion."""
    return json.loads(_lua(_DUMP % {"obj": lua_literal(obj)}))
