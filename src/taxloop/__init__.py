"""taxloop: big-data tax risk management and integrity risk control.

大数据税收风险管理与廉政风险防控平台。Nothing is built at import time: the composition
root is :mod:`taxloop.bootstrap`.
"""

__version__ = "0.1.0"
