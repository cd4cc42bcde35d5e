"""Who may load data: Streamlit's own login (OIDC) where configured, else local users with hashed passwords.

Secrets (.streamlit/secrets.toml):

    [roles]                       # with Streamlit authentication ([auth] section configured)
    loaders = ["someone@example.go.jp"]

    [users.yamada]                # without it: local users, password hashes from `shinchoku user hash`
    password_hash = "scrypt:16384:8:1:…"
    role = "loader"
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

import streamlit as st

N, R, P = 2**14, 8, 1


def hash_password(password: str) -> str:
    """scrypt (hashlib, stdlib) with a random salt, as 'scrypt:N:r:p:salt:hash'."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, dklen=32)
    return f"scrypt:{N}:{R}:{P}:{base64.b64encode(salt).decode()}:{base64.b64encode(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        algo, n, r, p, salt, digest = stored.split(":")
        if algo != "scrypt":
            return False
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(base64.b64decode(digest)))
        return hmac.compare_digest(got, base64.b64decode(digest))
    except (ValueError, TypeError):
        return False


def _secrets(section: str) -> dict:
    try:
        return dict(st.secrets.get(section, {}))
    except Exception:  # noqa: BLE001 - no secrets file at all
        return {}


def oidc_configured() -> bool:
    return bool(_secrets("auth"))


def current_loader() -> str | None:
    """The signed-in user's name when they may load data, else None (rendering a login form)."""
    if oidc_configured():
        user = st.user
        if not getattr(user, "is_logged_in", False):
            st.button("ログイン", on_click=st.login, key="login")
            return None
        email = getattr(user, "email", None)
        if email in _secrets("roles").get("loaders", []):
            return email
        st.error(f"{email} にはデータ登録の権限がありません。")
        return None
    signed_in = st.session_state.get("loader")
    if signed_in:
        st.caption(f"ログイン中: {signed_in}")
        if st.button("ログアウト", key="logout"):
            del st.session_state["loader"]
            st.rerun()
        return signed_in
    users = _secrets("users")
    if not users:
        st.warning("データ登録の権限を持つ利用者が設定されていません(.streamlit/secrets.toml の [users.<名前>])。")
        return None
    with st.form("login"):
        name = st.text_input("利用者名", key="login_name")
        password = st.text_input("パスワード", type="password", key="login_password")
        if st.form_submit_button("ログイン"):
            user = users.get(name) or {}
            if verify_password(password, user.get("password_hash", "")) and user.get("role") == "loader":
                st.session_state["loader"] = name
                st.rerun()
            st.error("利用者名またはパスワードが違うか、データ登録の権限がありません。")
    return None
