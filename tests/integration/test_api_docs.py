"""docs/api.md's curl examples, run as they are written (with the real curl) against a
running server; every answer is checked against the OpenAPI document too. And /api/docs in
headless Chromium: the page loads, lists every endpoint and loads nothing from elsewhere."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from core.models import Match, Search
from tests.integration.api_client import person, serving_api
from tests.integration.test_api import make_match, make_search
from web.api.endpoints import ENDPOINTS

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
_BLOCK = re.compile(r"```bash\n(.*?)```", re.DOTALL)
_EXPECT = re.compile(r"#\s*expect\s+(\d{3})")
_MARK = "\n@@status "


def curl_lines(text: str) -> list[tuple[str, int | None]]:
    """Each curl command of the page's bash blocks, with the status a ``# expect NNN``
    comment right above it asks for (None: any 2xx)."""
    found: list[tuple[str, int | None]] = []
    for block in _BLOCK.findall(text):
        expected: int | None = None
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip()
            if match := _EXPECT.fullmatch(line):
                expected = int(match.group(1))
            elif line.startswith("curl "):
                found.append((line, expected))
                expected = None
    return found


def test_the_page_has_curl_examples_for_every_endpoint() -> None:
    lines = [line for line, _ in curl_lines(DOC.read_text(encoding="utf-8"))]
    assert len(lines) >= len(ENDPOINTS)
    text = "\n".join(lines)
    for endpoint in ENDPOINTS:
        shape = re.sub(r"\{\w+\}", r"[^/?\"]+", endpoint.path)
        method = "" if endpoint.method == "GET" else f"-X {endpoint.method} "
        pattern = re.escape(method) + r'[^\n]*"\$API/api/v1' + shape + r'(\?[^"]*)?"'
        assert re.search(pattern, text), f"no curl example for {endpoint.method} {endpoint.path}"


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
async def test_every_curl_example_runs_against_a_server(db: str) -> None:
    from core import templates

    await templates.seed_templates()
    ann = await person("1001")
    search = await make_search(ann)
    match = await make_match(search, 1)
    examples = curl_lines(DOC.read_text(encoding="utf-8"))
    async with serving_api() as api:
        env = {
            **os.environ,
            "API": api.url,
            "TOKEN": ann.write,
            "DESTINATION_ID": str(ann.destination.id),
            "SEARCH_ID": str(search.id),
            "MATCH_ID": str(match.id),
        }
        for line, expected in examples:
            # The status, method and URL after the body, on a line of their own.
            command = line.replace(
                "curl ", f"curl -w '{_MARK}%{{http_code}} %{{method}} %{{url_effective}}' ", 1
            )
            process = await asyncio.create_subprocess_exec(
                "bash", "-c", command, env=env, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            out, err = await process.communicate()
            assert process.returncode == 0, f"{line}\n{err.decode()}"
            body_text, _, tail = out.decode().rpartition(_MARK)
            status_text, method, url = tail.split(" ", 2)
            status = int(status_text)
            if expected is None:
                assert 200 <= status < 300, f"{line}\n→ {status} {body_text}"
            else:
                assert status == expected, f"{line}\n→ {status} {body_text}"
            body = json.loads(body_text) if body_text else None
            path = urlsplit(url).path
            if path == "/api/v1/openapi.json":
                assert body == api.contract.document
                continue
            api.contract.check(method, path, status, body)
    # What the examples did, they did: a search made (and one from a template), the
    # example search changed and then deleted with its match.
    names = set(await Search.filter(account_id=ann.account.id).values_list("name", flat=True))
    assert names == {"Cheap PS5", "Laptop Bargains"}
    assert not await Match.filter(id=match.id).exists()
    assert len(api.contract.checked) == len(examples) - 1  # all but openapi.json itself
