#!/usr/bin/env python3
"""Routing on what the model servers know: five policies side by side against simulated vLLM servers."""
import http.client
import json
import random
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import benchlib as b

MODEL = "sim-chat"
TIME_SCALE = 1.0            # real time: a simulated second is a second
MAX_TOKENS = 16
CACHE_BLOCKS = 768           # smaller than the fleet's working set, so where a session goes matters
INSTANCES = {name: f"cache-blocks={CACHE_BLOCKS}" + extra for name, extra in
             [("full-1", ""), ("full-2", ""), ("full-3", ""), ("half", ":speed=0.5")]}
# Defaults of SimulatorProfile.DEFAULT, for the fleet's capacity: 8 sequences, 20 ms + 2 ms a sequence per step.
CAPACITY, STEP_MS, STEP_MS_PER_SEQUENCE, PREFILL_MS_PER_TOKEN = 8, 20, 2, 0.25
# Prompt tokens a request prefills, on average, when its prefix is only partly cached (measured in a
# first run: about a fifth of an 800-token conversation); it slows every step it is admitted in.
UNCACHED_TOKENS = 150
FLEET_SPEED = 3.5
SYSTEM_PROMPTS = 8           # distinct long system prompts, shared by the sessions
SYSTEM_WORDS = 400
SESSIONS = 48
SCRAPE_INTERVAL = "500ms"
LOADS = [0.7] if b.SMOKE else [0.7, 0.9]
SECONDS = 2 if b.SMOKE else 15
POLICIES = [("random", "random", False), ("round-robin", "round-robin", False),
            ("least-connections", "least-connections", False), ("load-aware", "load-aware", False),
            ("load-aware + session affinity", "load-aware", True)]
# The case load-aware is for: other clients load one instance directly, which Envoy cannot see.
OUTSIDE_INSTANCE, OUTSIDE_LOAD, ROUTER_LOAD_WITH_OUTSIDE = "full-1", 0.25, 0.6
OUTSIDE_POLICIES = [("least-connections", "least-connections"), ("load-aware", "load-aware")]


def fleet_capacity():
    """Completed requests/s of the fleet with full batches: each step decodes CAPACITY sequences and
    admits CAPACITY / MAX_TOKENS new ones, whose uncached tokens it prefills."""
    admitted_per_step = CAPACITY / MAX_TOKENS
    step_ms = STEP_MS + STEP_MS_PER_SEQUENCE * CAPACITY + admitted_per_step * UNCACHED_TOKENS * PREFILL_MS_PER_TOKEN
    return FLEET_SPEED * admitted_per_step / (step_ms / 1000)


class Sessions:
    """Chats that share long system prompts and grow turn by turn, as multi-turn traffic does."""

    def __init__(self, seed):
        rng = random.Random(seed)
        words = [f"w{seed}x{i}" for i in range(5000)]
        prompts = [" ".join(rng.choice(words) for _ in range(SYSTEM_WORDS)) for _ in range(SYSTEM_PROMPTS)]
        self.history = [[{"role": "system", "content": prompts[s % SYSTEM_PROMPTS]}] for s in range(SESSIONS)]
        self.rng = rng
        self.lock = threading.Lock()

    def next_turn(self):
        with self.lock:
            session = self.rng.randrange(SESSIONS)
            messages = self.history[session]
            messages.append({"role": "user", "content": f"question {len(messages)} of session {session}"})
            body = json.dumps({"model": MODEL, "stream": True, "max_tokens": MAX_TOKENS, "messages": messages})
            messages.append({"role": "assistant", "content": "tok " * MAX_TOKENS})
            return f"session-{session}", body


def one_request(url, session, body):
    """(TTFT, end-to-end) seconds of one streamed chat through the router."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    try:
        started = time.perf_counter()
        conn.request("POST", "/v1/chat/completions", body,
                     {"Content-Type": "application/json", "x-session-id": session})
        response = conn.getresponse()
        first = None
        while chunk := response.read1(65536):
            if first is None and b"data:" in chunk:
                first = time.perf_counter()
        if response.status != 200 or first is None:
            raise RuntimeError(f"status {response.status}")
        return first - started, time.perf_counter() - started
    finally:
        conn.close()


def cache_counters(urls):
    """(hits, queries) in tokens, summed over the instances."""
    hits = queries = 0.0
    for url in urls:
        parts = urlsplit(url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        conn.request("GET", "/metrics")
        text = conn.getresponse().read().decode()
        conn.close()
        hits += sum(float(v) for v in re.findall(r"^vllm:prefix_cache_hits_total\S* (\S+)$", text, re.M))
        queries += sum(float(v) for v in re.findall(r"^vllm:prefix_cache_queries_total\S* (\S+)$", text, re.M))
    return hits, queries


def poisson(url, rate, seed, pool, until):
    """Submits chat turns to `url` at Poisson-distributed times until `until`; returns (results, failures)."""
    sessions, rng = Sessions(seed), random.Random(seed + 1)
    results, failures = [], []

    def task(session, body):
        try:
            results.append(one_request(url, session, body))
        except Exception as e:  # counted and shown; a failed request has no latency
            failures.append(str(e))

    at = time.perf_counter()
    while at < until:
        at += rng.expovariate(rate)
        delay = at - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        pool.submit(task, *sessions.next_turn())
    return results, failures


def run(url, rate, seed, instance_urls, outside_url=None):
    """Poisson arrivals at `rate` for SECONDS (and, with `outside_url`, OUTSIDE_LOAD of the fleet's
    capacity sent straight to that instance by clients the router does not see); the row's figures."""
    hits0, queries0 = cache_counters(instance_urls)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=400) as pool:
        outside = threading.Thread(target=poisson, daemon=True, args=(
            outside_url, OUTSIDE_LOAD * fleet_capacity(), seed + 50, pool, started + SECONDS))
        if outside_url:
            outside.start()
        results, failures = poisson(url, rate, seed, pool, started + SECONDS)
        if outside_url:
            outside.join()  # it submits until the same moment; the pool then waits for every request
    elapsed = time.perf_counter() - started
    hits1, queries1 = cache_counters(instance_urls)
    ttft = sorted(r[0] for r in results)
    e2e = sorted(r[1] for r in results)
    hit_rate = (hits1 - hits0) / max(1.0, queries1 - queries0)
    return ttft, e2e, len(results) / elapsed, hit_rate, len(failures)


def config(policy, affinity, urls):
    session = ", session-header: x-session-id" if affinity else ""
    session += f", scrape-interval: {SCRAPE_INTERVAL}" if policy == "load-aware" else ""
    instances = "".join(f'        - {{name: {MODEL}, base-url: "{u}"}}\n' for u in urls.values())
    return (f"server:\n  address: 127.0.0.1\n  port: {b.free_port()}\nmodel:\n  adapter: vllm\n  services:\n"
            f"    chat:\n      load-balance: {{type: {policy}{session}}}\n      instances:\n{instances}")


def p(values, q):
    return b.ms(b.percentile(values, q), 0)


def main():
    rows, by_name = [], {}
    with b.simulators(MODEL, TIME_SCALE, INSTANCES) as urls:
        for index, (name, policy, affinity) in enumerate(POLICIES):
            with b.router(f"routing-{index}", config(policy, affinity, urls)) as router:
                for load in LOADS:
                    rate = load * fleet_capacity()
                    b.log(f"{name} at {load:.0%}: {rate:.1f} req/s for {SECONDS} s")
                    ttft, e2e, done, hit_rate, failed = run(router.url, rate, index * 100 + int(load * 10),
                                                            list(urls.values()))
                    rows.append([name, f"{load:.0%}", p(ttft, 50), p(ttft, 90), p(ttft, 99), p(e2e, 50), p(e2e, 99),
                                 f"{done:.1f}", f"{hit_rate:.1%}", failed])
                    by_name[(name, load)] = (b.percentile(ttft, 99), hit_rate)
        outside_rows = []
        for index, (name, policy) in enumerate(OUTSIDE_POLICIES):
            with b.router(f"routing-outside-{index}", config(policy, False, urls)) as router:
                rate = ROUTER_LOAD_WITH_OUTSIDE * fleet_capacity()
                b.log(f"{name} at {ROUTER_LOAD_WITH_OUTSIDE:.0%} + outside load on {OUTSIDE_INSTANCE}")
                ttft, e2e, done, hit_rate, failed = run(router.url, rate, 1000 + index, list(urls.values()),
                                                        urls[OUTSIDE_INSTANCE])
                outside_rows.append([name, p(ttft, 50), p(ttft, 90), p(ttft, 99), p(e2e, 50), p(e2e, 99),
                                     f"{done:.1f}", failed])
                by_name[(name, "outside")] = b.percentile(ttft, 99)
    print("## Routing on model-server load (simulated vLLM fleet)\n")
    print(f"4 simulated vLLM instances (`test-fixtures` simulator, time scale {TIME_SCALE}), one at half speed; "
          f"each {CAPACITY} sequences, {STEP_MS} ms + {STEP_MS_PER_SEQUENCE} ms per running sequence per decode step, "
          f"prefill 250 µs per uncached prompt token, prefix cache {CACHE_BLOCKS} blocks of 16 tokens. "
          f"Streamed chats of {MAX_TOKENS} tokens; {SESSIONS} sessions over {SYSTEM_PROMPTS} shared system prompts of "
          f"{SYSTEM_WORDS} tokens, each turn resending the whole conversation. Poisson arrivals for {SECONDS} s per row "
          f"at a share of the fleet's capacity ({fleet_capacity():.0f} req/s: full batches, {UNCACHED_TOKENS} uncached "
          "prompt tokens per request). TTFT is to the first SSE "
          "data; cache hit rate is cached / prompt tokens over the row, from the servers' own counters. "
          f"load-aware reads the metrics every {SCRAPE_INTERVAL}. Each policy runs on its own router; the servers keep their caches between rows (each row uses new prompts).\n")
    print(b.table(["policy", "load", "TTFT p50 ms", "TTFT p90 ms", "TTFT p99 ms", "e2e p50 ms", "e2e p99 ms",
                   "completed/s", "cache hit rate", "failed"], rows))
    print(f"With load the router cannot see: other clients send {OUTSIDE_LOAD:.0%} of the fleet's capacity straight "
          f"to {OUTSIDE_INSTANCE} (Poisson, the same kind of chats), while the router carries "
          f"{ROUTER_LOAD_WITH_OUTSIDE:.0%}; figures are the router's requests only.\n")
    print(b.table(["policy", "TTFT p50 ms", "TTFT p90 ms", "TTFT p99 ms", "e2e p50 ms", "e2e p99 ms",
                   "completed/s", "failed"], outside_rows))
    top = max(LOADS)
    lc, la = by_name[("least-connections", top)][0], by_name[("load-aware", top)][0]
    random_hits, affinity_hits = by_name[("random", top)][1], by_name[("load-aware + session affinity", top)][1]
    print(b.target("load-aware TTFT p99 at %d%% load" % (top * 100), "at least 30% below least-connections",
                   f"{b.ms(la, 0)} ms vs {b.ms(lc, 0)} ms", la <= 0.7 * lc))
    print()
    lc_out, la_out = by_name[("least-connections", "outside")], by_name[("load-aware", "outside")]
    print(b.target("load-aware TTFT p99 with load the router cannot see", "at least 30% below least-connections",
                   f"{b.ms(la_out, 0)} ms vs {b.ms(lc_out, 0)} ms", la_out <= 0.7 * lc_out))
    print()
    print(b.target("cache hit rate with session affinity", "at least 2x random",
                   f"{affinity_hits:.1%} vs {random_hits:.1%}", affinity_hits >= 2 * random_hits))
    print()


if __name__ == "__main__":
    main()
