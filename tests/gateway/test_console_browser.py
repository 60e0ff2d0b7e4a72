"""The development console in a real browser: headless Chromium, driven over the Chrome DevTools
Protocol (its websocket, through aiohttp), loads the page from a gateway served by uvicorn with
the development issuer configured, types a token, picks a purpose, runs the query and reads the
result pane — the data when the edge lets the request through, the error code when it does not.

Skipped when no Chromium is installed; with SATU_ANAK_REQUIRE_BROWSER=1 (CI) that fails instead.
SATU_ANAK_CHROMIUM names the browser binary; screenshots go to SATU_ANAK_CONSOLE_SCREENSHOTS (a
folder) when set, else to the test's temporary folder."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import uvicorn
from starlette.applications import Starlette

from auth.dev_issuer import DevIssuer
from auth.purposes import Purpose, Role
from auth.sample_users import sample_user
from gateway.config import GatewayConfig
from gateway.engine import Gateway
from gateway.http import create_gateway_app
from gateway.supergraph import parse_supergraph
from tests.auth.auth_support import free_port, serving_dev_issuer
from tests.gateway.gateway_support import FakeSubgraphs

pytestmark = pytest.mark.anyio

REQUIRE = os.environ.get("SATU_ANAK_REQUIRE_BROWSER") == "1"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
SUPERGRAPH = Path(__file__).resolve().parents[2] / "schema" / "supergraph.graphql"
WAIT = 20.0  # seconds any one step (a start-up, a DevTools call, a result) may take
NAME = "Rizky Pratama <b>uji</b>"  # markup from a subgraph must show as text, never as HTML


def find_browser() -> str:
    """The Chromium binary, or skip (fail when the browser is required)."""
    configured = os.environ.get("SATU_ANAK_CHROMIUM")
    for name in (configured,) if configured else BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    reason = f"no Chromium found ({configured or ', '.join(BROWSERS)}); install `chromium`"
    if REQUIRE:
        pytest.fail(f"{reason} (SATU_ANAK_REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(reason)


class Page:
    """One browser tab over its DevTools websocket: calls answered in order, events ignored
    (the test polls the page instead, every wait bounded)."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket
        self.ids = itertools.count(1)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        number = next(self.ids)
        await self.socket.send_json({"id": number, "method": method, "params": params})
        async with asyncio.timeout(WAIT):
            while True:
                message = await self.socket.receive()
                if message.type is not aiohttp.WSMsgType.TEXT:
                    raise RuntimeError(f"DevTools connection ended during {method}: {message}")
                answer = json.loads(message.data)
                if answer.get("id") == number:
                    if "error" in answer:
                        raise RuntimeError(f"{method}: {answer['error']}")
                    result: dict[str, Any] = answer.get("result", {})
                    return result

    async def evaluate(self, expression: str) -> Any:
        result = await self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_for(self, expression: str, what: str) -> Any:
        try:
            async with asyncio.timeout(WAIT):
                while True:
                    value = await self.evaluate(expression)
                    if value:
                        return value
                    await asyncio.sleep(0.05)
        except TimeoutError:
            raise AssertionError(f"waited {WAIT} s for {what}") from None

    async def open(self, url: str) -> None:
        await self.call("Page.navigate", url=url)
        await self.wait_for(
            f"location.href === {json.dumps(url)} && document.readyState === 'complete'"
            " && !!document.getElementById('run')",
            f"{url} loaded",
        )

    async def reload(self) -> None:
        """Reload the page and wait for the new one (the old one carries a mark)."""
        await self.evaluate("window.replaced = true")
        await self.call("Page.reload")
        await self.wait_for(
            "!window.replaced && document.readyState === 'complete'"
            " && !!document.getElementById('run')",
            "the reloaded page",
        )

    async def click(self, selector: str) -> None:
        """A left click in the middle of the element, as the mouse does it."""
        x, y = await self.evaluate(
            f"(() => {{ const r = document.querySelector({json.dumps(selector)})"
            ".getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        await self.call("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
        for kind in ("mousePressed", "mouseReleased"):
            await self.call(
                "Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1
            )

    async def key(self, key: str, code: int, modifiers: int = 0, text: str = "") -> None:
        down = {"key": key, "code": key, "windowsVirtualKeyCode": code, "modifiers": modifiers}
        kind = "keyDown" if text else "rawKeyDown"  # rawKeyDown: a key that types nothing
        await self.call("Input.dispatchKeyEvent", type=kind, text=text, **down)
        await self.call("Input.dispatchKeyEvent", type="keyUp", **down)

    async def type_into(self, selector: str, text: str) -> None:
        """Click the field, select what it holds and type `text` over it (empty: delete it)."""
        await self.click(selector)
        await self.evaluate(f"document.querySelector({json.dumps(selector)}).select()")
        if text:
            await self.call("Input.insertText", text=text)
        else:
            await self.key("Backspace", 8)

    async def choose(self, selector: str, value: str) -> None:
        """Pick an option of a (closed) select from the keyboard: focus it, type the option's
        first letters (each option's label starts with its value)."""
        await self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
        for char in value:
            await self.key(char, ord(char.upper()), text=char)
        assert await self.value(selector) == value

    async def value(self, selector: str) -> Any:
        return await self.evaluate(f"document.querySelector({json.dumps(selector)}).value")

    async def text(self, selector: str) -> Any:
        return await self.evaluate(f"document.querySelector({json.dumps(selector)}).textContent")

    async def run(self, *, keyboard: bool = False) -> str:
        """Run the query (the button, or Ctrl+Enter) and wait for the result pane."""
        await self.evaluate("document.getElementById('result').dataset.state = ''")
        if keyboard:
            await self.key("Enter", 13, modifiers=2)  # Ctrl
        else:
            await self.click("#run")
        await self.wait_for(
            "!['', 'running', undefined].includes(document.getElementById('result').dataset.state)",
            "the result",
        )
        text: str = await self.evaluate("document.getElementById('result').textContent")
        return text

    async def screenshot(self, path: Path) -> None:
        shot = await self.call("Page.captureScreenshot", format="png")
        data = base64.b64decode(shot["data"])
        assert data.startswith(b"\x89PNG") and len(data) > 10_000
        await asyncio.to_thread(path.write_bytes, data)


@contextlib.asynccontextmanager
async def chromium(binary: str, profile: Path) -> AsyncIterator[Page]:
    """Headless Chromium with its DevTools on a port it picks (read from DevToolsActivePort),
    one tab attached; the browser and its children are ended on the way out."""
    log_path = profile.parent / "chromium.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            binary,
            "--headless",
            "--no-sandbox",  # tests run as root in containers; the page is our own
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-sync",
            "--no-first-run",
            "--no-default-browser-check",
            "--password-store=basic",
            "--window-size=1280,860",
            f"--user-data-dir={profile}",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            "about:blank",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,  # its own process group: ended as one below
        )
    try:
        active = profile / "DevToolsActivePort"
        try:
            async with asyncio.timeout(WAIT):
                while not (active.exists() and active.read_text().count("\n") >= 1):
                    if process.returncode is not None:
                        break
                    await asyncio.sleep(0.05)
        except TimeoutError:
            pass
        if not active.exists():
            tail = log_path.read_text(errors="replace")[-2000:]
            pytest.fail(f"{binary} did not open its DevTools port:\n{tail}", pytrace=False)
        port = active.read_text().split()[0]
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT)) as session:
            async with asyncio.timeout(WAIT):
                while True:
                    async with session.get(f"http://127.0.0.1:{port}/json/list") as listing:
                        targets = await listing.json()
                    pages = [t for t in targets if t.get("type") == "page"]
                    if pages:
                        break
                    await asyncio.sleep(0.05)
            async with session.ws_connect(
                pages[0]["webSocketDebuggerUrl"], max_msg_size=64 * 2**20
            ) as socket:
                yield Page(socket)
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                async with asyncio.timeout(10):
                    await process.wait()
            except TimeoutError:
                os.killpg(process.pid, signal.SIGKILL)
                await process.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # any child left behind


@contextlib.asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[str]:
    """`app` served by uvicorn on a free port of 127.0.0.1 (lifespan included); its URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(WAIT):  # uvicorn offers no start-up event: poll
            while not server.started:
                if task.done():
                    await task
                    raise RuntimeError("the gateway stopped while starting")
                await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        async with asyncio.timeout(WAIT):
            await task


def _child(_document: str, variables: dict[str, Any]) -> dict[str, Any]:
    return {
        "data": {
            "child": {
                "__typename": "Child",
                "id": variables["id"],
                "name": NAME,
                "kabupatenCode": "14.71",
                "documentStatus": "DOCUMENTED",
            }
        }
    }


def _entities(fields: dict[str, Any]) -> Any:
    def answer(_document: str, variables: dict[str, Any]) -> dict[str, Any]:
        return {"data": {"_entities": [fields for _ in variables["representations"]]}}

    return answer


@dataclass
class Console:
    page: Page
    url: str
    issuer: DevIssuer
    subgraphs: FakeSubgraphs
    screenshots: Path

    def token(self, role: str, user: str | None = None) -> str:
        return self.issuer.issue(sample_user(role, user))


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[Console]:
    """The console page open in Chromium, over a gateway that checks tokens of the development
    issuer and answers the page's own sample query from fake agencies."""
    browser = find_browser()
    fakes = FakeSubgraphs(
        {
            "disdukcapil": _child,
            "pkh": _entities(
                {"pkhCompliance": {"consecutiveNonCompliantPeriods": 2, "latestCompliant": False}}
            ),
            "balai": _entities({"cases": [{"stage": "INTERVENTION", "balai": {"name": "Rumbai"}}]}),
        }
    )
    screenshots = Path(os.environ.get("SATU_ANAK_CONSOLE_SCREENSHOTS") or tmp_path)
    await asyncio.to_thread(screenshots.mkdir, parents=True, exist_ok=True)
    async with serving_dev_issuer(tmp_path) as issuer:
        config = GatewayConfig(auth_issuer=issuer.url)
        gateway = Gateway(parse_supergraph(SUPERGRAPH.read_text()), config, client=fakes)
        app = create_gateway_app(gateway, development=True)
        async with serving(app) as url, chromium(browser, tmp_path / "profile") as page:
            await page.open(f"{url}/graphql")
            yield Console(page, f"{url}/graphql", issuer, fakes, screenshots)


async def test_the_page_offers_a_hidden_token_field_and_the_purpose_and_role_vocabulary(
    console: Console,
) -> None:
    page = console.page
    assert await page.evaluate("document.getElementById('token').type") == "password"
    purposes = await page.evaluate(
        "[...document.getElementById('purpose').options].map(o => o.value)"
    )
    assert purposes == ["", *(purpose.value for purpose in Purpose)]
    roles = await page.evaluate("[...document.getElementById('role').options].map(o => o.value)")
    assert roles == ["", *(role.value for role in Role)]


async def test_a_token_and_a_purpose_get_the_data_into_the_result_pane(console: Console) -> None:
    page = console.page
    token = console.token("pkh_facilitator")
    await page.type_into("#token", token)
    await page.choose("#purpose", "pkh.verification")
    assert (await page.text("#who")).startswith("token of pkh-fac-pekanbaru (pkh_facilitator)")
    assert await page.text("#purpose-roles") == (
        "pkh.verification may be declared by: pkh_facilitator, pkh_coordinator"
    )

    text = await page.run()
    assert await page.evaluate("document.getElementById('result').dataset.state") == "done"
    assert json.loads(text) == {
        "data": {
            "child": {
                "name": NAME,
                "kabupatenCode": "14.71",
                "documentStatus": "DOCUMENTED",
                "pkhCompliance": {"consecutiveNonCompliantPeriods": 2, "latestCompliant": False},
                "cases": [{"stage": "INTERVENTION", "balai": {"name": "Rumbai"}}],
            }
        }
    }
    # What a subgraph answered is shown as text: its markup made no element.
    assert await page.evaluate("document.querySelector('#result b')") is None
    await page.screenshot(console.screenshots / "console-data.png")
    context = console.subgraphs.contexts[0]
    assert context.principal is not None and context.principal.subject == "pkh-fac-pekanbaru"
    assert context.purpose == "pkh.verification"

    # The token lives in this tab's sessionStorage only: not in localStorage, not in the URL.
    assert await page.evaluate("sessionStorage.getItem('satu-anak-console-token')") == token
    assert await page.evaluate("localStorage.length") == 0
    assert token not in await page.evaluate("location.href")
    # A reload keeps the token and the purpose; the plan checkbox still adds the query plan.
    await page.reload()
    assert await page.value("#token") == token
    assert await page.value("#purpose") == "pkh.verification"
    await page.click("#plan")
    text = await page.run(keyboard=True)
    assert '"consecutiveNonCompliantPeriods": 2' in text and "QueryPlan {" in text


async def test_without_a_token_the_pane_shows_unauthenticated(console: Console) -> None:
    page = console.page
    assert (await page.text("#who")).startswith("no token")
    await page.choose("#purpose", "pkh.verification")
    text = await page.run()
    assert text.splitlines()[:2] == [
        "HTTP 401 UNAUTHENTICATED",
        "The access token is missing, invalid or expired.",
    ]
    assert await page.evaluate("document.getElementById('result').className") == "refused"
    await page.screenshot(console.screenshots / "console-unauthenticated.png")

    # A token typed, then deleted: gone from sessionStorage, and refused again.
    await page.type_into("#token", console.token("pkh_facilitator"))
    await page.type_into("#token", "")
    assert await page.evaluate("sessionStorage.getItem('satu-anak-console-token')") is None
    assert (await page.run(keyboard=True)).startswith("HTTP 401 UNAUTHENTICATED\n")
    assert console.subgraphs.sent == []


async def test_a_purpose_or_role_outside_the_token_is_refused_with_its_code(
    console: Console,
) -> None:
    page = console.page
    await page.type_into("#token", console.token("pkh_facilitator"))
    await page.choose("#purpose", "identity.resolution")
    assert (await page.run()).startswith("HTTP 403 PURPOSE_NOT_ALLOWED\n")
    await page.choose("#purpose", "child.protection")
    await page.choose("#role", "dinsos_officer")
    assert (await page.run()).startswith("HTTP 403 FORBIDDEN\n")
    assert console.subgraphs.sent == []


async def test_a_query_and_variables_typed_in_the_editor_are_what_runs(console: Console) -> None:
    page = console.page
    await page.type_into("#token", console.token("pkh_facilitator"))
    await page.choose("#purpose", "pkh.verification")
    # The page's sample query replaced by one typed into the editor, with variables of our own.
    await page.type_into(
        "#query", "query One($id: ID!) {\n  child(id: $id) { name documentStatus }\n}"
    )
    await page.type_into("#variables", '{"id": "ANK000000042"}')
    assert json.loads(await page.run()) == {
        "data": {"child": {"name": NAME, "documentStatus": "DOCUMENTED"}}
    }
    assert [(name, variables) for name, _, variables in console.subgraphs.sent] == [
        ("disdukcapil", {"id": "ANK000000042"})
    ]

    # A mistake in the query: the gateway's validation error as it answered it.
    await page.type_into("#query", '{ child(id: "ANK000000042") { nmae } }')
    answer = json.loads(await page.run(keyboard=True))
    assert await page.evaluate("document.getElementById('result').dataset.state") == "done"
    assert "data" not in answer
    assert [e["message"].split(".")[0] for e in answer["errors"]] == [
        "Cannot query field 'nmae' on type 'Child'"
    ]
    # Variables that are not JSON: said so in the page, nothing sent.
    await page.type_into("#variables", '{"id": ')
    text = await page.run()
    assert await page.evaluate("document.getElementById('result').dataset.state") == "invalid"
    assert text.startswith("variables are not valid JSON: ")
    assert len(console.subgraphs.sent) == 1
