#!/usr/bin/env python3
"""Streamed chat (SSE), a large multipart upload (STT) and a large download (TTS); direct vs router."""
import functools
import statistics

import benchlib as b
import clients as c

SSE_STREAMS = 3 if b.SMOKE else 40
UPLOAD_BYTES = (1 if b.SMOKE else 16) << 20    # the router's default max-request-size is 32 MiB
DOWNLOAD_BYTES = (1 if b.SMOKE else 64) << 20
TRANSFERS = 2 if b.SMOKE else 8
STUB_CHUNK_INTERVAL = 0.020
MODEL_FIRST = "upload: speech-to-text, model before the file (streams)"  # the stub backend writes one SSE event every 20 ms


def alternate(setup, model, measure, count):
    """`count` measurements on each path, alternating so that drift in the machine's load hits both."""
    results = {"direct": [], "JAiRouter": []}
    for _ in range(count):
        for path, urls in (("direct", setup.direct), ("JAiRouter", setup.routed)):
            results[path].append(measure(urls[model]))
    return results


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


def transfers(setup):
    fields = {"model": "bench-stt", "response_format": "json"}
    content_type, upload = c.multipart(fields, "speech.wav", bytes(UPLOAD_BYTES))
    late_type, late_upload = c.multipart(fields, "speech.wav", bytes(UPLOAD_BYTES), model_last=True)
    cases = [(MODEL_FIRST, "bench-stt", upload, content_type),
             ("upload: speech-to-text, model after the file (buffered)", "bench-stt", late_upload, late_type),
             ("download: text-to-speech audio", "bench-tts", b.TTS_BODY, "application/json")]
    rows, overhead = [], {}
    for name, model, body, kind in cases:
        post = functools.partial(c.transfer, body=body, content_type=kind)
        alternate(setup, model, post, 1)  # warm-up
        runs = alternate(setup, model, post, TRANSFERS)
        medians = {path: statistics.median(t for t, _ in rs) for path, rs in runs.items()}
        size = len(body) if model == "bench-stt" else runs["direct"][0][1]  # what was sent, or came back
        for path, rs in runs.items():
            rows.append([name, f"{size / 1048576:.2f}", path, b.ms(medians[path], 1),
                         b.ms(min(t for t, _ in rs), 1), f"{size / medians[path] / 1048576:,.1f}"])
        overhead[name] = medians["JAiRouter"] - medians["direct"]
        rows.append(["", "", "**overhead**", f"**{b.ms(overhead[name], 1)}**", "", ""])
    source = "nginx (a file sent with sendfile)" if b.NGINX else "the stub (8 chunks 20 ms apart)"
    return ("### Large upload and download\n\n"
            + b.table(["transfer", "MiB", "path", "median ms", "min ms", "MiB/s"], rows)
            + f"\n{TRANSFERS} transfers per path, alternating, after one warm-up each, one new connection "
            "each. Time from writing the request to the last byte of the answer. The upload goes to the stub "
            f"backend, which reads and parses the whole form; the download comes from {source}. With the model "
            "before the file (as the official Python SDK sends it) the router streams the upload; after the file "
            "(as the Java SDK sends it) it must buffer the whole body to find the model.\n\n"
            + b.target(f"{UPLOAD_BYTES >> 20} MiB upload overhead, model before the file", "≤ 5 ms", f"{b.ms(overhead[MODEL_FIRST], 1)} ms",
                       overhead[MODEL_FIRST] <= 0.005) + "\n")


def main():
    with b.traffic_setup(DOWNLOAD_BYTES) as setup:
        streams = sse(setup)
        sizes = transfers(setup)
    print("## Streaming and large bodies\n")
    print(b.notes(setup.notes) + streams + "\n" + sizes)


if __name__ == "__main__":
    main()
