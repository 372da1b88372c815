#!/usr/bin/env python3
"""Routing on what the model servers know, and on where a conversation is cached: policies side by side
against simulated vLLM servers whose prefix caches are keyed by content, as vLLM's are."""
import http.client
import json
import random
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import benchlib as b
import clients as c

MODEL = "sim-chat"
TIME_SCALE = 1.0            # real time: a simulated second is a second
MAX_TOKENS = 16
# Defaults of SimulatorProfile.DEFAULT, for the fleet's capacity: 8 sequences, 20 ms + 2 ms a sequence per step.
CAPACITY, STEP_MS, STEP_MS_PER_SEQUENCE, PREFILL_MS_PER_TOKEN = 8, 20, 2, 0.25
# The workload: long conversations, most of each prompt the session's own history. A conversation
# goes on for several turns, so a fleet holds far more conversation text than one server's prefix
# cache; each server's cache holds about its quarter of the sessions' histories (plus the shared
# system prompts), as a vLLM fleet's KV caches hold their share of the users, not all of them.
SYSTEM_PROMPTS, SYSTEM_WORDS = 4, 250  # shared instructions, one per product feature
SESSIONS = 12 if b.SMOKE else 96  # conversations going on at once
EARLIER_TURNS = 8           # each starts with 0 to 8 turns already behind it
QUESTION_WORDS = 60         # each turn: a question this long, then the answer (MAX_TOKENS)
AGENT_EVERY, TOOL_WORDS = 4, 120  # every 4th conversation is an agent: each turn also carries a tool's output
CACHE_BLOCKS = 1536         # per instance, of 16 tokens: about a quarter of the histories at the end
INSTANCES = {name: f"cache-blocks={CACHE_BLOCKS}" + extra for name, extra in
             [("full-1", ""), ("full-2", ""), ("full-3", ""), ("half", ":speed=0.5")]}
# Prompt tokens a request prefills on average when the policy ignores where a session's history is
# cached (measured with least-connections in a first run); it slows every step it is admitted in.
# So "load" below is a share of what a cache-oblivious fleet serves; prefix reuse frees capacity.
UNCACHED_TOKENS = 560  # 410 before the agents' tool outputs; 560 from least-connections' row at 70% with them
FLEET_SPEED = 3.5
SCRAPE_INTERVAL = "500ms"
LOADS = [0.7] if b.SMOKE else [0.7, 0.9]
SECONDS = 2 if b.SMOKE else 20
WARMUP_LOAD = 0.5          # first one unmeasured turn of each conversation, at this load
# (row, policy, affinity): None, "prefix" (no help from the client) or "session" (the client sends a session id).
# Only the session row's clients send one; the others send nothing but the conversation, as most clients do.
POLICIES = [("random", "random", None), ("least-connections", "least-connections", None),
            ("load-aware", "load-aware", None), ("load-aware + prefix affinity", "load-aware", "prefix"),
            ("load-aware + session affinity", "load-aware", "session")]
PREFIX, SESSION = "load-aware + prefix affinity", "load-aware + session affinity"
# The case load-aware is for: other clients load one instance directly, which Envoy cannot see.
OUTSIDE_INSTANCE, OUTSIDE_LOAD, ROUTER_LOAD_WITH_OUTSIDE = "full-1", 0.25, 0.6
OUTSIDE_POLICIES = [("least-connections", "least-connections"), ("load-aware", "load-aware")]
# Envoy's CPU per chat request with and without prefix affinity (on the benchmark backend, not the simulators).
CPU_CONNECTIONS, CPU_WARMUP_SECONDS = 16, 1 if b.SMOKE else 2
CPU_SECONDS, CPU_ROUNDS = 1 if b.SMOKE else 5, 1 if b.SMOKE else 3


def fleet_capacity():
    """Completed requests/s of the fleet with full batches: each step decodes CAPACITY sequences and
    admits CAPACITY / MAX_TOKENS new ones, whose uncached tokens it prefills."""
    admitted_per_step = CAPACITY / MAX_TOKENS
    step_ms = STEP_MS + STEP_MS_PER_SEQUENCE * CAPACITY + admitted_per_step * UNCACHED_TOKENS * PREFILL_MS_PER_TOKEN
    return FLEET_SPEED * admitted_per_step / (step_ms / 1000)


class Sessions:
    """Conversations that share a few system prompts and grow turn by turn, each turn resending the
    whole conversation, as chat clients do."""

    def __init__(self, seed):
        rng = random.Random(seed)
        self.words = [f"w{seed}x{i}" for i in range(5000)]
        prompts = [self.text(rng, SYSTEM_WORDS) for _ in range(SYSTEM_PROMPTS)]
        self.history = []
        for s in range(SESSIONS):
            messages = [{"role": "system", "content": prompts[s % SYSTEM_PROMPTS]}]
            for _ in range(rng.randint(0, EARLIER_TURNS)):
                messages += [{"role": "user", "content": self.question(rng, s)},
                             {"role": "assistant", "content": "tok " * MAX_TOKENS}]
            self.history.append(messages)
        self.rng = rng
        self.lock = threading.Lock()

    def text(self, rng, words):
        return " ".join(rng.choice(self.words) for _ in range(words))

    def question(self, rng, session):
        """A user turn: a question, and for an agent the output of the tool it ran (a document, a listing)."""
        tool = "\ntool output:\n" + self.text(rng, TOOL_WORDS) if session % AGENT_EVERY == AGENT_EVERY - 1 else ""
        return self.text(rng, QUESTION_WORDS) + tool

    def next_turn(self, session=None):
        with self.lock:
            session = self.rng.randrange(SESSIONS) if session is None else session
            messages = self.history[session]
            messages.append({"role": "user", "content": self.question(self.rng, session)})
            body = json.dumps({"model": MODEL, "stream": True, "max_tokens": MAX_TOKENS, "messages": messages})
            messages.append({"role": "assistant", "content": "tok " * MAX_TOKENS})
            return f"session-{session}", body


def one_request(url, session, body):
    """(TTFT, end-to-end) seconds of one streamed chat through the router; `session` is sent as the
    x-session-id header unless None."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    try:
        started = time.perf_counter()
        headers = {"Content-Type": "application/json"}
        if session is not None:
            headers["x-session-id"] = session
        conn.request("POST", "/v1/chat/completions", body, headers)
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


def poisson(url, rate, sessions, seed, pool, until, measured_from, send_session=False):
    """Submits chat turns to `url` at Poisson-distributed times until `until`; returns the (results,
    failures) of the turns submitted from `measured_from` on (earlier ones warm the caches up)."""
    rng = random.Random(seed)
    results, failures = [], []

    def task(session, body, measured):
        try:
            result = one_request(url, session, body)
            if measured:
                results.append(result)
        except Exception as e:  # counted and shown; a failed request has no latency
            failures.append(str(e))

    at = time.perf_counter()
    while at < until:
        at += rng.expovariate(rate)
        delay = at - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        session, body = sessions.next_turn()
        pool.submit(task, session if send_session else None, body, at >= measured_from)
    return results, failures


def warm_up(url, sessions, seed, send_session=False):
    """One turn of every conversation at WARMUP_LOAD, unmeasured, waiting for all of them: a conversation's
    first turn finds no cache anywhere, whatever the policy; after it the caches hold what the policy put there."""
    rng = random.Random(seed)
    with ThreadPoolExecutor(max_workers=400) as pool:
        for session in range(SESSIONS):
            time.sleep(rng.expovariate(WARMUP_LOAD * fleet_capacity()))
            name, body = sessions.next_turn(session)
            pool.submit(one_request, url, name if send_session else None, body)


def run(url, rate, sessions, seed, instance_urls, outside=None, send_session=False):
    """Poisson arrivals at `rate` for SECONDS (and, with `outside` = (url, sessions), OUTSIDE_LOAD of the
    fleet's capacity sent straight to that instance by clients the router does not see); the row's figures."""
    hits0, queries0 = cache_counters(instance_urls)
    started = time.perf_counter()
    until = started + SECONDS
    with ThreadPoolExecutor(max_workers=400) as pool:
        outside_clients = threading.Thread(target=poisson, daemon=True, args=(
            outside[0], OUTSIDE_LOAD * fleet_capacity(), outside[1], seed + 50, pool, until, started)) if outside else None
        if outside_clients:
            outside_clients.start()
        results, failures = poisson(url, rate, sessions, seed, pool, until, started, send_session)
        # The outside clients submit until the same moment, their last turn maybe a little later: the pool
        # takes it before it waits for every request.
        if outside_clients:
            outside_clients.join()
    elapsed = time.perf_counter() - started
    hits1, queries1 = cache_counters(instance_urls)
    ttft = sorted(r[0] for r in results)
    e2e = sorted(r[1] for r in results)
    hit_rate = (hits1 - hits0) / max(1.0, queries1 - queries0)
    # Every request the servers saw in the row (the outside clients' too), not only the measured ones.
    uncached = ((queries1 - queries0) - (hits1 - hits0)) / max(1, len(results))
    return ttft, e2e, len(results) / elapsed, hit_rate, len(failures), uncached


def config(policy, affinity, urls):
    session = {"session": ", session-header: x-session-id", "prefix": ", affinity: prefix"}.get(affinity, "")
    session += f", scrape-interval: {SCRAPE_INTERVAL}" if policy == "load-aware" else ""
    instances = "".join(f'        - {{name: {MODEL}, base-url: "{u}"}}\n' for u in urls.values())
    return (f"server:\n  address: 127.0.0.1\n  port: {b.free_port()}\nmodel:\n  adapter: vllm\n  services:\n"
            f"    chat:\n      load-balance: {{type: {policy}{session}}}\n      instances:\n{instances}")


def cpu_config(base_url, affinity):
    return ("server:\n  port: 0\n  address: 127.0.0.1\nmodel:\n  services:\n    chat:\n"
            f"      load-balance: {{type: load-aware{affinity}}}\n"
            f"      instances:\n        - {{name: bench-chat, base-url: \"{base_url}\"}}\n")


def prefix_key_cpu():
    """Envoy CPU per chat request without and with prefix affinity, for a one-line chat and for a conversation
    of the routing workload: (commands, rows, extra CPU of each body)."""
    conversation = Sessions(7).history[3][:]  # an agent's conversation with its earlier turns
    conversation_body = json.dumps({"model": "bench-chat", "max_tokens": MAX_TOKENS,
                                    "messages": conversation}).encode()
    commands, rows, extra = [], [], {}
    with b.traffic_setup() as setup:
        base = setup.direct["bench-chat"].removesuffix("/v1/chat/completions")
        with b.router("prefix-cpu-off", cpu_config(base, "")) as off, \
                b.router("prefix-cpu-on", cpu_config(base, ", affinity: prefix")) as on:
            for label, body in [("one-line chat", b.CHAT_BODY),
                                (f"conversation ({len(conversation_body):,} bytes)", conversation_body)]:
                def measure(router, body=body):
                    return c.wrk_cpu(router, router.url + "/v1/chat/completions", body, CPU_CONNECTIONS,
                                     CPU_WARMUP_SECONDS, CPU_SECONDS)
                run_commands, run_rows, run_extra = c.compare_cpu(
                    {"off": lambda: measure(off), "on": lambda: measure(on)}, CPU_ROUNDS)
                commands += run_commands[:2]
                rows += [[label, "prefix affinity" if r[0] == "on" else "without"] + r[1:] for r in run_rows]
                extra[label] = run_rows
    return commands, rows, extra


def p(values, q):
    return b.ms(b.percentile(values, q), 0)


def main():
    rows, by_name = [], {}
    for index, (name, policy, affinity) in enumerate(POLICIES):
        # Each policy starts from empty caches and its own conversations, which go on from row to row.
        with b.simulators(MODEL, TIME_SCALE, INSTANCES) as urls, \
                b.router(f"routing-{index}", config(policy, affinity, urls)) as router:
            sessions, send_session = Sessions(index), affinity == "session"
            warm_up(router.url, sessions, index * 100 + 99, send_session)
            for row, load in enumerate(LOADS):
                rate = load * fleet_capacity()
                b.log(f"{name} at {load:.0%}: {rate:.1f} req/s for {SECONDS} s")
                ttft, e2e, done, hit_rate, failed, uncached = run(router.url, rate, sessions, index * 100 + row,
                                                                  list(urls.values()), send_session=send_session)
                rows.append([name, f"{load:.0%}", len(ttft), p(ttft, 50), p(ttft, 90), p(ttft, 99), p(e2e, 50),
                             p(e2e, 99), f"{done:.1f}", f"{hit_rate:.1%}", f"{uncached:.0f}", failed])
                by_name[(name, load)] = (b.percentile(ttft, 99), hit_rate, b.percentile(ttft, 50),
                                         b.percentile(ttft, 90))
    outside_rows = []
    for index, (name, policy) in enumerate(OUTSIDE_POLICIES):
        with b.simulators(MODEL, TIME_SCALE, INSTANCES) as urls, \
                b.router(f"routing-outside-{index}", config(policy, None, urls)) as router:
            rate = ROUTER_LOAD_WITH_OUTSIDE * fleet_capacity()
            b.log(f"{name} at {ROUTER_LOAD_WITH_OUTSIDE:.0%} + outside load on {OUTSIDE_INSTANCE}")
            sessions, outside = Sessions(1000 + index), Sessions(2000 + index)
            warm_up(router.url, sessions, 1099 + index)
            ttft, e2e, done, hit_rate, failed, _ = run(router.url, rate, sessions, 1000 + index,
                                                       list(urls.values()), (urls[OUTSIDE_INSTANCE], outside))
            outside_rows.append([name, len(ttft), p(ttft, 50), p(ttft, 90), p(ttft, 99), p(e2e, 50), p(e2e, 99),
                                 f"{done:.1f}", failed])
            by_name[(name, "outside")] = b.percentile(ttft, 99)
    print("## Routing on model-server load and on where conversations are cached (simulated vLLM fleet)\n")
    print(f"4 simulated vLLM instances (`test-fixtures` simulator, time scale {TIME_SCALE}), one at half speed; "
          f"each {CAPACITY} sequences, {STEP_MS} ms + {STEP_MS_PER_SEQUENCE} ms per running sequence per decode step, "
          f"prefill {PREFILL_MS_PER_TOKEN * 1000:.0f} µs per uncached prompt token (no chunked prefill: a step waits for "
          f"its prefills), prefix cache {CACHE_BLOCKS} blocks of 16 tokens (LRU). Workload: {SESSIONS} conversations "
          f"at once over {SYSTEM_PROMPTS} shared system prompts of {SYSTEM_WORDS} tokens; each starts with 0 to "
          f"{EARLIER_TURNS} earlier turns and every turn adds a {QUESTION_WORDS}-token question and a streamed "
          f"{MAX_TOKENS}-token answer, the client resending the whole conversation (a turn picks a conversation at "
          f"random); every {AGENT_EVERY}th conversation is an agent whose turns also carry a {TOOL_WORDS}-token tool "
          "output. The servers' prefix caches are keyed by content (a block by a hash chained over every token "
          "before it, as vLLM's), so a conversation's history is a hit only where it was prefilled before. No "
          "client sends a session id except in the session-affinity row (`x-session-id`, one per conversation); "
          "prefix affinity (`affinity: prefix`) keys on the conversation's beginning, taken from the body by Envoy. Most of a prompt is its conversation's own history, and one server's cache holds about a quarter "
          "of the fleet's histories, as a real fleet's KV caches hold their share of the users: where a "
          "conversation goes decides whether its history is prefilled again. "
          f"Poisson arrivals at a share of the fleet's capacity ({fleet_capacity():.0f} req/s: full batches, "
          f"{UNCACHED_TOKENS} uncached prompt tokens per request, as measured with least-connections, so a policy "
          f"that reuses caches has capacity to spare). Each policy gets fresh servers and its own conversations: "
          f"one unmeasured turn of each conversation at {WARMUP_LOAD:.0%} load, then {SECONDS} s per row, the conversations going on from row to row. TTFT is to "
          "the first SSE data; cache hit rate is cached / prompt tokens over the row, from the servers' own "
          f"counters, and uncached tokens per request the prompt tokens the servers prefilled over the row per measured request. load-aware reads the metrics every {SCRAPE_INTERVAL}.\n")
    print(b.table(["policy", "load", "requests", "TTFT p50 ms", "TTFT p90 ms", "TTFT p99 ms", "e2e p50 ms",
                   "e2e p99 ms", "completed/s", "cache hit rate", "uncached tokens/request", "failed"], rows))
    print(f"With load the router cannot see: other clients send {OUTSIDE_LOAD:.0%} of the fleet's capacity straight "
          f"to {OUTSIDE_INSTANCE} (Poisson, the same kind of chats), while the router carries "
          f"{ROUTER_LOAD_WITH_OUTSIDE:.0%}; figures are the router's requests only.\n")
    print(b.table(["policy", "requests", "TTFT p50 ms", "TTFT p90 ms", "TTFT p99 ms", "e2e p50 ms", "e2e p99 ms",
                   "completed/s", "failed"], outside_rows))
    for load in LOADS:
        lc_p99, lc_hits, lc_p50, lc_p90 = by_name[("least-connections", load)]
        px_p99, px_hits, px_p50, px_p90 = by_name[(PREFIX, load)]
        at = f" at {load:.0%} load, no client session id"
        print(b.target("prefix affinity: prompt tokens from cache" + at, "at least 1.4x least-connections",
                       f"{px_hits:.1%} vs {lc_hits:.1%}", px_hits >= 1.4 * lc_hits))
        print()
        print(b.target("prefix affinity: TTFT p50" + at, "at most 50% of least-connections",
                       f"{b.ms(px_p50, 0)} ms vs {b.ms(lc_p50, 0)} ms", px_p50 <= 0.5 * lc_p50))
        print()
        print(b.target("prefix affinity: TTFT p90" + at, "at most 70% of least-connections",
                       f"{b.ms(px_p90, 0)} ms vs {b.ms(lc_p90, 0)} ms", px_p90 <= 0.7 * lc_p90))
        print()
        print(b.target("prefix affinity: TTFT p99" + at, "no worse than least-connections",
                       f"{b.ms(px_p99, 0)} ms vs {b.ms(lc_p99, 0)} ms", px_p99 <= lc_p99))
        print()
    top = max(LOADS)
    lc, la = by_name[("least-connections", top)][0], by_name[("load-aware", top)][0]
    random_hits, affinity_hits = by_name[("random", top)][1], by_name[(SESSION, top)][1]
    print(b.target("load-aware TTFT p99 at %d%% load" % (top * 100), "at least 30% below least-connections",
                   f"{b.ms(la, 0)} ms vs {b.ms(lc, 0)} ms", la <= 0.7 * lc))
    print()
    affinity = by_name[(SESSION, top)][0]
    print(b.target("load-aware + session affinity TTFT p99 at %d%% load" % (top * 100),
                   "at least 30% below least-connections", f"{b.ms(affinity, 0)} ms vs {b.ms(lc, 0)} ms",
                   affinity <= 0.7 * lc))
    print()
    lc_out, la_out = by_name[("least-connections", "outside")], by_name[("load-aware", "outside")]
    print(b.target("load-aware TTFT p99 with load the router cannot see", "at least 30% below least-connections",
                   f"{b.ms(la_out, 0)} ms vs {b.ms(lc_out, 0)} ms", la_out <= 0.7 * lc_out))
    print()
    print(b.target("cache hit rate with session affinity", "at least 2x random",
                   f"{affinity_hits:.1%} vs {random_hits:.1%}", affinity_hits >= 2 * random_hits))
    print()
    print("### Envoy CPU per request: prefix affinity's key\n")
    if not c.WRK:
        print("wrk is not installed: not measured (Debian package `wrk`).\n")
        return
    commands, rows, extra = prefix_key_cpu()
    print(b.table(["body", "router", "requests/s", "Envoy CPU µs/request", "control plane CPU µs/request",
                   "total CPU µs/request", "socket errors"], rows))
    print(f"Two routers (load-aware, default monitoring, one instance: the benchmark backend), one with "
          f"`affinity: prefix`, wrk at {CPU_CONNECTIONS} connections for {CPU_SECONDS} s per run after "
          f"{CPU_WARMUP_SECONDS} s of warm-up, {CPU_ROUNDS} alternating run(s) per router, the run with the "
          "median Envoy CPU shown; the conversation is an agent's from the workload above (system prompt, "
          "earlier turns with tool output).\n")
    print(b.commands_block(commands))
    for label, run_rows in extra.items():
        by = {r[0]: float(r[2]) for r in run_rows}
        print(b.target(f"Envoy CPU per chat request with prefix affinity, {label}", "at most 1.10x without",
                       f"{by['on'] / by['off']:.2f}x", by["on"] <= 1.10 * by["off"]))
        print()


if __name__ == "__main__":
    main()
