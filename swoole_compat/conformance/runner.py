"""The swoole_compat runner of the conformance kit: ``python -m swoole_compat.conformance.runner FILE``.

Reads a *resolved* scenario (the kit has already replaced ``$HOST``, ``$PORT``… by real values),
runs its client steps with :class:`swoole_compat.coroutine.http.Client` and prints one JSON
observation document on stdout (docs/conformance.md, "Runner protocol").
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import re
import sys
import time
import warnings
from typing import Any

from .values import decode_bytes, encode

INT_KEY = re.compile(r"-?[1-9][0-9]{0,17}|0")

STATE = ("statusCode", "errCode", "errMsg", "headers", "body", "cookies", "connected")

EXCEPTION_NAMES = {
    "ClientException": "ClientException",
    "SwooleException": "SwooleException",
    "SwooleError": "SwooleError",
}


class _LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname}: {record.getMessage()}")


class Runner:
    def __init__(self) -> None:
        from ..coroutine.http import Client
        from ..websocket import CloseFrame, Frame

        self.Client = Client
        self.Frame = Frame
        self.CloseFrame = CloseFrame
        self.clients: dict[str, Any] = {}
        self.collected: dict[str, list[Any]] = {}
        self.tasks: dict[str, asyncio.Task[list[dict[str, Any]]]] = {}
        self.log = _LogCapture()
        logger = logging.getLogger("swoole_compat")
        logger.addHandler(self.log)
        logger.setLevel(logging.INFO)
        logger.propagate = False

    # -- values ------------------------------------------------------------------------------
    def arg(self, value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) == 1 and ("b64" in value or "latin1" in value):
                return decode_bytes(value)
            if "$callback" in value:
                sink = self.collected.setdefault(str(value.get("id", "w")), [])
                kind = value["$callback"]
                if kind == "collect":
                    def collect(_client: Any, data: Any) -> None:
                        sink.append(data)
                    return collect
                if kind == "collect_false":
                    def collect_false(_client: Any, data: Any) -> bool:
                        sink.append(data)
                        return False
                    return collect_false
                raise ValueError(f"unknown callback {kind!r}")
            if "$frame" in value:
                fields = {k: self.arg(v) for k, v in value["$frame"].items()}
                return self.Frame(**fields)
            if "$closeframe" in value:
                fields = {k: self.arg(v) for k, v in value["$closeframe"].items()}
                return self.CloseFrame(**fields)
            # PHP array keys: a canonical decimal string is an integer key (as json_decode gives PHP)
            return {(int(k) if INT_KEY.fullmatch(k) else k): self.arg(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.arg(v) for v in value]
        return value

    # -- steps -------------------------------------------------------------------------------
    async def run_steps(self, steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for step in steps:
            out.append(await self.run_step(step))
        return out

    def state(self, client: Any) -> dict[str, Any]:
        return {name: encode(getattr(client, name, None)) for name in STATE}

    async def run_step(self, step: dict[str, Any]) -> dict[str, Any]:
        obs: dict[str, Any] = {}
        name = step.get("client", "c")
        started = time.monotonic()
        log_mark = len(self.log.lines)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                if "new" in step:
                    self.clients[name] = self.Client(*self.arg(step["new"]))
                    obs["return"] = None
                elif "call" in step:
                    client = self.clients[name]
                    method = getattr(client, step["call"])
                    result = method(*self.arg(step.get("args", [])))
                    if inspect.isawaitable(result):
                        result = await result
                    obs["return"] = encode(result)
                elif "static" in step:
                    cls_name, _, meth = step["static"].partition(".")
                    cls = {"Frame": self.Frame, "CloseFrame": self.CloseFrame}[cls_name]
                    obs["return"] = encode(getattr(cls, meth)(*self.arg(step.get("args", []))))
                elif "read" in step:
                    client = self.clients[name]
                    obs["return"] = {p: encode(getattr(client, p, None)) for p in step["read"]}
                elif "sleep" in step:
                    await asyncio.sleep(float(step["sleep"]))
                elif "spawn" in step:
                    self.tasks[step["id"]] = asyncio.create_task(self.run_steps(step["spawn"]))
                elif "join" in step:
                    obs["return"] = await self.tasks.pop(step["join"])
                elif "collected" in step:
                    obs["return"] = encode(list(self.collected.get(step["collected"], [])))
                elif "read_file" in step:
                    try:
                        with open(step["read_file"], "rb") as fh:
                            obs["return"] = encode(fh.read())
                    except OSError:
                        obs["return"] = False
                elif "write_file" in step:
                    with open(step["write_file"], "wb") as fh:
                        fh.write(decode_bytes(step.get("data", "")))
                else:
                    raise ValueError(f"unknown step {step!r}")
            except Exception as exc:  # noqa: BLE001 - every exception is an observation
                exc_name = type(exc).__name__
                obs["exception"] = {"class": EXCEPTION_NAMES.get(exc_name, exc_name),
                                    "code": getattr(exc, "code", 0) if exc_name in EXCEPTION_NAMES else 0,
                                    "message": str(exc)}
        obs["elapsed"] = round(time.monotonic() - started, 3)
        warns = [str(w.message) for w in caught]
        if warns:
            obs["warnings"] = warns
        logs = self.log.lines[log_mark:]
        if logs:
            obs["log"] = logs
        if ("new" in step or "call" in step) and name in self.clients:
            obs["state"] = self.state(self.clients[name])
        return obs


async def main_async(scenario: dict[str, Any]) -> dict[str, Any]:
    runner = Runner()
    steps = await runner.run_steps(scenario["client"])
    for task in runner.tasks.values():  # spawned but never joined
        task.cancel()
    return {"runner": "swoole_compat", "steps": steps}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m swoole_compat.conformance.runner SCENARIO.json", file=sys.stderr)
        return 2
    with open(args[0], encoding="utf-8") as fh:
        scenario = json.load(fh)
    document = asyncio.run(main_async(scenario))
    sys.stdout.write(json.dumps(document, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
