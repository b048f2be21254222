"""A real RFC 3161 time-stamp authority on 127.0.0.1: `openssl ts -reply` behind a small HTTP server.

The CA and the TSA certificate (extendedKeyUsage critical timeStamping) are made
with `openssl` into a folder of the test's; `up = False` answers every request
with 503, an authority that is down.
"""

from __future__ import annotations

import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

_CONFIG = """
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/tsa.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def _openssl(folder: Path, *args: str, stdin: bytes | None = None) -> bytes:
    return subprocess.run(["openssl", *args], cwd=folder, input=stdin, capture_output=True, check=True).stdout


def make_authority(folder: Path) -> Path:
    """A CA and a TSA certificate signed by it in `folder`; returns the CA certificate (what verifiers trust)."""
    folder.mkdir(parents=True, exist_ok=True)
    _openssl(folder, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
             "-days", "30", "-subj", "/CN=Test Root CA")  # fmt: skip
    _openssl(folder, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "tsa.key", "-out", "tsa.csr",
             "-subj", "/CN=Test TSA")  # fmt: skip
    (folder / "ext.cnf").write_text("extendedKeyUsage=critical,timeStamping\n")
    _openssl(folder, "x509", "-req", "-in", "tsa.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", "tsa.pem", "-days", "30", "-extfile", "ext.cnf")  # fmt: skip
    (folder / "serial").write_text("01\n")
    (folder / "tsa.cnf").write_text(_CONFIG.format(dir=folder))
    return folder / "ca.pem"


class LocalAuthority:
    """Serves `openssl ts -reply` for the authority made in `folder`."""

    def __init__(self, folder: Path) -> None:
        self.ca = make_authority(folder)
        self.up = True
        self.requests = 0
        authority = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                query = self.rfile.read(int(self.headers["Content-Length"]))
                authority.requests += 1
                if not authority.up or self.headers["Content-Type"] != "application/timestamp-query":
                    self.send_response(503)
                    self.end_headers()
                    return
                (folder / "q.tsq").write_bytes(query)
                reply = _openssl(folder, "ts", "-reply", "-config", "tsa.cnf", "-queryfile", "q.tsq",
                                 "-out", "/dev/stdout")  # fmt: skip
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/tsa"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
