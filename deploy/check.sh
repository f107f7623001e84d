#!/usr/bin/env bash
# Deployment checks (CI runs this from .ci/run; no container engine and no cluster needed):
#   1. kustomize renders deploy/k8s base and the cpu/gpu overlays (kubectl's built-in kustomize);
#   2. every rendered object validates in strict mode against the Kubernetes schemas (deploy/check/validate-k8s.mjs)
#      and the manifests agree with each other (ports, probes, shutdown timing, GPU limits);
#   3. the compose file parses (docker-compose config) and every file it mounts or builds from exists;
#   4. promtool checks the alert rules and the compose Prometheus config; the collector config is consistent;
#   5. the Dockerfile's restore/publish steps run outside Docker (deploy/check/dockerfile_repro.py reads them from
#      the Dockerfile), and the published cpu output is served the way the image serves it: baked model, the
#      image's environment and entrypoint; /healthz, /readyz, the HEALTHCHECK command and gRPC health must pass;
#   6. after real calls, every metric in the Grafana dashboard and the alert rules is in its /metrics scrape;
#   7. SIGTERM: readiness turns NOT_SERVING while liveness stays up, and the process exits cleanly;
#   8. the gpu target's restore/publish (ONNX Runtime GPU build) succeeds (it cannot run without a GPU).
# Tools come from Debian (prometheus for promtool, docker-compose, nodejs) and npm (deploy/check/package-lock.json).
# Ends with one PASS/FAIL line per check; exits 1 if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DEBIAN_FRONTEND=noninteractive

work="$(mktemp -d /tmp/karma-deploy-check.XXXXXX)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -KILL "$server_pid" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT

results=()
failed=0
check() { # check NAME COMMAND...: runs a check, records PASS/FAIL
  local name="$1"; shift
  echo
  echo "== $name"
  if "$@"; then results+=("PASS  $name"); else results+=("FAIL  $name"); failed=1; fi
}
skip() { results+=("SKIP  $1: $2"); echo; echo "== $1: skipped ($2)"; }

# ---- tools
need=()
command -v promtool > /dev/null || need+=(prometheus)
command -v docker-compose > /dev/null || need+=(docker-compose)
command -v node > /dev/null || need+=(nodejs)
command -v npm > /dev/null || need+=(npm)
command -v kubectl > /dev/null || need+=(kubernetes-client)
ldconfig -p | grep -q "libgomp.so.1 " || need+=(libgomp1)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]} (Debian)"
  # Packages with daemons (prometheus) must not start them here.
  made_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made_policy=1; fi
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" > /dev/null
  [ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d
fi
(cd deploy/check && npm ci --no-audit --no-fund --loglevel=error) || { echo "npm ci failed"; exit 1; }
echo "tools: $(kubectl version --client 2>/dev/null | tr '\n' ' ')| $(promtool --version 2>&1 | head -1) | $(docker-compose version --short 2>/dev/null || docker-compose --version) (docker-compose) | node $(node --version) | $(dotnet --version) (.NET SDK)"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# ---- 1-2. Kubernetes
render() {
  local ok=0
  for o in base overlays/cpu overlays/gpu; do
    local out="$work/k8s-$(basename "$o").yaml"
    if kubectl kustomize "deploy/k8s/$o" > "$out"; then
      echo "rendered deploy/k8s/$o: $(grep -c '^kind:' "$out") objects ($(grep '^kind:' "$out" | sort | uniq -c | awk '{printf "%s %s, ", $1, $3}'))"
    else ok=1; fi
  done
  return $ok
}
check "kustomize renders base, cpu and gpu overlays" render
check "Kubernetes schemas, strict (kubernetes-models + unknown-field check)" \
  node deploy/check/validate-k8s.mjs "$work/k8s-base.yaml" "$work/k8s-cpu.yaml" "$work/k8s-gpu.yaml"

consistency() {
  python3 - "$work" <<'EOF'
import sys, yaml
work = sys.argv[1]
problems = []
for flavour in ("cpu", "gpu"):
    docs = [d for d in yaml.safe_load_all(open(f"{work}/k8s-{flavour}.yaml")) if d]
    get = lambda kind, name: next(d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name)
    dep = get("Deployment", "karma-serving")
    cfg = get("ConfigMap", "karma-config")["data"]
    pod = dep["spec"]["template"]["spec"]
    c = pod["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    def fail(msg): problems.append(f"{flavour}: {msg}")
    if ports.get("grpc") != int(cfg.get("Karma__GrpcPort", 50051)): fail("grpc containerPort differs from Karma__GrpcPort")
    if ports.get("http") != int(cfg.get("Karma__HttpPort", 8080)): fail("http containerPort differs from Karma__HttpPort")
    if c["readinessProbe"].get("grpc", {}).get("port") != ports["grpc"]: fail("readiness is not the gRPC health probe on the grpc port")
    if c["livenessProbe"].get("httpGet", {}).get("path") != "/healthz": fail("liveness is not /healthz")
    if "startupProbe" not in c: fail("no startup probe")
    stop = int(cfg["Karma__ShutdownTimeoutSeconds"]); drain = int(cfg["Karma__DrainDelaySeconds"])
    if not drain < stop < pod["terminationGracePeriodSeconds"]:
        fail(f"need DrainDelaySeconds ({drain}) < ShutdownTimeoutSeconds ({stop}) < terminationGracePeriodSeconds ({pod['terminationGracePeriodSeconds']})")
    sc = c["securityContext"]
    if not (pod["securityContext"].get("runAsNonRoot") and sc.get("readOnlyRootFilesystem") and sc["capabilities"]["drop"] == ["ALL"]):
        fail("not non-root / read-only root / all capabilities dropped")
    mounts = [m["mountPath"] for m in c["volumeMounts"]]
    if not any(cfg["Karma__PackageCacheDir"].startswith(m + "/") for m in mounts): fail("Karma__PackageCacheDir is not on a writable volume")
    if "limits" not in c["resources"] or "requests" not in c["resources"]: fail("resources need requests and limits")
    for svc in (d for d in docs if d["kind"] == "Service" and d["metadata"]["name"].startswith("karma-serving")):
        if svc["spec"]["selector"].items() - dep["spec"]["selector"]["matchLabels"].items(): fail(f"{svc['metadata']['name']} selects no serving pod")
        for p in svc["spec"]["ports"]:
            if p["targetPort"] not in ports: fail(f"{svc['metadata']['name']} targets unknown port {p['targetPort']}")
    if get("Service", "karma-serving-headless")["spec"].get("clusterIP") != "None": fail("headless Service is not headless")
    pdb = get("PodDisruptionBudget", "karma-serving"); hpa = get("HorizontalPodAutoscaler", "karma-serving")
    if pdb["spec"]["selector"]["matchLabels"] != dep["spec"]["selector"]["matchLabels"]: fail("PDB selector differs from the Deployment's")
    if hpa["spec"]["scaleTargetRef"]["name"] != dep["metadata"]["name"]: fail("HPA targets another Deployment")
    gpu = c["resources"]["limits"].get("nvidia.com/gpu")
    if flavour == "gpu":
        if str(gpu) != "1" or not any(t.get("key") == "nvidia.com/gpu" for t in pod.get("tolerations", [])): fail("no nvidia.com/gpu limit or toleration")
        if not c["image"].endswith("-gpu") or cfg["Karma__Device"] != "cuda": fail("gpu overlay must use the -gpu image and Karma__Device=cuda")
    elif gpu is not None: fail("cpu overlay asks for a GPU")
print("\n".join(problems) or "ports, probes, shutdown timing, security context, selectors and GPU settings agree")
sys.exit(1 if problems else 0)
EOF
}
check "manifests agree (ports, probes, drain timing, selectors, GPU)" consistency

# ---- 3. compose
compose() {
  docker-compose -f deploy/compose/compose.yaml config > "$work/compose.yaml" || return 1
  python3 - "$work/compose.yaml" "$repo" <<'EOF'
import os, re, sys, yaml
c = yaml.safe_load(open(sys.argv[1])); repo = sys.argv[2]; problems = []
for name, s in c["services"].items():
    for v in s.get("volumes", []):
        src = v.split(":")[0] if isinstance(v, str) else v.get("source", "")
        if src.startswith("/") and not os.path.exists(src): problems.append(f"{name}: mounts missing {src}")
        elif src.startswith("/") and not os.path.realpath(src).startswith(repo + "/"): problems.append(f"{name}: mounts {src} outside the repo")
    b = s.get("build")
    if b:
        dockerfile = os.path.join(b["context"], b.get("dockerfile", "Dockerfile"))
        stages = re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", open(dockerfile).read(), re.M | re.I)
        if b.get("target") not in stages: problems.append(f"{name}: build target {b.get('target')} is not a stage of {dockerfile}")
for want in ("karma", "redis", "otel-collector", "prometheus", "grafana"):
    if want not in c["services"]: problems.append(f"no service {want}")
print("\n".join(problems) or f"{len(c['services'])} services; every mounted file and the build target exist")
sys.exit(1 if problems else 0)
EOF
}
check "compose file parses; mounts and build target exist (docker-compose config)" compose

# ---- 4. Prometheus and the collector
check "alert rules (promtool check rules)" promtool check rules deploy/prometheus/karma-alerts.yml
prom_config() {
  sed "s#/etc/prometheus/rules/\*.yml#$repo/deploy/prometheus/*.yml#" deploy/compose/prometheus.yml > "$work/prometheus.yml"
  promtool check config "$work/prometheus.yml"
}
check "compose Prometheus config with the rules (promtool check config)" prom_config
collector() {
  python3 - deploy/compose/otel-collector.yaml <<'EOF'
import sys, yaml
c = yaml.safe_load(open(sys.argv[1])); problems = []
for pname, p in c["service"]["pipelines"].items():
    for kind in ("receivers", "processors", "exporters"):
        for comp in p.get(kind, []):
            if comp not in (c.get(kind) or {}): problems.append(f"pipeline {pname}: {kind[:-1]} {comp} is not defined")
if "otlp" not in c["receivers"]: problems.append("no OTLP receiver")
print("\n".join(problems) or "every pipeline component is defined; OTLP gRPC and HTTP received")
sys.exit(1 if problems else 0)
EOF
}
check "collector config is consistent (structure; no otelcol binary here)" collector

# ---- 5-7. the Dockerfile's cpu build, served like the image
dockerfile_policy() {
  python3 - Dockerfile <<'EOF'
import re, sys
t = open(sys.argv[1]).read(); problems = []
if not t.startswith("# syntax=docker/dockerfile:1"): problems.append("first line must be # syntax=docker/dockerfile:1")
stages = {m.group(2): m.group(1) for m in re.finditer(r"^FROM\s+(\S+)\s+AS\s+(\S+)", t, re.M)}
for target in ("cpu", "gpu"):
    if target not in stages: problems.append(f"no target {target}"); continue
    body = t.split(f"AS {target}\n", 1)[1].split("\nFROM ", 1)[0]
    for need, what in ((r"^USER\s+(?!0\b|root\b)\S+", "a non-root USER"), (r"^HEALTHCHECK\s", "a HEALTHCHECK"),
                       (r"^EXPOSE\s+50051\s+8080", "EXPOSE 50051 8080"), (r"^COPY models/default /models/default", "the baked model"),
                       (r"Karma__ModelPath=/models/default", "Karma__ModelPath"), (r"^ENTRYPOINT\s", "an ENTRYPOINT")):
        if not re.search(need, body, re.M): problems.append(f"{target}: needs {what}")
if "KarmaGpu=true" not in t: problems.append("the gpu build must pass -p:KarmaGpu=true")
print("\n".join(problems) or "targets cpu and gpu: non-root, health check, ports, baked model, entrypoint")
sys.exit(1 if problems else 0)
EOF
}
check "Dockerfile structure (no hadolint in Debian or npm: structural check instead)" dockerfile_policy
check "Dockerfile cpu target: restore + publish reproduced outside Docker" \
  python3 deploy/check/dockerfile_repro.py Dockerfile . "$work/cpu" cpu

grpc_port=$(free_port); http_port=$(free_port)
serve() {
  [ -f "$work/cpu/entrypoint.sh" ] || return 1
  (
    cd "$work/cpu" || exit 1
    # shellcheck disable=SC1091
    source runtime.env
    export Karma__GrpcPort="$grpc_port" Karma__HttpPort="$http_port" Karma__DrainDelaySeconds=2 Karma__ShutdownTimeoutSeconds=10
    exec bash entrypoint.sh
  ) > "$work/server.log" 2>&1 &
  server_pid=$!
  echo "started the published output (pid $server_pid), gRPC :$grpc_port, HTTP :$http_port, model $work/cpu/models/default"
  for _ in $(seq 1 240); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http_port/readyz")" = 200 ]; then break; fi
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; return 1; }
    sleep 0.5
  done
  local ok=0
  for path in /healthz /readyz; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http_port$path"); echo "GET $path: $code"; [ "$code" = 200 ] || ok=1
  done
  (cd "$work/cpu" && Karma__HttpPort="$http_port" bash healthcheck.sh) && echo "image HEALTHCHECK command: healthy" || { echo "image HEALTHCHECK command failed"; ok=1; }
  node deploy/check/grpc-health.mjs "127.0.0.1:$grpc_port" "" SERVING || ok=1
  node deploy/check/grpc-health.mjs "127.0.0.1:$grpc_port" karma.v1.Retrieval SERVING || ok=1
  grep -q "Serving model" "$work/server.log" && grep -o "Serving model.*" "$work/server.log" | head -1
  return $ok
}
check "published cpu output serves the baked model: /healthz, /readyz, HEALTHCHECK, gRPC health" serve

cli="src/Karma.Cli/bin/Release/net10.0/linux-x64/karma.dll"
metrics() {
  kill -0 "${server_pid:-0}" 2>/dev/null || { echo "no server"; return 1; }
  [ -f "$cli" ] || dotnet build src/Karma.Cli -c Release -v quiet -nologo > /dev/null || return 1
  dotnet "$cli" client search --target "http://127.0.0.1:$grpc_port" --history "$(head -n 2 models/default/item_catalog.jsonl | sed 's/.*"item_id":"\([^"]*\)".*/\1/' | paste -sd,)" --query "running shoes" | tail -4 || return 1
  dotnet "$cli" loadtest --target "http://127.0.0.1:$grpc_port" --rps 40 --duration 3 --warmup 1 \
    --mix search:40,recall:20,prerank:20,encode:20 --out "$work/loadtest" | tail -4 || return 1
  # And one bad request, as production sees them: INVALID_ARGUMENT (an exception inside the service), so the
  # error and exception series exist as they would on a real pod.
  if dotnet "$cli" client search --target "http://127.0.0.1:$grpc_port" --history no-such-item > /dev/null 2>&1; then
    echo "a search with only an unknown history id was not refused"; return 1
  fi
  sleep 1
  curl -sf "http://127.0.0.1:$http_port/metrics" > "$work/scrape.txt" || return 1
  echo "scraped $(grep -c '^# TYPE' "$work/scrape.txt") metric families"
  node deploy/check/check-metrics.mjs "$work/scrape.txt" deploy/grafana/karma-serving.json deploy/prometheus/karma-alerts.yml
}
check "dashboard and alert queries use only metrics in a real scrape (after real calls)" metrics

graceful_stop() {
  kill -0 "${server_pid:-0}" 2>/dev/null || { echo "no server"; return 1; }
  local ok=0
  kill -TERM "$server_pid"
  sleep 0.7
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http_port/readyz"); echo "during the drain: GET /readyz $code (want 503)"; [ "$code" = 503 ] || ok=1
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http_port/healthz"); echo "during the drain: GET /healthz $code (want 200)"; [ "$code" = 200 ] || ok=1
  node deploy/check/grpc-health.mjs "127.0.0.1:$grpc_port" karma.v1.Retrieval NOT_SERVING || ok=1
  for _ in $(seq 1 60); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$server_pid" 2>/dev/null; then echo "still running 30 s after SIGTERM"; ok=1; else
    wait "$server_pid"; rc=$?; echo "exited with $rc after SIGTERM"; [ "$rc" = 0 ] || ok=1; fi
  server_pid=""
  return $ok
}
check "SIGTERM: readiness NOT_SERVING while live, then a clean exit" graceful_stop

# ---- 8. gpu target: build only
gpu_build() {
  python3 deploy/check/dockerfile_repro.py Dockerfile . "$work/gpu" gpu --build-only || return 1
  ls "$work/gpu/out/libonnxruntime_providers_cuda.so" > /dev/null && grep -q '"Microsoft.ML.OnnxRuntime.Gpu.Linux/' "$work/gpu/out/Karma.Serving.deps.json" \
    && echo "published with ONNX Runtime GPU (libonnxruntime_providers_cuda.so present)"
}
check "Dockerfile gpu target: restore + publish with -p:KarmaGpu=true reproduced (not runnable: no GPU)" gpu_build
rm -rf "$work/gpu"

skip "image build and run, CUDA execution, a real cluster" "no container engine, GPU or Kubernetes API on this machine"

echo
echo "== deployment checks"
printf '%s\n' "${results[@]}"
exit $failed
