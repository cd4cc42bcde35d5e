"""Who may do what: Streamlit's own login (OIDC) where configured, else local users with hashed passwords.

Roles: `loader` (the secretariat) may load data (データ登録, 照会), write commentary on any measure and query
(SQL); `owner` (a ministry's officer) may write commentary on the measures its ministries lead (施策詳細);
`analyst` may query. The SQL page is for
signed-in users unless the operator opens it to every visitor (`[sql] public = true` in the secrets,
or SHINCHOKU_SQL_PUBLIC=1): the query sandbox holds either way, but a ministry's security officer
decides who may spend the server's CPU.

Secrets (.streamlit/secrets.toml, git-ignored):

    [roles]                       # with Streamlit authentication ([auth] section configured)
    loaders = ["someone@example.go.jp"]
    analysts = ["analyst@example.go.jp"]
    owners = ["officer@example.go.jp"]
    [owner_ministries]            # the ministries each owner answers for
    "officer@example.go.jp" = ["総務省"]

    [users.yamada]                # without it: local users, password hashes from `shinchoku user hash`
    password_hash = "$argon2id$v=19$m=65536,t=3,p=4$…"
    role = "loader"
    [users.suzuki]
    password_hash = "$argon2id$…"
    role = "owner"
    ministries = ["総務省"]
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping

import streamlit as st
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

ROLE_RIGHTS = {"loader": {"load", "query", "comment"}, "analyst": {"query"}, "owner": {"comment"}}
OIDC_ROLE_LISTS = {"loaders": "loader", "analysts": "analyst", "owners": "owner"}
MIN_SCRYPT_N = 2**17  # OWASP's current floor for scrypt; weaker legacy hashes are refused
MAX_FIELD = 256  # longer names or passwords are refused before any hashing
FAILURES_ALLOWED, WINDOW_S, LOCKOUT_S = 5, 15 * 60, 15 * 60

# argon2id with argon2-cffi's defaults (RFC 9106 "low memory": t=3, 64 MiB, p=4), above OWASP's minimum
_HASHER = PasswordHasher()
# verified when the user name is unknown, so that unknown and known names take the same time
_DUMMY_HASH = _HASHER.hash(base64.b64encode(os.urandom(16)).decode())


def hash_password(password: str) -> str:
    """An argon2id hash (argon2-cffi) with a random salt, for [users.<name>] password_hash."""
    return _HASHER.hash(password)


def verify_password(password: str, stored: str) -> bool:
    """True when password matches stored (argon2id, or legacy scrypt with N ≥ 2^17)."""
    if not isinstance(stored, str) or len(password) > MAX_FIELD:
        return False
    if stored.startswith("$argon2"):
        try:
            return _HASHER.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
    try:
        algo, n, r, p, salt, digest = stored.split(":")
        n, r, p = int(n), int(r), int(p)
        if algo != "scrypt" or n < MIN_SCRYPT_N:
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=n, r=r, p=p,
                             maxmem=256 * 1024 * 1024, dklen=len(expected))
        return hmac.compare_digest(got, expected)
    except (ValueError, TypeError):
        return False


class Throttle:
    """Refuses sign-in for a user name after repeated failures (lock-out), whatever the password.

    Keyed on the name typed (known or not), so guessing is slowed without revealing which names exist.
    Bounded: at most max_names names are remembered.
    """

    def __init__(self, allowed: int = FAILURES_ALLOWED, window_s: float = WINDOW_S, lockout_s: float = LOCKOUT_S,
                 max_names: int = 10_000, clock=time.monotonic):
        self.allowed, self.window_s, self.lockout_s, self.max_names = allowed, window_s, lockout_s, max_names
        self.clock = clock
        self._failures: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def locked_for(self, name: str) -> float:
        """Seconds until name may try again (0 when it may try now)."""
        with self._lock:
            recent = self._recent(name)
            if len(recent) < self.allowed:
                return 0.0
            return max(0.0, recent[-1] + self.lockout_s - self.clock())

    def failed(self, name: str) -> None:
        with self._lock:
            self._failures[name] = self._recent(name) + [self.clock()]
            self._failures.move_to_end(name)
            while len(self._failures) > self.max_names:
                self._failures.popitem(last=False)

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(name, None)

    def _recent(self, name: str) -> list[float]:
        now = self.clock()
        horizon = max(self.window_s, self.lockout_s)
        return [t for t in self._failures.get(name, []) if now - t < horizon]


@st.cache_resource(show_spinner=False)
def _throttle() -> Throttle:
    # one per server process: a lock-out must hold across sessions and browser tabs
    return Throttle()


def _secrets(section: str) -> dict:
    try:
        return dict(st.secrets.get(section, {}))
    except Exception:  # noqa: BLE001 - no secrets file at all
        return {}


def oidc_configured() -> bool:
    return bool(_secrets("auth"))


def sql_open_to_visitors() -> bool:
    """True when the operator has opened the SQL page to every visitor (default: signed-in users only)."""
    env = os.environ.get("SHINCHOKU_SQL_PUBLIC", "").strip().lower()
    if env:
        return env in ("1", "true", "yes", "on")
    return bool(_secrets("sql").get("public", False))


def check_sign_in(users: dict, name: str, password: str, right: str, throttle: Throttle) -> str | None:
    """None when name/password may sign in for right, else the Japanese reason (never which part was wrong)."""
    name = name.strip()
    if throttle.locked_for(name):
        minutes = int(throttle.locked_for(name) // 60) + 1
        return f"ログインに続けて失敗したため、この利用者名は約{minutes}分間ログインできません。"
    entry = users.get(name) if len(name) <= MAX_FIELD else None
    stored = entry.get("password_hash", "") if isinstance(entry, Mapping) else ""  # secrets sections are Mappings
    ok = verify_password(password, stored or _DUMMY_HASH) and bool(stored)
    if ok and right in ROLE_RIGHTS.get(entry.get("role", ""), set()):
        throttle.succeeded(name)
        return None
    throttle.failed(name)
    return "利用者名またはパスワードが違うか、この操作の権限がありません。"


def current_user(right: str) -> str | None:
    """The signed-in user's name when they have right ('load' or 'query'), else None (rendering a login form)."""
    if oidc_configured():
        user = st.user
        if not getattr(user, "is_logged_in", False):
            st.button("ログイン", on_click=st.login, key="login")
            return None
        email = getattr(user, "email", None)
        roles = _secrets("roles")
        if any(email in roles.get(lst, []) and right in ROLE_RIGHTS[role] for lst, role in OIDC_ROLE_LISTS.items()):
            return email
        st.error("このアカウントにはこの操作の権限がありません。")
        return None
    signed_in = st.session_state.get("signed_in")
    users = _secrets("users")
    if signed_in and right in ROLE_RIGHTS.get((users.get(signed_in) or {}).get("role", ""), set()):
        st.caption(f"ログイン中: {signed_in}")
        if st.button("ログアウト", key="logout"):
            del st.session_state["signed_in"]
            st.rerun()
        return signed_in
    if not users:  # the operator's part (.streamlit/secrets.toml, [users.<name>]) is in the README
        st.warning("ログインできる利用者がまだ設定されていません。管理者にお問い合わせください。")
        return None
    with st.form("login"):
        name = st.text_input("利用者名", key="login_name", max_chars=MAX_FIELD)
        password = st.text_input("パスワード", type="password", key="login_password", max_chars=MAX_FIELD)
        if st.form_submit_button("ログイン"):
            refusal = check_sign_in(users, name, password, right, _throttle())
            if refusal is None:
                st.session_state["signed_in"] = name.strip()
                st.rerun()
            st.error(refusal)
    return None


def ministries_of(user: str) -> list[str] | None:
    """The ministries whose measures a signed-in user may write commentary on: None for every measure
    (the secretariat, role loader); an owner's list otherwise (empty when none is configured)."""
    if oidc_configured():
        roles = _secrets("roles")
        if user in roles.get("loaders", []):
            return None
        return list(_secrets("owner_ministries").get(user, []))
    entry = _secrets("users").get(user) or {}
    return None if entry.get("role") == "loader" else list(entry.get("ministries", []))


def current_loader() -> str | None:
    return current_user("load")
