"""docs/deploy.md's two replicas behind nginx, run for real: benchmarks/replicas.py starts them on one
warehouse file, opens browser sessions through nginx (TLS, affinity cookie), loads a batch through the
writer side and checks that every session stayed on its replica and saw the batch on its next rerun."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not Path("/usr/sbin/nginx").exists() or not shutil.which("openssl"),
                    reason="needs Debian's nginx and openssl (.ci/run installs them)")
def test_two_replicas_behind_nginx_keep_their_sessions_and_both_see_a_load():
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "replicas.py"), "--sessions", "4"],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    print(done.stdout, done.stderr)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[-1].startswith("all checks ok")
    for check in ("both replicas get sessions", "every request of a session on one replica",
                  "one WebSocket per session", "new batch shown on replica A", "new batch shown on replica B"):
        assert any(line.strip().startswith("ok") and check in line for line in lines), check
