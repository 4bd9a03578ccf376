"""Labels of the web pages in Chinese and English."""

from __future__ import annotations

LABELS: dict[str, tuple[str, str]] = {
    "app": ("税收风险与廉政风险防控平台", "Tax risk and integrity control"),
    "login": ("登录", "Log in"),
    "logout": ("退出", "Log out"),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "bad_login": ("用户名或密码错误", "Wrong username or password"),
    "inbox": ("我的待办", "My tasks"),
    "dashboard": ("领导驾驶舱", "Leader dashboard"),
    "indicators": ("指标管理", "Indicators"),
    "gangs": ("团伙图谱", "Gangs"),
    "integrity": ("廉政案件", "Integrity cases"),
    "ledger": ("数据共享台账", "Provider ledger"),
    "task": ("任务", "Task"),
    "kind": ("类型", "Kind"),
    "matter": ("事项", "Matter"),
    "taxpayer": ("纳税人", "Taxpayer"),
    "level": ("风险等级", "Risk level"),
    "score": ("风险分值", "Score"),
    "deadline": ("办理期限", "Deadline"),
    "status": ("状态", "Status"),
    "hits": ("风险疑点及证据", "Risk hits and evidence"),
    "evidence": ("证据", "Evidence"),
    "value": ("指标值", "Value"),
    "threshold": ("阈值", "Threshold"),
    "explanation": ("模型解释", "Model explanation"),
    "profile": ("纳税人画像", "Taxpayer 360° profile"),
    "standard": ("事项标准", "The matter's standard"),
    "steps": ("办理步骤", "Steps"),
    "record": ("记录要素", "Record fields"),
    "outputs": ("输出文书", "Outputs"),
    "finding": ("应对结论", "Finding"),
    "tax_recovered": ("查补税款（元）", "Tax recovered (yuan)"),
    "submit": ("提交", "Submit"),
    "refused": ("提交被拒绝，缺少：", "Refused, missing:"),
    "saved": ("已提交", "Submitted"),
    "no_issue": ("无问题", "No issue"),
    "adjusted": ("调整补税", "Adjusted"),
    "fraud": ("涉嫌偷骗税", "Fraud"),
    "review": ("复核", "Review"),
    "standard_followed": ("执行标准", "Standard followed"),
    "policy_right": ("政策适用正确", "Policy applied right"),
    "result_fair": ("结果公正", "Result fair"),
    "integrity_doubt": ("存在廉政疑点", "Integrity doubt"),
    "note": ("说明", "Note"),
    "pushed": ("已推送", "Pushed"),
    "finished": ("已完成", "Finished"),
    "overdue_open": ("超期未办", "Overdue open"),
    "overtime_rate": ("超时率", "Overtime rate"),
    "hit_rate": ("命中率", "Hit rate"),
    "review_failure_rate": ("复核不合格率", "Review failure rate"),
    "integrity_cases": ("廉政案件", "Integrity cases"),
    "drill": ("下钻", "Drill down"),
    "heatmap": ("风险热力图（区域×行业）", "Risk heat map (region × industry)"),
    "effectiveness": ("指标成效", "Effectiveness"),
    "draft_test": ("起草并试运行指标", "Draft and test an indicator"),
    "run": ("运行", "Run"),
    "rows": ("行", "rows"),
    "members": ("成员", "Members"),
    "role": ("角色", "Role"),
    "timeline": ("操作时间线", "Operations timeline"),
    "provider": ("部门", "Provider"),
    "period": ("期间", "Period"),
    "delivered": ("交付", "Delivered"),
    "rejected": ("拒收", "Rejected"),
    "on_time": ("及时率", "On time"),
    "coverage": ("覆盖率", "Coverage"),
    "none": ("暂无", "None"),
    "forbidden": ("无权访问", "Not allowed"),
    "not_found": ("不存在或无权查看", "Not found or not in your scope"),
}


def translator(lang: str) -> object:
    """A function ``t(key)`` for templates: the label in ``lang`` (zh or en), the key itself when unknown."""
    idx = 1 if lang == "en" else 0

    def t(key: str) -> str:
        pair = LABELS.get(key)
        return pair[idx] if pair else key

    return t
