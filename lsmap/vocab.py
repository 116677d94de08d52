"""Controlled vocabularies: the code stored in the database and its Japanese label.

Roles, audited entities and audit actions are :class:`enum.StrEnum` members, so that the
values stored in the database stay the same plain strings; each has a Japanese ``label``.
"""

from __future__ import annotations

from enum import StrEnum

#: 地区の階層: level code -> (label, depth)
DISTRICT_LEVELS: dict[str, str] = {
    "municipality": "市町村",
    "district": "地区",
    "neighbourhood": "町丁目",
}
LEVEL_DEPTH: dict[str, int] = {"municipality": 0, "district": 1, "neighbourhood": 2}

HOUSEHOLD_TYPES: dict[str, str] = {
    "elderly_alone": "一人暮らし高齢者",
    "elderly_couple": "高齢者夫婦",
    "disability": "障害",
    "withdrawn": "ひきこもり",
    "child_carer": "子育て・ヤングケアラー",
    "poverty": "生活困窮",
    "foreign": "外国籍",
    "other": "その他",
}

CONSENT_STATUSES: dict[str, str] = {
    "consented": "同意",
    "refused": "不同意",
    "unanswered": "未回答",
    "withdrawn": "撤回",
}

WATCHER_ROLES: dict[str, str] = {
    "commissioner": "民生委員・児童委員",
    "welfare_volunteer": "福祉推進員",
    "neighbour": "近隣住民",
    "ward_head": "区長・自治会長",
    "elderly_counsellor": "老人家庭相談員",
    "other": "その他",
}

INVOLVEMENTS: dict[str, str] = {
    "greeting": "声かけ",
    "safety_check": "安否確認",
    "visit": "訪問",
    "phone": "電話",
    "garbage": "ゴミ出し",
    "shopping": "買い物",
    "meal_delivery": "配食",
    "other": "その他",
}

#: frequency code -> (label, expected days between contacts; None = as needed)
FREQUENCIES: dict[str, tuple[str, int | None]] = {
    "daily": ("毎日", 1),
    "twice_weekly": ("週2回", 4),
    "weekly": ("週1回", 7),
    "biweekly": ("隔週", 14),
    "monthly": ("月1回", 31),
    "as_needed": ("随時", None),
}

#: Watchers whose contacts with a household are recorded (logged) by default, and the
#: involvements that are: a 民生委員's visits are logged, a neighbour's daily greeting is
#: not. Only logged links set the expected interval (lsmap.settings.FollowUpRule).
LOGGED_WATCHER_ROLES: frozenset[str] = frozenset(
    {"commissioner", "welfare_volunteer", "elderly_counsellor"}
)
LOGGED_INVOLVEMENTS: frozenset[str] = frozenset({"visit"})
#: How the record names a link's logging.
LOGGED_LABELS: dict[bool, str] = {True: "記録する", False: "記録しない"}


def logged_by_default(watcher_role: str | None, involvement: str | None) -> bool:
    """Whether a new watch link's contacts are logged when nobody said (see above)."""
    return watcher_role in LOGGED_WATCHER_ROLES or involvement in LOGGED_INVOLVEMENTS


CONTACT_METHODS: dict[str, str] = {
    "visit": "訪問",
    "phone": "電話",
    "greeting": "声かけ",
    "walk_in": "来所",
    "other": "その他",
}

#: What came of a contact (issue 12); "" for entries recorded before it was asked.
CONTACT_OUTCOMES: dict[str, str] = {
    "met": "会えた",
    "absent": "不在",
    "hospital": "入院中",
    "facility": "施設入所",
    "other": "その他",
}

#: The 気づき checklist, in the order of the paper form.
WARNING_SIGNS: dict[str, str] = {
    "mail_piling": "新聞・郵便物がたまる",
    "no_light": "夜に電気がつかない",
    "shutters_closed": "雨戸が閉まったまま",
    "not_seen": "2〜3日姿を見ない",
    "laundry_left": "洗濯物が出たまま",
    "lifeline_stopped": "水道・電気・電話が止められている",
    "gas_meter_still": "ガスメーターが動かない",
    "shouting": "怒鳴り声・物音",
    "strangers": "見知らぬ人の出入り",
    "thin_dirty": "やせた・服が汚れている",
    "wandering": "徘徊",
    # the 福祉推進員's ご近所見守りチェックシート: call the council at once (issue 13)
    "no_response": "倒れている・返事がない",
}
#: Signs that make a household urgent until a visit closes it: a lifeline stopped or unused,
#: not seen for days, found fallen or not answering.
URGENT_SIGNS: frozenset[str] = frozenset(
    {"lifeline_stopped", "gas_meter_still", "not_seen", "no_response"}
)

#: The urgent signs as the pages name them, for captions.
URGENT_SIGNS_TEXT = (
    "「水道・電気・電話が止められている」「ガスメーターが動かない」「2〜3日姿を見ない」"
    "「倒れている・返事がない」"
)

RESOURCE_KINDS: dict[str, str] = {
    "facility": "参加法人施設（CSW）",
    "salon": "サロン・居場所",
    "food_bank": "フードバンク",
    "support_centre": "地域包括支援センター",
    "other": "その他の資源",
}

#: A household's 課題 (several per household), as the paper 記録用紙 lists them.
HOUSEHOLD_ISSUES: dict[str, str] = {
    "elderly_alone": "一人暮らし高齢者",
    "elderly_only": "高齢者のみ世帯",
    "dementia": "認知症の疑い",
    "hikikomori": "ひきこもり",
    "disability": "障害",
    "poverty": "生活困窮",
    "8050": "8050",
    "hoarding": "ごみ屋敷",
    "single_parent": "ひとり親",
    "carer_burden": "介護者の負担",
    "abuse": "DV・虐待の疑い",
    "disaster": "災害時要支援",
    "other": "その他",
}

#: Days a salon meets (``resources.weekdays``, comma-separated codes).
WEEKDAYS: dict[str, str] = {
    "mon": "月",
    "tue": "火",
    "wed": "水",
    "thu": "木",
    "fri": "金",
    "sat": "土",
    "sun": "日",
}
#: How often a salon meets (``resources.frequency``): label and meetings a month for each
#: chosen weekday (None: per month whatever the days, e.g. 月1回).
SALON_FREQUENCIES: dict[str, tuple[str, float | None]] = {
    "weekly": ("毎週", 52 / 12),
    "biweekly": ("隔週", 26 / 12),
    "twice_monthly": ("月2回", None),
    "monthly": ("月1回", None),
    "bimonthly": ("2か月に1回", None),
    "quarterly": ("年4回ほど", None),
    "irregular": ("不定期", None),
}
#: Meetings a month of the frequencies that do not depend on the weekdays.
SALON_MONTHLY_MEETINGS: dict[str, float] = {
    "twice_monthly": 2.0,
    "monthly": 1.0,
    "bimonthly": 0.5,
    "quarterly": 1 / 3,
    "irregular": 0.5,
}

#: How a point was found (issue 17), from the most to the least precise. "block" and
#: "town" come from the address reference; "city" and "unknown" are never placed.
LOCATION_LEVELS: dict[str, str] = {
    "given": "座標",
    "manual": "地図で指定",
    "block": "街区",
    "town": "町丁目",
    "city": "市町村",
    "unknown": "不明",
}
#: Levels whose point stands for an area, not the house (おおよその位置).
APPROXIMATE_LEVELS: frozenset[str] = frozenset({"block", "town", "city"})

#: Background map layers an administrator imports (issue 14), drawn under the points.
BASEMAP_KINDS: dict[str, str] = {
    "roads": "道路",
    "railways": "鉄道・駅",
    "rivers": "川・水路",
    "buildings": "建物",
    "parks": "公園・緑地",
    "schools": "学校",
}

EMERGENCY_RELATIONS: dict[str, str] = {
    "family": "家族",
    "care_manager": "ケアマネジャー",
    "support_centre": "地域包括支援センター",
    "doctor": "かかりつけ医",
    "other": "その他",
}


#: What a 福祉連絡会 may propose (issue 14); proposals become records only when staff confirm.
PROPOSAL_KINDS: dict[str, str] = {
    "household": "気がかりな世帯の追加",
    "watcher": "見守り者の提案",
    "reviewed": "見直し済み",
    "no_change": "町内「変わりなし」",
}

PROPOSAL_STATUSES: dict[str, str] = {
    "pending": "確認待ち",
    "confirmed": "確認済み",
    "rejected": "見送り",
}

#: Who attends a 福祉連絡会, counted by role in the 会議の記録 (never by name).
ATTENDEE_ROLES: dict[str, str] = {
    "ward_head": "区長・自治会長",
    "commissioner": "民生委員・児童委員",
    "welfare_volunteer": "福祉推進員",
    "neighbour": "近隣住民",
    "csw": "社協職員",
    "support_centre": "地域包括支援センター",
    "other": "その他",
}

#: The lines of the 緊急連絡表, in the order printed.
CONTACT_SHEET_CATEGORIES: dict[str, str] = {
    "ward_head": "区長・自治会長",
    "commissioner": "民生委員・児童委員",
    "welfare_volunteer": "福祉推進員",
    "csw": "社協の地区担当",
    "support_centre": "地域包括支援センター",
    "city_office": "市の窓口",
    "police_box": "交番",
}


class Role(StrEnum):
    """Who a user is to lsmap (what each may do is decided in :mod:`lsmap.access`)."""

    ADMIN = "admin"
    STAFF = "staff"
    MEETING = "meeting"
    PLANNER = "planner"
    #: A 見守り者 (民生委員, 福祉推進員, neighbour) linked to one watcher row: reports on the
    #: households it watches from its phone (issue 13).
    WATCHER = "watcher"

    @property
    def label(self) -> str:
        """The Japanese name of the role."""
        return ROLES[self]


ROLES: dict[str, str] = {
    Role.ADMIN: "管理者",
    Role.STAFF: "地区担当職員",
    Role.MEETING: "福祉連絡会",
    Role.PLANNER: "計画担当",
    Role.WATCHER: "見守り者",
}


class Entity(StrEnum):
    """What an audit entry is about (``audit_log.entity``)."""

    HOUSEHOLD = "household"
    RESIDENT = "resident"
    WATCHER = "watcher"
    WATCH_LINK = "watch_link"
    CONTACT_LOG = "contact_log"
    EMERGENCY_CONTACT = "emergency_contact"
    RESOURCE = "resource"
    DISTRICT = "district"
    USER = "user"
    AUDIT_LOG = "audit_log"
    DATABASE = "database"
    DELETED = "deleted"
    SAMPLE = "sample"
    ADDRESS_POINTS = "address_points"
    BASEMAP = "basemap"
    ROAD_NETWORK = "road_network"
    COVERAGE_SNAPSHOT = "coverage_snapshot"
    PROPOSAL = "proposal"
    HOUSEHOLD_REVIEW = "household_review"
    MEETING_RECORD = "meeting_record"
    CONTACT_SHEET = "contact_sheet"

    @property
    def label(self) -> str:
        """The Japanese name of the entity."""
        return ENTITY_LABELS[self]


ENTITY_LABELS: dict[str, str] = {
    Entity.HOUSEHOLD: "世帯",
    Entity.RESIDENT: "気がかりな人",
    Entity.WATCHER: "見守り者",
    Entity.WATCH_LINK: "見守りの関わり",
    Entity.CONTACT_LOG: "見守り活動記録",
    Entity.EMERGENCY_CONTACT: "緊急連絡先",
    Entity.RESOURCE: "資源",
    Entity.DISTRICT: "地区",
    Entity.USER: "利用者",
    Entity.AUDIT_LOG: "監査ログ",
    Entity.DATABASE: "データベース",
    Entity.DELETED: "削除した記録",
    Entity.SAMPLE: "サンプルデータ",
    Entity.ADDRESS_POINTS: "住所の位置参照情報",
    Entity.BASEMAP: "背景地図",
    Entity.ROAD_NETWORK: "道路網",
    Entity.COVERAGE_SNAPSHOT: "カバー状況の記録",
    Entity.PROPOSAL: "会議からの提案",
    Entity.HOUSEHOLD_REVIEW: "見直し",
    Entity.MEETING_RECORD: "会議の記録",
    Entity.CONTACT_SHEET: "緊急連絡表",
}


class AuditAction(StrEnum):
    """Every action the audit log records (``audit_log.action``)."""

    LOGIN = "login"
    LOGOUT = "logout"
    VIEW_RECORD = "view_record"
    MAP_RENDER = "map_render"
    SEARCH = "search"
    NAME_LIST = "name_list"
    EXPORT = "export"
    PRINT = "print"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    RESTORE = "restore"
    AUDIT_EXPORT = "audit_export"
    SAMPLE_LOAD = "sample_load"
    VIEW_GAPS = "view_gaps"
    COVERAGE = "coverage"
    IMPORT = "import"
    BACKUP = "backup"
    LOGIN_FAILED = "login_failed"
    ACCOUNT_LOCKED = "account_locked"
    ACCESS_DENIED = "access_denied"
    VIEW_START = "view_start"
    VIEW_WATCHERS = "view_watchers"
    VIEW_DELETED = "view_deleted"
    DOWNLOAD = "download"
    IMPORT_REFERENCE = "import_reference"
    VIEW_LOCATION_CHECKS = "view_location_checks"
    CENSUS_IMPORT = "census_import"
    NETWORK_IMPORT = "network_import"
    SNAPSHOT = "snapshot"
    VIEW_TRENDS = "view_trends"
    VIEW_BREAKDOWN = "view_breakdown"
    BASEMAP_IMPORT = "basemap_import"
    BASEMAP_REMOVE = "basemap_remove"
    BASEMAP_TILES = "basemap_tiles"
    VIEW_USERS = "view_users"
    PROPOSE = "propose"
    CONFIRM = "confirm"
    REJECT = "reject"
    VIEW_PROPOSALS = "view_proposals"
    VIEW_MY_WATCH = "view_my_watch"
    ISSUE_CODE = "issue_code"
    USE_CODE = "use_code"
    REVOKE_CODE = "revoke_code"

    @property
    def label(self) -> str:
        """The Japanese name of the action (the audit page shows it)."""
        return AUDIT_ACTION_LABELS[self]


AUDIT_ACTION_LABELS: dict[str, str] = {
    AuditAction.LOGIN: "ログイン",
    AuditAction.LOGOUT: "ログアウト",
    AuditAction.VIEW_RECORD: "記録の閲覧",
    AuditAction.MAP_RENDER: "地図の表示",
    AuditAction.SEARCH: "検索",
    AuditAction.NAME_LIST: "名簿の表示",
    AuditAction.EXPORT: "書き出し",
    AuditAction.PRINT: "印刷",
    AuditAction.CREATE: "作成",
    AuditAction.UPDATE: "更新",
    AuditAction.DELETE: "削除",
    AuditAction.RESTORE: "復元",
    AuditAction.AUDIT_EXPORT: "監査ログの出力",
    AuditAction.SAMPLE_LOAD: "サンプル読込",
    AuditAction.VIEW_GAPS: "空白地帯の一覧の表示",
    AuditAction.COVERAGE: "カバー状況の表示",
    AuditAction.IMPORT: "取り込み",
    AuditAction.BACKUP: "バックアップ",
    AuditAction.LOGIN_FAILED: "ログイン失敗",
    AuditAction.ACCOUNT_LOCKED: "アカウントのロック",
    AuditAction.ACCESS_DENIED: "権限のない閲覧の試み",
    AuditAction.VIEW_START: "要対応の一覧の表示",
    AuditAction.VIEW_WATCHERS: "見守り者の一覧の表示",
    AuditAction.VIEW_DELETED: "削除した記録の一覧の表示",
    AuditAction.DOWNLOAD: "ファイルのダウンロード",
    AuditAction.IMPORT_REFERENCE: "住所の参照データの取り込み",
    AuditAction.VIEW_LOCATION_CHECKS: "位置の確認の一覧の表示",
    AuditAction.CENSUS_IMPORT: "国勢調査の取り込み",
    AuditAction.NETWORK_IMPORT: "道路網の取り込み",
    AuditAction.SNAPSHOT: "カバー状況の記録",
    AuditAction.VIEW_TRENDS: "カバー状況の推移の表示",
    AuditAction.VIEW_BREAKDOWN: "カバー状況の内訳の表示",
    AuditAction.BASEMAP_IMPORT: "背景地図の取り込み",
    AuditAction.BASEMAP_REMOVE: "背景地図の削除",
    AuditAction.BASEMAP_TILES: "背景地図タイルの書き出し",
    AuditAction.VIEW_USERS: "利用者の一覧の表示",
    AuditAction.PROPOSE: "会議からの提案",
    AuditAction.CONFIRM: "提案の確認",
    AuditAction.REJECT: "提案の見送り",
    AuditAction.VIEW_PROPOSALS: "確認待ちの一覧の表示",
    AuditAction.VIEW_MY_WATCH: "わたしの見守りの表示",
    AuditAction.ISSUE_CODE: "ワンタイムコードの発行",
    AuditAction.USE_CODE: "ワンタイムコードでのログイン",
    AuditAction.REVOKE_CODE: "ワンタイムコードの取り消し",
}


#: List and export columns.
#: field -> Japanese label; the label is also the template header.
FIELD_LABELS: dict[str, str] = {
    "ref": "番号",
    "name": "氏名",
    "furigana": "ふりがな",
    "birth_year": "生年",
    "phone": "電話",
    "address": "住所",
    "town": "町丁目",
    "lat": "緯度",
    "lon": "経度",
    "approximate": "おおよその位置",
    "household_type": "世帯の状況",
    "concern_tags": "気になるところ（分類）",
    "concerns": "気になるところ",
    "consent_status": "同意",
    "note": "備考",
    "role": "役割",
    "kind": "資源の種類",
    "schedule": "開催日",
    "csws": "CSW",
    "household_ref": "世帯の番号",
    "watcher_ref": "見守り者の番号",
    "involvement": "関わり方",
    "frequency": "頻度",
    "contacted_on": "日付",
    "method": "方法",
    "who": "対応した人",
    "observation": "内容",
}

#: Labels that differ by list (a resource has a 名称, a person a 氏名).
KIND_FIELD_LABELS: dict[tuple[str, str], str] = {("resources", "name"): "名称"}


def field_label(kind: str, field: str) -> str:
    """The Japanese label (and template header) of ``field`` in a ``kind`` list or export."""
    return KIND_FIELD_LABELS.get((kind, field), FIELD_LABELS[field])


def label(vocab: dict[str, str] | dict[str, tuple[str, int | None]], code: str | None) -> str:
    """Japanese label of ``code`` in ``vocab``; unknown codes are shown as they are."""
    if code is None:
        return ""
    value = vocab.get(code, code)
    return value[0] if isinstance(value, tuple) else value
