"""Maintenance tasks.

Added by `./run --broken`: a shell command built from its input is what
bandit reports (B602, subprocess call with shell=True).
"""

import subprocess  # nosec B404


def vacuum(database_path):
    cmd = "sqlite3 " + database_path + " 'VACUUM;'"
    return subprocess.call(cmd, shell=True)
