"""Default delivery categories (modelled on Ise City's 11) and the demo city's areas.

A city changes them in the admin; these only fill an empty database.
"""

# (key, name shown to citizens, is_emergency)
DEFAULT_CATEGORIES: tuple[tuple[str, str, bool], ...] = (
    ("emergency", "防災・緊急", True),
    ("childcare", "子育て", False),
    ("health", "健康・福祉", False),
    ("events", "イベント", False),
    ("environment", "ごみ・環境", False),
    ("procedures", "税・手続き", False),
    ("tourism", "観光", False),
    ("traffic", "交通・道路", False),
    ("education", "教育", False),
    ("cityhall", "市政", False),
    ("recruitment", "募集", False),
)

# The districts of the fictional みなと市 used by the demo (key, name).
DEMO_AREAS: tuple[tuple[str, str], ...] = (
    ("chuo", "中央地区"),
    ("kita", "北地区"),
    ("minami", "南地区"),
    ("higashi", "東地区"),
    ("nishi", "西地区"),
    ("minato", "港地区"),
)
