"""Serve the application with waitress on 127.0.0.1:$PORT.

In production a TLS-terminating proxy sits in front and sets
X-Forwarded-Proto; waitress passes that header on to the application, which
redirects requests that reached the proxy over plain http.
"""

import os

from waitress import serve

from app import create_app

if __name__ == "__main__":
    serve(
        create_app(),
        host="127.0.0.1",
        port=int(os.environ["PORT"]),
        threads=8,
        clear_untrusted_proxy_headers=False,
    )
