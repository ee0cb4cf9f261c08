"""The conformance kit: load scenarios, start their servers, run a runner, normalise, compare.

See docs/conformance.md for the formats. Entry points: :func:`load_scenarios`,
:func:`run_all` (used by ``swoole-compat conformance``) and :func:`run_one`.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import os
import re
import shlex
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Any, Callable

from .server import ScriptedServer, tls_path
from .values import decode_bytes

DATA_DIR = os.path.join(os.path.dirname(__file__), "data")
SCENARIO_DIR = os.path.join(DATA_DIR, "scenarios")
EXPECTED_DIR = os.path.join(DATA_DIR, "expected")
SWOOLE_SOURCE = "swoole 6.2.1"

DEFAULT_RUNNER = [sys.executable, "-m", "swoole_compat.conformance.runner"]

SWOOLE_EXCEPTIONS = {"ClientException", "SwooleException", "SwooleError"}


# -- loading -------------------------------------------------------------------------------------
def load_scenarios(directory: str = SCENARIO_DIR, only: str | None = None) -> list[dict[str, Any]]:
    out = []
    for fname in sorted(os.listdir(directory)):
        if not fname.endswith(".json"):
            continue
        with open(os.path.join(directory, fname), encoding="utf-8") as fh:
            scn = json.load(fh)
        scn.setdefault("name", fname[:-5])
        if only and not any(fnmatch.fnmatchcase(scn["name"], g) for g in only.split(",")):
            continue
        out.append(scn)
    return out


def load_expected(name: str, directory: str = EXPECTED_DIR) -> dict[str, Any] | None:
    path = os.path.join(directory, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)  # type: ignore[no-any-return]


# -- substitution ------------------------------------------------------------------------------
def substitute(value: Any, subs: dict[str, Any]) -> Any:
    """Replace placeholders in every string; a string that *is* a placeholder takes its value
    (so ``"$PORT"`` becomes an int)."""
    if isinstance(value, str):
        if value in subs:
            return subs[value]
        for key in sorted(subs, key=len, reverse=True):
            if key in value:
                value = value.replace(key, str(subs[key]))
        return value
    if isinstance(value, list):
        return [substitute(v, subs) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, subs) for k, v in value.items()}
    return value


# -- normalisation -----------------------------------------------------------------------------
KEY_RE = re.compile(r"(?i)(sec-websocket-key:[ \t]*)([A-Za-z0-9+/=]+)")
ACCEPT_RE = re.compile(r"(?i)(sec-websocket-accept:[ \t]*)([A-Za-z0-9+/=]+)")
BOUNDARY_RE = re.compile(r"boundary=([-A-Za-z0-9_.]+)")
DROPPED_HEADERS = {"date"}


def _reverse_subs(subs: dict[str, Any]) -> list[tuple[re.Pattern[str], str]]:
    pairs = []
    seen: set[str] = set()
    for key, val in sorted(subs.items(), key=lambda kv: len(kv[0])):  # "$PORT" before "$PORT:main"
        if str(val) in seen:
            continue
        seen.add(str(val))
        sval = str(val)
        if key.startswith("$PORT") and sval.isdigit() and int(sval) > 0:
            pairs.append((re.compile(r"(?<!\d)" + re.escape(sval) + r"(?!\d)"), key))
        elif key in ("$TMP",) or key.startswith("$UNIX"):
            pairs.append((re.compile(re.escape(sval)), key))
    # longest literal first ($TMP/x.sock before $TMP)
    pairs.sort(key=lambda p: len(p[0].pattern), reverse=True)
    return pairs


def _norm_str(s: str, pairs: list[tuple[re.Pattern[str], str]], boundaries: list[str]) -> str:
    for pattern, key in pairs:
        s = pattern.sub(key, s)
    s = KEY_RE.sub(r"\1$KEY", s)
    s = ACCEPT_RE.sub(r"\1$ACCEPT", s)
    for b in boundaries:
        s = s.replace(b, "$BOUNDARY")
    return s


def _collect_boundaries(value: Any, found: list[str]) -> None:
    if isinstance(value, str):
        for m in BOUNDARY_RE.finditer(value):
            if m.group(1) not in found:
                found.append(m.group(1))
    elif isinstance(value, list):
        for v in value:
            _collect_boundaries(v, found)
    elif isinstance(value, dict):
        for v in value.values():
            _collect_boundaries(v, found)


def _norm(value: Any, pairs: list[tuple[re.Pattern[str], str]], boundaries: list[str]) -> Any:
    if isinstance(value, str):
        return _norm_str(value, pairs, boundaries)
    if isinstance(value, list):
        return [_norm(v, pairs, boundaries) for v in value]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k.lower() == "sec-websocket-key" and isinstance(v, str):
                v = "$KEY"
            elif k == "port" and isinstance(v, int) and not isinstance(v, bool):
                v = _norm_str(str(v), pairs, boundaries)
                v = int(v) if v.isdigit() else v
            out[_norm_str(k, pairs, boundaries)] = _norm(v, pairs, boundaries)
        return out
    return value


def _norm_steps(steps: list[Any], scn_steps: list[dict[str, Any]]) -> list[Any]:
    out = []
    for obs, step in zip(steps, scn_steps):
        if not isinstance(obs, dict):
            out.append(obs)
            continue
        obs = dict(obs)
        if not step.get("timed"):
            obs.pop("elapsed", None)
        obs.pop("log", None)
        exc = obs.get("exception")
        if isinstance(exc, dict) and exc.get("class") not in SWOOLE_EXCEPTIONS:
            obs["exception"] = {"class": exc.get("class")}
        state = obs.get("state")
        if isinstance(state, dict) and isinstance(state.get("headers"), dict):
            state = dict(state)
            state["headers"] = {k: v for k, v in state["headers"].items() if k.lower() not in DROPPED_HEADERS}
            if "sec-websocket-accept" in state["headers"]:
                state["headers"]["sec-websocket-accept"] = "$ACCEPT"
            obs["state"] = state
        if "join" in step and isinstance(obs.get("return"), list):
            spawned: list[dict[str, Any]] = next((s.get("spawn", []) for s in scn_steps if s.get("id") == step["join"]), [])
            obs["return"] = _norm_steps(obs["return"], spawned)
        out.append(obs)
    out.extend(steps[len(scn_steps):])
    return out


def path_pattern(pattern: str) -> re.Pattern[str]:
    """An ``ignore`` pattern: a path such as ``client[3].state.errMsg`` where ``*`` matches any
    run of characters (brackets are literal)."""
    return re.compile("".join(".*" if c == "*" else re.escape(c) for c in pattern) + r"\Z")


def _drop_paths(value: Any, patterns: list[str], path: str = "") -> Any:
    compiled = [path_pattern(p) for p in patterns]
    return _drop(value, compiled, path) if compiled else value


def _drop(value: Any, patterns: list[re.Pattern[str]], path: str) -> Any:
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            sub = f"{path}.{k}" if path else k
            if not any(p.match(sub) for p in patterns):
                out[k] = _drop(v, patterns, sub)
        return out
    if isinstance(value, list):
        # dropped list items become null so that later indices keep their meaning
        return [None if any(p.match(f"{path}[{i}]") for p in patterns) else _drop(v, patterns, f"{path}[{i}]")
                for i, v in enumerate(value)]
    return value


def normalise(observation: dict[str, Any], scn: dict[str, Any], subs: dict[str, Any]) -> dict[str, Any]:
    pairs = _reverse_subs(subs)
    boundaries: list[str] = []
    _collect_boundaries(observation, boundaries)
    obs = _norm(observation, pairs, boundaries)
    obs["client"] = _norm_steps(obs.get("client", []), scn.get("client", []))
    return _drop_paths(obs, list(scn.get("ignore", [])))  # type: ignore[no-any-return]


# -- comparison --------------------------------------------------------------------------------
def diff(expected: Any, actual: Any, path: str = "", tolerance: float = 0.25) -> list[str]:
    """Paths where ``actual`` differs from ``expected`` (``elapsed`` within ``tolerance`` s)."""
    if path.endswith(".elapsed") and isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return [] if abs(expected - actual) <= max(tolerance, 0.2 * expected) else [path]
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = []
        for k in list(expected) + [k for k in actual if k not in expected]:
            sub = f"{path}.{k}" if path else k
            if k not in expected or k not in actual:
                out.append(sub)
            else:
                out.extend(diff(expected[k], actual[k], sub, tolerance))
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        out = []
        for i in range(max(len(expected), len(actual))):
            sub = f"{path}[{i}]"
            if i >= len(expected) or i >= len(actual):
                out.append(sub)
            else:
                out.extend(diff(expected[i], actual[i], sub, tolerance))
        return out
    if isinstance(expected, bool) or isinstance(actual, bool):
        return [] if expected is actual else [path]
    return [] if expected == actual else [path]


# -- running -----------------------------------------------------------------------------------
@dataclass
class Result:
    name: str
    section: str
    status: str  # pass | fail | deviation | known | error | noexp
    observation: dict[str, Any] | None = None
    expected: dict[str, Any] | None = None
    source: str | None = None
    paths: list[str] = field(default_factory=list)
    note: str = ""
    stderr: str = ""

    @property
    def against_swoole(self) -> bool:
        return bool(self.source and self.source.startswith("swoole "))


async def observe(scn: dict[str, Any], runner: list[str], timeout: float = 30.0) -> tuple[dict[str, Any], str]:
    """Run one scenario once: servers + runner subprocess → (normalised observation, stderr)."""
    workdir = tempfile.mkdtemp(prefix="swcc-")
    servers: dict[str, ScriptedServer] = {}
    try:
        for name, spec in scn.get("servers", {}).items():
            servers[name] = ScriptedServer(name, spec, workdir, servers)
        for srv in servers.values():
            await srv.start()
        subs: dict[str, Any] = {"$HOST": "127.0.0.1", "$TMP": workdir, "$CAFILE": tls_path("ca.pem"),
                                "$CERT": tls_path("server.pem"), "$KEYFILE": tls_path("server.key"),
                                "$SELFSIGNED": tls_path("selfsigned.pem")}
        if not servers:  # "$PORT" still names something: a port nobody listens on
            servers["main"] = ScriptedServer("main", {"refuse": True}, workdir, servers)
            await servers["main"].start()
        first = next(iter(servers), None)
        for name, srv in servers.items():
            subs[f"$PORT:{name}"] = srv.port
            if srv.unix_path:
                subs[f"$UNIX:{name}"] = srv.unix_path
        if first is not None:
            subs["$PORT"] = servers[first].port
            if servers[first].unix_path:
                subs["$UNIX"] = servers[first].unix_path
        for fname, content in scn.get("files", {}).items():
            with open(os.path.join(workdir, fname), "wb") as fh:
                fh.write(decode_bytes(content))
        resolved = {"name": scn["name"], "client": substitute(scn.get("client", []), subs)}
        path = os.path.join(workdir, "scenario.json")
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(resolved, fh)
        env = dict(os.environ, SWOOLE_COMPAT_CONFORMANCE="1")
        proc = await asyncio.create_subprocess_exec(*runner, path, stdout=asyncio.subprocess.PIPE,
                                                    stderr=asyncio.subprocess.PIPE, cwd=workdir, env=env)
        try:
            out, err = await asyncio.wait_for(proc.communicate(), timeout=float(scn.get("timeout", timeout)))
        except asyncio.TimeoutError:
            proc.kill()
            out, err = await proc.communicate()
            err += b"\n[kit] runner timed out"
        await asyncio.sleep(0.1)  # let the servers see the runner's connections close
        for srv in servers.values():
            await srv.stop()
        stderr = err.decode("utf-8", "replace")
        steps = parse_output(out, proc.returncode)
        observation = {"client": steps, "server": {n: s.record() for n, s in servers.items()}}
        return normalise(observation, scn, subs), stderr
    finally:
        for srv in servers.values():
            await srv.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def parse_output(out: bytes, returncode: int | None) -> list[Any]:
    """The runner's steps: stdout is one JSON document (a runtime that also logs on stdout, as
    Swoole's core log does, is tolerated: the last line that parses as a document wins)."""
    text = out.decode("utf-8", "replace")
    candidates = [text] + [line for line in reversed(text.splitlines()) if line.startswith("{")]
    for cand in candidates:
        try:
            document = json.loads(cand)
        except ValueError:
            continue
        if isinstance(document, dict) and isinstance(document.get("steps"), list):
            return document["steps"]  # type: ignore[no-any-return]
    return [{"runner_error": f"exit status {returncode}, no JSON document on stdout"}]


def classify(scn: dict[str, Any], observation: dict[str, Any], expected: dict[str, Any] | None,
             stderr: str = "") -> Result:
    section = str(scn.get("section", "?"))
    if expected is None:
        return Result(scn["name"], section, "noexp", observation, None, None, [], "no expectation recorded", stderr)
    exp_obs = _drop_paths(expected.get("observation", {}), list(scn.get("ignore", [])))
    paths = diff(exp_obs, observation, tolerance=float(scn.get("tolerance", 0.25)))
    source = expected.get("recorded_from")
    if not paths:
        note = "" if str(source).startswith("swoole ") else f"expectation from {source}"
        return Result(scn["name"], section, "pass", observation, exp_obs, source, [], note, stderr)
    if scn.get("deviation"):
        dev = scn["deviation"]
        return Result(scn["name"], section, "deviation", observation, exp_obs, source, paths,
                      f"{dev.get('id', '')}: {dev.get('reason', '')}".strip(": "), stderr)
    if scn.get("known_difference"):
        return Result(scn["name"], section, "known", observation, exp_obs, source, paths,
                      str(scn["known_difference"]), stderr)
    return Result(scn["name"], section, "fail", observation, exp_obs, source, paths, "", stderr)


async def run_one(scn: dict[str, Any], runner: list[str], expected_dir: str = EXPECTED_DIR) -> Result:
    try:
        observation, stderr = await observe(scn, runner)
    except Exception as exc:  # noqa: BLE001
        return Result(scn["name"], str(scn.get("section", "?")), "error", note=f"kit error: {exc!r}")
    return classify(scn, observation, load_expected(scn["name"], expected_dir), stderr)


async def run_all(scenarios: list[dict[str, Any]], runner: list[str] | None = None, jobs: int = 4,
                  expected_dir: str = EXPECTED_DIR,
                  on_result: Callable[[Result], None] | None = None) -> list[Result]:
    runner = runner or DEFAULT_RUNNER
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _loop, _ctx: None)  # TLS handshake failures are expected noise
    sem = asyncio.Semaphore(max(1, jobs))

    async def one(scn: dict[str, Any]) -> Result:
        async with sem:
            result = await run_one(scn, runner, expected_dir)
        if on_result is not None:
            on_result(result)
        return result

    return list(await asyncio.gather(*(one(s) for s in scenarios)))


async def record(scn: dict[str, Any], runner: list[str], runs: int, source: str,
                 expected_dir: str = EXPECTED_DIR) -> tuple[bool, str]:
    """Run ``runs`` times; write the expectation when every run agrees. Returns (written, note)."""
    first: dict[str, Any] | None = None
    for i in range(runs):
        obs, stderr = await observe(scn, runner)
        if first is None:
            first = obs
        elif diff(first, obs, tolerance=float(scn.get("tolerance", 0.25))):
            return False, f"run {i + 1} disagrees with run 1 at {diff(first, obs)[:5]}"
    assert first is not None
    os.makedirs(expected_dir, exist_ok=True)
    doc = {"scenario": scn["name"], "recorded_from": source, "runs": runs, "observation": first}
    with open(os.path.join(expected_dir, scn["name"] + ".json"), "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=1, ensure_ascii=False, sort_keys=False)
        fh.write("\n")
    return True, "recorded"


def runner_command(cmd: str | None) -> list[str]:
    """``--runner CMD`` as argv. Runners run in a scratch directory, so words naming files that
    exist relative to the current directory (``conformance/runner.php``) are made absolute."""
    if not cmd:
        return list(DEFAULT_RUNNER)
    words = shlex.split(cmd)
    return [os.path.abspath(w) if ("/" in w or w.endswith((".php", ".py", ".js"))) and os.path.exists(w) else w
            for w in words]
