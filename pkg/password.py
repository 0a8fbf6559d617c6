"""Password hashing with a slow, salted KDF (Werkzeug's scrypt)."""

from functools import cache

from werkzeug.security import check_password_hash, generate_password_hash


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


@cache
def _dummy_hash() -> str:
    return hash_password("no account has this password 0")


def verify_password(password: str, password_hash: str | None) -> bool:
    """Whether `password` matches; without a hash (no such account, or one that signs in only
    through OAuth) the same work is done against a dummy hash, so the answer takes as long
    and does not tell whether the account exists."""
    if not password_hash:
        check_password_hash(_dummy_hash(), password)
        return False
    return check_password_hash(password_hash, password)
