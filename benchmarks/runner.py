"""Send a scenario's requests from several clients at once and measure them."""
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from .scenarios import JOBS_PER_REQUEST, SCENARIOS, SEQUENTIAL


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure(url, scenario, targets, requests_total, concurrency, seconds=None):
    """One round of `scenario` against `url`: req/s, p50, p95, bytes and errors. Each client
    sends its share of `requests_total`, or, with `seconds`, as many as it can until then."""
    make = SCENARIOS[scenario]
    shared = make(targets)
    lock = threading.Lock()
    per_client = max(1, requests_total // concurrency)
    deadline = time.perf_counter() + seconds if seconds else None

    def more(sent):
        return time.perf_counter() < deadline if deadline else sent < per_client

    def client(_):
        session = requests.Session()
        stream = make(targets) if scenario in SEQUENTIAL else None
        results = []
        while more(len(results)):
            if stream is not None:
                method, path, body, *headers = next(stream)
            else:
                with lock:
                    method, path, body, *headers = next(shared)
            headers = headers[0] if headers else {}
            # A request for a tag it has is answered 304 (no body) while nothing changed.
            expected = 304 if "If-None-Match" in headers else 200
            started = time.perf_counter()
            response = session.request(method, url + path, json=body, headers=headers,
                                       timeout=300)
            elapsed = time.perf_counter() - started
            results.append((elapsed, len(response.content), response.status_code != expected))
        return results

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = [r for client_results in pool.map(client, range(concurrency))
                   for r in client_results]
    seconds = time.perf_counter() - started
    latencies = [r[0] for r in results]
    figures = {
        "requests": len(results), "seconds": round(seconds, 3),
        "rps": round(len(results) / seconds, 2),
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "bytes": round(statistics.mean(r[1] for r in results)),
        "errors": sum(r[2] for r in results),
    }
    if scenario == "lifecycle":
        figures["lifecycles_per_s"] = round(figures["rps"] / 3, 2)
    if scenario in JOBS_PER_REQUEST:
        figures["jobs_per_s"] = round(figures["rps"] * JOBS_PER_REQUEST[scenario], 1)
    return figures


def median_round(rounds):
    keys = rounds[0].keys()
    return {key: (sum(r[key] for r in rounds) if key == "errors"
                  else statistics.median(r[key] for r in rounds)) for key in keys}
