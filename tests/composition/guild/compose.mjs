// The Guild's composer for tests/composition/test_compose.py (guild_compose).
//
//   node compose.mjs NAME=PATH [NAME=PATH ...]
//
// Each argument is one subgraph: its name and the file holding its SDL. The subgraph's URL is
// http://127.0.0.1/NAME, as the Python side composes with. Composes them with
// @theguild/federation-composition's composeServices and
//   exit 0: the supergraph SDL on stdout;
//   exit 1: composition failed, its errors on stderr (one per line);
//   exit 2: bad arguments, an unreadable file or SDL that does not parse (message on stderr).
import { readFileSync } from "node:fs";

import { composeServices, compositionHasErrors } from "@theguild/federation-composition";
import { parse } from "graphql";

function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
if (args.length === 0) {
  fail("usage: node compose.mjs NAME=PATH [NAME=PATH ...]");
}

const services = args.map((arg) => {
  const at = arg.indexOf("=");
  if (at <= 0 || at === arg.length - 1) {
    fail(`not NAME=PATH: ${arg}`);
  }
  const name = arg.slice(0, at);
  const path = arg.slice(at + 1);
  let source;
  try {
    source = readFileSync(path, "utf8");
  } catch (error) {
    fail(`${name}: cannot read ${path}: ${error.message}`);
  }
  let typeDefs;
  try {
    typeDefs = parse(source);
  } catch (error) {
    fail(`${name}: ${path} does not parse: ${error.message}`);
  }
  return { name, url: `http://127.0.0.1/${name}`, typeDefs };
});

const result = composeServices(services);
if (compositionHasErrors(result)) {
  for (const error of result.errors) {
    const code = error.extensions?.code;
    process.stderr.write(`${code ? `[${code}] ` : ""}${error.message}\n`);
  }
  // exitCode, not exit(): let the writes above drain before node exits.
  process.exitCode = 1;
} else {
  process.stdout.write(result.supergraphSdl.endsWith("\n") ? result.supergraphSdl : `${result.supergraphSdl}\n`);
}
