#!/usr/bin/env python3
"""Streamed chat (SSE), direct vs router; a large multipart upload (STT) and a large download (TTS), direct vs
Envoy alone vs router."""
import contextlib
import functools
import os
import statistics
from urllib.parse import urlsplit

import benchlib as b
import clients as c

SSE_STREAMS = 3 if b.SMOKE else 40
UPLOAD_BYTES = (1 if b.SMOKE else 16) << 20    # the router's default max-request-size is 32 MiB
DOWNLOAD_BYTES = (1 if b.SMOKE else 64) << 20
TRANSFERS = 2 if b.SMOKE else 15
TRANSFER_WARMUPS = 1 if b.SMOKE else 3
STUB_CHUNK_INTERVAL = 0.020  # the stub backend writes one SSE event every 20 ms
MODEL_FIRST = "upload: speech-to-text, model before the file (streams)"


def in_rounds(urls, measure, count):
    """`count` rounds of one measurement on each path ({path: url}), the order reversed every other round,
    so that drift in the machine's load hits every path and none always runs after the same one."""
    results = {path: [] for path in urls}
    for round_ in range(count):
        for path in (list(urls) if round_ % 2 == 0 else list(urls)[::-1]):
            results[path].append(measure(urls[path]))
    return results


def alternate(setup, model, measure, count):
    return in_rounds({"direct": setup.direct[model], "JAiRouter": setup.routed[model]}, measure, count)


def sse(setup):
    def stream(url):
        return c.sse(url, b.SSE_BODY)

    alternate(setup, "bench-sse", stream, 2)  # warms both paths and the stub's JIT
    runs = alternate(setup, "bench-sse", stream, SSE_STREAMS)
    first = {path: sorted(r[0] for r in rs) for path, rs in runs.items()}
    gaps = {path: sorted(g for r in rs for g in r[1]) for path, rs in runs.items()}
    rows = [[path, len(first[path]), b.ms(statistics.median(first[path])), b.ms(b.percentile(first[path], 90)),
             b.ms(first[path][-1]), len(gaps[path]), b.ms(gaps[path][0]), b.ms(statistics.median(gaps[path])),
             b.ms(b.percentile(gaps[path], 99)), b.ms(gaps[path][-1])] for path in runs]
    later = statistics.median(first["JAiRouter"]) - statistics.median(first["direct"])
    spacing = statistics.median(gaps["JAiRouter"]) - statistics.median(gaps["direct"])
    # Preserved: the typical gap moves by under 1 ms, and no two events arrive together (which a
    # buffering hop would cause: a gap near 0 followed by a long one).
    preserved = abs(spacing) < 0.001 and gaps["JAiRouter"][0] > STUB_CHUNK_INTERVAL / 2
    headers = ["path", "streams", "first chunk p50 ms", "p90 ms", "max ms", "gaps", "gap min ms", "gap p50 ms",
               "gap p99 ms", "gap max ms"]
    return ("### SSE: time to first chunk and spacing between chunks\n\n" + b.table(headers, rows)
            + f"\n{SSE_STREAMS} streamed chat completions per path, alternating, after 2 warm-up streams "
            "each; one new connection per stream (connect time not counted). First chunk: from writing the "
            "request to the arrival of the first complete `data:` event. Gaps: between consecutive events; "
            f"the stub writes one every {STUB_CHUNK_INTERVAL * 1000:.0f} ms.\n\n"
            + b.target("first SSE chunk later than direct", "≤ 2 ms", f"{b.ms(later)} ms", later <= 0.002)
            + "  \n"
            + b.target("SSE chunk spacing preserved", "(gap p50 within 1 ms, no event held back)",
                       f"gap p50 {b.ms(spacing)} ms from direct, smallest gap {b.ms(gaps['JAiRouter'][0])} ms",
                       preserved)
            + "\n")


def transfers(setup, plain):
    """Each transfer on three paths in rounds; the overheads are the medians of the differences within a round."""
    fields = {"model": "bench-stt", "response_format": "json"}
    content_type, upload = c.multipart(fields, "speech.wav", bytes(UPLOAD_BYTES))
    late_type, late_upload = c.multipart(fields, "speech.wav", bytes(UPLOAD_BYTES), model_last=True)
    cases = [(MODEL_FIRST, "bench-stt", upload, content_type),
             ("upload: speech-to-text, model after the file (buffered)", "bench-stt", late_upload, late_type),
             ("download: text-to-speech audio", "bench-tts", b.TTS_BODY, "application/json")]
    rows, overhead = [], {}
    for name, model, body, kind in cases:
        plain_url, plain_pid = plain[model]
        urls = {"direct": setup.direct[model], "Envoy alone": plain_url, "JAiRouter": setup.routed[model]}
        post = functools.partial(transfer_with_cpu, {plain_url: plain_pid, urls["JAiRouter"]: setup.router.envoy_pid},
                                 functools.partial(c.transfer, body=body, content_type=kind))
        in_rounds(urls, post, TRANSFER_WARMUPS)
        results = in_rounds(urls, post, TRANSFERS)
        runs = {path: [t for t, _, _ in rs] for path, rs in results.items()}
        size = len(body) if model == "bench-stt" else results["direct"][0][1]  # what was sent, or came back
        for path, times in runs.items():
            cpu = [used for _, _, used in results[path] if used is not None]
            rows.append([name, f"{size / 1048576:.2f}", path, b.ms(statistics.median(times), 1),
                         b.ms(min(times), 1), f"{size / statistics.median(times) / 1048576:,.1f}",
                         b.ms(statistics.median(cpu), 1) if cpu else "", "", ""])
        for top, base in (("JAiRouter", "direct"), ("JAiRouter", "Envoy alone"), ("Envoy alone", "direct")):
            differences = sorted(x - y for x, y in zip(runs[top], runs[base]))
            median = statistics.median(differences)
            rows.append(["", "", f"**{top} − {base}**", "", "", "", "", f"**{b.ms(median, 1)}**",
                         f"{b.ms(differences[len(differences) // 4], 1)} to "
                         f"{b.ms(differences[(3 * len(differences)) // 4], 1)}"])
            if (top, base) == ("JAiRouter", "direct"):
                overhead[name] = median
    source = "nginx (a file sent with sendfile)" if b.NGINX else "the stub (8 chunks 20 ms apart)"
    return ("### Large upload and download\n\n"
            + b.table(["transfer", "MiB", "path", "median ms", "min ms", "MiB/s", "Envoy CPU ms per transfer",
                       "difference, median of rounds ms", "quartiles ms"], rows)
            + f"\n{TRANSFERS} rounds after {TRANSFER_WARMUPS} unmeasured ones (the stub's form parser needs its JIT); "
            "in each round every path carries the transfer once, one new connection each (connect time not "
            "counted), the order reversed every other round. Time from writing the request to the last byte of "
            "the answer. A difference is taken within each round, where both paths saw about the same "
            "neighbours, and the median over rounds is the figure (the quartiles say how far one round can "
            "move it); the target reads JAiRouter − direct. *Envoy alone* is a static Envoy with the same "
            "workers and only the router filter: what any Envoy hop costs, so JAiRouter − Envoy alone is what "
            "JAiRouter's own configuration adds; the Envoy CPU column (the time all its threads ran during the "
            "transfer, the median over the rounds) says the same in work, which the machine's neighbours move "
            "less than wall time. The upload goes to the stub backend, which reads the whole body and then "
            f"parses the form; the download comes from {source}. With the model before the file "
            "(as the official Python SDK sends it) the router streams the upload; after the file (as the "
            "Java SDK sends it, and the Node SDK when the caller's object names the file first, as most code "
            "does) it must buffer the whole body to find the model.\n\n"
            + b.target(f"{UPLOAD_BYTES >> 20} MiB upload overhead, model before the file", "≤ 5 ms",
                       f"{b.ms(overhead[MODEL_FIRST], 1)} ms", overhead[MODEL_FIRST] <= 0.005) + "\n")


def transfer_with_cpu(pids, transfer, url):
    """A transfer's (seconds, bytes of the answer, CPU seconds of the Envoy at url or None for none)."""
    pid = pids.get(url)
    before = b.thread_cpu_seconds(pid) if pid else 0
    seconds, received = transfer(url)
    return seconds, received, b.thread_cpu_seconds(pid) - before if pid else None


def plain_envoys(setup, envoys):
    """An Envoy alone (static route, router filter only) in front of each model's backend: {model: (URL, pid)}."""
    binary = os.readlink(f"/proc/{setup.router.envoy_pid}/exe")
    urls = {}
    for model in ("bench-stt", "bench-tts"):
        backend = urlsplit(setup.direct[model])
        base, pid = envoys.enter_context(b.plain_envoy(binary, backend.hostname, backend.port,
                                                            f"plain-envoy-{model}"))
        urls[model] = (base + backend.path, pid)
    return urls


def main():
    with b.traffic_setup(DOWNLOAD_BYTES) as setup, contextlib.ExitStack() as envoys:
        streams = sse(setup)
        sizes = transfers(setup, plain_envoys(setup, envoys))
    print("## Streaming and large bodies\n")
    print(b.notes(setup.notes) + streams + "\n" + sizes)


if __name__ == "__main__":
    main()
