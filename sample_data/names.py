"""Name parts of the fictional town: people (kanji with hiragana reading), 町内, facilities.

Every person is a random combination of a common surname and a common given name, so
no name refers to a real person; place and facility names are invented.
"""

from __future__ import annotations


def _pairs(text: str) -> tuple[tuple[str, str], ...]:
    """Parse ``"漢字:かな 漢字:かな ..."`` into (written, reading) pairs."""
    return tuple(tuple(item.split(":", 1)) for item in text.split())  # type: ignore[misc]


SURNAMES = _pairs(
    """
    佐藤:さとう 鈴木:すずき 高橋:たかはし 田中:たなか 伊藤:いとう 渡辺:わたなべ 山本:やまもと
    中村:なかむら 小林:こばやし 加藤:かとう 吉田:よしだ 山田:やまだ 佐々木:ささき 山口:やまぐち
    松本:まつもと 井上:いのうえ 木村:きむら 林:はやし 斎藤:さいとう 清水:しみず 山崎:やまざき
    森:もり 池田:いけだ 橋本:はしもと 阿部:あべ 石川:いしかわ 山下:やました 中島:なかじま
    石井:いしい 小川:おがわ 前田:まえだ 岡田:おかだ 長谷川:はせがわ 藤田:ふじた 後藤:ごとう
    近藤:こんどう 村上:むらかみ 遠藤:えんどう 青木:あおき 坂本:さかもと 福田:ふくだ 太田:おおた
    西村:にしむら 藤井:ふじい 金子:かねこ 岡本:おかもと 藤原:ふじわら 中野:なかの 三浦:みうら
    原田:はらだ 中川:なかがわ 松田:まつだ 竹内:たけうち 小野:おの 田村:たむら 中山:なかやま
    和田:わだ 石田:いしだ 森田:もりた 上田:うえだ 内田:うちだ 柴田:しばた 酒井:さかい
    宮崎:みやざき 横山:よこやま 高木:たかぎ 安藤:あんどう 宮本:みやもと 大野:おおの 小島:こじま
    今井:いまい 工藤:くどう 増田:ますだ 丸山:まるやま 杉山:すぎやま 村田:むらた 大塚:おおつか
    新井:あらい 平野:ひらの 野口:のぐち 久保:くぼ 松井:まつい 千葉:ちば 桜井:さくらい
    木下:きのした 野村:のむら 菅原:すがわら 市川:いちかわ 秋山:あきやま 小松:こまつ 相沢:あいざわ
    望月:もちづき 露木:つゆき 熊沢:くまざわ 二宮:にのみや 志村:しむら 小泉:こいずみ 鈴村:すずむら
    """
)

#: Given names by sex ("f", "m") and generation ("old" born before 1956, "mid", "young").
GIVEN_NAMES: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {
    ("f", "old"): _pairs(
        """
        和子:かずこ 幸子:さちこ 節子:せつこ 久子:ひさこ 美智子:みちこ 弘子:ひろこ 洋子:ようこ
        京子:きょうこ 恵子:けいこ 文子:ふみこ 静江:しずえ ハル:はる トミ:とみ キヨ:きよ
        千代子:ちよこ 照子:てるこ 光子:みつこ 悦子:えつこ 信子:のぶこ 房子:ふさこ 秀子:ひでこ
        敏子:としこ 春江:はるえ 冨美子:ふみこ 貞子:さだこ 君子:きみこ 多恵子:たえこ 芳江:よしえ
        """
    ),
    ("m", "old"): _pairs(
        """
        清:きよし 茂:しげる 博:ひろし 実:みのる 勇:いさむ 進:すすむ 正男:まさお 和夫:かずお
        武:たけし 昭:あきら 隆:たかし 三郎:さぶろう 一郎:いちろう 勝:まさる 修:おさむ 忠:ただし
        稔:みのる 秀夫:ひでお 義雄:よしお 幸雄:ゆきお 敏夫:としお 正一:しょういち 政雄:まさお
        """
    ),
    ("f", "mid"): _pairs(
        """
        由美:ゆみ 真由美:まゆみ 直美:なおみ 智子:ともこ 裕子:ゆうこ 明美:あけみ 美穂:みほ
        久美子:くみこ 陽子:ようこ 恵美:えみ 香織:かおり 麻衣:まい 淳子:じゅんこ 理恵:りえ
        """
    ),
    ("m", "mid"): _pairs(
        """
        健一:けんいち 誠:まこと 直樹:なおき 浩二:こうじ 聡:さとし 大輔:だいすけ 剛:つよし
        哲也:てつや 達也:たつや 和也:かずや 英樹:ひでき 浩:ひろし 拓也:たくや 雅之:まさゆき
        """
    ),
    ("f", "young"): _pairs(
        """
        陽菜:ひな 結衣:ゆい 美咲:みさき さくら:さくら 彩花:あやか 愛:あい 葵:あおい
        七海:ななみ 優花:ゆうか 莉子:りこ 芽衣:めい 彩:あや
        """
    ),
    ("m", "young"): _pairs(
        """
        翔太:しょうた 蓮:れん 大翔:ひろと 颯太:そうた 悠斗:ゆうと 陸:りく 拓海:たくみ
        健太:けんた 翼:つばさ 湊:みなと 陽向:ひなた 蒼:あおい
        """
    ),
}

#: Foreign residents' name parts in katakana, by naming tradition: (families, given names).
FOREIGN_NAME_PARTS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (
        ("グエン", "チャン", "レ", "ファム", "ホアン", "ヴー"),
        (
            "ヴァン・ナム",
            "ティ・ハー",
            "ティ・マイ",
            "ヴァン・トゥアン",
            "ティ・ラン",
            "ヴァン・フン",
        ),
    ),
    (
        ("サントス", "レイエス", "ガルシア", "シルバ", "オリベイラ", "ゴメス", "フローレス"),
        ("マリア", "アナ", "ホセ", "カルロス", "ルシア", "ジョアナ", "ロサ", "パウロ"),
    ),
    (("タマン", "グルン", "ライ", "シェルパ"), ("ビシャル", "サリタ", "ラム", "スニタ")),
)

#: 町内 names per 地区 code suffix, used in order (a 地区 may not need the last ones);
#: consecutive names are placed next to each other.
NEIGHBOURHOOD_NAMES: dict[str, tuple[str, ...]] = {
    "01": (
        "本町一丁目",
        "本町二丁目",
        "本町三丁目",
        "駅前",
        "栄町",
        "東町",
        "新田",
        "川端",
        "南町",
    ),
    "02": (
        "桜ヶ丘一丁目",
        "桜ヶ丘二丁目",
        "桜ヶ丘三丁目",
        "若葉台",
        "緑町",
        "宮下",
        "西原",
        "梅田",
        "松原",
    ),
    "03": ("北山", "上ノ原", "大久保", "中里", "坂下", "柏木", "日向", "八幡"),
}

#: Word parts of invented facility and group names.
FACILITY_PARTS: tuple[str, ...] = (
    "やすらぎ",
    "ひだまり",
    "あおば",
    "清風",
    "緑風",
    "松風",
    "こもれび",
    "わかば",
    "陽光",
    "さくら台",
    "すずらん",
    "白樺",
    "なごみ",
    "はなみずき",
    "かしの木",
    "ふたば",
    "ゆりの木",
    "つばさ",
    "みのり",
    "ほほえみ",
    "けやき",
    "えがお",
    "あじさい",
    "ゆうゆう",
)
#: Suffixes of clinic names (the surname is added before them).
CLINIC_SUFFIXES: tuple[str, ...] = ("内科クリニック", "医院", "内科医院", "ファミリークリニック")
#: Home-care support offices (居宅介護支援事業所) where care managers work.
CARE_OFFICES: tuple[str, ...] = (
    "ケアプランセンターひだまり",
    "居宅介護支援事業所あおば",
    "さくら台ケアサポート",
    "ケアプラン清風",
    "居宅介護支援センターなごみ",
)
#: Where family members who are emergency contacts live, with their area code.
FAMILY_PLACES: tuple[tuple[str, str], ...] = (
    ("横浜市", "045"),
    ("川崎市", "044"),
    ("相模原市", "042"),
    ("厚木市", "046"),
    ("東京都", "03"),
    ("市内", "046"),
    ("藤沢市", "0466"),
    ("静岡県", "054"),
)
#: Council staff who record consent and make contacts themselves.
STAFF_NAMES: tuple[str, ...] = (
    "社協 中村",
    "社協 石田",
    "社協 小野寺",
    "社協 川口",
    "社協 松下",
)


def to_hiragana(katakana: str) -> str:
    """Hiragana reading of a katakana string (the long-vowel mark and ・ are kept)."""
    return "".join(chr(ord(char) - 0x60) if "ァ" <= char <= "ヶ" else char for char in katakana)
