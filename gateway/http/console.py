"""The development console the gateway serves at GET /graphql to a browser: small and
self-contained (no scripts from elsewhere: the gateway may run offline)."""

CONSOLE_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Satu Anak — GraphQL console</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 0; display: grid; height: 100vh;
         grid-template-columns: 1fr 1fr; grid-template-rows: auto 1fr 8em 3em; }
  header { grid-column: 1 / 3; padding: .5em 1em; background: #14532d; color: white; }
  textarea, pre { font: 13px ui-monospace, monospace; margin: 0; padding: .75em;
                  border: 1px solid #ccc; overflow: auto; }
  #query { grid-column: 1; grid-row: 2; } #variables { grid-column: 1; grid-row: 3; }
  #result { grid-column: 2; grid-row: 2 / 5; background: #f7f7f7; }
  .bar { grid-column: 1; grid-row: 4; display: flex; gap: .5em; align-items: center; padding: 0 .75em; }
</style>
</head>
<body>
<header>Satu Anak — GraphQL console (development mode)</header>
<textarea id="query" spellcheck="false">query Picture($id: ID!) {
  child(id: $id) {
    name kabupatenCode documentStatus
    pkh { compliance { consecutiveNonCompliantPeriods latestCompliant } }
    cases { stage balai { name } }
  }
}</textarea>
<textarea id="variables" spellcheck="false">{"id": "ANK000000001"}</textarea>
<div class="bar">
  <button id="run">Run (Ctrl+Enter)</button>
  <label><input type="checkbox" id="plan"> show query plan</label>
</div>
<pre id="result"></pre>
<script>
async function run() {
  const out = document.getElementById("result");
  let variables = {};
  try { variables = JSON.parse(document.getElementById("variables").value || "{}"); }
  catch (e) { out.textContent = "variables are not valid JSON: " + e.message; return; }
  const headers = {"content-type": "application/json"};
  if (document.getElementById("plan").checked) headers["x-satu-anak-plan"] = "1";
  const response = await fetch(window.location.pathname, {
    method: "POST", headers,
    body: JSON.stringify({query: document.getElementById("query").value, variables}),
  });
  const body = await response.json();
  const plan = body.extensions && body.extensions.queryPlan;
  if (plan) delete body.extensions.queryPlan;
  out.textContent = JSON.stringify(body, null, 2) + (plan ? "\n\n" + plan : "");
}
document.getElementById("run").onclick = run;
document.addEventListener("keydown", (e) => { if (e.ctrlKey && e.key === "Enter") run(); });
</script>
</body>
</html>
"""
