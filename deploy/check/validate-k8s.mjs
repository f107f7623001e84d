// Validates rendered Kubernetes manifests (multi-document YAML files given as arguments) in strict mode:
//  1. the JSON schema of each object's apiVersion/kind (kubernetes-models: the Kubernetes OpenAPI schemas compiled
//     for ajv: types, formats, required fields, enums);
//  2. no unknown field anywhere (what `kubeconform -strict` adds: the OpenAPI schemas allow extra properties, the
//     API server drops them silently), walking the field lists of @kubernetes/client-node's generated models
//     (OpenAPI release-1.36).
// Prints one line per object; exits 1 if any object fails.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
// Only the generated models (the package root loads an HTTP client that needs a newer Node).
import * as k8s from "@kubernetes/client-node/dist/gen/models/all.js";

const primitives = new Set(["string", "number", "boolean", "Date", "any", "object", "IntOrString"]);

function modelClassName(apiVersion, kind) {
  const version = apiVersion.includes("/") ? apiVersion.split("/")[1] : apiVersion;
  return version.charAt(0).toUpperCase() + version.slice(1) + kind;
}

/** Unknown fields of value against a client-node type string, as JSON paths. */
function unknownFields(value, type, path, out) {
  if (value === null || value === undefined || primitives.has(type)) return;
  let m = /^Array<(.+)>$/.exec(type);
  if (m) {
    if (Array.isArray(value)) value.forEach((v, i) => unknownFields(v, m[1], `${path}[${i}]`, out));
    return;
  }
  m = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (m) {
    if (typeof value === "object") for (const [k, v] of Object.entries(value)) unknownFields(v, m[1], `${path}.${k}`, out);
    return;
  }
  const model = k8s[type];
  if (!model || !model.attributeTypeMap) {
    out.push(`${path}: no model for type ${type}`);
    return;
  }
  if (typeof value !== "object" || Array.isArray(value)) return; // a type error: the schema check reports it
  const attributes = new Map(model.attributeTypeMap.map((a) => [a.baseName, a.type]));
  for (const [k, v] of Object.entries(value)) {
    if (!attributes.has(k)) out.push(`${path}.${k}: unknown field (not in ${type})`);
    else unknownFields(v, attributes.get(k), `${path}.${k}`, out);
  }
}

async function schemaErrors(obj) {
  const group = obj.apiVersion.includes("/") ? obj.apiVersion : `core/${obj.apiVersion}`;
  const modulePath = group.startsWith("core/") ? `kubernetes-models/${obj.apiVersion}` : `kubernetes-models/${group}`;
  let module;
  try {
    module = await import(modulePath);
  } catch {
    return [`no schema module for apiVersion ${obj.apiVersion}`];
  }
  const Model = module[obj.kind];
  if (!Model) return [`no schema for ${obj.apiVersion} ${obj.kind}`];
  try {
    new Model(obj).validate();
    return [];
  } catch (e) {
    return [String(e.message ?? e)];
  }
}

let failed = 0;
let count = 0;
for (const file of process.argv.slice(2)) {
  for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
    if (doc.errors.length) {
      console.log(`FAIL ${file}: YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
      failed++;
      continue;
    }
    const obj = doc.toJS();
    if (obj === null) continue;
    count++;
    const name = `${obj.kind}/${obj.metadata?.name}`;
    const errors = [];
    if (!obj.apiVersion || !obj.kind) errors.push("apiVersion and kind are required");
    else {
      errors.push(...(await schemaErrors(obj)));
      unknownFields(obj, modelClassName(obj.apiVersion, obj.kind), "", errors);
    }
    if (errors.length) {
      failed++;
      console.log(`FAIL ${file}: ${name}\n  ${errors.join("\n  ")}`);
    } else {
      console.log(`ok   ${file}: ${obj.apiVersion} ${name}`);
    }
  }
}
console.log(`${count} objects, ${failed} invalid`);
process.exit(failed || count === 0 ? 1 : 0);
