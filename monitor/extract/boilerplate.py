"""What page furniture looks like: boilerplate element names, and lines that are never article.

Two kinds of evidence, both generic (no site is named):

- *elements*: a tag (``nav``, ``aside``, ``footer`` ...), an ARIA role, or a class or id that
  names a known widget (share, related, comments, ads, ranking, 関連記事 ...);
- *lines*: short lines whose words are furniture whatever the page ("Advertisement",
  "Don't miss", "Explore further", "打印本页"), picture credits ("Getty Images", "Photo: ..."),
  bare links, newsletter and follow-us prompts; and *closing headings* ("About the author",
  "Related", "Comments", "Über Anna Schmidt") that, late in a text, start what follows the
  article rather than the article.

:mod:`.generic` uses both on its blocks; rule packs use the line rules on their selectors'
text (:func:`clean_lines`). Site rules from config.toml get none of it: their authors chose.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from functools import lru_cache
from itertools import pairwise

from monitor.extract.measure import PAGE_CACHE, is_sentence, units
from monitor.extract.text import Element, normalize_line

log = logging.getLogger(__name__)

BOILERPLATE_TAGS = frozenset(
    {"nav", "aside", "header", "footer", "form", "button", "select", "menu"}
)
BOILERPLATE_NAMES = re.compile(
    # "non-ad-column", "no-sidebar": a name that negates a widget is not that widget.
    r"(?<![a-z])(?<!non-)(?<!no-)(?<!not-)"
    r"(?:related|share|sharing|sharedaddy|social|comments?|commentlist|sidebar|"
    r"widgets?|newsletter|promo|advert\w*|ads?|adsense|sponsor\w*|cookie\w*|banner|"
    r"breadcrumbs?|ranking|popular|recommend\w*|subscribe|subscription|signup|most-?read|"
    r"footer|masthead|navbar|nav|navigation|menu|pagination|pager|disqus|outbrain|taboola|"
    r"tags?|tagcloud|byline|author-?box|bio|author-?bio|author-?info|about-?the-?author|post-?meta|entry-?meta|timestamp|dateline|date|"
    r"toolbar|skip|modal|popup|recirculation|read-?time|reading-?time|trending)"
    r"(?![a-z])|関連|ランキング|おすすめ|シェア|コメント",
    re.IGNORECASE,
)
NEUTRAL_TAGS = frozenset({"html", "body", "main", "article"})
_DIGIT = re.compile(r"\d")

#: Whole short lines that are furniture in any article: labels, prompts, widget titles.
FURNITURE = re.compile(
    r"^(?:advert(?:isement)?s?|ads?|anzeige|publicidade|publicité|publicidad|реклама|"
    r"sponsored(?: content)?|(?:don'?t|do not) miss|must read|read more|read next|more:|"
    r"see also|related(?: articles?| stories| posts| coverage| content| roundup)?|"
    r"trending(?: now| news| stories)?|explore further|most (?:read|popular|viewed)|"
    r"recommended(?: for you)?|you (?:may|might) also like|watch|also read|"
    r"(?:like|share|enjoy(?:ed)?) this (?:story|article|post)|follow (?:me|us) on|share on|"
    r"media playback is unsupported on your device|comments?|"
    r"\d+ min(?:ute)?s? read|tempo de leitura|lesezeit|"
    r"打印|ページの先頭へ|ページトップへ|この記事をシェア|シェアする|広告|スポンサーリンク|PR)\b|"
    # Prompts that run on into what they offer ("扫一扫在手机打开当前页"): no word boundary.
    r"^(?:打印本页|关闭窗口|扫一扫|分享到|返回顶部)",
    re.IGNORECASE,
)
FURNITURE_UNITS = 12
#: A "read also" line inside a text: the label, a colon and the title of another article
#: ("Weiterlesen: Kein Getreide mehr: …", "À lire aussi : …", "LEIA TAMBÉM: …"), in the
#: languages of the web's news: a teaser, never the article's sentence. (The label alone,
#: with nothing after its colon, heads a closing section instead: :data:`CLOSING`.)
READ_ALSO = re.compile(
    r"^(?:read (?:more|also|next)|see also|also read|weiterlesen|lesen sie (?:auch|mehr)|"
    r"mehr dazu|auch interessant|(?:à )?lire (?:aussi|également)|lire la suite|"
    r"lee también|lea también|leer más|leia (?:também|mais)|veja também|leggi anche|"
    r"lees ook|läs också|читайте также|関連記事|あわせて読みたい|相关阅读|推荐阅读)"
    r"\s*[:：]\s*\S",
    re.IGNORECASE,
)
READ_ALSO_UNITS = 24
#: Whole lines that are the labels of a gallery or lightbox, or a shop button.
LABEL = re.compile(
    r"^(?:caption|close|expand|enlarge|click to enlarge|(?:view|open) (?:gallery|slideshow)|"
    r"read later|save for later|buy now|shop now|(?:top|featured|related) videos?|"
    r"(?:image|photo|picture|slide)s? \d+ (?:of|/) \d+|\d+ ?(?:of|/) ?\d+)[\s.:!…]*$",
    re.IGNORECASE,
)
#: Picture credits on a line of their own. "Image: <source>" is not one: some Japanese
#: articles open with it, and the reference extractors keep it.
CREDIT = re.compile(
    r"^\(?(?:(?:photo|image|picture|credit|source|foto|bild)s?\s*(?:credit)?\s*[:：]\s*)?"
    r"(?:getty(?: images)?|reuters|ap|afp|epa|shutterstock|istock(?:photo)?|alamy)\)?$|"
    r"^(?:photo|credit|foto|bild)s?\s*(?:credit)?\s*(?:[:：]|\.\.\.|…)|^©|"
    r"^\((?:image|photo|picture)s?\s*(?:credit)?\s*[:：].*\)$|^courtesy of\b",
    re.IGNORECASE,
)
CREDIT_UNITS = 8
#: Elements named as a picture's credit ("copyright", "photo-credit", "image-source",
#: "c-picture__source"): the credit inside or beside a caption, whose own line the CREDIT
#: pattern cannot see (it is written into the caption's line).
CREDIT_NAMES = re.compile(
    r"(?<![a-z])(?:copyright|credits?|(?:photo|image|img|picture|foto|bild)[-_]*"
    r"(?:credits?|copyright|source|rights))(?![a-z])",
    re.IGNORECASE,
)
#: A credit element holds a name and an agency, not a caption: at most this many units.
CREDIT_ELEMENT_UNITS = 12
BARE_LINK = re.compile(r"https?://\S+$")
#: Newsletter, follow-us, app, shop and donation prompts, in the languages of the web's
#: news: what a site says to its readers about itself, never what its article says.
PROMOTION = re.compile(
    r"\b(?:sign(?:ing)? up|subscribe|subscribing)\b.{0,120}newsletters?\b|"
    r"\bnewsletters?\b.{0,120}\b(?:sign(?:ing)? up|subscribe)\b|"
    r"^follow\b.{0,60}\bon (?:twitter|facebook|instagram|linkedin|youtube|tiktok)\b|"
    r"^join the conversation\b|"
    r"\bfollow (?:us|him|her|them|me)\b.{0,40}\bon (?:twitter|facebook|instagram)\b|"
    r"\b(?:delivered|straight|sent|direct(?:ly)?) (?:to|through) your (?:inbox|letterbox|door)\b|"
    r"\bmeet your inbox\b|"
    r"\bsubscribe to (?:our|the)\b.{0,40}\b(?:magazine|newsletter|channel|podcast)\b|"
    r"^subscribe now\b|\b(?:our|unseren?|notre|nuestro|nosso)\s+newsletters?n?\b|"
    r"\bdownload (?:the|our)\b.{0,40}\bapps?\b|"
    r"\bsupport (?:our|independent|quality) journalism\b|"
    r"^(?:continue|keep) reading with\b|\bsubscribe to (?:continue|keep) reading\b|"
    r"\balready a (?:subscriber|member)\b|^(?:jetzt )?weiterlesen mit\b|"
    r"\bsie sind bereits abonnent|"
    # German, French, Spanish, Portuguese, Italian
    r"^(?:folgen sie uns|folge uns|suivez-nous|s[ií]guenos|siga-nos|seguici)\b|"
    r"\bnewsletter\b.{0,80}\b(?:abonnieren|anmelden|bestellen|inscri(?:vez|bete|va)|"
    r"iscriviti|suscr[ií]b[ea]te)|"
    r"\b(?:abonnieren sie|abonnez-vous|suscr[ií]bete|inscreva-se|iscriviti)\b.{0,80}"
    r"\b(?:newsletter|kanal|cha[iî]ne|canal|canale|bolet[ií]n)\b|"
    r"\bnuestro canal de (?:youtube|telegram|whatsapp)\b|\bunseren\b.{0,30}\bshop\b|"
    r"\b(?:jede (?:kleine )?spende|jetzt spenden|faites un don|haz una donaci[oó]n)\b|"
    r"\b(?:lust auf mehr|mehr lesen sie|lesen sie (?:das|die|den)\b.{0,40}\b(?:magazin|heft|"
    r"ausgabe|app))\b",
    re.IGNORECASE,
)
#: What a page says about itself around an article: cookie and embed consent, browser and
#: JavaScript notes, affiliate and advertising disclosures, copyright small print.
NOTICE = re.compile(
    r"\b(?:we (?:use|value|respect)|this (?:site|website) uses) (?:cookies|your privacy)\b|"
    r"\baccept (?:all )?cookies\b|\bcookie (?:settings|preferences|policy|consent)\b|"
    r"\bby (?:continuing to (?:use|browse)|using) (?:this|our) (?:site|website)\b|"
    r"\b(?:enable|turn on|activate) (?:javascript|cookies)\b|"
    r"\byour browser (?:is (?:out of date|outdated|not supported)|does not support)\b|"
    r"\b(?:upgrade|update) your browser\b|"
    r"\baffiliate[- ]?(?:links?|commissions?|partner)\b|"
    r"\bwe (?:may )?(?:earn|receive|get) (?:a )?(?:small )?(?:commission|compensation)\b|"
    r"\bas an amazon associate\b|\badvertisers do not influence\b|"
    r"\ball rights reserved\b|\bcopyrighted (?:property|material)\b|"
    r"\b(?:without|obtain(?:ed)?) (?:the )?(?:prior )?(?:express )?written permission\b|"
    r"^(?:©|\(c\)\s)|"
    # German
    r"\bwir respektieren (?:deine|ihre) privatsph[äa]re\b|"
    r"\b(?:diese|unsere) (?:website|webseite|seite) (?:verwendet|nutzt) cookies\b|"
    r"\bexterne(?:n)? inhalte?\b.{0,80}\b(?:laden|angezeigt|anzeigen|zustimm\w*|einverstanden)\b|"
    r"\bkeine verbindung zu\b.{0,40}\bher\b|\bihr browser ist veraltet\b|"
    r"\b(?:dieser beitrag|dieser artikel) enth[äa]lt (?:werbung|affiliate)\b|"
    r"\b(?:handelt es sich um|enth[äa]lt) affiliate\b|"
    r"\bprovision\b.{0,60}\b(?:kauf|link)\w*\b|\balle rechte vorbehalten\b|"
    # French, Spanish, Portuguese, Italian
    r"\b(?:ce site|este sitio|este site|questo sito)\b.{0,20}\b(?:utilise|utiliza|usa|"
    r"utilizza)\b.{0,10}\bcookies?\b|\ben poursuivant votre navigation\b|"
    r"\b(?:tous droits r[ée]serv[ée]s|todos los derechos reservados|"
    r"todos os direitos reservados|tutti i diritti riservati)\b",
    re.IGNORECASE,
)
PROMOTION_UNITS = 45
#: A line that opens with an ad or a copyright label ("Werbung", "*Werbung | unbezahlt",
#: "Copyright 2026 …", "Copyright by …"); as long a sentence as this, it is article text
#: ("Werbung nervt. Tracking nervt. …", "Copyright lawyers for the architect asked …").
LABEL_NOTICE = re.compile(r"^(?:\*?werbung|copyright)\b", re.IGNORECASE)
LABEL_NOTICE_SENTENCE = 10
#: A share button's whole line: a service's name, or the verb to share, print or mail.
SHARE_BUTTON = re.compile(
    r"^(?:share|teilen|twittern|tweet(?:en)?|mitteilen|partager|partagez|compartir|"
    r"compartilhar|condividi|delen|dela|e-?mail|print|drucken|imprimer|imprimir|stampa|"
    r"facebook|twitter|whatsapp|linkedin|xing|pinterest|reddit|telegram|flipboard|tumblr|"
    r"pocket|mastodon|bluesky|threads|分享|シェア|ツイート)$",
    re.IGNORECASE,
)
#: A table of contents' toggle after its label ("Inhalt [ausblenden]").
TOC_TOGGLE = (
    r"(?:hide|show|toggle|ausblenden|einblenden|anzeigen|verbergen|masquer|afficher|"
    r"ocultar|mostrar)"
)
#: A page's own buttons and labels on a line of their own: back to the top or the home page,
#: read aloud, print or share this article, a table of contents' label (with its toggle,
#: "Inhaltsverzeichnis [Anzeigen]"). Whole lines only: never what an article says.
PAGE_BUTTON = re.compile(
    r"^(?:back to (?:the )?(?:top(?: button)?|home ?page|home)|"
    r"zurück (?:nach oben|zum seitenanfang|zur startseite)|"
    r"retour en haut(?: de (?:la )?page)?|volver arriba|"
    r"torna (?:su|in alto)|voltar ao topo|トップへ戻る|ページ上部へ|回到顶部|"
    r"(?:diesen |den )?(?:artikel|beitrag|seite) (?:teilen|drucken|vorlesen|anhören)|"
    r"(?:share|print|e-?mail) (?:this )?(?:article|story|page|post)|"
    r"listen to (?:this )?(?:article|story)|table of contents|inhaltsverzeichnis|"
    r"table des matières|目次|目录|目錄)"
    rf"(?:\s*\[\s*{TOC_TOGGLE}\s*\])?\s*[:：]?$",
    re.IGNORECASE,
)
#: Words one of which every prompt and notice holds (lowercase): a cheap first look.
_NOTICE_WORDS = re.compile(
    "newsletter|follow|join the conversation|inbox|letterbox|your door|subscri|download|"
    "journalism|reading|already a|weiterlesen|abonn|folg|suivez|guenos|siga-nos|seguici|"
    "suscr|inscr|iscri|canal de|shop|spende|un don|donaci|lust auf mehr|lesen sie|cookie|"
    "privacy|by continuing|by using|javascript|browser|affiliate|commission|compensation|"
    "amazon associate|advertisers|rights reserved|copyright|written permission|©|\\(c\\)|"
    "privatsph|externe|verbindung zu|werbung|provision|rechte vorbehalten|poursuivant|"
    "droits r|derechos reservados|direitos reservados|diritti riservati"
)
#: Headings after which comes what follows an article: its author's bio, related posts,
#: comments.
CLOSING = re.compile(
    r"^(?:about the author|about (?:[A-Z][\w.'-]+ ){1,2}[A-Z][\w'-]+|"
    r"über (?:den autor|die autorin|[A-ZÄÖÜ][\w.-]+ [A-ZÄÖÜ][\w-]+)|"
    r"(?:more )?related(?: articles| stories| posts| coverage| content| news)?|"
    r"weitere (?:beiträge|artikel)\b.*|more from\b.*|read more\b.*|"
    # "More stories", "More Great WIRED Stories": up to two words between, never "than"
    # (not "news" or "coverage": "More bad news" heads a section of the article)
    r"more(?! than\b)(?: [\w'’.&-]+){0,2} (?:stories|articles|posts|reads)|"
    r"comments?|\d+ comments?|leave a (?:reply|comment)|tell us what you think\b.*|trackbacks?|"
    # the comments in German, French, Spanish, Portuguese, Italian (not "Kommentar": an
    # opinion piece's label; "no comments" only with what a comment box adds in brackets:
    # "Sin comentarios." is a spokesman's answer)
    r"\d+ (?:kommentare?|commentaires?|comentarios?|comentários?|comment[oi])(?: \(.*\))?|"
    r"(?:keine|aucun|sin|sem|nessun) (?:kommentare|commentaire|comentarios|comentários|"
    r"commento) \(.*\)|kommentare(?: geschlossen)?|kommentar schreiben|kommentarfeed|"
    r"trackback-url|commentaires|laisser un commentaire|comentarios|deja (?:un|tu) comentario|"
    r"comentários|deixe (?:um|seu) comentário|commenti|lascia un commento|"
    r"(?:you (?:may|might) )?also like\b.*|recommended(?: for you)?|"
    r"(?:você|vc) (?:também )?pode gostar\b.*|leia (?:também|mais)\b.*|veja também\b.*|"
    r"(?:artigos|posts|notícias|matérias|artículos|noticias) relacionad[oa]s|"
    r"(?:también )?te puede interesar\b.*|lee también\b.*|(?:à )?lire aussi\b.*|"
    r"vous aimerez (?:aussi|également)\b.*|articles similaires|sur le même sujet|"
    r"читайте также\b.*|похожие (?:статьи|новости|материалы|записи)|смотрите также\b.*|"
    r"das könnte sie auch interessieren|mehr zum thema\b.*|"
    r"関連記事|関連ニュース|あわせて読みたい|コメント|相关(?:文章|阅读|新闻|推荐)|热门推荐|推荐阅读|"
    r"回复|评论|网友评论|发表评论|留言|(?:版权|免责|反侵权|侵权)(?:声明|公告)|"
    r"猜你喜欢|更多精彩|精彩推荐|图片聚焦|最新(?:动态|文章|新闻|资讯)|"
    r"most (?:read|popular|viewed)(?: stories| articles| posts| news)?|"
    r"самые (?:популярные|читаемые)\b.*|популярное)"
    r"[\s.:：!?…]*$",
    re.IGNORECASE,
)
CLOSING_UNITS = 8
#: A closing heading ends the article only when at least this share of the text is above it.
CLOSING_AFTER = 0.5


#: A line of at least this many numbers counting up is a pager or a calendar's week, if at
#: least ...
NUMBER_RUN = 4
#: ... this share of its steps add one (a calendar's week may start a month), and its
#: numbers are days of a month or it starts at 1 (a pager): not a table's row of figures.
NUMBER_RUN_STEPS = 2 / 3
NUMBER_RUN_DAYS = 31
#: A pager's line is at most this long (a cheap first look).
PAGER_UNITS = 40
#: What a pager holds besides its numbers: the steps (of which it holds one, or a page's
#: word and two numbers: "Page 2 of 5"; "4 von 5" is a rating, "Seite 3" a section), the
#: page's words, and the rest.
_STEPS = (
    r"«|»|‹|›|<<|>>|←|→|prev(?:ious)?|next|older|newer|zurück|weiter|vorherige|nächste|"
    r"précédente?|suivante?|anterior|siguiente|上一页|下一页|上一頁|下一頁|前へ|次へ|前のページ|"
    r"次のページ"
)
_PAGES = r"page|seite|página|第\d+页|共\d+页"
_PAGER_REST = r"…|\.\.\.|first|last|of|von|de|首页|首頁|尾页|尾頁|末页"
PAGER_STEP = re.compile(rf"^(?:{_STEPS})$", re.IGNORECASE)
_PAGE = re.compile(rf"^(?:{_PAGES})$", re.IGNORECASE)
PAGER_WORD = re.compile(rf"^(?:{_STEPS}|{_PAGES}|{_PAGER_REST})$", re.IGNORECASE)
_PAGER_SPLIT = re.compile(r"[\s|/]+")
#: A line that only counts the page's readers: "1,234 views", "阅读次数：154",
#: "您是本文第 154 个阅览者".
READER_COUNT = re.compile(
    r"^(?:(?:views?|aufrufe|visualizações|lecturas)\s*[:：]\s*\d[\d,.]*|"
    r"(?:阅读|閱讀|浏览|瀏覽|点击|點擊|人气|人氣|阅览|閱覽)(?:次数|次數|数|數|量|人数)?\s*"
    r"(?:[:：]\s*\d[\d,.]*|[(（]\d[\d,.]*[)）])\s*次?|"
    r"\d[\d,.]*\s*(?:views?|aufrufe|visualizações|lecturas|次(?:阅读|浏览|点击))|"
    r"(?:您|你)是(?:本文|本站|本帖|本页)?(?:的)?第\s*\d+\s*[个位名](?:阅览者|读者|访客|訪客|访问者|浏览者))$",
    re.IGNORECASE,
)
#: A line that lists the article's tags ("Tags: Haute Couture, Paris"): the label, then
#: nothing, a list of short items, or a few words (not "Themen" or 关键词: a topic line and
#: a paper's keywords may be article text).
TAGS = re.compile(
    r"^(?:tags?|tagged(?: with)?|schlagw(?:ö|oe)rter|schlagworte|stichw(?:ö|oe)rter|"
    r"etiquetas|mots[- ]clés|标签|標籤|タグ)\s*[:：]\s*(?P<items>.*)$",
    re.IGNORECASE,
)
TAGS_UNITS = 25
#: Tags without separators between them: at most this many units.
TAGS_BARE_UNITS = 8
_TAG_SEPARATOR = re.compile(r"[,;|·，、；]")
_LETTER = re.compile(r"[^\W\d_]")
#: A block of this many units is a paragraph.
PARAGRAPH_UNITS = 20
SHORT_LINE = 16
LABEL_UNITS = 3
TEXT_TAGS = frozenset("p h2 h3 h4 h5 h6 li dd dt blockquote pre figcaption caption td th".split())
BYLINE = re.compile(
    r"^(?:by|von|por|par|door|av|di)\s|^[（(]?\s*(?:作者|来源|來源|记者|記者|编辑|編輯|责任编辑|"
    r"責任編輯|文|撰文|出典|配信|筆者)\s*[：:／/]|"
    # A reporter's name after the paper's: "本报记者 王建宏 张文攀", "新华社記者 李明".
    r"^\w{0,8}(?:记者|記者|通讯员|通訊員)(?:\s+[\u4e00-\u9fff·]{2,4})+$",
    re.IGNORECASE,
)
DATE = re.compile(
    r"\b(?:19|20)\d\d[-/.年]\s?\d{1,2}|\d{1,2}[-/.月]\s?\d{1,2}[-/.日,]?\s?(?:19|20)\d\d|"
    r"\b\d{1,2}:\d\d\b|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}"
    r"(?:st|nd|rd|th)?,"
    r"\s+(?:19|20)\d\d",
    re.IGNORECASE,
)
#: A line saying when (and by whom) the text was posted or updated: "Posted by Ann Lee on
#: March 3, 2020", "UPDATED: November 8, 2023 at 6:00 p.m.", a forum's "本贴由大卫于2005年8月12日
#: 16:12:21在〖…〗发表." or "海姑娘写于2005年3月16日". A page may rewrite it on every view.
#: The label, then a colon, a date or a word that leads to one ("Posted by", "Updated on",
#: "Veröffentlicht am"): "Posted guards stood ...", "Updated guidance ..." go on otherwise.
DATELINE = re.compile(
    r"^(?:(?:last )?updated|posted|published|geschrieben|veröffentlicht|aktualisiert|publié|"
    r"mis à jour|publicado|actualizado|pubblicato|aggiornato)"
    r"(?:\s*[:：|]|\s+(?=\d)|\s+(?:on|at|by|am|um|le|el|il|par|por|von|di)\b)",
    re.IGNORECASE,
)
_CJK_DATE = r"(?:19|20)\d\d\s*[-/.年]\s*\d{1,2}[\d\s年月日号號时時分秒:：/.-]*"
#: How many short dated lines in a row, each with words of its own, make a timetable.
TIMETABLE_RUN = 3
_WORD = re.compile(r"[^\W\d_]+")
_CLOCK_TIME = re.compile(r"\b\d{1,2}:\d\d\b")
#: A forum's "本帖最后由 X 于 <date> 编辑", "本贴由X于<date>在〖…〗发表.", a signature's
#: "X写于<date>" (a day's date): nothing after the date but where and what was done.
CJK_DATELINE = re.compile(
    rf"^本[贴帖](?:最后)?由\s*\S{{1,20}}?\s*于\s*{_CJK_DATE}"
    r"(?:在\s*\S{0,30}?)?(?:发表|發表|编辑|編輯)?\s*[.。]?$|"
    r"^\S{1,8}?写于\s*(?:19|20)\d\d\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*[日号號]"
    r"[\d\s时時分秒:：]*$"
)
DATELINE_UNITS = 30
#: What a dateline may say after its last date ("at 6:00 p.m."), and before its first
#: ("Posted by Ann Lee, health reporter, on").
DATELINE_TAIL_UNITS = 4
DATELINE_HEAD_UNITS = 12
_CLOCK = re.compile(r"\b[ap]\.m\.$", re.IGNORECASE)
#: A citation or source in brackets that ends a line, and what closes it after.
_CITATION = re.compile(r"[(（][^()（）]{1,30}[)）][\s\"'”“’‘」』»«]*$")
_YEAR = re.compile(r"(?:19|20)\d\d")
_CLOSING_QUOTES = " \"'”“’‘」』»«"


def boilerplate_reason(element: Element, names: bool = True) -> str:
    """Why ``element`` looks like boilerplate by its tag or names ("" when it does not);
    ``names=False`` looks at tags and roles only."""
    tag = element.tag
    if tag in BOILERPLATE_TAGS:
        return f"<{tag}>"
    if element.get("role") in ("navigation", "complementary", "contentinfo", "banner"):
        return f"role={element.get('role')}"
    if tag in NEUTRAL_TAGS or not names:
        return ""
    return _named_boilerplate(element.get("class"), element.get("id"))


@lru_cache(maxsize=PAGE_CACHE)  # a page repeats its class names: each is looked at once
def _named_boilerplate(classes: str | None, ident: str | None) -> str:
    match = BOILERPLATE_NAMES.search(_names(classes, ident))
    return f"name {match.group(0).lower()!r}" if match else ""


_NAME_PARTS = re.compile(r"[-_\s]+")
_NEGATIONS = frozenset({"non", "no", "not", "without", "free"})


def name_parts(name: str) -> list[str]:
    """The parts of a class or id, split at ``-`` and ``_`` ("related-posts": related,
    posts); none for a name negating a widget ("non-ad-column", "no-comments")."""
    parts = [part for part in _NAME_PARTS.split(name) if part]
    return [] if _NEGATIONS.intersection(parts) else parts


def _names(classes: str | None, ident: str | None) -> str:
    """An element's class and id names as one string; not an id with digits, which is
    often generated per page view (not a stable signal)."""
    ident = ident or ""
    return f"{classes or ''} {'' if _DIGIT.search(ident) else ident}"


@lru_cache(maxsize=PAGE_CACHE)
def _named_credit(classes: str | None, ident: str | None) -> bool:
    return CREDIT_NAMES.search(_names(classes, ident)) is not None


#: A picture credit written at the end of its caption ("… am Mahnmal. Foto: GdP/H. Immel").
TRAILING_CREDIT = re.compile(
    r"(?:(?<=[.!?。])\s*[(（]?|\s*[(（]|\s+(?=©))\s*"
    r"(?:(?:(?:photo|foto|bild|image|picture)s?|写真|画像)\s*(?:credit)?\s*[:：]|credits?\s*[:：]|©)"
    r"[^.!?。]*[)）]?\s*$",
    re.IGNORECASE,
)


def without_trailing_credit(caption: str) -> str:
    """A caption's text without the picture credit written at its end, if it ends in one
    of at most :data:`CREDIT_UNITS` units (and something is left of the caption)."""
    found = TRAILING_CREDIT.search(caption)
    if found is None or units(found.group(0)) > CREDIT_UNITS:
        return caption
    kept = caption[: found.start()].rstrip()
    return kept if kept else caption


#: A gallery's position counter ("3 of 12", "3/12") in an element of its own.
COUNTER = re.compile(r"^\s*\d+\s*(?:of|/|／|von|de|sur|di|из)\s*\d+\s*$", re.IGNORECASE)


def is_picture_counter(element: Element) -> bool:
    """True for an element inside a picture's figure whose whole text is a gallery position
    counter (``<span class="count">3<span>of</span>4</span>`` in a slide's caption); never
    a table's cell ("3/4" in a results table that WordPress wraps in a ``<figure>``)."""
    if element.tag in ("figure", "figcaption") or len(element) > 2:  # cheap tests first
        return False
    head = (element.text or "").lstrip()
    if not head[:1].isdigit() or not COUNTER.match("".join(element.itertext())):
        return False
    return _in_picture_figure(element)


def _in_picture_figure(element: Element) -> bool:
    """Whether ``element`` is in a figure (or caption) that shows a picture, not a table."""
    for ancestor in element.iterancestors():
        if ancestor.tag in ("table", "td", "th"):
            return False
        if ancestor.tag == "figure" or ancestor.tag == "figcaption":
            figure = ancestor if ancestor.tag == "figure" else ancestor.getparent()
            if figure is None:
                return True
            return next(figure.iter("table"), None) is None
    return False


#: How a credit reads when it is not inside a figure: "© …", "Foto: …", "(Quelle: …)", or a
#: name and an agency ("Jana Roth / dpa", "Verlag | Jana Roth").
CREDIT_TEXT = re.compile(
    r"^\(?\s*(?:©|\(c\)|(?:photo|foto|bild|image|picture|quelle|source|credit)s?\b)|[/|]",
    re.IGNORECASE,
)


def is_credit(element: Element) -> bool:
    """True for a small element named as a picture credit (:data:`CREDIT_NAMES`) that reads
    as one: not a sentence, and inside a figure or written as a credit (:data:`CREDIT_TEXT`).
    A caption itself is never one (``figcaption.caption-credit`` is the caption)."""
    if element.tag == "figcaption":
        return False
    classes, ident = element.get("class"), element.get("id")
    if (classes is None and ident is None) or not _named_credit(classes, ident):
        return False
    text = " ".join("".join(element.itertext()).split())
    if units(text) > CREDIT_ELEMENT_UNITS or is_sentence(text):
        return False
    return CREDIT_TEXT.search(text) is not None or _in_picture_figure(element)


def crumb_reason(text: str, tag: object, *, timetable: bool = False) -> str:
    """Why a block (its text and holder tag) is page furniture: the title heading, a byline
    or date, a label, or a line of :func:`line_reason`. An entry of a ``timetable``
    (:func:`timetable_entries`) is no dateline for its time or date."""
    text = text.strip()
    if tag == "h1":
        return "title heading"
    size = units(text)
    # a short line with a date is a dateline unless it ends as a sentence ("Revenues have
    # totaled $63 billion through June 30, 2019.")
    if size <= SHORT_LINE and (BYLINE.search(text) or (_dated_crumb(text) and not timetable)):
        return "byline or date"
    if size <= DATELINE_UNITS and is_dateline(text):
        return "byline or date"
    if size <= LABEL_UNITS and (tag not in TEXT_TAGS or text.endswith((":", "："))):
        return "" if is_sentence(text) else "short label"
    return line_reason(text)


def _says(text: str) -> bool:
    """True for a line ending as a sentence ends, "4:14 p.m." aside, closing quotes after
    it or not ("“The vote is on May 3, 2020.”")."""
    text = text.rstrip(_CLOSING_QUOTES)
    return is_sentence(text) and not _CLOCK.search(text)


def _dated(text: str) -> bool:
    """True for a line with a date; in the citation it may end with, only a date with its
    year counts ("（2001-07-05 09:37AM）"): a verse's "5:13" in "“有喜乐的呢，他就该歌颂。”(雅
    5:13)" is no time of day."""
    citation = _CITATION.search(text)
    if citation is None:
        return DATE.search(text) is not None
    if DATE.search(text, 0, citation.start()):
        return True
    return any(_YEAR.search(found.group()) for found in DATE.finditer(citation.group()))


def _dated_crumb(text: str) -> bool:
    """A short line's date or time that makes it a dateline: it has one and is no sentence."""
    return _dated(text) and not _says(text)


def timetable_entries(texts: Sequence[str]) -> set[int]:
    """The indexes of ``texts`` (a text's lines in order) that are the entries of a
    timetable, a programme or a chronology ("8:30–8:50 Opening", "First crossing: 6:40"):
    runs of :data:`TIMETABLE_RUN` or more short lines in a row with a time of day, each
    with words of its own besides it. They are article text (a changed time is an edit),
    where one such line alone, a run of bare dates (an archive's) or one label repeated
    with its date ("Review 02.05.2020 at 00:21") is a dateline."""
    entries: set[int] = set()
    run: list[int] = []
    words: set[str] = set()
    for index, text in enumerate((*texts, "")):
        text = text.strip()
        own = _entry_words(text)
        if own and own not in words:
            run.append(index)
            words.add(own)
            continue
        if len(run) >= TIMETABLE_RUN:
            entries.update(run)
        run, words = [], set()
        if own:
            run, words = [index], {own}  # a repeated entry starts a run of its own
    return entries


def _entry_words(text: str) -> str:
    """The words of a timetable's entry besides its time ("" for no entry): a short dated
    line with a time of day in it and no year (a list of names with the days they signed
    is none, nor an article's datelines: "Erstellt: 01.12.2026, 10:32 Uhr", "Stand: …")."""
    if units(text) > SHORT_LINE or _CLOCK_TIME.search(text) is None or not _dated_crumb(text):
        return ""
    if _YEAR.search(text):
        return ""
    return " ".join(_WORD.findall(DATE.sub(" ", text))).casefold()


def is_dateline(text: str) -> bool:
    """True for a line saying when the text was posted or updated (:data:`DATELINE`): a
    label, a little (a name), a date, and no sentence after the date ("Published on May 3,
    2020, the report found ..." is article text); a line ending as a sentence only when the
    date follows the label at once ("Posted on March 3, 2020.")."""
    if CJK_DATELINE.search(text):
        return True
    if not DATELINE.search(text):
        return False
    dates = list(DATE.finditer(text))
    if not dates or units(text[dates[-1].end() :]) > DATELINE_TAIL_UNITS:
        return False
    head = units(text[: dates[0].start()])
    if _says(text):
        return head <= LABEL_UNITS
    return head <= DATELINE_HEAD_UNITS


def line_reason(text: str) -> str:
    """Why a line is furniture whatever page it is on ("" when it may be article text)."""
    text = text.strip()
    size = units(text)
    if size <= FURNITURE_UNITS and (
        FURNITURE.match(text)
        or LABEL.match(text)
        or SHARE_BUTTON.match(text)
        or PAGE_BUTTON.match(text)
    ):
        return "furniture"
    if size <= READ_ALSO_UNITS and READ_ALSO.match(text):
        return "read-also teaser"
    if (size <= CREDIT_UNITS and CREDIT.search(text)) or BARE_LINK.match(text):
        return "credit or link"
    if size <= PAGER_UNITS and (is_number_run(text) or is_pager(text)):
        return "pager or calendar"
    if size <= FURNITURE_UNITS and READER_COUNT.match(text):
        return "reader count"
    if size <= TAGS_UNITS and is_tag_list(text):
        return "tags"
    if not is_notice(text, size):
        return ""
    return "promotion" if PROMOTION.search(text) else "notice"


def is_number_run(text: str) -> bool:
    """True for a line of :data:`NUMBER_RUN` or more whole numbers, most of them one more
    than the one before, days of a month or counting from 1 ("1 2 3 4 5 6 7 8", "1 2 3 …
    9", a calendar's week "29 30 31 1 2 3 4"): a pager's links or a calendar, never a
    sentence of an article."""
    if not text[:1].isdecimal():  # a cheap first look
        return False
    numbers = [n for n in text.split() if n not in ("…", "...")]
    if len(numbers) < NUMBER_RUN or not all(n.isdecimal() and len(n) <= 3 for n in numbers):
        return False
    values = [int(n) for n in numbers]
    if values[0] != 1 and max(values) > NUMBER_RUN_DAYS:
        return False
    steps = sum(b == a + 1 for a, b in pairwise(values))
    return steps >= NUMBER_RUN_STEPS * (len(values) - 1)


def is_tag_list(text: str) -> bool:
    """True for a line listing the article's tags (:data:`TAGS`): the label alone, short
    items between separators, or a few words; never a sentence."""
    match = TAGS.match(text)
    if match is None or is_sentence(text):
        return False
    items = match.group("items")
    if not items:
        return True
    if not _LETTER.search(items):
        return False  # "Tag: 1" is a day
    if _TAG_SEPARATOR.search(items):
        return all(units(item) <= TAGS_BARE_UNITS for item in _TAG_SEPARATOR.split(items))
    return units(items) <= TAGS_BARE_UNITS


def is_pager(text: str) -> bool:
    """True for a line made of a pager's parts only, two or more: page numbers, arrows and
    the words around them ("« Previous 1 2 3 Next »", "Page 2 of 5", "上一页 下一页",
    "第1页/共3页 << 上一页 | 下一页 >>")."""
    parts = [part for part in _PAGER_SPLIT.split(text.strip()) if part]
    if len(parts) < 2:
        return False
    if not all((p.isdecimal() and len(p) <= 3) or PAGER_WORD.match(p) for p in parts):
        return False
    numbers = sum(p.isdecimal() for p in parts)
    if numbers == len(parts):
        return False  # numbers alone: is_number_run
    if any(PAGER_STEP.match(p) for p in parts):
        return True
    return numbers >= 2 and any(_PAGE.match(p) for p in parts)


def is_notice(text: str, size: float) -> bool:
    """True for a prompt or a notice (:data:`PROMOTION`, :data:`NOTICE`) of ``size`` units,
    or a line that opens with an ad or copyright label (:data:`LABEL_NOTICE`) unless it is
    a sentence of :data:`LABEL_NOTICE_SENTENCE` units or more."""
    if size > PROMOTION_UNITS or not _NOTICE_WORDS.search(text.lower()):
        return False
    if LABEL_NOTICE.match(text) and (size < LABEL_NOTICE_SENTENCE or not is_sentence(text)):
        return True
    return bool(PROMOTION.search(text) or NOTICE.search(text))


def closing_start(texts: Sequence[str], start: int = 0) -> int:
    """Index of the closing heading that ends the article, from ``start`` on; ``len(texts)``
    when none. "Late" is measured over all of ``texts``."""
    sizes = [units(text) for text in texts]
    above, total = sum(sizes[:start]), sum(sizes)
    for i in range(start, len(texts)):
        late = above >= CLOSING_AFTER * total
        if late and sizes[i] <= CLOSING_UNITS and _closes(texts[i].strip()):
            return i
        above += sizes[i]
    return len(texts)


def is_closing(text: str) -> bool:
    """True for a closing heading ("Related", "Comments", 関連記事 ...)."""
    return units(text) <= CLOSING_UNITS and _closes(text.strip())


def _closes(text: str) -> bool:
    """A closing heading, or a bar of them ("Kommentarfeed | Kommentare geschlossen |
    Trackback-URL", "Comments · Trackbacks")."""
    if CLOSING.match(text):
        return True
    parts = _BAR.split(text)
    return len(parts) > 1 and all(CLOSING.match(part.strip()) for part in parts)


_BAR = re.compile(r"\s[|·•]\s")


def clean_lines(
    lines: Sequence[str], lists: Sequence[object | None] | None = None
) -> tuple[list[str], list[tuple[str, str]]]:
    """Lines less furniture and closing sections; and the dropped ``(reason, line)``.
    ``lists``: the list each line is in, if any (:func:`closing_sections`)."""
    kept: list[str] = []
    boxes: list[object | None] = []
    dropped: list[tuple[str, str]] = []
    for line, box in zip(lines, lists or [None] * len(lines), strict=True):
        text = normalize_line(line)
        reason = line_reason(text) if text else ""
        if reason:
            dropped.append((reason, text))
        elif text:
            kept.append(text)
            boxes.append(box)
    closing = set(closing_sections(kept, boxes))
    dropped += [("closing section", kept[i]) for i in sorted(closing)]
    return [text for i, text in enumerate(kept) if i not in closing], dropped


def closing_sections(texts: Sequence[str], boxes: Sequence[object | None]) -> list[int]:
    """The indexes of the lines of closing sections: from a closing heading that starts
    late in the text to the end; but a closing label in a list ("Mehr zum Thema:" heading
    a list of links inside the text) closes only that list when the text goes on after it
    (:func:`resumes`). ``boxes``: the list each line is in, if any."""
    found: list[int] = []
    cut = closing_start(texts)
    while cut < len(texts):
        box = boxes[cut]
        after = cut + 1
        while box is not None and after < len(texts) and boxes[after] is box:
            after += 1
        if box is None or not resumes(texts[after : after + 3]):
            return found + list(range(cut, len(texts)))
        found += range(cut, after)
        cut = closing_start(texts, after)
    return found


def resumes(texts: Sequence[str]) -> bool:
    """Whether the article goes on with ``texts`` (the lines after a closing label's
    list): two paragraphs of prose within three lines that do not start with a closing
    heading. One paragraph is not enough: a teaser's excerpt under its title, an author's
    bio or a site's disclaimer after a list of links is one."""
    head = texts[:3]
    if not head or is_closing(head[0]):
        return False
    return sum(is_prose(text) for text in head) >= 2


def is_prose(text: str) -> bool:
    """A paragraph of prose: a sentence worth a paragraph."""
    return units(text) >= PARAGRAPH_UNITS and is_sentence(text)
