// Every metric that the Grafana dashboard and the Prometheus alert rules query must be one the service really
// exports. Usage: node check-metrics.mjs SCRAPE.txt DASHBOARD.json RULES.yml
// The queries are parsed with Prometheus's own PromQL grammar (@prometheus-io/lezer-promql); a syntax error fails.
// A name X_bucket / X_sum / X_count is accepted only if X is a histogram (or summary) in the scrape; a name not in
// the scrape fails, except the ones Prometheus itself writes per target (ALLOWED_SYNTHETIC).
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { parser } from "@prometheus-io/lezer-promql";

const ALLOWED_SYNTHETIC = new Set(["up"]);
const [scrapeFile, dashboardFile, rulesFile] = process.argv.slice(2);

// The exposition: TYPE lines give families; sample lines give series names.
const families = new Map();
const samples = new Set();
for (const line of readFileSync(scrapeFile, "utf8").split("\n")) {
  const type = /^# TYPE (\S+) (\S+)/.exec(line);
  if (type) families.set(type[1], type[2]);
  else if (line && !line.startsWith("#")) samples.add(line.split(/[{ ]/)[0]);
}

function exported(name) {
  if (samples.has(name) || families.has(name)) return true;
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (!m) return false;
  const kind = families.get(m[1]);
  return kind === "histogram" || (kind === "summary" && m[2] !== "bucket");
}

/** Replaces Grafana's variables with values PromQL accepts. */
function substitute(expr) {
  return expr
    .replace(/\$__(rate_interval|interval|range)\b/g, "5m")
    .replace(/\$\{?(\w+)\}?/g, ".*");
}

function metricNames(expr) {
  const text = substitute(expr);
  const names = [];
  let syntaxError = null;
  parser.parse(text).iterate({
    enter(node) {
      if (node.type.isError && syntaxError === null) syntaxError = `syntax error at ${node.from}: ${JSON.stringify(text.slice(Math.max(0, node.from - 20), node.from + 20))}`;
      if (node.name === "VectorSelector") {
        const id = node.node.getChild("Identifier");
        if (id) names.push(text.slice(id.from, id.to));
      }
    },
  });
  return { names, syntaxError };
}

const queries = [];
const dashboard = JSON.parse(readFileSync(dashboardFile, "utf8"));
const walk = (panels) => {
  for (const p of panels ?? []) {
    for (const t of p.targets ?? []) if (t.expr) queries.push([`dashboard panel "${p.title}"`, t.expr]);
    walk(p.panels);
  }
};
walk(dashboard.panels);
for (const v of dashboard.templating?.list ?? []) {
  const q = typeof v.query === "string" ? v.query : v.query?.query;
  const m = q && /^label_values\((.+),\s*\w+\)$/.exec(q);
  if (m) queries.push([`dashboard variable $${v.name}`, m[1]]);
}
for (const group of parse(readFileSync(rulesFile, "utf8")).groups) {
  for (const rule of group.rules) queries.push([`rule ${rule.alert ?? rule.record}`, rule.expr]);
}

let failures = 0;
const used = new Set();
for (const [where, expr] of queries) {
  const { names, syntaxError } = metricNames(expr);
  if (syntaxError) {
    failures++;
    console.log(`FAIL ${where}: ${syntaxError}`);
  }
  if (names.length === 0) {
    failures++;
    console.log(`FAIL ${where}: no metric in ${JSON.stringify(expr)}`);
  }
  for (const name of names) {
    used.add(name);
    if (!exported(name) && !ALLOWED_SYNTHETIC.has(name)) {
      failures++;
      console.log(`FAIL ${where}: ${name} is not in the scrape`);
    }
  }
}
console.log(`${queries.length} queries, ${used.size} metric names: ${[...used].sort().join(", ")}`);
console.log(failures ? `${failures} problems` : "every metric is exported by the service");
process.exit(failures ? 1 : 0);
