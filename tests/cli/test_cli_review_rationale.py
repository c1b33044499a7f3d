"""`review sign` prints a rationale given for several people and asks for --accept-reused-rationale (issue 11, item 7)."""

from __future__ import annotations

from tests.cli.test_cli_review import OFFICER, SPOC, Run, gvm  # noqa: F401  (gvm is the fixture)
from tests.services.test_reviews import COVERS_EVERY_FLAG


def test_sign_warns_of_a_reused_rationale_and_signs_only_when_told(gvm: Run) -> None:  # noqa: F811
    code, out, err = gvm(OFFICER, "review", "show")
    assert code == 0, err
    refs = [line.split("\t")[0] for line in out.splitlines()]
    assert len(refs) >= 3
    for n, ref in enumerate(refs):
        # The first three share one text, written with different case and punctuation; the rest differ.
        why = (COVERS_EVERY_FLAG, COVERS_EVERY_FLAG.lower(), COVERS_EVERY_FLAG.replace(",", " ;"))[n] if n < 3 else \
            f"{COVERS_EVERY_FLAG} Case note {n}."
        assert gvm(OFFICER, "review", "recommend", ref, "retain", "--rationale", why)[0] == 0
        assert gvm(SPOC, "review", "decide", ref, "agree")[0] == 0
    shared = ", ".join(sorted(refs[:3]))

    code, out, err = gvm(SPOC, "review", "sign")
    assert code == 1 and "Signed" not in out
    assert f"Warning: The same rationale was given for 3 people: {shared}." in out
    assert err.startswith("gvm-desktop: Not signed: 3 people kept share a rationale") and err.count("\n") == 1
    assert "--accept-reused-rationale" in err
    code, out, _err = gvm(SPOC, "review", "list")
    assert "open" in out and "signed" not in out

    code, out, err = gvm(SPOC, "review", "sign", "--accept-reused-rationale")
    assert code == 0, err
    assert f"Warning: The same rationale was given for 3 people: {shared}." in out
    assert "Signed. 0 people were removed." in out
