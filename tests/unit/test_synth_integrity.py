"""Each planted integrity violation is visible in the operation log the way docs/synth.md says."""

from __future__ import annotations

import pytest
from synth_city import connect, rows, small_city

#: violation -> SQL returning the officer_id of every officer the documented signal points at
RULES: dict[str, str] = {
    "self_approval": """
        select distinct a.officer_id from operation_log a join operation_log s
        on s.case_id = a.case_id and s.action = 'submit' and a.action = 'approve' and s.officer_id = a.officer_id""",
    "beyond_authority": """
        select distinct o.officer_id from operation_log o join officers f using (officer_id)
        where o.action = 'approve' and o.required_level > f.level""",
    "off_hours": """
        select officer_id from operation_log
        where hour(ts) >= 22 or hour(ts) < 6 or dayofweek(ts) in (0, 6) group by 1 having count(*) >= 5""",
    "concentration": """
        select officer_id from operation_log where action = 'approve' group by officer_id, tin having count(*) >= 6""",
    "fast_no_issue_closure": """
        select distinct c.officer_id from operation_log c join operation_log a
        on a.case_id = c.case_id and a.action = 'accept'
        where c.matter_code = 'RISK_RESPONSE' and c.action = 'close' and c.note like 'no issue%'
          and c.ts - a.ts < interval 24 hours""",
    "edit_after_close": """
        select distinct m.officer_id from operation_log m join operation_log c
        on c.case_id = m.case_id and c.action = 'close' and m.action = 'modify' and m.ts > c.ts
        where not exists (select 1 from operation_log r where r.case_id = m.case_id and r.action = 'reopen'
                          and r.ts between c.ts and m.ts)""",
    "conflict_of_interest": """
        select distinct f.officer_id from officers f join taxpayers t
        on f.id_number in (t.legal_rep_id, t.finance_officer_id)
        join operation_log o on o.officer_id = f.officer_id and o.tin = t.tin and o.action = 'approve'""",
    "threshold_structuring": """
        select officer_id from operation_log
        where action = 'approve' and matter_code = 'VAT_REFUND' and amount >= 450000 and amount < 500000
        group by officer_id, tin having count(*) >= 3""",
}


@pytest.mark.parametrize("violation", sorted(RULES))
def test_violation_visible_in_operation_log(violation: str) -> None:
    con = connect(small_city())
    planted = {r[0] for r in rows(con, f"select distinct officer_id from truth_integrity_violations "
                                       f"where violation = '{violation}'")}
    flagged = {r[0] for r in rows(con, RULES[violation])}
    officers = rows(con, "select count(*) from officers")[0][0]
    assert planted, violation
    assert planted <= flagged, f"{violation}: planted officers {planted - flagged} not visible"
    assert len(flagged - planted) <= max(1, 0.02 * officers), f"{violation}: {flagged - planted} also flagged"


def test_planted_ops_are_the_evidence() -> None:
    con = connect(small_city())
    self_ops = {r[0] for r in rows(con, """
        select a.op_id from operation_log a join operation_log s
        on s.case_id = a.case_id and s.action = 'submit' and a.action = 'approve' and s.officer_id = a.officer_id""")}
    planted = {r[0] for r in rows(con, "select op_id from truth_integrity_violations where violation='self_approval'")}
    assert self_ops == planted
    share = rows(con, """select count(distinct officer_id) filter (where officer_id in
                         (select officer_id from truth_integrity_violations)) * 1.0 / count(distinct officer_id)
                         from officers""")[0][0]
    assert 0.0 < share <= 0.1


def test_cases_follow_working_hours_and_levels() -> None:
    con = connect(small_city())
    clean = "officer_id not in (select officer_id from truth_integrity_violations)"
    off = rows(con, f"""select avg((hour(ts) >= 22 or hour(ts) < 6 or dayofweek(ts) in (0, 6))::int)
                        from operation_log where {clean}""")[0][0]
    assert off < 0.02
    order = rows(con, """
        select count(*) from operation_log s join operation_log a on a.case_id = s.case_id
        where s.action = 'submit' and a.action in ('accept', 'approve', 'close') and a.ts < s.ts""")
    assert order[0][0] == 0
    big = rows(con, """select min(required_level) from operation_log
                       where matter_code = 'VAT_REFUND' and action = 'approve' and amount > 500000""")
    assert big[0][0] == 4
