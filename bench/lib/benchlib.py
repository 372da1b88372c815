"""What every benchmark step shares: the mode, the processes it runs, and the markdown it prints.

A step imports this module (bench/run puts bench/lib on PYTHONPATH), starts what it needs with the
context managers below, so everything it started is stopped however it ends, and prints its markdown
section on stdout. Progress goes to stderr.
"""
import ctypes
import importlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SMOKE = os.environ.get("BENCH_SMOKE") == "1"
WORK = Path(os.environ.get("BENCH_WORK") or "/tmp/jairouter-bench")
ROUTER_JAR = REPO / "control-plane/target/jairouter.jar"
# The router's JVM runs as run-demo.sh and the image run it: its options file and the build's CDS archive.
ROUTER_JVM = ["@" + str(REPO / "control-plane/jvm.options"),
              "-XX:SharedArchiveFile=" + str(REPO / "control-plane/target/jairouter.jsa")]
FIXTURES_JAR = REPO / "test-fixtures/target/test-fixtures.jar"
ENVOY_INSTALL_DIR = REPO / "envoy/.dist"
# Python packages a step needs beyond the standard library, installed from PyPI (ignored by git).
PYTHON_PACKAGES_DIR = REPO / "bench/.python-packages"

# Requests sent to each model; the router config and the direct URLs below use the same names.
CHAT_BODY = b'{"model":"bench-chat","messages":[{"role":"user","content":"Hello"}],"max_tokens":16}'
SSE_BODY = b'{"model":"bench-sse","stream":true,"messages":[{"role":"user","content":"Hello"}]}'
TTS_BODY = b'{"model":"bench-tts","input":"Hello","voice":"alloy"}'

# A SIGTERM to a step (bench/run forwards one on Ctrl-C or timeout) unwinds it like an exception,
# so every `with` block below stops its processes.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def log(message):
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _die_with_parent():
    # Even a step killed with SIGKILL leaves no backend or router behind: the kernel sends them SIGTERM.
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def work_path(name):
    """A path in the step's scratch folder (bench/run gives each step its own)."""
    WORK.mkdir(parents=True, exist_ok=True)
    return WORK / name


def python_package(module, requirement):
    """Imports `module`, first installing `requirement` from PyPI into PYTHON_PACKAGES_DIR when it is
    missing there (pip, seconds; smoke mode too, as the step's code path needs it)."""
    if str(PYTHON_PACKAGES_DIR) not in sys.path:
        sys.path.insert(0, str(PYTHON_PACKAGES_DIR))
    try:
        return importlib.import_module(module)
    except ImportError:
        log(f"installing {requirement} into {PYTHON_PACKAGES_DIR}")
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        "--root-user-action=ignore", "--target", str(PYTHON_PACKAGES_DIR), requirement], check=True)
        importlib.invalidate_caches()
        return importlib.import_module(module)


def free_port():
    """A port the OS says is free now (nginx cannot report a port 0 binding back to us)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


@dataclass
class Running:
    proc: subprocess.Popen
    matches: list        # one re.Match per expected ready line
    ready_seconds: float  # from spawning the process to its last expected line
    lines: list           # (seconds since spawn, line) of everything printed so far


@contextmanager
def process(name, argv, ready=None, expect=1, timeout=120.0):
    """Runs argv for the duration of the block; its output goes to WORK/<name>.log.

    With `ready` (a regex), first waits for `expect` output lines matching it. Always stops the
    process at the end: SIGTERM (the control plane then stops its Envoy), SIGKILL after 15 s.
    """
    argv = [str(a) for a in argv]
    log(f"start {name}: {shlex.join(argv)}")
    spawned = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            preexec_fn=_die_with_parent)
    lines, seen = [], threading.Condition()

    def pump():  # drains the pipe for the whole run, so a chatty process never blocks on it
        with open(work_path(f"{name}.log"), "w") as out:
            for line in proc.stdout:
                out.write(line)
                out.flush()
                with seen:
                    lines.append((time.monotonic() - spawned, line.rstrip("\n")))
                    seen.notify_all()
        proc.wait()  # so that a waiter woken by the end of output sees the exit
        with seen:
            seen.notify_all()

    threading.Thread(target=pump, daemon=True).start()
    try:
        matches, ready_seconds = [], 0.0
        if ready:
            pattern = re.compile(ready)
            with seen:
                ok = seen.wait_for(lambda: _matches(lines, pattern, expect) or proc.poll() is not None,
                                   timeout)
                found = _matches(lines, pattern, expect)
            if not ok or not found:
                tail = "\n".join(line for _, line in lines[-20:])
                raise RuntimeError(f"{name} not ready after {timeout} s (exit {proc.poll()}):\n{tail}")
            matches, ready_seconds = [m for _, m in found], found[-1][0]
        yield Running(proc, matches, ready_seconds, lines)
    finally:
        _stop(name, proc)


def _matches(lines, pattern, expect):
    found = [(t, m) for t, m in ((t, pattern.search(line)) for t, line in lines) if m]
    return found if len(found) >= expect else None


def _stop(name, proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            log(f"{name} ignored SIGTERM; killing it")
            proc.kill()
            proc.wait()


# ---- the router and its backends ------------------------------------------------------------------

@dataclass
class Router:
    url: str          # http://127.0.0.1:PORT
    work_dir: Path
    pid: int          # the control plane's JVM
    envoy_pid: int
    running: Running


@contextmanager
def router(name, config_yaml, xds_port=0, status_port=0):
    """The control plane (and its Envoy) serving config_yaml, on free ports, until the block ends.

    A control plane that is started again (Router.running.proc.args) needs fixed xDS and status ports:
    its Envoys' bootstraps name the first, and the second is part of the config it sends them."""
    config = work_path(f"{name}.yml")
    config.write_text(config_yaml)
    argv = ["java", *ROUTER_JVM, "-jar", ROUTER_JAR, "--config", config, "--envoy-install-dir", ENVOY_INSTALL_DIR,
            "--xds-port", xds_port, "--status-port", status_port, "--admin-port", 0,
            "--work-dir", work_path(f"{name}-work")]
    with process(name, argv, ready=r"JAiRouter ready: http://[^:]+:(\d+)/v1") as running:
        envoy = _child_named(running.proc.pid, "envoy")
        try:
            yield Router(f"http://127.0.0.1:{running.matches[0].group(1)}", work_path(f"{name}-work"),
                         running.proc.pid, envoy, running)
        finally:
            _stop(name, running.proc)
            # The control plane stops its Envoy on SIGTERM; if it did not, stop that one process.
            if _alive(envoy):
                log(f"{name}: Envoy {envoy} outlived its control plane; stopping it")
                os.kill(envoy, signal.SIGTERM)


def _child_named(pid, command):
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += (task / "children").read_text().split()
    for child in children:
        if Path(f"/proc/{child}/comm").read_text().strip() == command:
            return int(child)
    raise RuntimeError(f"process {pid} has no child named {command}")


def _alive(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


@contextmanager
def stub_backends(*names):
    """The project's stub OpenAI backends (test-fixtures), one per name, in one JVM: {name: base URL}.

    A name may carry the stub's options after a colon: "stalled:first-token-delay=30"."""
    argv = ["java", "-jar", FIXTURES_JAR] + [f"{n.partition(':')[0]}=0" + (":" + n.partition(':')[2] if ':' in n else "")
                                            for n in names]
    with process("stubs", argv, ready=r"stub (\S+) listening on (\S+)", expect=len(names)) as running:
        yield {m.group(1): m.group(2) for m in running.matches}


@contextmanager
def simulators(model, time_scale, specs):
    """Simulated vLLM servers (test-fixtures' SimulatorMain) in one JVM: {name: base URL}.

    specs maps a name to its settings, e.g. {"half": "speed=0.5:capacity=8"} ("" keeps the defaults).
    """
    argv = ["java", "-cp", FIXTURES_JAR, "org.jairouter.fixtures.sim.SimulatorMain", "--model", model,
            "--time-scale", time_scale] + [f"{n}=0" + (f":{s}" if s else "") for n, s in specs.items()]
    with process("simulators", argv, ready=r"sim (\S+) listening on (\S+)", expect=len(specs)) as running:
        yield {m.group(1): m.group(2) for m in running.matches}


NGINX = shutil.which("nginx", path=os.environ.get("PATH", "") + ":/usr/sbin")  # not on a user's PATH

# A complete chat.completion as an OpenAI server returns it, fixed so that nginx answers it from memory.
CHAT_REPLY = ('{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"bench-chat",'
              '"choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?",'
              '"refusal":null},"logprobs":null,"finish_reason":"stop"}],'
              '"usage":{"prompt_tokens":9,"completion_tokens":9,"total_tokens":18}}')
# A whole chat stream in one answer, for instances whose base-url ends in SSE_PREFIX: what a streamed request
# costs the router, the server's time left out.
SSE_PREFIX = "/sse"
CHAT_STREAM = ('data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,'
               '"model":"bench-chat","choices":[{"index":0,"delta":{"role":"assistant","content":"Hello!"},'
               '"finish_reason":"stop"}]}\\n\\ndata: [DONE]\\n\\n')
# What the router's active health check (GET the models path) needs to see the backend as healthy.
MODELS_REPLY = '{"object":"list","data":[{"id":"bench-chat","object":"model","created":0,"owned_by":"bench"}]}'


@contextmanager
def nginx(speech_bytes):
    """nginx answering chat with CHAT_REPLY (under SSE_PREFIX with CHAT_STREAM) and speech with a speech_bytes
    file: its base URL."""
    root = work_path("nginx")
    (root / "tmp").mkdir(parents=True, exist_ok=True)
    speech = root / "speech.mp3"
    with open(speech, "wb") as f:
        f.truncate(speech_bytes)
    port = free_port()
    # Started as root, nginx would run its workers as nobody, who cannot read our private scratch
    # folder: run them as root too (the directive is ignored when we are not root).
    # POST to a static file is 405 in nginx; error_page turns it into a GET of the same file, so
    # nginx sends the file with sendfile, the fastest download it can do.
    (root / "nginx.conf").write_text(f"""
daemon off;
user root;
worker_processes 1;
pid {root}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 10000000;
  client_body_temp_path {root}/tmp;
  server {{
    listen 127.0.0.1:{port} reuseport backlog=4096;
    location = /v1/chat/completions {{ default_type application/json; return 200 '{CHAT_REPLY}'; }}
    location = /v1/models {{ default_type application/json; return 200 '{MODELS_REPLY}'; }}
    location = {SSE_PREFIX}/v1/chat/completions {{ default_type text/event-stream; return 200 '{CHAT_STREAM}'; }}
    location = {SSE_PREFIX}/v1/models {{ default_type application/json; return 200 '{MODELS_REPLY}'; }}
    location = /v1/audio/speech {{
      alias {speech}; default_type audio/mpeg; sendfile on; error_page 405 =200 $uri;
    }}
  }}
}}
""")
    with process("nginx", [NGINX, "-p", root, "-c", root / "nginx.conf"]):
        wait_port(port)
        yield f"http://127.0.0.1:{port}"


def plain_envoy(binary, host, port, name="plain-envoy"):
    """Envoy with one static route to host:port and only the router filter: the cost of an Envoy hop
    itself, the floor under JAiRouter's. Give it the router's binary; it runs as many workers. `name`
    (its work folder) tells several apart. Yields (base URL, pid)."""
    return _started(binary, plain_envoy_config(host, port, name))


def plain_envoy_config(host, port, name="plain-envoy"):
    """plain_envoy's config, written but not started: (name, config file, listen port)."""
    return _static_config(name, host, port, routes='[{match: {prefix: "/"}, route: {cluster: backend}}]')


# json_to_metadata reads `model` and clears the route cache; the route then matches on it.
_MODEL_READER = """
          - name: envoy.filters.http.json_to_metadata
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.json_to_metadata.v3.JsonToMetadata
              request_rules:
                rules:
                - selectors: [{key: model}]
                  on_present: {metadata_namespace: bench, key: model}"""


# json_to_metadata's response rules reading a chat answer's usage, as JAiRouter's JSON usage reader does.
_USAGE_READER = """
          - name: usage
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.json_to_metadata.v3.JsonToMetadata
              response_rules:
                rules:
                - selectors: [{key: usage}, {key: prompt_tokens}]
                  on_present: {metadata_namespace: bench.usage, key: input_tokens, type: NUMBER}
                - selectors: [{key: usage}, {key: completion_tokens}]
                  on_present: {metadata_namespace: bench.usage, key: output_tokens, type: NUMBER}"""


def body_routing_envoy(binary, host, port, model, usage=False):
    """plain_envoy plus the one thing JAiRouter's design requires: reading `model` from the JSON body
    (json_to_metadata) and a route matched on it (other models get a 404). The floor under any router
    that routes on the body. With `usage`, it also reads the answer's token usage (json_to_metadata's
    response rules): what that reading costs alone. Yields (base URL, pid)."""
    return _started(binary, body_routing_envoy_config(host, port, model, usage))


def body_routing_envoy_config(host, port, model, usage=False):
    """body_routing_envoy's config, written but not started: (name, config file, listen port)."""
    routes = (f'[{{match: {{prefix: "/", dynamic_metadata: [{{filter: bench, path: [{{key: model}}], '
              f'value: {{string_match: {{exact: "{model}"}}}}}}]}}, route: {{cluster: backend}}}}, '
              f'{{match: {{prefix: "/"}}, direct_response: {{status: 404}}}}]')
    return _static_config("body-routing-envoy" + ("-usage" if usage else ""), host, port, routes,
                          _MODEL_READER + (_USAGE_READER if usage else ""))


@contextmanager
def _started(binary, config):
    """The Envoy of a _static_config until the block ends. Yields (base URL, pid)."""
    name, path, listen = config
    with envoy_process(name, binary, path, listen) as pid:
        yield f"http://127.0.0.1:{listen}", pid


def _static_config(name, host, port, routes, filters=""):
    """A static Envoy config in the work folder: the given routes and HTTP filters (then the router) in
    front of one backend at host:port. Returns (name, config file, listen port)."""
    root = work_path(name)
    root.mkdir(exist_ok=True)
    listen, admin = free_port(), free_port()
    (root / "envoy.yaml").write_text(f"""
admin: {{address: {{socket_address: {{address: 127.0.0.1, port_value: {admin}}}}}}}
static_resources:
  listeners:
  - address: {{socket_address: {{address: 127.0.0.1, port_value: {listen}}}}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: plain
          route_config:
            virtual_hosts:
            - {{name: all, domains: ["*"], routes: {routes}}}
          http_filters:{filters}
          - name: envoy.filters.http.router
            typed_config: {{"@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}}
  clusters:
  - name: backend
    type: STATIC
    load_assignment:
      cluster_name: backend
      endpoints:
      - lb_endpoints: [{{endpoint: {{address: {{socket_address: {{address: {host}, port_value: {port}}}}}}}}}]
""")
    return name, root / "envoy.yaml", listen


@contextmanager
def envoy_process(name, binary, config_file, listen):
    """Envoy on a config file, until the block ends; yields its pid once `listen` takes connections."""
    argv = [binary, "-c", config_file, "--disable-hot-restart", "--log-level", "warning"]
    with process(name, argv) as running:
        wait_port(listen)
        yield running.proc.pid


def envoy_config_dump(work_dir):
    """The live config (with endpoints) of the Envoy a router started with `--work-dir work_dir`."""
    admin = (Path(work_dir) / "envoy-admin-address").read_text().strip()
    with urllib.request.urlopen(f"http://{admin}/config_dump?include_eds", timeout=10) as response:
        return json.loads(response.read())


@dataclass
class Setup:
    """A router and its backends; URLs by model, both direct to the backend and through the router."""
    router: Router
    direct: dict   # model -> full URL at the backend
    routed: dict   # model -> full URL through the router
    notes: list    # what differs from the full setup (fallbacks), to print with the figures
    config: str    # the router's config, to start another router on the same backends


OPENAI_PATHS = {"chat": "/v1/chat/completions", "tts": "/v1/audio/speech", "stt": "/v1/audio/transcriptions"}


@contextmanager
def traffic_setup(speech_bytes=64 << 20):
    """Backends and a router for the traffic figures.

    bench-chat and bench-tts are served by nginx (fast enough never to be the bottleneck); bench-sse
    and bench-stt by the project's stubs, which stream SSE every 20 ms and parse multipart uploads.
    Without nginx, the stub serves all four models and the figures say so.
    """
    notes = []
    with stub_backends("stub") as stubs:
        with (nginx(speech_bytes) if NGINX else _no_nginx(notes)) as fast:
            chat_and_tts = fast or stubs["stub"]
            backends = {"bench-chat": ("chat", chat_and_tts), "bench-tts": ("tts", chat_and_tts),
                        "bench-sse": ("chat", stubs["stub"]), "bench-stt": ("stt", stubs["stub"])}
            services = {}
            for model, (service, base) in backends.items():
                services.setdefault(service, []).append(
                    f'        - name: "{model}"\n          base-url: "{base}"\n')
            config = "server:\n  port: 0\n  address: 127.0.0.1\nmodel:\n  services:\n" + "".join(
                f"    {service}:\n      instances:\n" + "".join(instances)
                for service, instances in services.items())
            with router("router", config) as r:
                yield Setup(r, {m: base + OPENAI_PATHS[s] for m, (s, base) in backends.items()},
                            {m: r.url + OPENAI_PATHS[s] for m, (s, _) in backends.items()}, notes, config)


@contextmanager
def _no_nginx(notes):
    notes.append("nginx is not installed: the stub backend (Java) serves chat and speech, so these "
                 "figures partly measure the stub, and the speech download is the stub's 32 KB.")
    yield None


SERVICES = ["chat", "embedding", "rerank", "tts", "stt", "img-gen", "img-edit"]
POLICIES = ["random", "round-robin", "least-connections", "ip-hash"]


def instances_config(count, per_model=10):
    """A valid config of `count` instances, `per_model` per model, the models dealt over all seven
    services, each service with one of the load-balancing policies. Every instance has its own
    loopback address (never called: these configs measure the control plane, not traffic)."""
    services = {service: [] for service in SERVICES}
    for k in range(count):
        model = k // per_model
        services[SERVICES[model % len(SERVICES)]].append(
            f'        - name: "model-{model}"\n          base-url: "http://127.0.{k // 250}.{k % 250 + 1}:8000"\n')
    return "server:\n  port: 0\n  address: 127.0.0.1\nmodel:\n  services:\n" + "".join(
        f"    {service}:\n      load-balance:\n        type: {POLICIES[i % len(POLICIES)]}\n"
        f"      instances:\n" + "".join(instances)
        for i, (service, instances) in enumerate(services.items()) if instances)


# ---- measuring and printing ---------------------------------------------------------------------

def percentile(sorted_values, p):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * p // 100))
    return sorted_values[int(rank) - 1]


def cpu_seconds(pid):
    """User + system CPU time a process has used so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def thread_cpu_seconds(pid):
    """CPU time the live threads of a process have used so far, to the nanosecond (/proc schedstat), where
    cpu_seconds counts clock ticks (10 ms). Threads that ended no longer count: use it over spans that a
    process's threads outlive, such as one transfer through an Envoy."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with suppress(FileNotFoundError, ProcessLookupError):
            total += int((task / "schedstat").read_text().split()[0])
    return total / 1e9


def rss_mib(pid, field="VmRSS"):
    """Resident memory of a process from /proc (VmHWM is the peak)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for process {pid}")


def target(name, goal, measured, met):
    """Records a target for the summary at the top of the report; returns its words for the step's text."""
    verdict = "met" if met else "**missed**"
    if os.environ.get("BENCH_TARGETS"):
        with open(os.environ["BENCH_TARGETS"], "a") as out:
            out.write(json.dumps([name, goal, measured, verdict]) + "\n")
    return f"Target: {name} {goal}; measured {measured}: {verdict}."


def table(headers, rows):
    """A markdown table; numbers print as they are given, so callers format them."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def ms(seconds, digits=2):
    return f"{seconds * 1000:.{digits}f}"


def notes(lines):
    """Notes on what differs from the full setup, as quoted paragraphs (nothing when all is as planned)."""
    return "".join(f"> {line}\n\n" for line in lines)


def commands_block(commands):
    """The exact commands a step ran, as a fenced block, with paths in the repository made relative
    (ports and scratch folders are those of that run)."""
    return "```\n" + "\n".join(c.replace(f"{REPO}/", "") for c in commands) + "\n```\n"
