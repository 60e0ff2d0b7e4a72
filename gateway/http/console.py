"""The development console the gateway serves at GET /graphql to a browser: small and
self-contained (no scripts from elsewhere: the gateway may run offline).

Every request it sends carries what the edge asks for (`http/authentication.py`): the access
token the officer pastes (`Authorization: Bearer …`; kept in the tab's sessionStorage only, never
in localStorage or the URL), a purpose of use (`x-satu-anak-purpose`, chosen from the vocabulary
of `auth/purposes.py`, so the list cannot drift from what the gateway accepts) and, optionally,
the acting role (`x-satu-anak-role`). The page is formatted once, at import."""

from __future__ import annotations

from html import escape
from typing import Final

from auth.principal import ROLE_HEADER
from auth.purposes import PURPOSE_ROLES, Purpose, Role
from gateway.http.authentication import PURPOSE_HEADER

# Where the page keeps the token: this tab only, gone when it closes.
TOKEN_STORAGE_KEY: Final = "satu-anak-console-token"

_TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Satu Anak — GraphQL console</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 0; display: grid; height: 100vh;
         grid-template-columns: 1fr 1fr; grid-template-rows: auto auto 1fr 8em 3em; }
  header { grid-column: 1 / 3; padding: .5em 1em; background: #14532d; color: white; }
  #auth { grid-column: 1 / 3; grid-row: 2; padding: .5em 1em; background: #ecfdf5;
          border-bottom: 1px solid #ccc; }
  #auth .controls { display: flex; flex-wrap: wrap; gap: .4em 1.5em; align-items: center; }
  #auth label { display: flex; gap: .4em; align-items: center; }
  #auth input, #auth select { font: inherit; padding: .15em .3em; }
  #token { width: 24em; font-family: ui-monospace, monospace; }
  #auth .status { margin-top: .35em; min-height: 1.3em; font-size: 13px; color: #166534; }
  #auth .status span + span:not(:empty)::before { content: " · "; }
  #who.warning { color: #b91c1c; }
  textarea, pre { font: 13px ui-monospace, monospace; margin: 0; padding: .75em;
                  border: 1px solid #ccc; overflow: auto; }
  #query { grid-column: 1; grid-row: 3; } #variables { grid-column: 1; grid-row: 4; }
  #result { grid-column: 2; grid-row: 3 / 6; background: #f7f7f7; white-space: pre-wrap; }
  #result.refused { background: #fef2f2; border-color: #dc2626; color: #7f1d1d; }
  .bar { grid-column: 1; grid-row: 5; display: flex; gap: .5em; align-items: center; padding: 0 .75em; }
</style>
</head>
<body>
<header>Satu Anak — GraphQL console (development mode)</header>
<div id="auth">
 <div class="controls">
  <label for="token">Access token
    <input id="token" type="password" autocomplete="off" spellcheck="false"
           placeholder="satu-anak token ROLE [--user ID]"></label>
  <label for="purpose">Purpose
    <select id="purpose">
      <option value="">— choose a purpose —</option>
@PURPOSE_OPTIONS@
    </select></label>
  <label for="role">Acting role
    <select id="role">
      <option value="">the token's first role</option>
@ROLE_OPTIONS@
    </select></label>
 </div>
 <div class="status"><span id="who"></span><span id="purpose-roles"></span></div>
</div>
<textarea id="query" spellcheck="false">query Picture($id: ID!) {
  child(id: $id) {
    name kabupatenCode documentStatus
    pkhCompliance { consecutiveNonCompliantPeriods latestCompliant }
    cases { stage balai { name } }
  }
}</textarea>
<textarea id="variables" spellcheck="false">{"id": "ANK000000001"}</textarea>
<div class="bar">
  <button id="run">Run (Ctrl+Enter)</button>
  <label><input type="checkbox" id="plan"> show query plan</label>
</div>
<pre id="result" aria-live="polite"></pre>
<script>
"use strict";
const TOKEN_KEY = "@TOKEN_STORAGE_KEY@";
const PURPOSE_KEY = TOKEN_KEY + "-purpose";
const ROLE_KEY = TOKEN_KEY + "-role";
const field = (id) => document.getElementById(id);
const HINTS = {
  UNAUTHENTICATED: "Paste an access token: .venv/bin/satu-anak token ROLE [--user ID].",
  PURPOSE_NOT_ALLOWED: "Choose a purpose the acting role may declare (each option lists its roles).",
  FORBIDDEN: "The token does not hold the acting role chosen, or holds no Satu Anak role.",
  ISSUER_UNAVAILABLE: "The gateway cannot reach the identity provider (is `satu-anak up` running?).",
};

// The token as pasted: surrounding space (a terminal's newline) and a "Bearer " prefix dropped.
function token() {
  return field("token").value.trim().replace(/^bearer\\s+/i, "");
}

// Who the pasted token says it is: read for display only (the gateway verifies it).
function showWho() {
  const who = field("who");
  const value = token();
  let text = "no token: requests will be refused (401)";
  let warning = true;
  if (value) {
    try {
      const part = value.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      const claims = JSON.parse(atob(part + "=".repeat((4 - part.length % 4) % 4)));
      const roles = Array.isArray(claims.roles) ? claims.roles.join(", ") : String(claims.roles);
      text = "token of " + claims.sub + " (" + roles + ")";
      warning = false;
      if (typeof claims.exp === "number") {
        const expired = claims.exp * 1000 <= Date.now();
        text += (expired ? ", EXPIRED " : ", expires ") + new Date(claims.exp * 1000).toLocaleString();
        warning = expired;
      }
    } catch (e) {
      text = "not a readable JWT";
    }
  }
  who.textContent = text;
  who.classList.toggle("warning", warning);
}

// Which roles may declare the chosen purpose (from the option's data-roles).
function showPurposeRoles() {
  const option = field("purpose").selectedOptions[0];
  const roles = option && option.dataset.roles;
  field("purpose-roles").textContent = option && option.value
    ? option.value + " may be declared by: " + (roles || "no role yet") : "";
}

function remember(id, key) {
  const value = field(id).value;
  if (value) sessionStorage.setItem(key, value); else sessionStorage.removeItem(key);
}

function restore(id, key) {
  const value = sessionStorage.getItem(key);
  if (value === null) return;
  const element = field(id);
  if (element.tagName === "SELECT" && ![...element.options].some((o) => o.value === value)) return;
  element.value = value;
}

function show(text, refused, state) {
  const out = field("result");
  out.textContent = text;
  out.classList.toggle("refused", refused);
  out.dataset.state = state;
}

async function run() {
  let variables = {};
  try { variables = JSON.parse(field("variables").value || "{}"); }
  catch (e) { show("variables are not valid JSON: " + e.message, true, "invalid"); return; }
  const headers = {"content-type": "application/json"};
  const bearer = token();
  if (bearer) headers["authorization"] = "Bearer " + bearer;
  if (field("purpose").value) headers["@PURPOSE_HEADER@"] = field("purpose").value;
  if (field("role").value) headers["@ROLE_HEADER@"] = field("role").value;
  if (field("plan").checked) headers["x-satu-anak-plan"] = "1";
  show("running…", false, "running");
  let response, text;
  try {
    response = await fetch(window.location.pathname, {
      method: "POST", headers, cache: "no-store",
      body: JSON.stringify({query: field("query").value, variables}),
    });
    text = await response.text();
  } catch (e) {
    show("could not reach the gateway: " + e.message, true, "failed");
    return;
  }
  let body;
  try { body = JSON.parse(text); }
  catch (e) { show("HTTP " + response.status + " (not JSON):\\n\\n" + text, true, "failed"); return; }
  if (!response.ok) {
    const first = (body && Array.isArray(body.errors) && body.errors[0]) || {};
    const code = (first.extensions && first.extensions.code) || "";
    const lines = ["HTTP " + response.status + (code ? " " + code : ""),
                   first.message || response.statusText];
    if (HINTS[code]) lines.push(HINTS[code]);
    show(lines.join("\\n") + "\\n\\n" + JSON.stringify(body, null, 2), true, "refused");
    return;
  }
  const plan = body.extensions && body.extensions.queryPlan;
  if (plan) delete body.extensions.queryPlan;
  show(JSON.stringify(body, null, 2) + (plan ? "\\n\\n" + plan : ""), false, "done");
}

restore("token", TOKEN_KEY);
restore("purpose", PURPOSE_KEY);
restore("role", ROLE_KEY);
showWho();
showPurposeRoles();
field("token").addEventListener("input", () => { remember("token", TOKEN_KEY); showWho(); });
field("purpose").addEventListener("change", () => {
  remember("purpose", PURPOSE_KEY);
  showPurposeRoles();
});
field("role").addEventListener("change", () => remember("role", ROLE_KEY));
field("run").onclick = run;
document.addEventListener("keydown", (e) => { if (e.ctrlKey && e.key === "Enter") run(); });
</script>
</body>
</html>
"""


def _option(value: str, **data: str) -> str:
    attributes = "".join(f' data-{name}="{escape(text)}"' for name, text in data.items())
    return f'      <option value="{escape(value)}"{attributes}>{escape(value)}</option>'


def purpose_options() -> str:
    """One <option> per purpose of use, carrying the roles that may declare it."""
    options = []
    for purpose in Purpose:
        holders = PURPOSE_ROLES.get(purpose, frozenset())
        options.append(_option(purpose.value, roles=", ".join(r for r in Role if r in holders)))
    return "\n".join(options)


def role_options() -> str:
    """One <option> per role."""
    return "\n".join(_option(role.value) for role in Role)


def console_html() -> str:
    """The console page, its lists drawn from the purposes and roles of `auth/purposes.py`."""
    page = _TEMPLATE
    for marker, value in (
        ("@PURPOSE_OPTIONS@", purpose_options()),
        ("@ROLE_OPTIONS@", role_options()),
        ("@TOKEN_STORAGE_KEY@", TOKEN_STORAGE_KEY),
        ("@PURPOSE_HEADER@", PURPOSE_HEADER),
        ("@ROLE_HEADER@", ROLE_HEADER),
    ):
        if marker not in page:
            raise ValueError(f"console template lacks {marker}")
        page = page.replace(marker, value)
    return page


CONSOLE_HTML: Final = console_html()
