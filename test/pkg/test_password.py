"""Account passwords are kept as scrypt hashes at Werkzeug's cost (the suite hashes its own
accounts' at less: test/conftest.py), and checking one for no account takes the same work."""

from werkzeug import security

from pkg import password


def test_passwords_are_hashed_with_scrypt_at_full_cost(monkeypatch):
    monkeypatch.setattr(password, "generate_password_hash", security.generate_password_hash)
    hashed = password.hash_password("Secret-123")
    assert hashed.startswith("scrypt:32768:8:1$")
    assert password.hash_password("Secret-123") != hashed  # salted
    assert password.verify_password("Secret-123", hashed)
    assert not password.verify_password("secret-123", hashed)


def test_an_account_without_a_hash_never_matches(monkeypatch):
    checked = []
    monkeypatch.setattr(password, "check_password_hash", lambda *args: checked.append(args) or True)
    assert not password.verify_password("anything", None)
    assert not password.verify_password("anything", "")
    assert len(checked) == 2  # the dummy hash was checked all the same
