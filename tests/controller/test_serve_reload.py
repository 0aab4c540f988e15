"""`hotline serve` as a process: SIGHUP reloads the hotline files (a bad file keeps the old
configuration, the server stays up), SIGTERM stops it cleanly. AMI is the simulator's."""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from hotline.clock import ScaledClock
from hotline.config import config_dir
from hotline.sim import AmiServer, FixedSounds, SimPBX
from hotline.sim.ami_users import shipped_user

from .conftest import AMI_SECRET, AMI_USER, DIALPLAN

API_TOKEN = "serve-test-token"
IIN_KEY_HEX = bytes(range(32)).hex()
# Real seconds: the process imports, migrates SQLite and connects in well under this.
LINE_DEADLINE_S = 60.0


class ServeProcess:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []

    async def line_with(self, text: str) -> str:
        """The next log line containing `text` (lines before it are kept in `lines`)."""

        async def scan() -> str:
            assert self.process.stderr is not None
            while True:
                raw = await self.process.stderr.readline()
                if not raw:
                    raise AssertionError(f"serve exited before logging {text!r}: {self.lines}")
                line = raw.decode(errors="replace").rstrip()
                self.lines.append(line)
                if text in line:
                    return line

        return await asyncio.wait_for(scan(), LINE_DEADLINE_S)


@pytest.fixture
async def ami_port() -> AsyncIterator[int]:
    clock = ScaledClock(1.0)
    pbx = SimPBX(clock, DIALPLAN, {}, FixedSounds(1.0), random.Random(3))
    server = AmiServer(pbx, {AMI_USER: shipped_user(AMI_USER, AMI_SECRET)}, clock)
    try:
        yield await server.start("127.0.0.1", 0)
    finally:
        await server.close()
        await pbx.close()


@pytest.fixture
async def serve(ami_port: int, redis_url: str, tmp_path: Path) -> AsyncIterator[ServeProcess]:
    (tmp_path / "config" / "hotlines").mkdir(parents=True)
    shutil.copy(config_dir() / "hotlines" / "400-100.yaml", tmp_path / "config" / "hotlines")
    env = {
        **os.environ,
        "HOTLINE_CONFIG_DIR": str(tmp_path / "config"),
        "HOTLINE_REDIS_URL": redis_url,
        "HOTLINE_AMI_PORT": str(ami_port),
        "HOTLINE_AMI_USERNAME": AMI_USER,
        "HOTLINE_AMI_SECRET": AMI_SECRET,
        "HOTLINE_IIN_KEY": IIN_KEY_HEX,  # 400-100's menu looks IINs up in a list
        "HOTLINE_AGI_PORT": "0",
        "HOTLINE_METRICS_PORT": "0",
        "HOTLINE_HTTP_PORT": "0",
        "HOTLINE_API_TOKEN": API_TOKEN,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import sys; from hotline.cli import main; sys.exit(main())",
        "-v",
        "serve",
        "--hotline",
        "400-100",
        "--data-dir",
        str(tmp_path / "var"),
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield ServeProcess(process)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_sighup_reloads_and_a_bad_file_keeps_the_running_configuration(
    serve: ServeProcess, tmp_path: Path
) -> None:
    path = tmp_path / "config" / "hotlines" / "400-100.yaml"
    http_line = await serve.line_with("HTTP API on 127.0.0.1:")
    await serve.line_with("serving 400-100")
    # The operators' HTTP API answers on the port it logged.
    port = int(http_line.rsplit(":", 1)[1])
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        listing = await http.get(
            "/api/hotlines/400-100/operators", headers={"Authorization": f"Bearer {API_TOKEN}"}
        )
    assert listing.status_code == 200
    assert set(listing.json()["operators"]) == {f"op{n:02d}" for n in range(1, 11)}

    serve.process.send_signal(signal.SIGHUP)
    await serve.line_with("reload: unchanged: 400-100")

    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("ring_timeout_s: 20", "ring_timeout_s: 25"), encoding="utf-8")
    serve.process.send_signal(signal.SIGHUP)
    await serve.line_with("reload: new configuration for new calls of 400-100")

    path.write_text(text.replace("start: main", "start: nowhere"), encoding="utf-8")
    serve.process.send_signal(signal.SIGHUP)
    error = await serve.line_with("reload: hotline 400-100 keeps its configuration")
    # The error's lines follow the log line: the file, its line and the field.
    await serve.line_with(f"{path}:31: menu.start: start node 'nowhere'")
    assert "ERROR" in error

    serve.process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(serve.process.wait(), LINE_DEADLINE_S) == 0
