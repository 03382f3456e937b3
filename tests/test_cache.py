"""The on-disk cache of derivations (proofs_check/cache.py)."""
import pytest

from proofs_check import cache

calls = []


@cache.derivation_cache
def _square_plus(n: int, tag: str = "x"):
    calls.append(n)
    return {"value": n * n + 1, "tag": tag}


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.ENV_DIR, str(tmp_path))
    monkeypatch.delenv(cache.ENV_OFF, raising=False)
    calls.clear()
    return cache._cache()


def test_second_call_is_read_from_disk(fresh):
    assert _square_plus(3) == {"value": 10, "tag": "x"}
    assert _square_plus(3) == {"value": 10, "tag": "x"} and calls == [3]
    assert _square_plus(3, tag="y")["tag"] == "y" and calls == [3, 3]       # arguments are in the key


@pytest.mark.parametrize("damage", ["flip-a-byte", "truncate", "not-bytes", "stale-meta"])
def test_corrupt_or_stale_entry_is_recomputed_not_trusted(fresh, damage):
    _square_plus(4)
    (key,) = list(fresh.iterkeys())
    blob = fresh.get(key)
    if damage == "flip-a-byte":
        bad = blob[:-1] + bytes([blob[-1] ^ 1])
    elif damage == "truncate":
        bad = blob[:len(blob) // 2]
    elif damage == "not-bytes":
        bad = 12345
    else:  # an intact entry whose stored key fields differ (other code or version): stale
        bad = cache._encode(("other", "code"), {"value": -1, "tag": "x"})
    fresh.set(key, bad)
    before = cache.stats["rejected"]
    assert _square_plus(4) == {"value": 17, "tag": "x"}
    assert calls == [4, 4] and cache.stats["rejected"] == before + 1
    assert _square_plus(4) == {"value": 17, "tag": "x"} and calls == [4, 4]  # stored again, intact


def test_disabled_by_environment(fresh, monkeypatch):
    monkeypatch.setenv(cache.ENV_OFF, "1")
    _square_plus(5)
    _square_plus(5)
    assert calls == [5, 5] and len(fresh) == 0


def test_cached_derivation_equals_fresh_one(fresh):
    from proofs_check.claims import zheng2024 as z

    raw = z.derivatives_ab.__wrapped__                  # below lru_cache: the disk-cached helper
    first, again = raw("sparse", 1, 3), raw("sparse", 1, 3)
    fresh_value = raw.__wrapped__("sparse", 1, 3)
    assert cache.stats["hit"] >= 1
    assert again.loss == fresh_value.loss == first.loss
    assert again.grad_PV == fresh_value.grad_PV and again.grad_KQ == fresh_value.grad_KQ


def test_cli_no_cache_writes_nothing(fresh, monkeypatch):
    from proofs_check.cli import main

    monkeypatch.setenv(cache.ENV_OFF, "0")                 # restored after the test (main sets it to 1)
    assert main(["verify", "zheng2024.C4", "--at", "d=1,T=3", "--no-cache", "--no-progress"]) == 0
    assert len(fresh) == 0


runs = []


def _decided_check():
    from proofs_check.checks import check_close

    runs.append("decided")
    return check_close(1.0, 1.0, rtol=1e-12, name="toy")


def _undecided_check():
    from proofs_check.verdicts import Method, inconclusive

    runs.append("undecided")
    return inconclusive("toy", Method.NUMERIC_TOLERANCE, "no decision")


def test_decided_check_results_are_replayed_undecided_rerun(fresh, monkeypatch):
    from proofs_check.registry import Check, Claim
    from proofs_check.verdicts import Method

    # checks defined outside the hashed packages are never cached; pretend these are inside
    for fn in (_decided_check, _undecided_check):
        monkeypatch.setattr(fn, "__module__", "proofs_check.claims.toy")
    runs.clear()
    claim = Claim("test.cached", "toy", "tests", checks=[Check("a", Method.NUMERIC_TOLERANCE, _decided_check),
                                                         Check("b", Method.NUMERIC_TOLERANCE, _undecided_check)])
    first, second = claim.verify(), claim.verify()
    assert [r.status.value for r in first.checks] == [r.status.value for r in second.checks] \
        == ["VERIFIED", "INCONCLUSIVE"]
    assert runs == ["decided", "undecided", "undecided"]


def test_checks_defined_outside_the_hashed_packages_are_not_cached(fresh):
    from proofs_check.registry import Check
    from proofs_check.verdicts import Method

    check = Check("a", Method.NUMERIC_TOLERANCE, _decided_check)
    assert cache.cached_check("test.outside", check) is _decided_check
