"""Make a local CA and a certificate for localhost/127.0.0.1 (trustme).

    python make_cert.py DIR [DAYS]

writes DIR/ca.pem (the CA a client trusts) and DIR/server.pem (the server's
private key and certificate chain).
"""

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import trustme


def make(directory, days=90):
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="python-service local CA")
    now = datetime.now(timezone.utc)
    leaf = ca.issue_cert(
        "localhost",
        "127.0.0.1",
        not_before=now - timedelta(minutes=5),
        not_after=now + timedelta(days=days),
    )
    ca.cert_pem.write_to_path(str(directory / "ca.pem"))
    leaf.private_key_and_cert_chain_pem.write_to_path(str(directory / "server.pem"))
    return directory / "ca.pem", directory / "server.pem"


if __name__ == "__main__":
    make(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 90)
