"""A TLS endpoint on 127.0.0.1:$TLS_PORT with the certificate of make_cert.py.

Stands in for the TLS-terminating proxy in front of the service, so that the
certificate check of gates.toml has a real handshake to make.

    TLS_PORT=8443 python tls_server.py certs/server.pem
"""

import os
import ssl
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the name http.server calls)
        body = b'{"status": "ok"}\n'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        sys.stderr.write("tls %s\n" % (format % args))


def main(cert_chain):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_chain)
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["TLS_PORT"])), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1])
