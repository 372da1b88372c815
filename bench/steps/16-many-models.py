#!/usr/bin/env python3
"""What a model's place in the route table costs: Envoy walks a virtual host's routes in order until one
matches, so with 1,000 chat models a request for the last model's route is matched after all the others."""
import json
import urllib.request

import benchlib as b
import clients as c

MODELS = 10 if b.SMOKE else 1_000
WARMUP_SECONDS = 1 if b.SMOKE else 2
SECONDS = 1 if b.SMOKE else 5
CONNECTIONS = 16
ROUNDS = 1 if b.SMOKE else 3


def config(base_url, models):
    """Chat models m-0000… all served by the one backend (nginx answers any model)."""
    instances = "".join(f'        - name: "{model}"\n          base-url: "{base_url}"\n' for model in models)
    return "server:\n  port: 0\n  address: 127.0.0.1\nmodel:\n  services:\n    chat:\n      instances:\n" + instances


def chat_body(model):
    return json.dumps({"model": model, "messages": [{"role": "user", "content": "Hello"}],
                       "max_tokens": 16}).encode()


def route_names(router):
    """The route names of the router's Envoy, in the order Envoy walks them."""
    admin = next(router.work_dir.rglob("envoy-admin-address")).read_text().strip()
    dump = json.load(urllib.request.urlopen(f"http://{admin}/config_dump?resource=dynamic_route_configs",
                                            timeout=10))
    routes = dump["configs"][0]["route_config"]["virtual_hosts"][0]["routes"]
    return [route["name"] for route in routes]


def measure(router, model):
    return lambda: c.wrk_cpu(router, router.url + "/v1/chat/completions", chat_body(model), CONNECTIONS,
                             WARMUP_SECONDS, SECONDS)


def main():
    print("## Many models: the route table walked per request\n")
    if not c.WRK:
        print("wrk is not installed: not measured (Debian package `wrk`; outside smoke mode `bench/run` "
              "installs it).\n")
        return
    models = [f"m-{i:04d}" for i in range(MODELS)]
    notes = [] if b.NGINX else ["nginx is not installed: the stub backend (Java) answers, so these figures "
                                "partly measure the stub."]
    with (b.nginx(1024) if b.NGINX else b.stub_backends("stub")) as backend:
        base = backend if isinstance(backend, str) else backend["stub"]
        with b.router("one-model", config(base, models[:1])) as one, \
                b.router("many-models", config(base, models)) as many:
            names = route_names(many)
            first, last = (names.index(f"chat:{model}") + 1 for model in (models[0], models[-1]))
            labels = {"off": "1 model", "first": f"{MODELS:,} models, the first model (route {first} of {len(names)})",
                      "on": f"{MODELS:,} models, the last model (route {last} of {len(names)})"}
            _, rows, extra = c.compare_cpu({"off": measure(one, models[0]), "first": measure(many, models[0]),
                                            "on": measure(many, models[-1])}, ROUNDS)
    for row in rows:
        row[0] = labels[row[0]]
    print(b.notes(notes) + b.table(["config", "requests/s", "Envoy CPU µs/request", "control plane CPU µs/request",
                                    "total CPU µs/request", "socket errors"], rows)
          + f"\nSmall chat completions (as in the first section) at {CONNECTIONS} connections, {SECONDS} s per run "
          f"after a {WARMUP_SECONDS} s warm-up, {ROUNDS} alternating run(s) per row, the run with the median "
          "Envoy CPU shown; both routers run at once with default monitoring. Each model is its own route, "
          "matched on the path and on the `model` the body reader put in the request's metadata, and Envoy "
          "tries the routes in order, twice per request: before the body is read (it stops at the service's "
          "`awaiting_body` route, ahead of the models; it used to walk every model's route to the "
          "`model_not_found` at the end, +50% CPU per request at 1,000 models) and once the model is known. "
          f"The last of {MODELS:,} models costs {extra:+.0%} total CPU per request against a config of one "
          "model. A matcher tree on the model (the virtual host's `matcher`, a map lookup instead of a walk) "
          "would make the cost independent of the model's place, but Envoy 1.40 refuses one on metadata (\"Route "
          "table can only match on request headers\"), and no native filter can copy a value read from the body "
          "into a header.\n")


main()
