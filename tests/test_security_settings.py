"""Sign-in hardening, the server's client settings and inert CSV downloads."""
import time
import tomllib
from pathlib import Path

import duckdb
import pytest

from etl.safety import csv_bytes
from ui.auth import MIN_SCRYPT_N, Throttle, check_sign_in, hash_password, verify_password

ROOT = Path(__file__).resolve().parents[1]


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


@pytest.fixture(scope="module")
def users():
    return {"yamada": {"password_hash": hash_password("正しい合言葉"), "role": "loader"},
            "suzuki": {"password_hash": hash_password("analyst-pw"), "role": "analyst"}}


def test_lock_out_after_repeated_failures_even_with_the_right_password(users):
    clock = Clock()
    throttle = Throttle(clock=clock)
    for _ in range(25):  # the attack: 25 wrong passwords, then the right one worked
        check_sign_in(users, "yamada", "wrong", "load", throttle)
    refusal = check_sign_in(users, "yamada", "正しい合言葉", "load", throttle)
    assert refusal and "ログインできません" in refusal
    clock.t += 16 * 60  # after the lock-out period the right password works again
    assert check_sign_in(users, "yamada", "正しい合言葉", "load", throttle) is None


def test_a_success_clears_earlier_failures(users):
    throttle = Throttle(clock=Clock())
    for _ in range(4):
        check_sign_in(users, "yamada", "wrong", "load", throttle)
    assert check_sign_in(users, "yamada", "正しい合言葉", "load", throttle) is None
    assert throttle.locked_for("yamada") == 0


def test_rights_by_role(users):
    throttle = Throttle(clock=Clock())
    assert check_sign_in(users, "suzuki", "analyst-pw", "query", throttle) is None
    assert "権限" in check_sign_in(users, "suzuki", "analyst-pw", "load", throttle)


def test_unknown_and_known_names_take_the_same_time(users):
    """User names could be told apart by response time: an unknown name now verifies a dummy hash."""
    def timed(name):
        throttle = Throttle(clock=Clock())
        start = time.perf_counter()
        for _ in range(3):
            check_sign_in(users, name, "wrong", "load", throttle)
        return time.perf_counter() - start

    known, unknown = min(timed("yamada") for _ in range(3)), min(timed("nobody") for _ in range(3))
    assert 0.5 < unknown / known < 2.0, (known, unknown)


def test_the_throttle_is_bounded():
    throttle = Throttle(max_names=100, clock=Clock())
    for i in range(1000):
        throttle.failed(f"user{i}")
    assert len(throttle._failures) == 100


def test_hashes_are_argon2id_and_weak_scrypt_is_refused():
    import base64
    import hashlib

    stored = hash_password("pw")
    assert stored.startswith("$argon2id$") and verify_password("pw", stored)
    salt = b"0" * 16

    def scrypt(n):
        digest = hashlib.scrypt(b"pw", salt=salt, n=n, r=8, p=1, maxmem=256 * 2**20, dklen=32)
        return f"scrypt:{n}:8:1:{base64.b64encode(salt).decode()}:{base64.b64encode(digest).decode()}"

    assert not verify_password("pw", scrypt(2**14))  # the old cost, below OWASP's floor
    assert verify_password("pw", scrypt(MIN_SCRYPT_N))
    assert not verify_password("x" * 10_000, stored)  # overlong input refused before hashing


def test_client_settings_hide_errors_and_developer_tools():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] == "none"
    assert config["client"]["toolbarMode"] == "viewer"


def test_secrets_are_never_committed():
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "/.streamlit/secrets.toml" in ignored


def test_csv_downloads_escape_every_text_like_column():
    con = duckdb.connect()
    con.execute("create type kind as enum ('=HYPERLINK(\"http://evil\")', 'ok')")
    df = con.sql("""select '=HYPERLINK("http://evil")'::kind as e, '+1' as s, '@SUM(A1)'::varchar as v,
                           -5 as n, 2.5 as f, null::varchar as missing""").df()
    text = csv_bytes(df).decode("utf-8-sig").splitlines()[1]
    assert text.startswith('"\'=HYPERLINK') and ",'+1,'@SUM(A1),-5,2.5," in text
