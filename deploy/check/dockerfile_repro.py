#!/usr/bin/env python3
"""Reproduces a Dockerfile target's build outside Docker, for a machine without a container engine.

Reads the Dockerfile (so the commands cannot drift from it), follows the stages the target needs, and in a
scratch directory ROOT that stands for the container's "/":
  * COPY from the build context (honouring .dockerignore) and COPY --from=<stage> are done as file copies;
  * WORKDIR, ARG and ENV are tracked; RUN commands of build stages are run with bash, with container paths
    rewritten into ROOT (e.g. `-o /out` -> `-o ROOT/out`);
  * stages FROM an external image are not reproduced (their files are the base image's); RUN commands of the
    target stage itself (apt-get, useradd: image-level setup) are listed, not run.
For the target stage it writes ROOT/runtime.env (its ENV, paths rewritten), ROOT/entrypoint.sh (its ENTRYPOINT)
and ROOT/healthcheck.sh (its HEALTHCHECK CMD), so a caller can start the result and probe it like the image.

usage: dockerfile_repro.py DOCKERFILE CONTEXT ROOT TARGET [--build-only]
"""
import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys


def logical_lines(text):
    """Instructions with continuations joined, comments and blank lines dropped."""
    out, cur = [], ""
    for raw in text.splitlines():
        line = raw.rstrip()
        if not cur and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.lstrip().startswith("#"):
            continue
        if line.endswith("\\"):
            cur += line[:-1] + " "
            continue
        out.append((cur + line).strip())
        cur = ""
    if cur:
        out.append(cur.strip())
    return out


def parse(text):
    """Global ARGs and the stages: [{'name', 'base', 'instructions': [(op, args)]}]."""
    global_args, stages = {}, []
    for line in logical_lines(text):
        op, _, rest = line.partition(" ")
        op = op.upper()
        if op == "FROM":
            parts = rest.split()
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            stages.append({"name": name, "base": parts[0], "instructions": []})
        elif not stages:
            if op == "ARG":
                k, _, v = rest.partition("=")
                global_args[k.strip()] = v.strip()
        else:
            stages[-1]["instructions"].append((op, rest.strip()))
    return global_args, stages


def expand(value, env):
    return re.sub(r"\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)",
                  lambda m: env.get(m.group(1) or m.group(3), m.group(2) or ""), value)


class DockerIgnore:
    def __init__(self, context):
        self.patterns = []
        path = os.path.join(context, ".dockerignore")
        if os.path.exists(path):
            for line in open(path, encoding="utf-8"):
                line = line.strip()
                if line and not line.startswith("#"):
                    self.patterns.append(line.rstrip("/"))

    def ignored(self, rel):
        parts = rel.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        for p in self.patterns:
            for prefix in prefixes:
                if p.startswith("**/"):
                    tail = p[3:]
                    if fnmatch.fnmatch(prefix.split("/")[-1], tail) or fnmatch.fnmatch(prefix, tail) \
                            or fnmatch.fnmatch(prefix, "*/" + tail):
                        return True
                elif fnmatch.fnmatch(prefix, p):
                    return True
        return False


class Repro:
    def __init__(self, dockerfile, context, root):
        self.context = os.path.abspath(context)
        self.root = os.path.abspath(root)
        self.ignore = DockerIgnore(self.context)
        self.global_args, self.stages = parse(open(dockerfile, encoding="utf-8").read())
        self.by_name = {s["name"]: s for s in self.stages if s["name"]}
        self.roots = set()
        self.done = {}  # stage name -> (env, workdir) after it ran

    def host(self, path):
        """Container path -> host path under ROOT."""
        first = path.strip("/").split("/")[0]
        if first:
            self.roots.add(first)
        return os.path.join(self.root, path.lstrip("/"))

    def rewrite(self, text):
        """Rewrites container paths (tokens starting with a known root) into ROOT."""
        if not self.roots:
            return text
        alternatives = "|".join(sorted(map(re.escape, self.roots), key=len, reverse=True))
        return re.sub(r"(?<![\w./-])/(%s)(?=/|\b)" % alternatives, lambda m: self.root + "/" + m.group(1), text)

    def copy(self, src, dst):
        if os.path.isdir(src):
            for dirpath, dirnames, filenames in os.walk(src):
                rel_dir = os.path.relpath(dirpath, src)
                for f in filenames:
                    s = os.path.join(dirpath, f)
                    ctx_rel = os.path.relpath(s, self.context)
                    if s.startswith(self.context + os.sep) and self.ignore.ignored(ctx_rel):
                        continue
                    d = os.path.normpath(os.path.join(dst, rel_dir, f))
                    os.makedirs(os.path.dirname(d), exist_ok=True)
                    shutil.copy2(s, d)
        else:
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(src, dst)

    def run_stage(self, name, final, build_only):
        if name in self.done:
            return self.done[name]
        stage = self.by_name[name]
        base = stage["base"]
        args = dict(self.global_args)
        env = {}
        if base in self.by_name:
            env, workdir = (dict(x) if isinstance(x, dict) else x for x in self.run_stage(base, False, build_only))
        elif final and build_only:
            return {}, "/"
        else:
            workdir = "/"
            print(f"  stage {name}: FROM {expand(base, args)} (the base image's files are not reproduced)")
        print(f"  stage {name}")
        runtime = {"env": {}, "entrypoint": None, "healthcheck": None, "expose": []}
        for op, rest in stage["instructions"]:
            scope = {**args, **env}
            if op == "ARG":
                k, _, v = rest.partition("=")
                args[k.strip()] = expand(v.strip(), scope) if v else args.get(k.strip(), "")
            elif op == "ENV":
                for k, v in re.findall(r"(\w+)=(\"[^\"]*\"|\S+)", rest):
                    env[k] = expand(v.strip('"'), scope)
                    runtime["env"][k] = env[k]
            elif op == "WORKDIR":
                workdir = os.path.join(workdir, expand(rest, scope))
                os.makedirs(self.host(workdir), exist_ok=True)
            elif op == "COPY":
                tokens = shlex.split(rest)
                source_stage = next((t.split("=", 1)[1] for t in tokens if t.startswith("--from=")), None)
                paths = [expand(t, scope) for t in tokens if not t.startswith("--")]
                srcs, dst = paths[:-1], paths[-1]
                dst_abs = dst if dst.startswith("/") else os.path.join(workdir, dst)
                if source_stage and source_stage not in self.by_name:
                    raise SystemExit(f"COPY --from={source_stage}: not a stage")
                if source_stage and self.by_name[source_stage]["base"] not in self.by_name \
                        and not any(op2 == "RUN" for op2, _ in self.by_name[source_stage]["instructions"]):
                    print(f"    COPY --from={source_stage} {' '.join(srcs)}: files of an external image, not reproduced")
                    continue
                if source_stage and source_stage not in self.done:
                    self.run_stage(source_stage, False, build_only)
                for s in srcs:
                    host_src = self.host(s) if source_stage else os.path.join(self.context, s)
                    if not os.path.exists(host_src):
                        raise SystemExit(f"COPY {s}: not found ({host_src})")
                    target = self.host(dst_abs)
                    if os.path.isfile(host_src) and (dst.endswith("/") or len(srcs) > 1):
                        target = os.path.join(target, os.path.basename(s.rstrip("/")))
                    if not source_stage and self.ignore.ignored(os.path.normpath(s)):
                        raise SystemExit(f"COPY {s}: excluded by .dockerignore")
                    self.copy(host_src, target)
                print(f"    COPY {'--from=' + source_stage + ' ' if source_stage else ''}{' '.join(srcs)} -> {dst_abs}")
            elif op == "RUN":
                command = expand(rest, scope)
                if final:
                    print(f"    RUN (image-level setup, not run here): {command}")
                    continue
                for token in re.findall(r"(?<![\w./-])/(\w[\w.-]*)", command):
                    if token not in ("dev", "usr", "etc", "bin", "var", "proc"):
                        self.roots.add(token)
                host_command = self.rewrite(command)
                print(f"    RUN {host_command}", flush=True)
                cwd = self.host(workdir)
                result = subprocess.run(["bash", "-ec", host_command], cwd=cwd, env={**os.environ, **env})
                if result.returncode != 0:
                    raise SystemExit(f"RUN failed with exit code {result.returncode}: {command}")
            elif op == "ENTRYPOINT":
                runtime["entrypoint"] = json.loads(rest)
            elif op == "HEALTHCHECK":
                m = re.search(r"\bCMD\s+(.*)$", rest)
                runtime["healthcheck"] = json.loads(m.group(1)) if m else None
            elif op == "EXPOSE":
                runtime["expose"] += rest.split()
        self.done[name] = (env, workdir)
        if final:
            self.write_runtime(runtime)
        return env, workdir

    def write_runtime(self, runtime):
        with open(os.path.join(self.root, "runtime.env"), "w", encoding="utf-8") as f:
            for k, v in runtime["env"].items():
                f.write(f"export {k}={shlex.quote(self.rewrite(v))}\n")
        for name, argv in (("entrypoint.sh", runtime["entrypoint"]), ("healthcheck.sh", runtime["healthcheck"])):
            if argv:
                with open(os.path.join(self.root, name), "w", encoding="utf-8") as f:
                    f.write("#!/usr/bin/env bash\nexec " + " ".join(shlex.quote(self.rewrite(a)) for a in argv) + "\n")
        with open(os.path.join(self.root, "expose.txt"), "w", encoding="utf-8") as f:
            f.write(" ".join(runtime["expose"]) + "\n")


def main():
    if len(sys.argv) < 5:
        raise SystemExit(__doc__)
    dockerfile, context, root, target = sys.argv[1:5]
    build_only = "--build-only" in sys.argv[5:]
    os.makedirs(root, exist_ok=True)
    repro = Repro(dockerfile, context, root)
    if target not in repro.by_name:
        raise SystemExit(f"no stage {target} in {dockerfile}")
    repro.run_stage(target, True, build_only)
    if build_only:
        # The build stages the target copies from, run on their own (the target's base is an external image).
        for op, rest in repro.by_name[target]["instructions"]:
            if op == "COPY" and "--from=" in rest:
                stage = rest.split("--from=")[1].split()[0]
                if repro.by_name[stage]["base"] in repro.by_name and stage not in repro.done:
                    repro.run_stage(stage, False, build_only)


if __name__ == "__main__":
    main()
