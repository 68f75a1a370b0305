"""Find identifiers in free text, in English, French, Spanish, Arabic, Swahili and Hausa.

The one place that decides what in a free-text answer is a name, a phone number, an
e-mail, an ID-like number, a full date or a street address. `find` returns the spans
(for the preview to highlight); `scrub` replaces each with its placeholder.

Personal names come from gender-guesser's list (~40,000 first names of many countries,
a 380 kB pure-Python wheel; names-dataset is a 56 MB wheel, too heavy for a field laptop)
plus our lists in collector/name_lists/ (African, Arabic in both scripts, South Asian, Latin
American given and family names that it lacks; provenance in its README), and from signs
around a word: "my name is", a title, a relative ("my son"), a kunya ("أبو سامر"); names in
no list from their signs: "I am" + a capitalised word that is no ordinary word, two unknown
capitalised words mid-sentence, an Arabic relative + a word that is no ordinary word, a verb
of speech or contact before one ("please tell X", "قل لـX") or of saying after it ("X told
me", "X alisema").
Places and organisations made of names ("San José", "Save the Children") stay.
Names that are also ordinary words ("Hope", "Baraka" = blessing, "أمل" = hope) count only
with such a sign, a capital mid-sentence or a neighbouring name. Where the signs are weak (a
lower-case word after "kutoka kwa", in a list joined by "na"), a model of name shapes
learnt from the lists (name_lists/name_model.txt.gz) decides; it never overrides a list.
`by_rules` is all of that; `find` then has `collector.name_judge`, learnt from the labelled
sets, weigh each word's name again.
Pure functions, stdlib, gender-guesser, Babel (country and language names) and the
package's own list files only.
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

__all__ = ["PLACEHOLDERS", "Span", "find", "scrub", "segments"]

PLACEHOLDERS = {kind: f"[{kind}]" for kind in ("name", "phone", "email", "id", "date", "address")}


class Span(NamedTuple):
    start: int
    end: int
    kind: str


def find(text: str, names=()) -> list[Span]:
    """The identifiers in `text`, in order, never overlapping. `names`: the record's own
    names (from its identifying fields), removed wherever their words appear."""
    keys = _name_keys(names)
    kept = name_judge.judge(text, by_rules(text, keys), keys)
    return sorted(kept + _phone_remainders(text, kept))


def by_rules(text: str, keys: set[str] | None = None) -> list[Span]:
    """What the rules alone find, before `name_judge` weighs the names again: each kind on
    the text without what the kinds before it found."""
    detectors = [
        _emails,
        _dates,
        _addresses,
        _grouped_ids,
        lambda t: _phones(t) + _spelled_phones(t),
        _ids,
        lambda t: _names(t, keys or set()),
    ]
    # Placeholders already in the text stay as they are.
    masked = _mask(text, _placeholders(text))
    kept: list[Span] = []
    # One kind after the other, each on the text without what earlier kinds found: a date
    # is not also a phone number, and "000 00 00 0@0.org" is a phone number and an e-mail.
    for detect in detectors:
        found, taken = [], bytearray(len(text))
        for span in sorted(detect(masked), key=lambda s: s.start - s.end):  # longest first
            if not any(taken[span.start : span.end]):
                found.append(span)
                taken[span.start : span.end] = b"\x01" * (span.end - span.start)
        kept += found
        masked = _mask(masked, found)
    return sorted(kept)


def _phone_remainders(text: str, kept: list[Span]) -> list[Span]:
    """What an earlier kind left of a phone number: an address that ends inside the number
    ("… street. Ph 0944 318 207") must not leave its last digits in the text."""
    taken = bytearray(len(text))
    for span in kept:
        taken[span.start : span.end] = b"\x01" * (span.end - span.start)
    remainders = []
    for phone in _phones(_mask(text, _placeholders(text))):
        start = phone.start
        while start < phone.end:
            if taken[start]:
                start += 1
                continue
            end = start
            while end < phone.end and not taken[end]:
                end += 1
            piece = text[start:end]
            if any(taken[phone.start : phone.end]) and any(c.isdigit() for c in piece):
                left = len(piece) - len(piece.lstrip(" .-–/"))
                remainders.append(Span(start + left, end, "phone"))
            start = end
    return remainders


def _mask(text: str, spans) -> str:
    """`text` with each span blanked out by a character that is no letter, digit or space."""
    parts, last = [], 0
    for span in sorted(spans):
        parts += [text[last : span.start], "\ue000" * (span.end - span.start)]
        last = span.end
    return "".join(parts) + text[last:]


def scrub(text: str, names=()) -> str:
    """`text` with each identifier replaced by its placeholder, such as [name] or [phone]."""
    parts, last = [], 0
    for span in find(text, names):
        parts += [text[last : span.start], PLACEHOLDERS[span.kind]]
        last = span.end
    return "".join(parts) + text[last:]


def segments(text: str, names=()) -> list[tuple[str, str | None]]:
    """`text` cut into (piece, kind) pairs, kind None for what stays: for highlighting."""
    pieces: list[tuple[str, str | None]] = []
    last = 0
    for span in find(text, names):
        if span.start > last:
            pieces.append((text[last : span.start], None))
        pieces.append((text[span.start : span.end], span.kind))
        last = span.end
    if last < len(text):
        pieces.append((text[last:], None))
    return pieces


# The placeholders already in a text, the kind captured: "[name]" -> "name".
_PLACEHOLDER = re.compile(rf"\[({'|'.join(PLACEHOLDERS)})\]")


def _placeholders(text: str) -> list[Span]:
    """Where the placeholders already in the text are (of no kind: they stay as they are)."""
    return [Span(m.start(), m.end(), "") for m in _PLACEHOLDER.finditer(text)]


# -- Words ------------------------------------------------------------------------------

_APOSTROPHES = "'’ʼ‘`"


# Hausa's hooked letters, often typed plain: "Ƙungiyar" and "Kungiyar" are one word.
_HOOKED = str.maketrans("ɓɗƙƴ", "bdky")


@lru_cache(maxsize=65536)  # the same words and characters come back: this keeps it fast
def _fold(word: str) -> str:
    """A word compared ignoring case, accents, harakat, apostrophes, compatibility forms and
    Hausa's hooks."""
    decomposed = unicodedata.normalize("NFKD", word)
    return (
        "".join(c for c in decomposed if unicodedata.category(c) != "Mn" and c not in _APOSTROPHES)
        .casefold()
        .translate(_HOOKED)
    )


# An apostrophe inside a word keeps it whole ("Mu'azu", "Sa'adatu", "Juma'a"), except
# after a French elision ("m'appelle", "qu'il") and before an English ending ("Abena's").
_ELIDED = {"qu", "jusqu", "lorsqu", "puisqu", "quoiqu", "presqu"}
_CONTRACTED = {"s", "t", "d", "m", "re", "ve", "ll"}


def _words(text: str) -> list[tuple[int, int]]:
    """(start, end) of each word: a run of letters and combining marks in any script,
    two runs joined by an apostrophe as in "Mu'azu".

    Not re's \\w: it splits vowelled Arabic at the marks, and joins letters to digits,
    so "Ali2" would hide "Ali".
    """
    runs: list[tuple[int, int]] = []
    start = None
    for index, char in enumerate(text + " "):
        if unicodedata.category(char)[0] in "LM":
            start = index if start is None else start
        elif start is not None:
            if (
                runs
                and start - runs[-1][1] == 1
                and text[start - 1] in _APOSTROPHES
                and _keeps_apostrophe(text[runs[-1][0] : runs[-1][1]], text[start:index])
            ):
                runs[-1] = (runs[-1][0], index)
            else:
                runs.append((start, index))
            start = None
    return runs


def _keeps_apostrophe(left: str, right: str) -> bool:
    """ "Mu'azu", "q'oyllur" are one word; "l'eau", "it's" are two."""
    return (
        (len(left) >= 2 or left.casefold() in _EJECTIVES)
        and left.casefold() not in _ELIDED
        and right.casefold() not in _CONTRACTED
    )


# One letter that no language of ours elides, before an apostrophe inside a word: the
# ejective consonants of Quechua and Aymara names ("q'oyllur", "K'antu", "P'itu").
_EJECTIVES = {"q", "k", "p"}


_ARABIC_LETTER = re.compile("[\u0600-\u06ff]")


@lru_cache(maxsize=65536)  # asked of the same words by many rules
def _is_arabic(word: str) -> bool:
    return _ARABIC_LETTER.search(word) is not None


def _split(line: str) -> set[str]:
    return {_fold(w) for w in line.split()}


# Arabic attaches "and", "with", "for", "like", "the" to the next word: "وعلي" is "and Ali".
_PROCLITICS = ("و", "ف", "ب", "ل", "ك", "ال", "وال", "فال", "بال", "كال", "لل", "هال", "عال")


# -- Names ------------------------------------------------------------------------------

# Given names and surnames gender-guesser does not have (East and West Africa, North
# Africa and the Middle East in Latin letters): none is an ordinary word in our languages.
_AFRICAN_NAMES = _split("""
wanjiru wambui wanjiku njeri nyambura wairimu wangari muthoni njoroge kamau mwangi kariuki
kimani githinji otieno odhiambo ochieng achieng akinyi atieno awino adhiambo onyango omondi
owino okoth ouma wekesa wafula barasa simiyu kiprop kipchoge chebet jepkosgei cherono kiptoo
korir rotich mutua musyoka mwende ndinda kioko muthoka mumbua nyokabi kendi makena gakii
kawira mugo wanyama nekesa nafula mbithi mutiso mohamud abdi fatuma mwanaisha mwajuma zuhura
saida jabari jelani mwanajuma halima rashidi hamisi bakari shabani athumani omari selemani
mussa mariamu asha zainabu aziza kassim saidi mwinyi makame massawe mushi lyimo kimaro mrema
mollel laizer magesa mbwana chande kombo nakato babirye waiswa mugisha nankya namubiru
ssempala okello akello apio opio atim acen mukasa nalwoga abdullahi aminu garba lawal danladi
haruna sani usman umaru yakubu aliyu dauda shehu tanko zubairu nasiru kabiru murtala hadiza
hauwa binta jummai asabe talatu larai hajara rakiya maryam safiya saratu balarabe danjuma
dogara abubakar sule idris bashir sadiq gambo audu ladan adebayo oluwaseun olusegun folake
funmilayo adewale chinedu chiamaka ngozi emeka obinna nnamdi chukwuemeka ifeoma adaeze okafor
okonkwo nwosu adeyemi ogunleye balogun afolabi aminata fatoumata mariama aissatou ousmane
mamadou amadou ibrahima cheikh abdoulaye seydou boubacar modou khady ndeye coumba diallo diop
ndiaye traore toure keita coulibaly konate camara sylla cisse sangare kouyate kabore ouedraogo
sawadogo zongo diarra sissoko dembele bamba kouassi koffi adjoua akissi mohammed muhammad
mohammad ahmed mahmoud mustafa youssef yusuf khaled khalid hussein hussain hamza bilal tariq
samir nabil walid ziad fadi imad abdallah abdullah abdelkader abderrahmane rachid mounir fatma
khadija aicha zahra leila yasmine rania samira hanan souad naima latifa houda meriem asmaa
siham ghada alaoui benali bennani haddad khoury mansour nasser qasim amrani tazi chraibi
benjelloun belkacem ferhat hamdi jaber kanaan sabbagh azzam darwish hijazi fernandez gonzalez
rodriguez martinez sanchez ramirez torres flores gomez diaz hernandez lopez perez moreno
jimenez ruiz alvarez romero navarro dubois lefebvre moreau laurent girard bonnet dupont
lambert fontaine rousseau vincent mercier boyer chevalier garnier faure andre gauthier perrin
""")

# Names that are also ordinary words: a name only with context.
_AMBIGUOUS_NAMES = (
    _split("""
hope faith grace rose joy mercy patience precious charity gift blessing memory peace
happiness lily daisy iris ruby pearl crystal summer autumn dawn eve star sky river sunny honey
amber ivy holly heather olive violet jade bell belle bill bob mark will pat sue rob jack frank
guy ray rich sandy lane glen dale wade chase chance miles max don justice earl dean bishop king
major prince duke marshall baraka amani nuru imani upendo furaha tumaini subira pendo faraji
juma neema rehema zawadi ramadhani prosper constant
clement modeste aime fidele desire innocent blanche claire pierre victoire esperance felicite
pascal noel dolores consuelo soledad pilar luz paz rosa rocio esperanza mercedes victoria
amparo asuncion concepcion inmaculada milagros salvador santos angel jesus salah nour amal
karim jamal said rami lina rim dina hana salma nadia
""")
    | _split("""
أمل نور كريم جمال سعيد حسن نبيل سالم صالح منى هدى وفاء إيمان ايمان رحمة بشرى هاجر سهام
أسماء امل عادل أمين امين سلام جميل علي لطيفة دينا لينا
سحر صباح حياة وعد نصر مجد عزة نعمة فرح ملك كامل زكي حبيب شريف صادق نبيلة جميلة فريدة
سكينة وردة نسمة أسعد ولاء ضياء هادي مأمون عوض آية اية تغريد ابتسام انتصار حنين ختام شهد
صابر شاكر صبري ناجي جود سمر هلال بدر سلمان عزيز رشيد ربيع بشير
سلامة أمان امان سعادة كرامة بركة نجاح عافية رجاء مي
""")
    | _split("""
bahati amina hawa rahama selam eden sikudhani shukuru santiago lourdes trinidad dolores
""")
)

_ARABIC_NAMES = _split("""
محمد أحمد احمد محمود مصطفى يوسف عمر خالد حسين إبراهيم ابراهيم إسماعيل اسماعيل عبدالله
عبدالرحمن عبدالقادر طارق بلال حمزة زياد وليد سمير رامي فادي عماد ياسر ماجد هشام منصور
ناصر فيصل سلطان فهد عثمان موسى عيسى يحيى زكريا سليمان داود ادريس إدريس رشيد مراد نادر
باسل أنس انس مازن قاسم جابر حمدي فاطمة خديجة عائشة عايشة زينب مريم ليلى سارة ياسمين
رانيا دينا هناء سلمى سميرة نادية حنان سعاد نعيمة لطيفة ريم لينا غادة حليمة رقية صفية
آمنة امنة أمينة امينة نسرين رحاب الزهراء زهراء بشير كمال جلال ياسمينة سناء دعاء
حداد درويش خوري شاهين نجار خياط عطار حلبي حمدان يونس زيدان بكري رزق عيسى شامي مصري
""")

# Common words of the six languages, places, months and days: never names by themselves,
# even where a name list has them ("The", "Paris", "Victoria").
_COMMON = _split("""
the a an and or but if of to in on at by for with from as is are was were be been am do does
did have has had not no yes this that these those there here what which who whom whose when
where why how all any some many much more most other such only own same so than too very can
will just should now my your his her its our their me him us them we you he she it they i
one two three new good day days week today yesterday tomorrow please thank thanks hello dear
sir madam mr mrs ms miss dr doctor nurse teacher chief pastor imam mama baba mzee bwana bi
le la les un une des du de et ou mais donc car ni que qui quoi dont est sont était ai avons
nous vous ils elles je tu il elle on mon ma mes ton ta tes son sa ses notre votre leur ce cette
ces pour par avec sans dans sur sous chez très plus moins bien bonjour merci monsieur madame
mademoiselle oui non aujourd hui hier demain
el los las unos unas y o pero si del al es son era fue soy eres está están estoy yo tú él ella
nosotros ellos ellas mi mis tu tus su sus nuestro para por con sin en sobre entre muy más
menos bien hola gracias señor señora señorita sí hoy ayer mañana don doña
na ya wa za kwa ni si kama lakini au hii hiyo huyo yule hapa pale leo jana kesho sana asante
tuna kuna nina una ana wana hakuna kulikuwa tulikuwa nilikuwa alikuwa
mun dana zaman haya ya ta an muna kana kina yana tana suna sun mun ka ki
hay había habia tengo tiene tienen nací naci nació nacio fue fui era
habari mimi wewe yeye sisi ninyi wao watu mtu mtoto watoto kituo kliniki shule soko maji
da ba ko amma kuma wannan wancan shi ita mu ku su yau jiya gobe sannu nagode don haka wani
wata ina yana tana suna muna sai akwai babu mata maza yara gida asibiti kasuwa makaranta
""")

# Months, days, places, institutions, languages, God: capitalised, yet never a name, not
# even after one ("Amina Kenya"). The words above may be a surname after a name ("Awa Ba").
_PROPER = _split("""
january february march april may june july august september october november december
janvier février mars avril mai juin juillet août septembre octobre novembre décembre
enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre
januari februari machi aprili mei juni julai agosti septemba oktoba novemba desemba
monday tuesday wednesday thursday friday saturday sunday lundi mardi mercredi jeudi vendredi
samedi dimanche lunes martes miércoles jueves viernes sábado domingo jumatatu jumanne jumatano
janairu fabrairu maris afrilu mayu yuni yuli agusta satumba nuwamba disamba
alhamisi ijumaa jumamosi jumapili litinin talata laraba alhamis jumma asabar lahadi
god allah dieu dios mungu ubangiji christian muslim islam church mosque eglise iglesia
kenya nairobi mombasa kisumu nakuru eldoret kibera tanzania dar salaam arusha dodoma uganda
kampala nigeria kano kaduna zaria abuja lagos sokoto katsina niger niamey senegal dakar mali
bamako france paris lyon marseille spain españa madrid sevilla barcelona valencia morocco
maroc rabat casablanca tunis tunisia cairo egypt beirut lebanon jordan amman syria damascus
iraq baghdad sudan khartoum africa europe america victoria florence georgia chad israel
english french spanish arabic swahili hausa kiswahili anglais français español inglés
francés africa africain african red cross unicef safaricom mpesa community centre center
crescent croix rouge cruz roja rojo msalaba mwekundu hilal unhcr acnur oim iom who msf
jumaa jummaa juma'a jumma'a noel noël christmas navidad ramadan ramadhan eid idi
somali somalis oromo amhara tigray tigrinya fulani peul peuls fulbe touareg tuareg
hausawa yoruba igbo wolof maasai masai kikuyu luo luhya kalenjin turkana xhosa ndebele
sudanese syrian syrians iraqi congolese burundian rwandan ethiopian eritrean kenyan
somalia ethiopia eritrea rwanda burundi congo zambia malawi zimbabwe mozambique
santiago lourdes trinidad goma kigali kakuma dadaab kinshasa bukavu
""")

_COMMON = (
    _COMMON
    | _PROPER
    | _split("""
tell ask call give send bring let help thanks dear please sorry why
aujourdhui dan uwa uwana wallahi inshallah mashallah alhamdulillah subhanallah
""")
    | _split("""
في من إلى الى على عن مع هذا هذه ذلك تلك التي الذي الذين كان كانت يكون لا لم لن ما هو هي
نحن أنا انا أنت انت هم قد كل بعد قبل عند حتى أو او ثم لكن إن أن ان يوم اليوم أمس امس غدا
جدا شكرا مرحبا السلام عليكم المركز العيادة السوق المدرسة المستشفى الماء الطبيب الطبيبة
الممرضة الأطفال الناس القرية المدينة الحي الشارع الله الصباح المساء هنا هناك أيضا ايضا
لأنو لانو لإنو هيك هيكا هكي هكا هكذا كذا هلق هلأ هلا كتير منيح شو ليش وين عشان علشان مافي
بدنا بدي بدو عم امبارح
مبارح هسا هسه هلكيت ازاي إزاي فين دلوقتي عايز عايزة عايزين مش مو اكو ماكو شلون هواية زين
كده كدا برضه برضو يعني بس لسه لسا
""")
)

_ARABIC_NAMES -= _AMBIGUOUS_NAMES

# Titles: the word after one is a name. Arabic ones also with "ال" and a proclitic
# taken off, as in "للدكتورة" (to the doctor) or "بالسيدة".
_TITLES = _split("""
mr mrs ms miss dr doctor mama baba mzee bwana bi madame mme monsieur mlle mademoiselle señor
señora sr sra srta don doña malam malama mallam alhaji hajiya hajia auntie aunty uncle brother
sister pastor imam chief prof professor rev reverend father fr sheikh shaykh hon engineer eng
nurse teacher
docteur docteure dre maître me sœur soeur frère frere père pere abbé pasteur cheikh hadja
elhadj tata tonton tantie mère
dra doctora doctor licenciado licenciada lic ingeniero ingeniera ing profe profesor profesora
hermano hermana padre madre
bibi babu daktari dokta mwalimu sista shehe ustadh ustaz mchungaji ndugu dada kaka shangazi
mjomba mwenyekiti padri
inna yaya likita kawu goggo gwaggo baban
papa maman askofu shemasi mheshimiwa mhe diwani chifu katibu mbunge afisa nesi dkt
fasto liman limam limami hakimi dagaci ardo lamido lalla nas
haji hajji hadji hadje alhadji alhaj alhadj elhaj elhadji
eedo abti habo adeer ayeeyo awoowe hooyo aabo aabe walaal
ti
chef commandant capitaine colonel lieutenant sergent adjudant préfet maire évêque
monseigneur mgr marabout tantine
promotor promotora presidente presidenta coordinador coordinadora alcalde alcaldesa
capitán comandante sargento teniente coronel obispo monseñor fray sor abuela abuelo mamá
papá seño líder lideresa
chairman chairlady chairperson secretary treasurer headmaster headteacher captain capt
commander officer sergeant sgt lieutenant colonel corporal constable inspector councillor
commissioner mayor governor senator judge deacon elder prophet apostle evangelist granny
grandma grandpa madam pu pi
الإمام الامام القس القسيس الكنداكة كنداكة السستر سستر حجية حچية حجي حچي
السيد السيدة الحاج الحاجة الدكتور الدكتورة الأستاذ الأستاذة الاستاذ الاستاذة الأخ الأخت
الشيخ الشيخة المهندس المهندسة المعلم المعلمة الأب الحجة الممرض الممرضة
سيد سيدة حاج حاجة دكتور دكتورة أستاذ أستاذة استاذ استاذة شيخ شيخة مهندس مهندسة
""")


# A context phrase: the words after it are a name. Strong: whatever word comes next;
# weak ("I am", "je suis"): only a word that is a known name.
def _phrase(text: str) -> tuple:
    """A context phrase as our words see it: "je m'appelle" is je, m, appelle."""
    return tuple(_fold(w) for w in re.findall(r"[^\W\d_]+", text))


def _by_first_word(phrases) -> dict:
    index: dict = {}
    for phrase in phrases:
        index.setdefault(phrase[0], []).append(phrase)
    return index


# "My name is": whatever word comes next, lower case too ("jina langu ni baraka").
_NAME_CONTEXT = _by_first_word(
    _phrase(p)
    for p in """
my name is|my names are|his name is|her name is|name is|names are
je m'appelle|mon nom est|son nom est|il s'appelle|elle s'appelle
me llamo|mi nombre es|su nombre es|se llama|un tal|una tal
jina langu ni|naitwa|anaitwa|jina lake ni|majina yangu ni|jina ni
sunana|sunansa|sunanta|mai suna|sunan shi|sunanta shi
aitwaye|anayeitwa|wanaitwa|mwenye jina
me llaman|le dicen|on m'appelle|on l'appelle
le escribe|les escribe|te escribe|le habla|les habla|te habla|le saluda|les saluda
signed|signé|signée|firmado|firmada|firma|sahihi|sa hannu|التوقيع|توقيع
اسمي|اسمه|اسمها|يدعى|تدعى|ادعى|واسمه|واسمها|اسمه هو|اسمها هي
سميتي|سميتها|كنسمى|كيسمى|كتسمى
يسموه|يسموها|يسمونه|يسمونها|ينادوه|ينادونه|ينادوها|يلقبونه|يلقبوه|لقبه|لقبها
اسمه الحقيقي|اسمها الحقيقي|اسمي الحقيقي|واسمه الحقيقي|واسمها الحقيقي
his real name is|her real name is|my real name is|son vrai nom est|su verdadero nombre es
""".replace("\n", "|").split("|")
    if p.strip()
)


def _phrases(block: str) -> list[str]:
    """Phrases in a block: a line with "|" holds phrases of several words, another line
    single words separated by spaces."""
    return [
        phrase.strip()
        for line in block.splitlines()
        if line.strip()
        for phrase in (line.split("|") if "|" in line else line.split())
    ]


# A relative, a neighbour, a friend: "my son Chidubem", "ma fille Salimata", "kaka yangu
# Shukuru", "mijina Nura". In Latin letters the next word counts when capitalised or known.
_RELATIONS = "|".join(
    _phrases("""
son daughter husband wife brother sister neighbour neighbor friend cousin uncle aunt
nephew niece grandson granddaughter grandmother grandfather mother father child colleague
grandma grandpa granny
fils fille mari femme épouse époux frère sœur soeur voisin voisine ami amie cousine oncle
tante neveu nièce mère père enfant collègue
hijo hija esposo esposa marido mujer hermano hermana vecino vecina amigo amiga primo prima
tío tía sobrino sobrina suegra suegro nieto nieta compañero compañera cuñado cuñada
abuela abuelo madre padre nuera yerno madrina padrino bebé bébé niña niño
dad mum mom daddy mummy mommy papa maman
mtoto wangu|mwanangu|mke wangu|mume wangu|mume wake|mke wake|kaka yangu|dada yangu|jirani yangu
rafiki yangu|binti yangu|mjukuu wangu|shangazi yangu|mjomba wangu|bibi yangu|babu yangu
ndugu yangu|mama yangu|baba yangu|jirani|rafiki|mdogo|mumewe|mkewe|mumeo|mkeo|mwanawe|mwanao
mijina|matata|matarsa|mijinta|dana|dansa|yata|yarsa|yarinyata|dan uwana|yar uwata
binamu yangu|binamu wangu|uwar gida|uwargida|uwargidana|uwar gidana|maigidana
kawata|abokina|abokiyata|makwabcina|makwabciyata|mahaifiyata|mahaifina|kanina|kanwata
yayana|yayata|jikana|jikata|yarona|yarinyata|yaronta|yaronsa
yar'uwata|ɗan'uwana|dan'uwana|yar'uwarsa|ɗan'uwansa|yar'uwarta|ɗan'uwanta|uwa""")
)
_RELATION_PHRASES = _by_first_word(_phrase(p) for p in _RELATIONS.split("|"))
# Words of those phrases: "Mijina ya ce" is "my husband said", no name.
_RELATION_WORDS = {_fold(w) for phrase in _RELATIONS.split("|") for w in phrase.split()}
# The same in Arabic: only a known name counts after them, since Arabic has no capitals
# ("ابني مريض" is "my son is sick").
_ARABIC_RELATIONS = "|".join(
    _phrases("""
ابني ابنتي بنتي أخي اخي أختي اختي زوجي زوجتي جاري جارتي جارنا جارتنا صديقي صديقتي
أمي امي أبي ابي عمي خالي عمتي خالتي حفيدي حفيدتي زميلي زميلتي ابن بنت قابلت رأيت
التقيت كلمت سألت جاء جاءت قال قالت""")
)
# "Called": a capitalised word or a known name ("call me back" is no name).
_STRONG_CONTEXT = _by_first_word(
    _phrase(p)
    for p in (
        "call me|called|named|s'appelle|m'appelle|nommé|nommée|"
        "llamado|llamada|ake ni|sunan|mtoto wa|mke wa|mume wa|binti wa|mwana wa|jina|"
        "allah ya jikan|ni da|" + _RELATIONS
    ).split("|")
)
# "I am", "with": only a known name, capitalised if it is also a word ("I am Hope").
_WEAK_CONTEXT = _by_first_word(
    _phrase(p)
    for p in (
        "i am|i'm|this is|it is|je suis|c'est|moi c'est|soy|yo soy|"
        "mimi ni|ni mimi|ni ne|ina|أنا|انا|met|saw|with|avec|con|na|da|"
        "mimi|" + _ARABIC_RELATIONS
    ).split("|")
)
_PARTICLES = _split(
    "bin binti bint ibn ben de del della des du van von el al dan wa ag ould uld mint"
)
_ARABIC_PARTICLES = _split("بن بنت ابن أبو ابو ولد ود")
# "Father of", "mother of": a kunya such as "أبو سامر" or "أم خليل" is a name, both words.
_KUNYA = _split("أبو ابو أم ام")
# The same, also as written after "بـ", "لـ" ("اتصلوا بأبي دجانة"): "أبي" is "my father"
# too, and "أم" "mother" or "or", so after these only a word that may be a name counts.
_KUNYA_FORMS = _split("أبو ابو أبي ابي أم ام")
# Names made with "Abd" ("servant of"): "Abdirahman", "Abdoulaye", "Abdelkader".
_ABD = re.compile(r"abd(?:ul|el|oul|ou|al|ar|er|ur|ir|i|u)[a-z]{2,}")


# Lists in collector/name_lists/ that hold no names: the words and the places below.
_ORDINARY_FILE, _PLACES_FILE = "ordinary_words.txt", "places_organisations.txt"
_EVERYDAY_FILE = "everyday_sw_ha.txt"
_GROUPS_FILE = "groups_brands.txt"  # peoples, networks, brands: never a person's name
_DIALECT_FILE = "arabic_dialect.txt"  # spoken Arabic the subtitles' vocabulary lacks
_SPOKEN_VERBS_FILE = "arabic_spoken_verbs.txt"  # verbs whose spoken forms it lacks
_NOT_NAME_FILES = {
    _ORDINARY_FILE,
    _PLACES_FILE,
    _EVERYDAY_FILE,
    _GROUPS_FILE,
    _DIALECT_FILE,
    _SPOKEN_VERBS_FILE,
}


def _lines(filename: str) -> list[str]:
    """The lines of a list file of collector/name_lists/, without comments and blank lines."""
    path = resources.files("collector").joinpath("name_lists", filename)
    return [
        line.strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]


@lru_cache(maxsize=1)
def _ordinary() -> frozenset:
    """Capitalised words that are no names: nationalities, religions, occupations, feelings,
    words of organisation names (our list), and the country and language names of the six
    languages (Babel's, one-word ones: "Venezuela", "Najeriya", "Kiswahili")."""
    from babel import Locale  # Flask-Babel's own dependency

    words = {_fold(w) for line in _lines(_ORDINARY_FILE) for w in line.split()}
    words |= _never_names()
    for language in ("en", "fr", "es", "ar", "sw", "ha"):
        locale = Locale.parse(language)
        for value in list(locale.territories.values()) + list(locale.languages.values()):
            if len(value.split()) == 1 and "-" not in value:
                words.add(_fold(value))
    return frozenset(words | _COMMON | _TITLES)


# How English, French and Spanish make a people's word of a country's: "Angola", "Angolan",
# "Angolais", "angoleño"; "Soudan", "Soudanais"; "Tchad", "Tchadien".
_DEMONYM_ENDINGS = {
    "en": ("n", "an", "ian", "ese"),
    "fr": ("ais", "aise", "ien", "ienne", "en", "enne", "ois", "oise"),
    "es": ("ano", "ana", "eno", "ena", "ense", "es", "esa"),
}


@lru_cache(maxsize=1)
def _demonyms() -> frozenset:
    """Words for a country's people made of Babel's one-word country names (on the name or
    on it without its last vowels), less any word a name list holds ("Georgiana"). Not
    ordinary words of `_ordinary`: most of the shapes made here are no word at all, and
    the model of name shapes learns from that list."""
    from babel import Locale

    words = set()
    for language, endings in _DEMONYM_ENDINGS.items():
        for value in Locale.parse(language).territories.values():
            if " " in value or "-" in value:
                continue
            country = _fold(value)
            root = country.rstrip("aeiouy")
            for stem in {country, root} if len(root) >= 4 else ():
                words |= {stem + ending for ending in endings}
    return frozenset(words - _name_list() - _AFRICAN_NAMES - _AMBIGUOUS_NAMES)


@lru_cache(maxsize=1)
def _places() -> dict:
    """Our place and organisation names, as word tuples indexed by their first word."""
    return _by_first_word(_phrase(line) for line in _lines(_PLACES_FILE) if _phrase(line))


@lru_cache(maxsize=1)
def _listed() -> tuple[frozenset, frozenset]:
    """The names of collector/name_lists/*.txt, folded: (Latin letters, Arabic script).
    Ordinary words, titles and digit words are left out, whichever list has them."""
    latin: set[str] = set()
    arabic: set[str] = set()
    for path in resources.files("collector").joinpath("name_lists").iterdir():
        if not path.name.endswith(".txt") or path.name in _NOT_NAME_FILES:
            continue
        for line in _lines(path.name):
            for word in line.split():
                (arabic if _is_arabic(word) else latin).add(_fold(word))
    drop = _COMMON | _TITLES | _AMBIGUOUS_NAMES | set(_DIGIT_WORDS) | set(_TENS_WORDS)
    return frozenset(latin - drop), frozenset(arabic - drop)


def _arabic_name(folded: str) -> bool:
    """An Arabic-script word that is a listed name, with or without "and", "with", "for",
    "like" before it; not with "the": "الحمد" (praise) is not the name "حمد"; nor a word
    that is itself a name and a word: "كريم" (generous) is not "ك" + "ريم", nor a spoken word:
    "برشا" (a lot, in Tunisia) is not "ب" + "رشا"."""
    listed = _listed()[1]
    whole = folded in _AMBIGUOUS_NAMES or folded in _spoken_words()
    forms = [folded] + [
        folded[1:] for p in "وفبلك" if folded.startswith(p) and len(folded) > 3 and not whole
    ]
    return any(f in _ARABIC_NAMES or f in listed for f in forms)


@lru_cache(maxsize=1)
def _name_list() -> frozenset:
    """gender-guesser's first names (single words of 3+ letters), folded, and ours."""
    names = set(_AFRICAN_NAMES) | _listed()[0]
    data = resources.files("gender_guesser") / "data" / "nam_dict.txt"
    with data.open(encoding="utf-8") as lines:
        for line in lines:
            if line[:1] in "#=" or len(line) < 4:
                continue
            for word in line.split()[1].replace("+", " ").replace("-", " ").split():
                if len(word) >= 3:
                    names.add(_fold(word))
    # "Claro" (a network), "Dinka" (a people): no name, even where gender-guesser has it.
    return frozenset(names - _COMMON - _never_names())


@lru_cache(maxsize=1)
def _never_names() -> frozenset:
    """Peoples, networks, brands (groups_brands.txt), folded: never a person's name."""
    return frozenset(_fold(w) for line in _lines(_GROUPS_FILE) for w in line.split())


def _name_keys(names) -> set[str]:
    """The folded words of 2+ letters in the record's own names."""
    keys = set()
    for name in (n for n in names if isinstance(n, str)):
        for start, end in _words(name):
            word = name[start:end]
            if sum(unicodedata.category(c)[0] == "L" for c in word) >= 2:
                keys.add(_fold(word))
    return keys


def _bare(folded: str) -> list[str]:
    """An Arabic word and the same word without each proclitic it may carry."""
    return [folded] + [
        folded[len(p) :] for p in _PROCLITICS if folded.startswith(p) and len(folded) - len(p) >= 2
    ]


class _Word(NamedTuple):
    start: int
    end: int
    text: str
    folded: str
    capital: bool
    initial: bool  # first word of a sentence


def _tokens(text: str) -> list[_Word]:
    words = []
    for start, end in _words(text):
        word = text[start:end]
        before = text[max(0, start - 12) : start].rstrip(" \t\"'“«(¿¡-–")
        initial = (not before and start <= 12) or before[-1:] in tuple(".!?:;\n…")
        words.append(_Word(start, end, word, _fold(word), word[:1].isupper(), initial))
    return words


def _joined(text: str, left: _Word, right: _Word) -> bool:
    """Two words next to each other in one phrase: only spaces or a hyphen between."""
    gap = text[left.end : right.start]
    return len(gap) <= 2 and gap.strip(" -") == ""


def _is_known(word: _Word) -> str | None:
    """'strong' for a name that is no ordinary word, 'weak' for one that also is."""
    return _known(word.folded, word.capital, _is_arabic(word.text))


@lru_cache(maxsize=65536)
def _known(folded: str, capital: bool, arabic: bool) -> str | None:
    if folded in _COMMON or folded in _TITLES:
        return None
    if arabic and (_arabic_name(folded) or (folded.startswith("عبدال") and len(folded) > 5)):
        return "strong"
    # Only "and" is taken off a name that is also a word: "بأمل" is "with hope".
    forms = [folded] + ([folded[1:]] if arabic and folded.startswith("و") else [])
    if any(f in _AMBIGUOUS_NAMES for f in forms):
        return "weak"
    if len(folded) < 3:
        return None
    if folded in _AFRICAN_NAMES or _ABD.fullmatch(folded):
        # "ta fadi" (she fell) in Hausa is no "Fadi": in lower case, a sign is needed.
        return "strong" if capital or folded not in _everyday() else None
    if folded in _name_list():
        # gender-guesser's list is long: lower case is an ordinary word, not a name; a
        # Swahili or Hausa word too ("Salama", peace) needs a sign around it.
        if not capital:
            return None
        return "weak" if folded in _everyday() else "strong"
    return None


_CAMEL = re.compile(r"[a-zà-ÿ][A-ZÀ-Ý]")
_CAMEL_PART = re.compile(r"[A-ZÀ-Ý][a-zà-ÿ]+")


def _camel_parts(word: str) -> list[str]:
    """'WanjiruOdhiambo' as ['Wanjiru', 'Odhiambo']: a name written without a space."""
    return _CAMEL_PART.findall(word) if _CAMEL.search(word) else []


def _names(text: str, keys: set[str]) -> list[Span]:
    words = _tokens(text)
    marked = [False] * len(words)
    headline = _capitals_say_nothing(words)
    for i, word in enumerate(words):
        if _own(word, keys):
            marked[i] = True  # the record's own names: anywhere, any case
            continue
        known = _is_known(word)
        if _shouted_word(word):
            continue  # "FOOD is finished", "Babu RUWA": a word in capitals for emphasis
        parts = _camel_parts(word.text)
        if parts and any(_fold(p) in _name_list() or _fold(p) in _AFRICAN_NAMES for p in parts):
            marked[i] = True
        elif known == "strong" and not ((headline or word.initial) and _everyday_word(word.folded)):
            # Not "Cortes De Agua En El Barrio" (cortes, power cuts), not "Salud" or "Avis"
            # first in a sentence: there a capital says nothing, and other rules look at
            # what comes next ("Rosa dijo", "Avis Nakato").
            marked[i] = True
        elif known == "weak" and word.capital and not word.initial and not headline:
            marked[i] = True  # "I met Hope at the clinic"; not "Hope is all we have"
    _after_context(text, words, marked)
    _after_titles(text, words, marked)
    _kunyas(text, words, marked)
    _weak_beside_names(text, words, marked)
    _capitalised_pairs(text, words, marked)
    _introductions(text, words, marked)
    _lower_case_after_cues(text, words, marked)
    _arabic_names_to_phrase_end(text, words, marked)
    _arabic_relatives(text, words, marked)
    _my_kunya(text, words, marked)
    _arabic_name_then_kin(text, words, marked)
    _arabic_loose_cues(text, words, marked)
    _unknown_pairs(text, words, marked)
    _unknown_in_sentence(text, words, marked)
    _unknown_arabic(words, marked)
    _after_contact_verbs(text, words, marked)
    _before_speech_verbs(text, words, marked)
    _arabic_cues(text, words, marked)
    _arabic_said_that(text, words, marked)
    _swahili_subjects(text, words, marked)
    _french_subjects(text, words, marked)
    _joined_by_and(text, words, marked)
    _lower_case_titles(text, words, marked)
    _greeting_introductions(text, words, marked)
    _arabic_families(text, words, marked)
    _lists_of_names(text, words, marked)
    _shaped_lists(text, words, marked)
    _shaped_after_cues(text, words, marked)
    _arabic_children_list(text, words, marked)
    _arabic_children_after_colon(text, words, marked)
    _arabic_lists(text, words, marked)
    _arabic_youngest(text, words, marked)
    _arabic_form_article_names(text, words, marked)
    _arabic_kin_article_names(text, words, marked)
    _arabic_nisbas(text, words, marked)
    _appositions(text, words, marked)
    _groups(text, words, marked)
    _shorthand_cues(text, words, marked)
    _nickname_then_name(text, words, marked)
    _age_in_brackets(text, words, marked)
    _name_after_age(text, words, marked)
    _lower_case_before_age(text, words, marked)
    _lower_case_kunya(text, words, marked)
    _committee_roles(text, words, marked)
    _possessive_kin(text, words, marked)
    _lower_case_after_kin_of(text, words, marked)
    _latin_in_arabic(text, words, marked)
    _arabic_name_runs(text, words, marked)
    _shaped_arabic_surnames(text, words, marked)
    _not_names(text, words, marked, keys)
    _ordinary_uses(text, words, marked, keys)
    _ages(text, words, marked)
    _family_lists(text, words, marked)
    _colon_lists(text, words, marked)
    _arabic_nasab(text, words, marked)  # after `_ordinary_uses`: names that are also words
    _arabic_title_full_name(text, words, marked)
    _arabic_my_name_to_comma(text, words, marked)
    # "San José", "Port Louis", "Save the Children": places and organisations made of
    # names stay, unless they are the record's own names.
    kept = _protected(text, words)
    for i, word in enumerate(words):
        if kept[i] and not _own(word, keys):
            marked[i] = False
    _surnames(text, words, marked, kept)
    _elided_prefixes(text, words, marked)
    _initials(text, words, marked, kept)
    _sign_off(text, words, marked, kept)
    _sign_on(text, words, marked, kept)
    _name_before_emoji(text, words, marked, kept)
    _we_are_with_children(text, words, marked)
    _told_us(text, words, marked)
    _person_before_brackets(text, words, marked)
    _lower_case_before_sex_and_age(text, words, marked)
    _lower_case_after_head_before_age(text, words, marked)
    _nickname_before_full_name(text, words, marked)
    _aliases(text, words, marked)  # after the places: "alias el X" is a person, whatever X is
    _shouted_surnames(text, words, marked)
    _speaker_before_colon(text, words, marked)
    _honorific_syllables(text, words, marked)
    _syllable_family_lists(text, words, marked)
    _i_am_of_a_country(words, marked)
    _not_kin(words, marked)
    _titles_stay(text, words, marked)
    _arabic_verb_shapes(words, marked)
    _own_names(words, marked, keys)  # last: no pass may give them back
    return _name_spans(text, words, marked)


def _own_names(words: list[_Word], marked: list[bool], keys: set[str]) -> None:
    """The record's own names are names wherever they appear, whatever their shape."""
    for i, word in enumerate(words):
        if _own(word, keys):
            marked[i] = True


def _own(word: _Word, keys: set[str]) -> bool:
    """One of the record's own names, alone or with a proclitic ("وسعدوا")."""
    return bool(keys) and any(f in keys for f in _bare(word.folded))


# Honorifics that open names made of syllables: Sgaw and Pwo Karen "Saw", "Naw", "Mahn",
# "Nant"; Burmese "Daw", "Maung", "Mg"; Shan "Nang", "Sao"; Karenni "Khu", "Hku"; "Thra"
# (a Karen teacher). Not "Ma", "U", "Ko", "Sai", "Mi": words of our other languages too.
_SYLLABLE_HONORIFICS = _split("saw naw mahn nant daw maung mg nang sao khu hku thra")


def _honorific_syllables(text: str, words: list[_Word], marked: list[bool]) -> None:
    """ "Daw Khin Aye", "uncle saw kho bweh": a Karen, Burmese or Shan honorific, then two or
    three short syllables, is a name, honorific included. Capitalised, "Saw" (an English
    verb too) only when one of the syllables is taken for a name already; in lower case,
    right after a relative or a title and with a syllable no vocabulary knows ("my uncle saw
    him" stays)."""
    if _SYLLABLE_HONORIFICS.isdisjoint(w.folded for w in words):
        return
    for i, word in enumerate(words):
        if word.folded not in _SYLLABLE_HONORIFICS or word.text.isupper() and len(word.text) > 1:
            continue
        run = _syllables_after(text, words, i, word.capital)
        if len(run) < 2:
            continue
        if word.capital:
            known = word.folded != "saw" or any(marked[k] for k in run)
        else:
            before = words[i - 1] if i else None
            known = (
                before is not None
                and _joined(text, before, word)
                and (before.folded in _RELATION_WORDS or _is_title(before))
                and any(_lower_case_unknown(words[k], False) for k in run)
            )
        if known:
            for k in (i, *run):
                marked[k] = True


def _syllables_after(text: str, words: list[_Word], i: int, capital: bool) -> list[int]:
    """The words after word i in the same phrase, up to three, each of two to five letters,
    capitalised as word i is; in lower case none of them a word every sentence has of three
    letters or more ("the", "him"; "mu" is a syllable, not Hausa "we"), and no ordinary
    word last ("naw x y stays": the verb after the name)."""
    run: list[int] = []
    k = i + 1
    while k < len(words) and len(run) < 3 and _joined(text, words[k - 1], words[k]):
        word = words[k]
        if (
            word.capital != capital
            or not word.text.isalpha()
            or not 2 <= len(word.text) <= 5  # not "I"
            or (not capital and len(word.text) > 2 and word.folded in _COMMON)
            or _is_arabic(word.text)
        ):
            break
        run.append(k)
        k += 1
    while not capital and run and _ordinary_after_syllables(words[run[-1]].folded):
        run.pop()
    return run


def _ordinary_after_syllables(folded: str) -> bool:
    """A word every sentence has, or one of the vocabulary of four letters or more ("is",
    "stays"; "doh" may be a syllable)."""
    return folded in _COMMON or (len(folded) >= 4 and folded in _vocabulary())


# "I am", "we are" in Arabic, spoken forms too.
_ARABIC_I_AM_WE_ARE = _split("انا اني آني احنا نحن نحنا")


def _i_am_of_a_country(words: list[_Word], marked: list[bool]) -> None:
    """ "أنا مصري من سوهاج": after "I am", a country's adjective is where one is from, though
    a list holds it as a family name ("مصري", "شامي")."""
    for i in range(1, len(words)):
        if (
            marked[i]
            and words[i - 1].folded in _ARABIC_I_AM_WE_ARE
            and words[i].folded in _arabic_nationalities()
        ):
            marked[i] = False


def _titles_stay(text: str, words: list[_Word], marked: list[bool]) -> None:
    """ "mon neveu Ti X", "thank you Pu X": a title before a name found stays, whatever rule
    took it with the name (a relative's cue takes the next word)."""
    for i in range(len(words) - 1):
        if (
            marked[i]
            and marked[i + 1]
            and _is_title(words[i])
            and not _is_arabic(words[i].text)
            and not _is_title(words[i + 1])
            and text[words[i].end : words[i + 1].start] == " "
            and words[i].folded not in _name_list()
        ):
            marked[i] = False


def _syllable_family_lists(text: str, words: list[_Word], marked: list[bool]) -> None:
    """ "grandsons x y, z w and the small one v": after a relative, a list of two items or
    more, each of one to three words in lower case of five letters at most, every word one
    no vocabulary knows or a syllable of two or three letters ("eh", "doh": Karen and
    Burmese names are syllables), one of them at least unknown. "wives sell tea and
    mandazi" stays: "sell" is a word."""
    if _FAMILY_CUES.keys().isdisjoint(w.folded for w in words):
        return
    for i in range(len(words)):
        length = _phrase_at(words, i, _FAMILY_CUES) if words[i].folded in _FAMILY_CUES else 0
        if not length or i + length >= len(words):
            continue
        items = _syllable_items(text, words, i + length)
        named = [k for item in items for k in item]
        if len(items) >= 2 and any(_lower_case_unknown(words[k], False) for k in named):
            for k in named:
                marked[k] = True


def _syllable_items(text: str, words: list[_Word], j: int) -> list[list[int]]:
    """The items of a list of syllables that starts at word j (see above), or none."""
    items: list[list[int]] = [[]]
    if text[words[j - 1].end : words[j].start].strip() not in ("", ":"):
        return []
    k = j
    while k < len(words):
        word, gap = words[k], text[words[k - 1].end : words[k].start].strip()
        if items[-1] and (gap or word.folded in _AND):
            if gap not in (",", "&", "") or (gap == "" and not _joined(text, words[k - 1], word)):
                break
            k += 1 if word.folded in _AND else 0
            k += _baby_words(words, k) if k < len(words) else 0
            items.append([])
            continue
        # ("mu" is a syllable too, not only Hausa "we")
        short = len(word.folded) == 2 or (len(word.folded) == 3 and word.folded not in _COMMON)
        if word.capital or not word.text.isalpha() or len(items[-1]) == 3 or len(word.text) > 5:
            break
        if not (short or _lower_case_unknown(word, _swahili(words))):
            break  # "… and z htet go to school": the list ends at a word we know
        items[-1].append(k)
        k += 1
    if not items[-1] and len(items) > 1 and k < len(words) and words[k].folded in _COMMON:
        items.pop()  # "…, z, they go to school": the sentence goes on after the list
    while items[-1] and _ordinary_after_syllables(words[items[-1][-1]].folded):
        items[-1].pop()  # ("go")
    if not all(items) or any(all(words[k].folded in _COMMON for k in item) for item in items):
        return []  # ("…, to be seen": an item of little words is none)
    return items


# Arabic verbs of the plural: "يقررون" (they decide), "سافروا" (they travelled).
_ARABIC_PLURAL_VERB = re.compile(r"[يت][\u0621-\u064a]{2,}ون|[\u0621-\u064a]{3,}وا")


def _arabic_verb_shapes(words: list[_Word], marked: list[bool]) -> None:
    """A word shaped as a verb of the plural, that no list holds as a name, is none."""
    for i, word in enumerate(words):
        if (
            marked[i]
            and _ARABIC_PLURAL_VERB.fullmatch(word.folded)
            and word.folded not in _name_list()
            and not any(f in _ARABIC_NAMES for f in _bare(word.folded))
        ):
            marked[i] = False


# What a person writes first about themselves or asks for: "X: we need help", "X : je
# n'ai pas reçu", "X: naomba msaada", "X: ina neman taimako", "X: ayúdenme".
_SPEAKER_OPENS = _split("""
i i'm im we we're my our me us please pls plz help
je j'ai j'habite nous mon ma mes notre nos moi svp aidez aidez-nous aidez-moi
yo soy somos mi mis nuestro nuestra necesito necesitamos ayuda ayúdenme ayúdennos ayudenme
mimi sisi naomba tunaomba nina tuna niko tuko tafadhali msaada nisaidie tusaidie
ni ina muna mun don taimako taimaka taimake
""")


def _speaker_before_colon(text: str, words: list[_Word], marked: list[bool]) -> None:
    """ "X: we need help": a capitalised word alone before the colon that opens a message is
    who writes when what follows opens as one speaks of oneself or asks, and no list knows
    it as a place or an ordinary word (a town before the colon is where the news is from)."""
    if ":" not in text[:40] or len(words) < 2 or words[0].start > 0 or marked[0]:
        return
    first, after = words[0], words[1]
    if text[first.end : after.start].strip() != ":" or after.folded not in _SPEAKER_OPENS:
        return
    folded = first.folded
    if (
        first.capital
        and first.text.isalpha()
        and not first.text.isupper()
        and not _is_arabic(first.text)
        and folded not in _COMMON
        and not _everyday_word(folded)
        and folded not in _gazetteer()
        and folded not in _never_names()
        and not _is_title(first)
        and _phrase_at(words, 0, _places()) == 0
    ):
        marked[0] = True


_FIVE_CAPITALS = re.compile(r"[A-ZÀ-Ý]{5}")


def _shouted_surnames(text: str, words: list[_Word], marked: list[bool]) -> None:
    """ "chef de ménage : GBAKOSSÉ X": a family name in capitals right before a first name
    found (as forms and registers write it) is a name, unless a vocabulary or the list of
    peoples and brands knows it ("UNHCR", "URGENT" are no family)."""
    if not _FIVE_CAPITALS.search(text):
        return
    for i in range(len(words) - 1):
        word, after = words[i], words[i + 1]
        if (
            not marked[i]
            and marked[i + 1]
            and len(word.text) >= 5  # not "UASC", "CETI": acronyms are short
            and word.text.isupper()
            and word.text.isalpha()
            and not after.text.isupper()
            and text[word.end : after.start] == " "
            and re.search(r"[AEIOUÀ-ÜY]", word.text)
            and not _everyday_word(word.folded)
            and word.folded not in _never_names()
            and word.folded not in _gazetteer()
        ):
            marked[i] = True


def _not_kin(words: list[_Word], marked: list[bool]) -> None:
    """An Arabic word for a relative ("حبوبتي": my grandmother) or a word of one's own kin in
    Latin letters ("Abokaina": my friends) is never the name itself, whatever rule took it
    with the name after it."""
    for i, word in enumerate(words):
        if not marked[i]:
            continue
        if word.folded in _OWN_KIN_WORDS and word.folded not in _name_list():
            marked[i] = False
            continue
        if word.folded in _BABY and not word.capital:  # "… & baby X": the word, not a name
            marked[i] = False
            continue
        bare = _bare(word.folded)
        if (
            _is_arabic(word.text)
            and any(f in _ARABIC_KIN for f in bare)
            and not _KUNYA_FORMS.intersection(bare)  # "بأبي X": a kunya, "Abu" after "with"
        ):
            marked[i] = False


# A relative or relatives, then their names in a list: "my wife X and kids Y, Z and W",
# "watoto wangu ni X, Y na Z", "'ya'yana su ne X, Y da Z", "somos yo, X, Y y Z".
# Relatives the possessive follows (Haitian Creole) or said in several words ("brother in
# law"): kept out of `_RELATIONS`, whose words ("in", "mwen") must not count alone. Not
# "sè mwen" (my sister): folded it is "se mwen", and "se" is "is".
_KIN_AFTER = """brother in law|sister in law|son in law|daughter in law|beau frère|belle sœur
madanm mwen|mari mwen|pitit mwen|pitit gason mwen|pitit fi mwen|manman mwen|papa mwen
frè mwen|kouzen mwen|kouzin mwen|vwazen mwen|vwazin mwen|zanmi mwen|grann mwen
bòpè mwen|bèlmè mwen|neve mwen|nyès mwen|tonton mwen|matant mwen""".replace("\n", "|")
_KIN_AFTER_PHRASES = _by_first_word(_phrase(p) for p in _KIN_AFTER.split("|"))
# "mwen menm X" (I myself), "somos yo, X": the writer first in the family's list.
_I_MYSELF = {("mwen", "menm"), ("somos", "yo"), ("iyalina", "ni")}
_FAMILY_CUES = _by_first_word(
    _phrase(p)
    for p in (
        _RELATIONS
        + "|"
        + """
kids|children|sons|daughters|boys|girls|friends|brothers|sisters|mother in law|father in law
brother in law|sister in law|son in law|daughter in law
enfants|filles|garçons|amis|frères|sœurs|soeurs|belle mère|beau père|moi
hijos|hijas|niños|niñas|amigos|hermanos|hermanas|somos yo|yo
grandchildren|grandkids|nephews|nieces|petits enfants|neveux|nièces
nietos|nietas|sobrinos|sobrinas|wajukuu|wajukuu wangu
grandsons|granddaughters|wives|co wives|cousins|épouses|co épouses|coépouses|cousins|cousines
esposas|primos|primas|wake zake|wake zangu|wake wake|matansa|matan shi
watoto wangu|watoto|wanangu|wenzangu|wenzetu|ndugu zangu|marafiki zangu|wadogo zangu
yayana|'ya'yana|ya'yana|ya yana|yan uwana|abokaina|abokanmu|yarana
mwen menm|pitit nou yo|pitit mwen yo|timoun mwen yo|timoun nou yo|pitit nou|timoun yo
pikin dem|my pikin dem|yara|iyalina ni
neighbours|neighbors|voisins|voisines|vecinos|vecinas|majirani|makwabta
'ya'yansu|ya'yansu|'ya'yansa|ya'yansa|'ya'yanta|ya'yanta|uwa
""".replace("\n", "|")
        + "|"
        + _KIN_AFTER
    ).split("|")
    if p.strip()
)


# The family cues of one word with a possessive in them: "abokaina", "wanangu", "yarana".
_OWN_KIN_WORDS = frozenset(
    p[0] for ps in _FAMILY_CUES.values() for p in ps if len(p) == 1 and len(p[0]) >= 6
)


def _alphabetic(word: _Word) -> bool:
    """Letters only, an apostrophe inside too: Hausa "ta'ambu", "mu'azu" are names."""
    return word.text.translate(_NO_APOSTROPHES).isalpha()


def _kin_name_lower(word: _Word, swahili: bool) -> bool:
    """A lower-case word no vocabulary knows; shaped as a Swahili verb only outside Swahili
    ("ma femme mukantwari": Kirundi names start as Swahili verbs do)."""
    if word.capital or not _alphabetic(word):
        return False
    folded = word.folded
    if any(folded in s for s in (_ordinary(), _vocabulary(), _RELATION_WORDS)):
        return False
    return not (swahili and _swahili_verb_shape(folded))


def _family_members(text: str, words: list[_Word], j: int) -> list[int]:
    """The list that starts at word j, ending with the member after "and": in "X, Y na Z,
    hawajaandikishwa", the verb after the comma is no member."""
    members = _list_at(text, words, j)
    for n in range(1, len(members)):
        if members[n] - members[n - 1] >= 2:  # joined by "and" ("and baby X")
            return members[: n + 1]
    # "my sisters X, Y, Z stay at…": three or more, each a name's shape, with no "and".
    swahili = _swahili(words)
    shaped = 0
    while shaped < len(members) and (
        words[members[shaped]].capital or _lower_case_unknown(words[members[shaped]], swahili)
    ):
        shaped += 1
    if shaped >= 3:
        return members[:shaped]
    return members[:1]  # "Hermano X, llamaste…": a list without "and" is no list


# Numbers and words said of relatives, not their names: "watoto watano" (five children).
_NOT_KIN_NAMES = _split("""and et y na da
wawili watatu wanne watano wadogo wakubwa wengi wote wangu wako wake wetu wenu wao
biyu uku hudu biyar shida""")

# Between the relatives and the list: "are", "ni", "su ne", "sont", ":".
_FAMILY_IS = _split("are is ni ndio su ne sont est son es")


def _family_lists(text: str, words: list[_Word], marked: list[bool]) -> None:
    """After a relative or a plural of relatives, every member of the list of names that
    follows is a name unless a vocabulary knows it, in lower case too: "ma femme X et ma
    fille Y", "wenzangu X, Y na Z". Safety first: the privacy risk is a family left whole."""
    if _FAMILY_CUES.keys().isdisjoint(w.folded for w in words):
        return
    swahili = _swahili(words)
    for i in range(len(words)):
        if words[i].folded not in _FAMILY_CUES:
            continue
        length = _phrase_at(words, i, _FAMILY_CUES)
        j = i + length
        while j < len(words) and words[j].folded in _FAMILY_IS and j - i < 6:
            j += 1
        if not length or j >= len(words) or not _joined_loose(text, words[j - 1], words[j]):
            continue
        members = _family_members(text, words, j)
        # One word alone counts after a relative ("my husband X") or "are", "ni", "su ne";
        # not after "watoto", "yo", "moi" ("watoto watano": five children).
        single = tuple(words[i : i + length]) and (
            _phrase_at(words, i, _RELATION_PHRASES) or _phrase_at(words, i, _KIN_AFTER_PHRASES)
        )
        # "nous sommes trois: moi X, …": "moi" after a colon opens the family's list.
        opens = (
            words[i].folded == "moi" and text[: words[i].start].rstrip().endswith(":")
        ) or tuple(w.folded for w in words[i : i + length]) in _I_MYSELF
        if len(members) == 1 and (j > i + length or not (single or opens)):
            continue  # "mon enfant est malnutri": after "is", only a list
        if len(members) == 1 and not (opens or _joined(text, words[j - 1], words[j])):
            continue  # "Hermano, llamaste…": a comma after the relative
        for k in members:
            word = words[k]
            if (
                _is_arabic(word.text)
                or word.folded in _FAMILY_CUES
                or word.folded in _NOT_KIN_NAMES
                or word.folded.removesuffix("s") in _LIST_WORDS  # "son familias": "they are"
            ):
                continue
            lower = (
                _kin_name_lower(word, swahili)
                and len(word.folded) >= 4  # not "ihu"
                and not _swahili_infinitive(words, k)
            )
            if len(members) == 1:
                lower = lower and _lower_case_unknown(word)  # "mi hermano perdió…": a verb
            if (lower or (word.capital and _name_shaped(word))) and not (
                _town_not_name(word) or _group_word(word)
            ):
                marked[k] = True
                if len(members) == 1 and lower:
                    _family_name_after(text, words, marked, k)


# A list or a family before a colon: "liste … : X Y, Z W", "iyalina: ni X, mijina Y",
# "أفراد الأسرة: X (الأب)، Y". After it, each item set off by commas or "and" is a name.
_LIST_WORDS = _split("""liste list lista orodha jerin iyalina family famille familia household
ménage menage foyer hogar familia قائمة الأسرة الاسرة العائلة عائلتي أسرتي اسرتي ولادي أولادي
اولادي الأولاد الاولاد العيال
kids children sons daughters enfants filles garçons niños niñas hijos hijas chamos watoto
wanangu yara yaran 'ya'ya ya'ya 'ya'yan ya'yan أطفال اطفال الأطفال الاطفال""")
# ("niños que no tienen acta: X, Y y Z": the children, then their names)
# Lists of people, too, anywhere in the phrase before the colon: the missing, the dead, the
# injured ("wadanda ba a gani ba tun satin jiya: X, Y", those not seen since last week).
_PEOPLE_LIST_WORDS = _split("""
missing disappeared unaccounted deceased dead victims injured wounded
disparus disparues disparu disparue décédés morts victimes blessés
desaparecidos desaparecidas desaparecido desaparecida fallecidos víctimas heridos
waliopotea wamepotea hawajaonekana waliokufa wamefariki majeruhi
wadanda batattu
المفقودين المفقودون مفقودين الضحايا المصابين الجرحى""")
# Said of the family's members in Arabic lists: "X (الأب)", "الأطفال Y".
_ARABIC_MEMBERS = _split("""الأب الاب الأم الام الأطفال الاطفال الأولاد الاولاد الزوج الزوجة
الابن البنت الابنة الجد الجدة الأخ الاخ الأخت الاخت الطفل الطفلة""")
_ITEM_BREAK = re.compile(r"[,،;]")
# A family introduced by its count: "we are 6 in one room: me X, wife Y", "nous sommes 5 : moi
# X", "somos 4: yo X", "sisi tuko 6: mimi X", "mu shida ne: ni X", "نحنا سبعة بالبيت: أنا…",
# with "people" before the count too ("sisi ni watu 6:", "mu mutane biyar ne:"); a count of
# them too ("the kids of the late X are three:", "watoto wake ni watatu:", "ils sont 4 :").
_COUNT_OF_US = re.compile(
    r"(?<![\w])(?i:we\s+are|we'?re|there\s+are|nous\s+sommes|nous\s+étions|on\s+est|somos|"
    r"éramos|eramos|estamos|sisi\s+ni|tuko|tupo|tulikuwa|mu|muna|mun|نحن|نحنا|احنا|إحنا|عددنا|"
    r"كنا|they\s+are|they'?re|ils\s+sont|elles\s+sont|son|eran|ni|wako|wapo|walikuwa|su|هم|"
    r"كانوا)\s+(?:(?i:watu|mutane|people|persons|personnes|personas|أشخاص|اشخاص|نفر)\s+)?"
    r"(\w+)[^:.!?\n]{0,45}$"
)
# Swahili counts of people ("tuko watano"), besides the digits said in words.
_PEOPLE_COUNTS = _split("wawili watatu wanne watano wasita")
# Said of a member before the name, at an item's start: "baby X", "les jumeaux X et Y",
# "mtoto mchanga X", "'yar karama X", "los chavalos X" (Central American: the kids).
_MEMBER_WORDS = _split("""
morochos morochas morocho morocha
me myself baby babies twins twin newborn eldest oldest youngest little last first second third
moi bébé bebe jumeaux jumelles jumeau jumelle aîné aînée cadet cadette petit petite dernier
dernière benjamin benjamine vieux vieille
yo bebé gemelos gemelas gemelo gemela mayor menor chiquito chiquita pequeño pequeña nene nena
chavalos chavalas chavalo chavala chigüines chigüín cipotes cipota cipote güilas güila
carajillos chamacos chamacas críos crías patojos patojas chamos gurises
mimi pacha mapacha mchanga mdogo mkubwa kitinda mimba kifungua
yar 'yar karama karami babba tagwaye jariri jaririya auta
""")
_AND_WORDS = _split("and et y e na da ak و")
_OWNERS = _split("my our mon ma mes nos notre mi mis nuestro nuestra nuestros nuestras")


def _colon_lists(text: str, words: list[_Word], marked: list[bool]) -> None:
    """After a list word or a family and a colon, the items of the list, up to the sentence's
    end: words no vocabulary knows, with the rest of their item in lower case ("X Y"), when
    two items or more are such ("nombre de lista: use letras, dígitos y _" is no family)."""
    for colon in re.finditer(r":", text):
        if not _list_before(text, words, colon.start()):
            continue
        end = re.compile(r"[.!?\n]").search(text, colon.end())
        stop = end.start() if end else len(text)
        items: list[list[int]] = [[]]
        for k, word in enumerate(words):
            if word.start < colon.end() or word.start >= stop:
                continue
            if word.folded in _AND_WORDS or (
                items[-1] and _ITEM_BREAK.search(text[words[items[-1][-1]].end : word.start])
            ):
                items.append([])
            if word.folded not in _AND_WORDS:
                items[-1].append(k)
        swahili = _swahili(words)  # a name shaped as a Swahili verb ("kuvuna")
        found_in = [_list_item(words, item, swahili) for item in items]
        names = [found for found in found_in if found]
        if len(names) >= 2:
            for found in names + _between_names(words, items, found_in):
                for k in found:
                    marked[k] = True
        _first_of_colon_list(words, items, marked)


def _first_of_colon_list(words: list[_Word], items: list[list[int]], marked: list[bool]) -> None:
    """ "…à référer : X (diabète), Y (TB)": the first item's capital says nothing after the
    colon, so a word no vocabulary knows there is a name when the next item holds one."""
    if len(items) < 2 or not items[0] or not any(marked[k] for k in items[1]):
        return
    word = words[items[0][0]]
    folded = word.folded
    two = len(items) > 2 and any(marked[k] for k in items[2])
    if len(items[0]) == 1 and _is_arabic(word.text) and two:
        # "الأولاد: X، Y، Z": two names after it, the first item alone is one too
        marked[items[0][0]] = _name_in_a_list(folded) and folded not in _ARABIC_KIN
        return
    if (
        word.capital
        and word.text.isalpha()
        and not _is_arabic(word.text)
        and folded not in _COMMON
        and folded not in _ordinary()
        and folded not in _vocabulary()
        and folded not in _gazetteer()
        and not _is_title(word)
    ):
        marked[items[0][0]] = True


def _between_names(words: list[_Word], items: list[list[int]], found_in: list) -> list:
    """ "watoto heri, jabali, tulizo na doto": a lower-case word alone between two names of
    a family's list is one too, though a vocabulary knows it (a mountain, here)."""
    return [
        items[n]
        for n in range(1, len(items) - 1)
        if not found_in[n]
        and found_in[n - 1]
        and found_in[n + 1]
        and len(items[n]) == 1
        and not words[items[n][0]].capital
        and words[items[n][0]].text.isalpha()
        and words[items[n][0]].folded not in _COMMON
    ]


def _list_before(text: str, words: list[_Word], colon: int) -> bool:
    """A list word in the six words before the colon, a list of people in the phrase before
    it, or a count of us."""
    phrase = [w for w in words if colon - 60 < w.end <= colon]
    if any(w.folded in _LIST_WORDS for w in phrase[-6:]):
        return True
    start = max((m.end() for m in re.finditer(r"[.!?\n]", text[:colon])), default=0)
    if any(w.folded in _PEOPLE_LIST_WORDS and w.start >= start for w in phrase):
        return True
    # "yaran da ba su yi rigakafi ba a layi na 4:": the phrase opens with the list's word
    opening = [w for w in phrase if w.start >= start][:1]
    if opening and opening[0].folded in _LIST_WORDS and not text[start : opening[0].start].strip():
        return True
    return _counted(text, colon)


def _counted(text: str, colon: int) -> bool:
    """ "we are 6 in one room:", "mu shida ne:": a count of us before the colon."""
    match = _COUNT_OF_US.search(text, max(0, colon - 70), colon)
    if not match:
        return False
    count = _fold(match.group(1))
    return (
        count.isdigit()
        or count in _DIGIT_WORDS
        or count in _TENS_WORDS
        or count in _PEOPLE_COUNTS
        or any(f in _DIGIT_WORDS for f in _bare(count))  # "سبعة"
    )


def _list_item(words: list[_Word], item: list[int], swahili: bool) -> list[int]:
    """The names of one item of a list: the relatives and "I" it starts with ("ni X", "mon
    mari Y", "الأطفال Y") left out, the rest when one of its words is unknown, up to three."""
    rest = list(item)
    while rest and (
        words[rest[0]].folded in _FAMILY_CUES
        or words[rest[0]].folded in _RELATION_WORDS
        or words[rest[0]].folded in _FAMILY_IS
        or words[rest[0]].folded in _ARABIC_MEMBERS
        or words[rest[0]].folded in _ordinary()
        or words[rest[0]].folded in _OWNERS
        or words[rest[0]].folded in _MEMBER_WORDS
    ):
        rest.pop(0)
    # "baby X", "matata X": after a relative, a word no vocabulary knows even when a town
    # of the gazetteer or with the ending of a verb ("hafsida") is the member's name.
    led = any(
        words[k].folded in _RELATION_WORDS or words[k].folded in _MEMBER_WORDS
        for k in item[: len(item) - len(rest)]
    )
    rest = [k for k in rest if words[k].folded not in _ARABIC_MEMBERS]
    while rest and words[rest[-1]].folded in _MEMBER_WORDS:
        rest.pop()  # "… na X mdogo": the little one, said after the name
    if not rest or len(rest) > 3 or not all(_alphabetic(words[k]) for k in rest):
        return []
    if all(_is_arabic(words[k].text) for k in rest):
        word = words[rest[0]]
        rank = _arabic_ranks().get(word.folded)  # as written: "گ" is no spoken "ق" in a name
        if len(rest) == 1 and (
            _arabic_word_not_name(word) is not True
            or (
                (rank is None or rank >= _ARABIC_FREQUENT)
                and word.folded not in _COMMON
                and not word.folded.startswith("ال")
            )
        ):
            return rest
        return []
    if any(words[k].capital or _is_arabic(words[k].text) for k in rest):
        return []
    if any(
        _kin_name_lower(words[k], swahili) and _lower_case_unknown(words[k], swahili) for k in rest
    ):
        return rest
    if led and len(rest) == 1 and _kin_name_lower(words[rest[0]], swahili):
        return rest
    return []


def _family_name_after(text: str, words: list[_Word], marked: list[bool], k: int) -> None:
    """ "my brother in law X Y died": a lower-case word after a relative's name in lower case
    is more of it when it is shaped as a name and no verb ("mi prima X sigue…")."""
    n = k + 1
    if n < len(words) and _joined(text, words[k], words[n]):
        word = words[n]
        if (
            _more_lower_case_name(word)
            and _looks_like_name(word.folded)
            and not _spanish_verb(word.folded)
        ):
            marked[n] = True


# "عمري ٣٥ سنة": "my age", "his age" before a number, not the name "عمري".
_ARABIC_AGE = _split("عمري عمره عمرها عمرك عمرهم عمرنا")
_NUMBER_NEXT = re.compile(r"\s*[\d\u0660-\u0669\u06f0-\u06f9]")


def _ages(text: str, words: list[_Word], marked: list[bool]) -> None:
    """An age word of Arabic before a number, in digits or in words, is no name."""
    for i, word in enumerate(words):
        if not marked[i] or word.folded not in _ARABIC_AGE:
            continue
        after = words[i + 1].folded if i + 1 < len(words) else ""
        if _NUMBER_NEXT.match(text, word.end) or (
            after and any(f in _DIGIT_WORDS or f in _TENS_WORDS for f in _bare(after))
        ):
            marked[i] = False


def _shouted_word(word: _Word) -> bool:
    """A word of the vocabulary written all in capitals ("FOOD", "RUWA", "HOPE"): emphasis, or an
    organisation's acronym, not a name; a cue before it ("my name is GRACE") still counts."""
    return (
        word.capital and len(word.text) > 1 and word.text.isupper() and _everyday_word(word.folded)
    )


# -- Enumerators' shorthand, nicknames, names in the other script ---------------------------

# How enumerators and hotline operators write who they spoke to: "Resp. name X", "HH head:
# X", "Appelant X", "Responsable: X", "رب الأسرة: X". After these, a capitalised word, an
# Arabic word, or a lower-case word no vocabulary knows ("hh head: rukia mwanaisha").
_SHORTHAND = _by_first_word(
    _phrase(p)
    for p in """
resp name|resp's name|respondent name|respondent's name|name of respondent|respondent
name
hh head|hhh|household head|head of household|head of hh|hoh|caller name|caller's name
caller|beneficiary|beneficiary name|name of beneficiary|interviewee
poc|uasc|psn|bia|case of|person of concern|client
nom du répondant|nom de l'enquêté|nom de l'enquêtée|chef de ménage|cheffe de ménage
appelant|appelante|répondant|répondante|enquêté|enquêtée|bénéficiaire|responsable
llamante|el llamante|la llamante
jefe de hogar|jefa de hogar|jefe del hogar|jefa del hogar|encuestado|encuestada
nombre del encuestado|nombre de la encuestada|beneficiario|beneficiaria
mkuu wa kaya|mkuu wa familia|mhojiwa|jina la mhojiwa|mpigaji|mnufaika
shugaban gida|maigida|mai gida|wanda aka tambaya|mai kira
رب الأسرة|ربة الأسرة|رب الاسرة|ربة الاسرة|رب العائلة|ربة العائلة|اسم المستجيب|المستجيب|المتصل
اسم المتصل|اسم رب الأسرة|اسم رب الاسرة|المستفيد|اسم المستفيد
""".replace("\n", "|").split("|")
    if p.strip()
)


def _shorthand_cues(text: str, words: list[_Word], marked: list[bool]) -> None:
    """After an enumerator's shorthand for the person ("Resp. name", "HH head:", "Appelant",
    "رب الأسرة:"), the name: capitalised words no vocabulary holds as ordinary, Arabic
    words that may be names, lower-case words no vocabulary knows."""
    _signed_by_role(text, words, marked)
    if _SHORTHAND.keys().isdisjoint(w.folded for w in words):
        return
    for i in range(len(words)):
        if words[i].folded not in _SHORTHAND:
            continue
        length = _phrase_at(words, i, _SHORTHAND)
        j = i + length
        if not length or j >= len(words) or not _joined_loose(text, words[j - 1], words[j]):
            continue
        first = words[j]
        if _is_arabic(first.text):
            if _arabic_word_not_name(first) is False or _is_known(first):
                marked[j] = True  # the rest: `_arabic_name_runs`
            continue
        if not first.capital:
            _lower_case_after_shorthand(text, words, marked, j)
            continue
        for k in range(j, min(j + 4, len(words))):
            word = words[k]
            if (k > j and not _joined(text, words[k - 1], word)) or not (
                word.capital and _name_shaped(word)
            ):
                break
            marked[k] = True


def _lower_case_after_shorthand(text: str, words: list[_Word], marked: list[bool], j: int):
    """ "hh head: rukia mwanaisha": after a colon or a dash, up to three lower-case words no
    vocabulary knows. Without one ("hh head apalolem lokuda (59), wife…"), only words that
    end their phrase: "jefe de hogar trabaja en…", "mkuu wa kaya hayupo…" are verbs the
    vocabularies lack."""
    gap = text[words[j - 1].end : words[j].start]
    loose = ":" in gap or "-" in gap
    run = []
    for k in range(j, min(j + 3, len(words))):
        if (k > j and not _joined(text, words[k - 1], words[k])) or not (
            _lower_case_no_word(words[k]) or words[k].folded in _name_list()
        ):
            break
        run.append(k)
    if run and (loose or text[words[run[-1]].end :].lstrip(" ")[:1] in ("", ",", "(", ";", ".")):
        for k in run:
            marked[k] = True


# Who wrote a survey's note, signing it at its end: "… enumerator: X", "Encuestadora: X",
# "Mhojaji: X", "Mai tattara bayanai: X", "الباحثة: X".
_SIGNING_ROLES = _by_first_word(
    _phrase(p)
    for p in """enumerator|interviewer|data collector|surveyor|encuestador|encuestadora
entrevistador|entrevistadora|enquêteur|enquêtrice|enqueteur|enquetrice|agent enquêteur
mhojaji|mdadisi|mtafiti|mkusanya taarifa|mai tattara bayanai|mai bincike|mai hira
الباحث|الباحثة|جامع البيانات|جامعة البيانات|المعد|المعدة""".replace("\n", "|").split("|")
)


def _signed_by_role(text: str, words: list[_Word], marked: list[bool]) -> None:
    """The one to three words after a signing role and a colon, to the message's end: the
    writer's name, in lower case too ("enumerator: sounon")."""
    for start in range(max(0, len(words) - 6), len(words) - 1):
        length = _phrase_at(words, start, _SIGNING_ROLES)
        j = start + length
        if not length or not 1 <= len(words) - j <= 3:
            continue
        if text[words[j - 1].end : words[j].start].strip() != ":" or text[words[-1].end :].strip(
            " .!"
        ):
            continue
        if all(
            _joined(text, words[k - 1], words[k]) and not _is_title(words[k])
            for k in range(j + 1, len(words))
        ):
            for k in range(j, len(words)):
                marked[k] = True
        return


def _lower_case_no_word(word: _Word) -> bool:
    """A lower-case Latin word that no vocabulary or list holds, whatever its ending: after
    "HH head:", "rashed" is a name though it ends as a past tense does."""
    folded = word.folded
    return (
        not word.capital
        and word.text.isalpha()
        and len(folded) >= 3
        and not any(folded in s for s in (_ordinary(), _vocabulary(), _RELATION_WORDS))
        and not _swahili_verb_shape(folded)
    )


def _name_shaped(word: _Word) -> bool:
    """A capitalised Latin word that is a listed name or that no vocabulary knows."""
    return (
        not word.text.isupper()
        and word.folded not in _COMMON
        and not _is_title(word)
        and (_is_known(word) is not None or _unknown_anywhere(word))
    )


# "'Kipara' (Omari Seif Mbwana)", "«الأعرج» (صالح مقبل الزبيدي)": a nickname in quotes, then
# the real name in brackets.
_NICKNAME = re.compile(
    r"[\"'‘“«]\s*([^\W\d_][^\"'’”»()\n]{1,40}?)\s*[\"'’”»]\s*\(\s*([^()\n]{3,80}?)\s*\)"
)


def _nickname_then_name(text: str, words: list[_Word], marked: list[bool]) -> None:
    """A nickname in quotes and the real name in brackets after it: both are names, when
    every word in the brackets is shaped as a name (capitalised, or Arabic)."""
    if "(" not in text:
        return
    for match in _NICKNAME.finditer(text):
        quoted = [k for k, w in enumerate(words) if match.start(1) <= w.start < match.end(1)]
        inside = [k for k, w in enumerate(words) if match.start(2) <= w.start < match.end(2)]
        if not quoted or len(quoted) > 3 or not 2 <= len(inside) <= 5:
            continue
        if not all(
            marked[k]
            or (_is_arabic(words[k].text) and _arabic_name_word(words[k]))
            or (words[k].capital and _name_shaped(words[k]))
            or words[k].folded in _ALL_PARTICLES
            for k in inside
        ) or not any(marked[k] or _is_known(words[k]) for k in inside):
            continue
        for k in quoted + inside:
            if (
                words[k].capital
                or _is_arabic(words[k].text)
                or (words[k].folded not in _ALL_PARTICLES and k in inside)
            ) and not _is_title(words[k]):
                marked[k] = True


# "alias el Gato", "aka Bullet", "surnommé le Lion": a nickname is the person's, whatever
# the word, up to two capitalised words after the article.
_ALIAS = re.compile(
    r"(?<![\w])(?i:alias|aka|a\.k\.a\.?|apodad[oa]|surnommée?|mejor\s+conocid[oa]\s+como|"
    r"kwa\s+jina\s+la\s+utani|wanamwita|un[ao]?\s+tal|known\s+(?:only\s+)?as(?=\s+[\"'‘“«]))"
    r"\s+(?:[\"'‘“«]\s*)?(?:(?i:el|la|le|les|los|the|l')\s*)?(?=[A-ZÀ-ÝƁƊƘƳ])"
)  # "un tal X" (a certain X, Spanish); "known only as 'X'", in quotes


_ALIAS_WORDS = _split("alias aka a.k.a apodado apodada surnommé surnommée conocido conocida utani")
_ALIAS_WORDS |= _split("wanamwita tal known")


def _aliases(text: str, words: list[_Word], marked: list[bool]) -> None:
    """After "alias", "aka", "surnommé" and an article, the capitalised words of the
    nickname, ordinary ones too."""
    if _ALIAS_WORDS.isdisjoint(w.folded for w in words):
        return
    for match in _ALIAS.finditer(text):
        following = [k for k, w in enumerate(words) if w.start >= match.end()][:2]
        for n, k in enumerate(following):
            word = words[k]
            if not (word.capital and word.text.isalpha()) or word.folded in _COMMON:
                break
            if n and not _joined(text, words[k - 1], word):
                break
            marked[k] = True


def _arabic_name_word(word: _Word) -> bool:
    """An Arabic word that may be part of a name in brackets: no pronoun, verb or little
    word ("صالح مقبل الزبيدي", not "مش صحيح")."""
    return not any(f in _COMMON or f in _ARABIC_AFTER_PERSON for f in _bare(word.folded)) and (
        _is_known(word) is not None
        or _arabic_word_not_name(word) is False
        or (word.folded.startswith("ال") and word.folded.endswith("ي"))
    )


# "Resp. (Nurjahan, 37)", "(Amadou Sow, 35 ans)": a person and an age in brackets.
_AGE_IN_BRACKETS = re.compile(r"\(\s*([^\W\d_][^(),\n]{1,50}?)\s*,\s*\d{1,3}\b[^()\n]{0,12}\)")


def _age_in_brackets(text: str, words: list[_Word], marked: list[bool]) -> None:
    """Up to three capitalised name-shaped words, then a comma and an age, in brackets."""
    if "(" not in text:
        return
    _name_before_its_age(text, words, marked)
    _spelled_in_arabic(text, words, marked)
    for match in _AGE_IN_BRACKETS.finditer(text):
        inside = [k for k, w in enumerate(words) if match.start(1) <= w.start < match.end(1)]
        if 1 <= len(inside) <= 3 and all(
            marked[k] or (words[k].capital and _name_shaped(words[k])) for k in inside
        ):
            for k in inside:
                marked[k] = True


# A child's age, then one word in brackets: "girl 15 (X)", "بنت عمرها ١٤ سنة (X)",
# "msichana wa miaka 14 (X)". Group 1: the age's unit or the word "miaka", "shekara".
_AGE_THEN_WORD = re.compile(
    r"(?:[\d\u0660-\u0669]{1,2}\s*((?i:yrs?|yo|years?(?:\s+old)?|ans|años|سنة|سنوات|سنين|عاما|عام))?"
    r"|((?i:miaka|shekara))\s+[\d\u0660-\u0669]{1,2})\s*\(\s*([^\W\d_][^\W\d_'’-]*)\s*\)"
)


# "the baby (X)", "la nena (X)", "mtoto (X)": a child's word, then one word in brackets.
_CHILD_THEN_WORD = re.compile(
    r"(?i:\b(?:baby|bébé|bebé|bebe|nena|nene|mtoto|jariri|infant|nourrisson)|الرضيع|الرضيعة)"
    r"\s*\(\s*([^\W\d_][^\W\d_'’-]*)\s*\)"
)


def _name_after_age(text: str, words: list[_Word], marked: list[bool]) -> None:
    """ "girl 15 (X)", "بنت ١٤ سنة (X)", "the baby (X)": a child's age or a baby, then one
    word alone in brackets, is the child's name, when no vocabulary holds it as an ordinary
    word ("(حامل)": pregnant, "(orphan)"). A bare number needs a child before it: "block 15
    (Zone B)" is a place."""
    found = [
        (match.start(3), match.group(1) or match.group(2), match.start())
        for match in _AGE_THEN_WORD.finditer(text)
    ] + [(match.start(1), True, match.start()) for match in _CHILD_THEN_WORD.finditer(text)]
    for start, aged, opening in found:
        inside = [k for k, w in enumerate(words) if w.start == start]
        before = [w for w in words if w.end <= opening][-3:]
        if not inside or marked[inside[0]]:
            continue
        if not (aged or any(w.folded in _CHILD_WORDS for w in before)):
            continue
        word = words[inside[0]]
        if _is_arabic(word.text):
            may_be_name = _arabic_word_not_name(word) is False
        else:
            may_be_name = _is_known(word) is not None or not any(
                word.folded in s for s in (_vocabulary(), _ordinary(), _gazetteer(), _COMMON)
            )
        if may_be_name and word.folded not in _demonyms():
            marked[inside[0]] = True


def _spelled_in_arabic(text: str, words: list[_Word], marked: list[bool]) -> None:
    """ "Rawad (رواد) from …": a capitalised word that may be a name, then one Arabic word
    alone in brackets, its spelling: both are the name (a place is kept later). In lower
    case ("girl x (…) 15yo") a word no list knows, spelled by a word no vocabulary knows."""
    for i in range(len(words) - 1):
        word, spelled = words[i], words[i + 1]
        if (
            _is_arabic(spelled.text)
            and not _is_arabic(word.text)
            and text[word.end : spelled.start].strip() == "("
            and text[spelled.end : spelled.end + 1] == ")"
            and (
                (word.capital and _name_shaped(word))
                or (_unlisted_lower(word) and _arabic_rank(spelled.folded) is None)
            )
            and word.folded not in _gazetteer()
            and spelled.folded not in _arabic_places()
        ):
            marked[i] = marked[i + 1] = True


# A case note's age in brackets after a name: "X (12)", "X (17 ans, F)", "Mtoto X (miaka 9)".
# ("X (f, 17)", "X (Honduran, 26)", "X et Y (jumeaux, 4 ans)": the sex or one word first)
_AGE_AFTER = re.compile(
    r"\s*\(\s*(?:[^\W\d_][\w'’-]*\s*[,/]\s*)?"
    r"(?i:(?:age|âge|edad|miaka|umri|shekara|عمر|عمره|عمرها)\s*:?\s*)?"
    r"[\d\u0660-\u0669]{1,2}\s*(?i:ans|an|years?|yrs?|y|yo|años|a|miaka|shekara|سنة|سنوات|سنين)?"
    r"\s*(?:[,/]\s*(?i:[mfhv]|male|female|garçon|fille|niño|niña|mvulana|msichana))?\s*\)"
)
_CHILD_WORDS = _split("""mtoto msichana mvulana kijana child kid girl boy baby enfant fille garçon
fillette garçonnet gamin gamine teen teenager menor
bébé niño niña nena nene yaro yarinya jariri petit petite little pequeño pequeña
الطفل الطفلة طفل طفلة البنت الصبي الفتاة الفتى القاصر القاصرة""")


def _name_before_its_age(text: str, words: list[_Word], marked: list[bool]) -> None:
    """A capitalised word right before a case note's age in brackets: a name when no
    vocabulary knows it or a list holds it; after "child", "girl", "mtoto", an ordinary
    word too ("Mtoto Matatizo (miaka 9)"). Not a place or an organisation: kept later."""
    for i, word in enumerate(words):
        arabic = _is_arabic(word.text)
        if marked[i] or not (word.capital or arabic) or not word.text.isalpha():
            continue
        if not _AGE_AFTER.match(text, word.end):
            continue
        after_child = i > 0 and words[i - 1].folded in _CHILD_WORDS
        if arabic:  # no capitals: "الطفلة X (١٣ سنة)", only after a child's word
            marked[i] = after_child and _joined(text, words[i - 1], word)
            continue
        if word.folded in _COMMON or _is_title(word):
            continue
        if _name_shaped(word) or (after_child and _joined(text, words[i - 1], word)):
            marked[i] = True


# An age said after the name with no brackets: "girl X 15yo", "X Y 17 ans enceinte".
_AGE_NEXT = re.compile(
    r"\s*[\d]{1,2}\s*(?i:yo|y/o|y|yrs?|years?|ans|años|anos|miaka|shekara)(?![\w])"
)
# After a child's word only: the age between commas ("boy X, 12, found…"), its word first
# ("msichana X miaka 15", "girl X aged 9").
_CHILD_AGE_NEXT = re.compile(
    r"\s*,\s*\d{1,2}\s*,|\s+(?i:miaka|umri|aged|age|âgée?|edad|de|shekara)\s*:?\s*\d{1,2}(?![\d,.])"
)


def _lower_case_before_age(text: str, words: list[_Word], marked: list[bool]) -> None:
    """One or two lower-case words no list knows right before an age, after a child's word
    ("girl X 15yo", "boy X, 12,", "la petite X (11 ans)") or first in their sentence ("X Y
    17 ans, enceinte")."""
    if not _AGE_NEXT.search(text) and _CHILD_WORDS.isdisjoint(w.folded for w in words):
        return
    swahili = _swahili(words)  # "boy X, 12": a Swahili verb's shape only in Swahili
    for k, word in enumerate(words):
        if marked[k]:
            continue
        if not _AGE_NEXT.match(text, word.end):
            if (
                k
                and (words[k - 1].folded in _CHILD_WORDS or _children_among(words, k))
                and (_CHILD_AGE_NEXT.match(text, word.end) or _AGE_AFTER.match(text, word.end))
                and _joined(text, words[k - 1], word)
                and _lower_case_unknown(word, swahili)
            ):
                marked[k] = True
            continue
        if not _lower_case_unknown(word, swahili):
            continue
        run = [k]
        if k and _joined(text, words[k - 1], word) and _first_of_two(words[k - 1]):
            run.insert(0, k - 1)
        first = run[0]
        before = text[words[first - 1].end : words[first].start] if first else ""
        if (
            not first
            or re.search(r"[.:;!?]", before)
            or (
                words[first - 1].folded in _CHILD_WORDS
                and _joined(text, words[first - 1], words[first])
            )
        ):
            for n in run:
                marked[n] = True


# "9 enfants dont X (3 ans)", "5 children including X (2 yrs)": one of the children named.
_AMONG = _split("dont including incluido incluida incluidos entre")


def _children_among(words: list[_Word], k: int) -> bool:
    """Word k follows "children including", "enfants dont"."""
    return k >= 2 and words[k - 1].folded in _AMONG and words[k - 2].folded in _LIST_WORDS


def _first_of_two(word: _Word) -> bool:
    """A lower-case word before a name and its age: a first name, unless a list holds it as
    one of the ordinary words of our languages ("grâcia" is also "grace")."""
    folded = word.folded
    return _lower_case_unknown(word) or (
        not word.capital
        and word.text.isalpha()
        and len(folded) >= 4
        and folded not in _ordinary()
        and folded not in _COMMON
        and folded not in _RELATION_WORDS
        and folded not in _CHILD_WORDS
        and not _VERB_ENDING.search(folded)
    )


# A committee's members after their roles: "chairman X Y, secretary Z", "shugaba X, sakatare
# Y, ma'aji Z", "mwenyekiti X, katibu Y", "présidente X, trésorier Y".
_ROLES = _split("""chairman chairwoman chairperson chair secretary treasurer vice-chair
président présidente secrétaire trésorier trésorière vice-président vice-présidente
presidente secretario secretaria tesorero tesorera vocal
mwenyekiti katibu mhazini mweka shugaba sakatare ma'aji maaji""")


def _committee_roles(text: str, words: list[_Word], marked: list[bool]) -> None:
    """Up to three capitalised words that may be names right after a committee's role, to
    the comma: the members of a committee, named in a list."""
    for i, word in enumerate(words[:-1]):
        if word.folded not in _ROLES:
            continue
        k = i + 1
        while (
            k < len(words)
            and k - i <= 3
            and _joined(text, words[k - 1], words[k])
            and words[k].capital
            and _name_shaped(words[k])
            and not (_everyday_word(words[k].folded) and words[k].folded not in _name_list())
        ):
            marked[k] = True
            k += 1


# A person before a relative, a role or a nasab in brackets: "X Y (père)", "X(our block
# leader)", "X (ɗan Y)", "X (son of Y)".
_KIN_OR_ROLE = (
    r"father|mother|husband|wife|son|daughter|brother|sister|uncle|aunt|grandmother|grandfather|"
    r"grandma|grandpa|widow|guardian|caregiver|leader|chief|chairman|secretary|neighbou?r|"
    r"landlord|père|mère|mari|épouse|fils|fille|frère|sœur|soeur|oncle|tante|grand-mère|"
    r"grand-père|tuteur|tutrice|voisin|voisine|chef|padre|madre|esposo|esposa|marido|hijo|hija|"
    r"hermano|hermana|tío|tía|abuela|abuelo|vecino|vecina|líder|lider|mume|mke|kaka|dada|"
    r"mjomba|shangazi|jirani|kiongozi|mwenyekiti|uba|uwa|miji|mata|kawu|inna"
)
_NASAB_BRACKETED = (
    r"ɗan|dan|ɗiyar|diyar|'yar|bin|binti|bint|ibn|ould|mint|son\s+of|daughter\s+of|fils\s+de|"
    r"fille\s+de|hijo\s+de|hija\s+de"
)
_PERSON_BRACKETS = re.compile(
    rf"\s*\(\s*(?:(?:[^\W\d_][\w'’-]*\s+){{0,2}}(?i:{_KIN_OR_ROLE})\s*\)"
    rf"|(?i:{_NASAB_BRACKETED})\s+[A-ZÀ-ÝƁƊƘƳ])"
)


# "X et Y (jumeaux, 4 ans)": twins, named before; their names may be ordinary words.
_TWINS_BRACKETS = re.compile(
    r"\s*\(\s*(?i:jumeaux|jumelles|twins|gemelos|gemelas|cuates|morochos|mapacha|tagwaye)\b"
)


def _twins_before_brackets(text: str, words: list[_Word], marked: list[bool]) -> None:
    """The two capitalised words joined by "and" before "(twins, …)": both are names."""
    for i in range(2, len(words)):
        pair = (words[i - 2], words[i])
        if (
            _TWINS_BRACKETS.match(text, words[i].end)
            and words[i - 1].folded in _AND_WORDS
            and all(w.capital and not _is_title(w) for w in pair)
        ):
            marked[i - 2] = marked[i] = True


# "la X (Eucaris Zuleta)", "el X (…)": a nickname with its article, the full name after it.
_NICKNAME_ARTICLES = _split("la el le the")


def _nickname_before_full_name(text: str, words: list[_Word], marked: list[bool]) -> None:
    """A capitalised word after an article in lower case, right before brackets that open
    with two names found, is what the person is called."""
    if "(" not in text:
        return
    for i in range(1, len(words) - 2):
        word = words[i]
        if (
            word.capital
            and words[i - 1].text in _NICKNAME_ARTICLES
            and text[word.end : words[i + 1].start] == " ("
            and marked[i + 1]
            and marked[i + 2]
            and _joined(text, words[i + 1], words[i + 2])
            and not _is_title(word)
        ):
            marked[i] = True


def _person_before_brackets(text: str, words: list[_Word], marked: list[bool]) -> None:
    """Up to three capitalised words that may be names right before a relative, a role or a
    nasab in brackets: a person, though a place's rule kept them ("Appel de X Y (père)")."""
    if "(" not in text:
        return
    _twins_before_brackets(text, words, marked)
    for i, word in enumerate(words):
        if not _PERSON_BRACKETS.match(text, word.end):
            continue
        k = i
        while (
            k >= 0
            and i - k < 3
            and words[k].capital
            and not _is_title(words[k])
            and words[k].folded not in _COMMON
            and _name_shaped(words[k])
            and (k == i or _joined(text, words[k], words[k + 1]))
        ):
            marked[k] = True
            k -= 1


# A person's sex and age in brackets: "(m, 61)", "(F 24)", "(femme, 30)", "(namiji, 45)".
_SEX_AND_AGE = re.compile(
    r"\s*\(\s*(?i:m|f|h|male|female|man|woman|homme|femme|hombre|mujer|mwanamume|mwanamke|"
    r"me|ke|namiji|mace)\s*[,/]?\s*\d{1,3}\s*(?i:y|yo|yrs|ans|años|miaka|shekara)?\s*\)"
)


# A bare age in brackets: "(52)", "(61 ans)", "(miaka 40)".
_BARE_AGE = re.compile(
    r"\s*\(\s*(?i:miaka\s+|shekara\s+)?[\d\u0660-\u0669]{1,3}"
    r"\s*(?i:yrs?|yo|years|ans|años)?\s*\)"
)
# Who a family list names first: a relative, a head of household ("head", "chef", "jefa",
# "mkuu wa kaya", "maigida").
_HEAD_WORDS = frozenset(
    {_fold(w) for w in _KIN_OR_ROLE.split("|")}
    | _RELATION_WORDS
    | _split("head jefa jefe cheffe kaya maigida")
)


def _lower_case_after_head_before_age(text: str, words: list[_Word], marked: list[bool]):
    """ "head x y (52), wife z", "chef x y (61)": up to three words in lower case that no
    vocabulary knows or a name list holds, between a relative or a head of household and
    an age in brackets, are that person's name."""
    if "(" not in text:
        return
    swahili = _swahili(words)
    for i, word in enumerate(words):
        if not _BARE_AGE.match(text, word.end):
            continue
        run = []
        for k in range(i, max(-1, i - 3), -1):
            known = not words[k].capital and words[k].folded in _name_list()
            if not (known or _lower_case_unknown(words[k], swahili)) or (
                k < i and not _joined(text, words[k], words[k + 1])
            ):
                break
            run.append(k)
        first = run[-1] if run else 0
        if run and first and words[first - 1].folded in _HEAD_WORDS:
            for k in run:
                marked[k] = True


def _lower_case_before_sex_and_age(text: str, words: list[_Word], marked: list[bool]) -> None:
    """ "head x y (m, 61)": up to three words in lower case that no vocabulary knows, right
    before a sex and an age in brackets, are the person's name (only people have both)."""
    if "(" not in text:
        return
    for i, word in enumerate(words):
        if not _SEX_AND_AGE.match(text, word.end):
            continue
        k = i
        while (
            k >= 0
            and i - k < 3
            and _lower_case_unknown(words[k], _swahili(words))
            and (k == i or _joined(text, words[k], words[k + 1]))
        ):
            marked[k] = True
            k -= 1


# "kavira's mother", "Kamau's wife": a word with "'s" before a relative is whose.
_KIN_AFTER_POSSESSIVE = _split("""
mother father wife husband son sons daughter daughters brother brothers sister sisters child
children kids baby family mum mom dad uncle aunt grandmother grandfather widow cousin
""")


def _possessive_kin(text: str, words: list[_Word], marked: list[bool]) -> None:
    """A word with "'s" before "mother", "wife", "children": a person's name, in lower case
    too, when no vocabulary holds the word ("the doctor's wife" is no name)."""
    if not any(a + "s " in text for a in _APOSTROPHES):
        return
    for i in range(len(words) - 2):
        word, s, kin = words[i], words[i + 1], words[i + 2]
        if (
            s.folded == "s"
            and s.start == word.end + 1
            and text[word.end] in _APOSTROPHES
            and kin.folded in _KIN_AFTER_POSSESSIVE
            and _joined(text, s, kin)
            and (
                _lower_case_unknown(word)
                or (word.capital and not word.initial and _name_shaped(word))
                or (word.capital and _unknown_anywhere(word))
            )
        ):
            marked[i] = True


def _latin_in_arabic(text: str, words: list[_Word], marked: list[bool]) -> None:
    """A message in Arabic script with a name in Latin letters: "المسجل Nabil Al-Qadasi".
    Capitalised Latin words there that no vocabulary knows, or listed names, are names, and
    "Al-"/"El-" before one goes with it; in lower case, such a word that looks like a name.
    Acronyms (MSF, UNHCR) are not."""
    if not _ARABIC_LETTER.search(text):
        return
    arabic = sum(_is_arabic(w.text) for w in words)
    if arabic * 2 <= len(words):
        return
    for i, word in enumerate(words):
        if _is_arabic(word.text) or word.text.isupper():
            continue
        if not word.capital:
            # "جارنا lokwang مريض": in lower case, a word no vocabulary knows that the model
            # of name shapes takes for a name.
            marked[i] = marked[i] or (
                _lower_case_unknown(word)
                and _looks_like_name(word.folded)
                and text[word.start - 1 : word.start] not in (".", "-", "_", "/", "@")  # ".ogg"
            )
            continue
        if word.folded in ("al", "el") and i + 1 < len(words):
            continue  # decided with the word after it
        if _is_known(word) is not None or _unknown_anywhere(word):
            marked[i] = True
            before = words[i - 1] if i else None
            if before is not None and before.folded in ("al", "el") and _joined(text, before, word):
                marked[i - 1] = True


def _arabic_name_runs(text: str, words: list[_Word], marked: list[bool]) -> None:
    """Arabic names of three and four parts: after a marked Arabic name, joined words that no
    vocabulary knows go on it ("شمسان عبده قاسم الحبيشي"); after "أنا", two such words
    are a name even with the ending of a verb ("أنا كاكا بولاما")."""
    if not _ARABIC_LETTER.search(text):
        return
    for i in range(1, len(words)):
        word, before = words[i], words[i - 1]
        if marked[i] or not _is_arabic(word.text) or not _joined(text, before, word):
            continue
        rare = _arabic_rank(word.folded) is None and len(word.folded) >= 3
        between = marked[i - 1] and i + 1 < len(words) and marked[i + 1]
        if (
            not (rare or (between and _arabic_word_not_name(word) is False))
            or any(
                f in _COMMON
                or f in _ARABIC_AFTER_PERSON
                or f in _ARABIC_KIN  # "وخالتي"
                or f in _ARABIC_COMPANIONS  # "ورفيقه": and his companion
                for f in _bare(word.folded)
            )
            or _dialect_word(word.folded)  # "عمّي X راح لـY": went
        ):
            continue
        nxt = words[i + 1] if i + 1 < len(words) else None
        if (
            marked[i - 1]
            and _is_arabic(before.text)
            and (nxt is not None and marked[i + 1] and _joined(text, word, nxt))
        ):
            marked[i] = True  # between two parts of a name
        elif (
            before.folded in _ARABIC_I_AM
            and nxt is not None
            and _is_arabic(nxt.text)
            and _joined(text, word, nxt)
            and (marked[i + 1] or _arabic_rank(nxt.folded) is None)
        ):
            marked[i] = marked[i + 1] = True


# What ends a sentence before a message's sign-off: ". Amarachi", "!\nOduya", " - Nuhu".
_SENTENCE_END = re.compile(r"[.!?…]\s+$|\n\s*$|\s[-–—]\s+$")


def _sign_off(text: str, words: list[_Word], marked: list[bool], kept: list[bool]) -> None:
    """ "…not found. Amarachi", "…cuatro cuatro. Franyer": a message that ends with one or
    two capitalised words alone in their sentence, that no vocabulary knows or that are
    names, is signed with them."""
    for length in (1, 2):
        if len(words) <= length:
            return
        last = words[-length:]
        before = words[-length - 1]
        if (
            _SENTENCE_END.search(text[before.end : last[0].start])
            and not any(c.isalnum() for c in text[last[-1].end :])  # "X🙏🏾", "X!!"
            and all(_joined(text, a, b) for a, b in zip(last, last[1:], strict=False))
            and all(w.capital and not kept[len(words) - length + k] for k, w in enumerate(last))
            and all(_is_known(w) == "strong" or _unknown_anywhere(w) for w in last)
            and not _cue_word(last[0], swahili=False)  # ". Sunana X.": "my name is", then X
        ):
            marked[-length:] = [True] * length
            return


def _name_spans(text: str, words: list[_Word], marked: list[bool]) -> list[Span]:
    """A span per marked word; an initial or an "N'" goes into the span of the word after
    it ("M. Fotsing", "N'Dakpri"), so that it is one name, not two."""
    spans: list[Span] = []
    for i, word in enumerate(words):
        if not marked[i]:
            continue
        if spans and i and marked[i - 1] and _prefix_of_next(text, words[i - 1], word):
            spans[-1] = Span(spans[-1].start, word.end, "name")
        else:
            spans.append(Span(word.start, word.end, "name"))
    return spans


def _prefix_of_next(text: str, before: _Word, word: _Word) -> bool:
    """One letter and a full stop, or "N'", "M'", just before `word`."""
    gap = text[before.end : word.start]
    return len(before.text) == 1 and (gap == ". " or (len(gap) == 1 and gap in _APOSTROPHES))


# Words of a message that is not French, where "M." before a name is an initial ("la
# trabajadora M. Xicara… el teléfono"), not "Monsieur".
_NOT_FRENCH_WORDS = _split("el los las del y que con por una the and is was of to na ni wa da ta")


def _monsieur(words: list[_Word], i: int) -> bool:
    """ "M. Ebongue refuse": M. is "Monsieur", a title that stays, unless the message is
    plainly in another language."""
    return words[i].text == "M" and not any(w.folded in _NOT_FRENCH_WORDS for w in words)


def _initials(text: str, words: list[_Word], marked: list[bool], kept: list[bool]) -> None:
    """ "A. Tesfaldet", "J. Awut", "أ. القباني": one letter and a full stop before a
    capitalised word no vocabulary knows, or before a name, are a name with its initial."""
    for i in range(len(words) - 1):
        initial, word = words[i], words[i + 1]
        if (
            len(initial.text) == 1
            and (initial.text.isupper() or _is_arabic(initial.text))
            and not _monsieur(words, i)
            and text[initial.end : word.start] == ". "
            and not kept[i + 1]
            and (
                marked[i + 1]
                or _unknown_anywhere(word)
                or (_is_arabic(word.text) and _arabic_word_not_name(word) is False)
                or (_is_arabic(word.text) and word.folded.startswith("ال") and len(word.folded) > 4)
            )
        ):
            marked[i] = marked[i + 1] = True


# Arabic articles and particles written joined to a name by a hyphen: "El-Mekhaitir".
_HYPHEN_PREFIXES = _split("el al ul ould ben bin ibn abu abou ag")


def _elided_prefixes(text: str, words: list[_Word], marked: list[bool]) -> None:
    """ "N'Dakpri", "M'Bala": the "N'" of a name goes with it, and so does an article or
    particle joined to it by a hyphen ("El-Mekhaitir", "Ould-Sidi")."""
    for i in range(1, len(words)):
        before = words[i - 1]
        if not marked[i] or before.end + 1 != words[i].start:
            continue
        if (before.text in ("N", "M", "O", "D") and text[before.end] in _APOSTROPHES) or (
            before.capital and before.folded in _HYPHEN_PREFIXES and text[before.end] == "-"
        ):
            marked[i - 1] = True


def _phrase_at(words: list[_Word], i: int, phrases: dict) -> int:
    """The length in words of the longest phrase starting at word i, or 0."""
    best = 0
    for phrase in phrases.get(words[i].folded, ()):
        if tuple(w.folded for w in words[i : i + len(phrase)]) == phrase:
            best = max(best, len(phrase))
    return best


# "بطاقة باسم التومة الكباشي": a card in the name of… The word after it is also "with a
# name" ("باسم مستعار", with a pseudonym): only a name, or a word no vocabulary knows.
_IN_THE_NAME_OF = _by_first_word(_phrase(p) for p in "باسم|بإسم|بأسم|على اسم".split("|"))


def _in_the_name_of(words: list[_Word], j: int) -> bool:
    word = words[j]
    return (
        _is_arabic(word.text)
        and (_is_known(word) == "strong" or _arabic_rank(word.folded) is None)
        and word.folded not in _ARABIC_KIN
    )


# "as": between "signs" or "called" and the name.
_AS = _split("como comme as kama")


def _after_context(text: str, words: list[_Word], marked: list[bool]) -> None:
    for i in range(len(words)):
        length = (
            _phrase_at(words, i, _NAME_CONTEXT),
            _phrase_at(words, i, _STRONG_CONTEXT),
            _phrase_at(words, i, _WEAK_CONTEXT),
        )
        j = i + (max(length) or (_phrase_at(words, i, _IN_THE_NAME_OF)))
        if max(length) and j + 1 < len(words) and words[j].folded in _AS:
            j += 1  # "firma como X", "signé comme X", "known as X"
        if (
            j == i
            or j >= len(words)
            or (words[j].folded in _COMMON and not (length[0] and words[j].capital))
            or words[j].folded in _ARABIC_KIN  # "باسم زوجي مريود": in my husband's name
            or (_is_title(words[j]) and text[words[j].end : words[j].end + 1] == ".")
        ):  # "Mi nombre es Ana", though "ana" is a word; "Llamada: Sra. X": the title
            continue
        if not _joined_loose(text, words[j - 1], words[j]):
            continue
        if not max(length):  # "باسم التومة": in the name of; not "باسم مستعار" (a pseudonym)
            if _in_the_name_of(words, j):
                marked[j] = True
            continue
        word, known = words[j], _is_known(words[j])
        shaped = word.capital or _is_arabic(word.text)
        if not shaped and (word.folded in _SAID or word.folded in _ONE_NEXT):
            continue  # "the sister said no drugs": "said" is a verb here
        if (
            (length[0] and not word.text.isdigit())
            or (length[1] and (shaped or known))
            or (known == "strong" or (known and shaped))
        ):
            marked[j] = True
            if length[0] and not word.capital:
                _lower_case_named_rest(text, words, marked, j)
            elif length[0] and not _is_arabic(word.text):
                _capitalised_rest(text, words, marked, j)


def _capitalised_rest(text: str, words: list[_Word], marked: list[bool], j: int) -> None:
    """ "me llamo Ruddy Laguna Sequeira": after "my name is" and a capitalised name, the two
    capitalised words that go on it are more of it, ordinary words too ("Laguna")."""
    for k in range(j + 1, min(j + 3, len(words))):
        word = words[k]
        if not (
            word.capital
            and word.text.isalpha()
            and not _is_arabic(word.text)
            and _joined(text, words[k - 1], word)
            and word.folded not in _COMMON
            and not _is_title(word)
        ):
            return
        marked[k] = True


def _lower_case_rest(text: str, words: list[_Word], marked: list[bool], j: int) -> None:
    """After "my name is" and a name in lower case, the next word in lower case is more of it
    ("jina langu ni chelimo kiprotich"), and the word after a particle ("binti rajabu")."""
    k = j + 1
    if k >= len(words) or not _joined(text, words[j], words[k]):
        return
    if words[k].folded in _PARTICLES:  # "binti rajabu"; not "sr. sicán de la junta"
        after = words[k + 1] if k + 1 < len(words) else None
        if (
            after is not None
            and _joined(text, words[k], after)
            and not (
                after.folded in _COMMON
                or after.folded in _TITLES
                or _swahili_verb_shape(after.folded)
                or (_everyday_word(after.folded) and after.folded not in _name_list())
                # "moi c foromo de Yomou": a capital after a name in lower case is a
                # place's, where one is from
                or (words[k].folded in _FROM and after.capital)
            )
        ):
            marked[k] = marked[k + 1] = True
    elif _more_lower_case_name(words[k]):
        marked[k] = True


def _lower_case_named_rest(text: str, words: list[_Word], marked: list[bool], j: int) -> None:
    """After "me llamo" and a name in lower case, two more lower-case words go on it when no
    vocabulary knows them as ordinary words, a town's name too ("me llamo X chiquinquirá Y")."""
    _lower_case_rest(text, words, marked, j)
    for k in range(j + 1, min(j + 3, len(words))):
        word = words[k]
        if not _joined(text, words[k - 1], word):
            return
        # "-ez" ends Spanish surnames as well as French verbs: at the phrase's end, a name
        ez = text[word.end : word.end + 1] in ("", ",", ".", ";")
        if not marked[k] and not (
            _lower_case_surname(word, ez) and not _swahili_verb_shape(word.folded)
        ):
            return
        marked[k] = True


# Requests written short in chat ("porfa", "xfa": please), never more of a name.
_CHAT_REQUESTS = _split("pls plz pliz porfa porfis xfa xfavor pfv svp stp asap")


def _lower_case_surname(word: _Word, ez: bool = False) -> bool:
    """A lower-case word that no list knows as an ordinary word or a verb's form (`ez`: the
    ending "-ez" is a surname's)."""
    folded = word.folded
    return (
        not word.capital
        and word.text.isalpha()
        and not _is_arabic(word.text)
        and len(folded) >= 3
        and folded not in _COMMON
        and folded not in _TITLES
        and folded not in _ordinary()
        and (folded not in _vocabulary() or folded in _name_list())
        and folded not in _RELATION_WORDS
        and folded not in _DIGIT_WORDS
        and folded not in _CHAT_REQUESTS
        and not (_VERB_ENDING.search(folded) and not (ez and folded.endswith("ez")))
    )


def _more_lower_case_name(word: _Word) -> bool:
    """A word in lower case that may go on a name: not a verb ("naomba", I ask; "anauza",
    she sells), not an ordinary word unless it is also a name ("hana" is "he has not")."""
    return not (
        word.capital
        or _is_arabic(word.text)
        or word.folded in _COMMON
        or word.folded in _TITLES
        or word.folded in _CHAT_REQUESTS  # "me llamo x porfa ayuda"
        or _swahili_verb_shape(word.folded)
        or (not _lower_case_unknown(word) and word.folded not in _name_list())
    )


# "haina", "halina", "hakuna", "hawana": "has not", for every class of noun.
_SWAHILI_HAS_NOT = re.compile(r"ha(?:i|zi|li|ya|ki|vi|u|ku|pa|wa|tu|m)?na")


# A Swahili infinitive with an object or "self": "kujifungua" (to give birth), "kumsaidia".
_SWAHILI_INFINITIVE = re.compile(r"ku(?:ji|mw|m|wa|ni|tu|ki|vi|zi|li|ya)[a-z]{3,}a")


def _swahili_verb_shape(folded: str) -> bool:
    """A Swahili verb with its subject and tense, or "has not", or an infinitive with its
    object (not a listed name of that shape: "Kumwenda")."""
    return any(
        shape.fullmatch(folded)
        for shape in (_SWAHILI_VERB, _SWAHILI_HE_SHE, _SWAHILI_NOT_ONE, _SWAHILI_HAS_NOT)
    ) or (_SWAHILI_INFINITIVE.fullmatch(folded) is not None and folded not in _name_list())


def _joined_loose(text: str, left: _Word, right: _Word) -> bool:
    """After "my name is": spaces, a colon or a dash may come before the name."""
    return text[left.end : right.start].strip(" :,-–") == "" and right.start - left.end <= 4


def _is_title(word: _Word) -> bool:
    if _is_arabic(word.text):
        return any(f in _TITLES for f in _bare(word.folded))
    return word.folded in _TITLES


def _after_titles(text: str, words: list[_Word], marked: list[bool]) -> None:
    for i in range(len(words) - 1):
        title, word = words[i], words[i + 1]
        # "M. Al-Wardani", "Dr. El Amrani", "Sr. De la Cruz": a particle first, then the name.
        if (
            word.folded in _PARTICLES
            and (word.capital or word.folded in _SURNAME_PARTICLES)
            and i + 2 < len(words)
            and _joined(text, word, words[i + 2])
            and words[i + 2].capital
            and words[i + 2].folded not in _COMMON
            and (
                _is_title(title)
                and _joined_loose(text, title, word)
                or _abbreviated_title(text, title, word)
            )
        ):
            marked[i + 1] = marked[i + 2] = True
            continue
        if (
            (
                _is_title(title)
                and _joined_loose(text, title, word)
                or _abbreviated_title(text, title, word)
            )
            and (word.capital or _is_arabic(word.text))
            and word.folded not in _COMMON
            and not _is_title(word)
            and not _shouted_word(word)
            and not _of_the(title, word)
            and not _arabic_frequent(word)
            and not (_everyday_after_title(word) and title.folded not in _EUROPEAN_TITLES)
        ):
            marked[i + 1] = True


def _arabic_title_full_name(text: str, words: list[_Word], marked: list[bool]) -> None:
    """ "السيدة الزهرة امبيركات (مواليد …)": after a title, two words the second of which no
    vocabulary knows, before a bracket, a comma or the end, are a full name even when the
    first is also a word ("الزهرة": the flower)."""
    if not _ARABIC_LETTER.search(text):
        return
    for i in range(len(words) - 2):
        title, first, second = words[i], words[i + 1], words[i + 2]
        if not (_is_arabic(title.text) and _is_arabic(second.text) and _is_title(title)):
            continue
        end = words[i + 3].start if i + 3 < len(words) else len(text)
        if (
            _joined(text, title, first)
            and _joined(text, first, second)
            and text[second.end : end].strip()[:1] in ("", "(", "،", ",", ".")
            and _arabic_rank(second.folded) is None
            and not second.folded.startswith(("ي", "ت"))
            and not any(
                f in _COMMON or f in _ARABIC_AFTER_PERSON for f in (first.folded, second.folded)
            )
            # "مدرسة الشيخ X السورية": a nationality says of what, not who
            and not any(f in _arabic_nationalities() for f in _bare(second.folded))
            and not _in_a_town(second.folded)  # "عيادة الدكتور X بالمنيا"
            and not _is_title(first)
        ):
            marked[i + 1] = marked[i + 2] = True


# "دكتور أطفال" is a children's doctor, "طبيبة نسائية" a gynaecologist.
_ARABIC_SPECIALTIES = _split("أطفال اطفال أسنان اسنان عيون نسائية نساء عظام باطنية جلدية قلب")


# Titles of French, Spanish and English only: after them a Swahili or Hausa word is a
# name ("pas Mme Haba": "haba" is "few" in Swahili).
_EUROPEAN_TITLES = _split("mme madame mlle mademoiselle monsieur mr mrs ms miss sra señora doña")


def _everyday_after_title(word: _Word) -> bool:
    """A Swahili or Hausa word no list holds as a name: "Babu Ruwa" is "no water" in Hausa,
    not "grandfather Ruwa"."""
    return word.folded in _everyday_written() and not _is_known(word)


# "Of" as spoken Arabic says it: "حق" (Yemen, the Gulf), "تبع" (the Levant), "بتاع"
# (Egypt, Sudan), "ديال" (Morocco), "متاع" (Tunisia, Libya).
_ARABIC_OF = _split("حق حقت حقة تبع تبعت تبعة بتاع بتاعت بتاعة ديال ديالت متاع متاعت")


def _arabic_frequent(word: _Word) -> bool:
    """An Arabic verb or adjective after a title: a listed one, or a frequent word shaped as
    a verb: "الممرضة قالت" (the nurse said); but "الحاج سالم", "الحاج صديق النور"."""
    folded = word.folded
    if not _is_arabic(word.text) or _is_known(word):
        return False
    if (
        folded in _ARABIC_AFTER_PERSON
        or folded in _ARABIC_T_VERBS
        or folded in _ARABIC_SAID
        or folded in _ARABIC_SPECIALTIES
        or folded in _spoken_words()  # "والمعلم بياخد": the boss takes
    ):
        return True
    if len(folded) >= 4 and folded.endswith(("ه", "ها", "هم", "ني", "كم")):
        return True  # "مهندس يصلحه": an engineer to mend it
    if len(folded) >= 5 and folded.startswith(("ي", "ت", "ن")) and folded.endswith("نا"):
        return True  # "الدكتور يشوفنا": the doctor sees us
    if folded in _ARABIC_OF:
        return True  # "الشيخ حق المخيم": the camp's sheikh
    rank = _arabic_rank(folded)
    if rank is not None and rank < _ARABIC_RARE and _participle_shape(folded):
        return True  # "الأب مصمم" (the father is set on it), "الدكتور مسافر"
    return (
        rank is not None
        and rank < _ARABIC_FREQUENT
        and (folded.startswith(("ي", "ت")) or folded.endswith(("ت", "وا", "ون")))
    )


def _participle_shape(folded: str) -> bool:
    """ "مصمم", "مسافر", "مفقودة": a participle of four or five letters ("م" first), with
    "ة" after it too; a word of the vocabulary of this shape says how a person is. Not
    "مح…": "محسن", "محمود" are names as often as words."""
    stem = folded.removesuffix("ة")
    return stem.startswith("م") and 4 <= len(stem) <= 5 and not stem.startswith("مح")


# Titles written short with a full stop: "M. Tchakounté" (monsieur), "Dr. Kizito", "Sra. Ccori".
_SHORT_TITLES = _split(
    "m mr mrs ms mme mlle dr dre dra prof rev fr sr sra srta lic ing hon eng "
    "capt sgt mgr dkt mhe bi bw"
)


def _abbreviated_title(text: str, title: _Word, word: _Word) -> bool:
    """A capitalised short title, a full stop, a space, then the name: "M. Fotsing".
    Written whole ("the doctor. Amina came"), a title before a full stop is no sign."""
    return (
        title.folded in _SHORT_TITLES
        and title.capital
        and text[title.end : word.start] in (". ", ".\u00a0")
    )


def _of_the(title: _Word, word: _Word) -> bool:
    """ "شيخ الحلة", "مختار القرية": an Arabic title without "ال" before an "ال" word is
    "the sheikh of the quarter", not a title before a name."""
    return (
        _is_arabic(word.text)
        and word.folded.startswith("ال")
        and not any(f.startswith("ال") for f in _bare(title.folded) if f in _TITLES)
    )


def _kunyas(text: str, words: list[_Word], marked: list[bool]) -> None:
    """ "أبو سامر", "أم خليل" (father, mother of): both words. "أم" is also "or", so after it
    only a known name counts. "عبد" before an "ال" word is one name: "عبد الرحيم"."""
    for i in range(len(words) - 1):
        first, second = words[i], words[i + 1]
        if (
            not (_is_arabic(second.text) and _joined(text, first, second))
            or second.folded in _COMMON
        ):
            continue
        kunya = _KUNYA_FORMS.intersection(_bare(first.folded))
        if _kunya_introduced(words, i, marked):
            marked[i + 1] = True  # "أم" alone says nothing of who
        elif (
            kunya
            and not second.folded.startswith("ال")
            and (
                _is_known(second) or first.folded == "ابو" or _arabic_word_not_name(second) is False
            )
        ):
            # "الأم كفاح" is "the mother, Kifah": with the article, no kunya but a name.
            marked[i] = marked[i] or not first.folded.startswith(_ARTICLE_FORMS)
            marked[i + 1] = True
        elif (
            first.folded in ("عبد", "وعبد")
            and second.folded.startswith("ال")
            and len(second.folded) > 3
        ):
            marked[i] = marked[i + 1] = True
            # "عبد الباقي الزين": an "ال" word after the whole given name is a family name.
            if (
                i + 2 < len(words)
                and _joined(text, second, words[i + 2])
                and words[i + 2].folded.startswith("ال")
                and len(words[i + 2].folded) > 3
                and words[i + 2].folded not in _COMMON
            ):
                marked[i + 2] = True


_ARTICLE_FORMS = ("ال", "وال", "فال", "بال", "كال")
# "أنا أم X", "معك أبو X": who speaks says their kunya, "ال" word and all.
_I_AM_ARABIC = _split("أنا انا معك معكم اسمي")


# A kunya in Latin letters, written fast in lower case: "the bakery of abu x".
_LATIN_KUNYA = _split("abu abou umm oum")


def _lower_case_kunya(text: str, words: list[_Word], marked: list[bool]) -> None:
    """After "abu" or "umm" in lower case, a lower-case word no list knows is the name."""
    if "abu " not in text and "abou " not in text and "umm " not in text and "oum " not in text:
        return
    for i in range(len(words) - 1):
        first, second = words[i], words[i + 1]
        if (
            first.folded in _LATIN_KUNYA
            and not first.capital
            and _joined(text, first, second)
            and _unlisted_lower(second)
            and not _VERB_ENDING.search(second.folded)
        ):
            marked[i + 1] = True


def _kunya_introduced(words: list[_Word], i: int, marked: list[bool]) -> bool:
    """ "أنا أم الوليد", "معك أبو الفضل X": a kunya said by the writer of themself, or
    before a name, with an "ال" word that is no kin ("أنا أم الأولاد" stays)."""
    first, second = words[i], words[i + 1]
    return (
        first.folded in _KUNYA
        and second.folded.startswith("ال")
        and second.folded not in _ARABIC_MEMBERS
        and len(second.folded) > 3
        and (
            (i > 0 and words[i - 1].folded in _I_AM_ARABIC)
            or (i + 2 < len(words) and marked[i + 2])
        )
    )


def _capitalised_pairs(text: str, words: list[_Word], marked: list[bool]) -> None:
    """A capitalised name that is also a word, then a capitalised word that is no ordinary
    word: "Mercy Atuhaire", "Furaha Nduta" (even first in a sentence)."""
    for i in range(len(words) - 1):
        first, second = words[i], words[i + 1]
        if (
            first.capital
            and second.capital
            and not second.initial
            and _is_known(first) == "weak"
            and first.folded not in _LOCATIVES  # "Huko Dagahaley": there, in X
            and _joined(text, first, second)
            and not second.text.isupper()
            and second.folded not in _COMMON
            and not _is_title(second)
            and _is_known(second) != "weak"
        ):
            marked[i] = marked[i + 1] = True


# -- Names in no list: self-introductions, unknown capitalised pairs, Arabic relatives ------

# "I am Tsegay", "Soy Wilfrido", "ni ce Fatsuma": a capitalised word after them that is no
# ordinary word ("I am Kenyan", "Soy maestra", "je suis Congolaise") is a name.
_INTRODUCTIONS = _by_first_word(
    _phrase(p) for p in "i am|i'm|im|je suis|soy|yo soy|mimi ni|ni mimi|ni ce|ni ne".split("|")
)
# "آني" is Iraqi "I" ("آني X من الشرقاط"); without its madda it is also "إني", "أني".
_ARABIC_I_AM = _split("أنا انا آني وأنا وانا")
# Ordinary words that follow "أنا" or a relative ("زوجتي مريضة"): Arabic has no capitals
# to tell them from a name, so these and the shapes in `_arabic_word_not_name` are left.
_ARABIC_AFTER_PERSON = _split("""
سوري سورية عراقي عراقية سوداني سودانية فلسطيني فلسطينية لبناني لبنانية يمني يمنية
مصري مصرية ليبي ليبية صومالي صومالية أردني أردنية اردني اردنية مغربي مغربية جزائري
لاجئ لاجئة لاجئين نازح نازحة مهجر مهجرة مواطن مواطنة مسلم مسلمة مسيحي مسيحية
معلم معلمة مدرس مدرسة طالب طالبة ممرض ممرضة طبيب طبيبة عامل عاملة مزارع مزارعة سائق
تاجر تاجرة خياط خياطة ربة موظف موظفة متطوع متطوعة أرملة ارملة مطلقة مطلق متزوج متزوجة
عاطل عاطلة عاجز عاجزة
متوفى متوفي متوفاة متوفية مفقود مفقودة غائب غايب غائبة مختفي مختفية معتقل معتقلة
أم ام أب اب أخ اخ أخت اخت امرأة رجل شاب شابة فتاة بنت ولد طفل طفلة وحيد وحيدة يتيم يتيمة
مريض مريضة حامل معاق معاقة مصاب مصابة جريح جريحة مسن مسنة كبير كبيرة صغير صغيرة
مواليد مواليده مواليدها
سعيدة حزين حزينة خائف خائفة تعبان تعبانة متعب متعبة جائع جائعة عطشان عطشانة فقير فقيرة
محتاج محتاجة بحاجة بخير هنا هون كمان كذلك أيضا ايضا والله لست لسنا مش مو ما لا لم لن
قد كنت صرت لدي عندي معي من في إلى الى على عن مع منذ عند بعد قبل الآن الان اليوم دائما
مات ماتت توفي توفيت قتل قتلت خطف خطفت فقد فقدت ذهب ذهبت سافر سافرت رجع رجعت عاد عادت
ترك تركت كان كانت صار صارت ولد ولدت غادر غادرت هرب هربت سجن سجنت اعتقل اعتقلت اختفى
اختفت أصيب اصيب أصيبت اصيبت بقي بقيت نام نامت عمره عمرها عنده عندها معه معها وحده
وحدها أكبر اكبر أصغر اصغر الكبير الصغير الكبرى الصغرى الوحيد الوحيدة
ساكن ساكنة ساكنين عايش عايشة عايشين قاعد قاعدة قاعدين مقيم مقيمة بالغ بالغة
""")
_ARABIC_KIN = _split("""
ابني ابنتي بنتي أخي اخي أختي اختي زوجي زوجتي جاري جارتي جارنا جارتنا صديقي صديقتي
أمي امي أبي ابي عمي خالي عمتي خالتي حفيدي حفيدتي زميلي زميلتي جدي جدتي خطيبي خطيبتي
حماتي حماي صاحبي صاحبتي رفيقي رفيقتي
خويا خوي أخوي اخوي ختي خيتي بتي ولدي راجلي رجلي مرتي مراتي جوزي ابوي امايا حبوبتي ولدو بتو خيي
أخوه اخوه أخته اخته ابنه ابنها بنته بنتها عمه عمها خاله خالها زوجها زوجته أمه امه أمها امها
أبوه ابوه أبوها ابوها جده جدها جدته جدتها
الطفل الطفلة القاصر القاصرة الصبي الفتاة
مرته مرتو رجلها راجلها جوزها
يدتي خواتي اخواتي أخواتي اخواني إخواني بنيتي""")
# Spoken kin (Maghreb, Sudan, Egypt: "خويا", "بتي", "راجلي", "جوزي"; the Gulf's "يدتي", my
# grandmother), sisters and brothers ("خواتي X وY"), and "his", "her" kin ("عمه X": his
# uncle X).
# "شكراً أفنان": thanks, then the one thanked.
_ARABIC_THANKS = _split("شكرا شكراً مشكور مشكورة")


# Endings of adjectives and nouns, not of names: "Grateful", "Waiting", "Congolaise".
_ORDINARY_ENDING = re.compile(
    r"(?:ful|less|ous|ive|able|ible|ness|ment|tion|sion|ing|ied"
    r"|euse|eux|ienne|aise|ement|cion|mente|oso|osa|ista)$"
)


def _ordinary_ending(folded: str) -> bool:
    """An ending of `_ORDINARY_ENDING`; "-ing" only on a word or a stem a vocabulary knows
    ("waiting", "running", "styling"), since names end so too ("Heyling", "Fotsing")."""
    if not _ORDINARY_ENDING.search(folded):
        return False
    if not folded.endswith("ing"):
        return True
    stem, vocabulary = folded[:-3], _vocabulary()
    return (
        folded in vocabulary
        or stem in vocabulary
        or stem + "e" in vocabulary
        or (len(stem) > 2 and stem[-1] == stem[-2] and stem[:-1] in vocabulary)
        or (stem.endswith("y") and stem[:-1] + "ie" in vocabulary)
    )


# "IDPs", "NGOs", "CHWs": an acronym with a plural "s" is no name.
_ACRONYM_PLURAL = re.compile(r"[A-Z]{2,}s")


def _unknown_capitalised(word: _Word) -> bool:
    """A capitalised word in Latin letters that no list knows as an ordinary word."""
    return (
        word.capital
        and not _is_arabic(word.text)
        and len(word.folded) >= 3
        and not (word.text.isupper() and len(word.text) > 1)
        and not (word.text[1:2].isupper() and _ACRONYM_PLURAL.fullmatch(word.text))
        and word.folded not in _ordinary()
        and word.folded not in _demonyms()  # "Angolan", "Tchadien"
        and not _ordinary_ending(word.folded)
    )


def _unknown_anywhere(word: _Word) -> bool:
    """A capitalised Latin word that no vocabulary, list of places or ordinary words has,
    whatever its ending ("Mbokoso" ends as a Spanish adjective does)."""
    folded = word.folded
    return (
        word.capital
        and not _is_arabic(word.text)
        and len(folded) >= 3
        and not word.text.isupper()
        and not any(folded in s for s in (_ordinary(), _vocabulary(), _gazetteer(), _everyday()))
    )


def _introductions(text: str, words: list[_Word], marked: list[bool]) -> None:
    """After "I am", "soy", "je suis", "mimi ni", "ni ce": a capitalised word that is no
    ordinary word. After "أنا": an Arabic word that is no ordinary word."""
    for i, word in enumerate(words):
        length = _phrase_at(words, i, _INTRODUCTIONS) or int(word.folded in _ARABIC_I_AM)
        j = i + length
        if (
            not length
            or j >= len(words)
            or marked[j]
            or not _joined_loose(text, words[j - 1], words[j])
        ):
            continue
        after = words[j]
        # Not one of a people: "Mimi ni Mzambia" (I am Zambian)
        if (_unknown_capitalised(after) and not _group_word(after)) or (
            word.folded in _ARABIC_I_AM
            and (
                _arabic_word_not_name(after) is False
                # "أنا الطريفي": a name with "ال" that no vocabulary knows at all
                or (_arabic_rank(after.folded) is None and _article_name(after.folded))
            )
        ):
            marked[j] = True


def _phrase_end_after(text: str, words: list[_Word], j: int) -> bool:
    """Word j ends its phrase: the text ends, or a comma, full stop or colon follows it."""
    if j + 1 >= len(words):
        return not text[words[j].end :].strip()[:1].isalnum()
    return text[words[j].end : words[j + 1].start].strip()[:1] in tuple(",.;:!?،؛")


def _unknown_arabic_name_word(folded: str) -> bool:
    """An Arabic word of four letters or more that no vocabulary or list has, in spoken
    spelling too: a final "ه" for "ة" is the word of that ending ("تعبانه" is "تعبانة",
    tired), so a name only when that word is unknown as well ("ختونه", "اسويدات")."""
    if len(folded) < 4 or folded.startswith(("ال", "و")) or _dialect_word(folded):
        return False
    forms = [folded] + ([folded[:-1] + "ة"] if folded.endswith("ه") else [])
    return all(
        _arabic_rank(f) is None and f not in _ARABIC_AFTER_PERSON and f not in _COMMON
        for f in forms
    ) and not any(f in _arabic_nationalities() for f in _bare(folded))


def _arabic_names_to_phrase_end(text: str, words: list[_Word], marked: list[bool]) -> None:
    """Spoken names the vocabulary's shapes take for inflected words ("ات", "ه" endings):
    after "اسمي", "باسم" and a name, a word no vocabulary knows that ends the phrase is its
    family name ("اسمي X اعليات،"); after "أنا", such a word before a comma and a word said
    of a person, or at the message's end, is a name ("أنا ختونه، أرملة")."""
    for i, word in enumerate(words[:-1]):
        j = i + 1
        after = words[j]
        if not _is_arabic(after.text) or not _joined_loose(text, word, after):
            continue
        first = i == 0 or _phrase_end_after(text, words, i - 1)
        if word.folded in _ARABIC_I_AM and first and not marked[j]:
            if not _unknown_arabic_name_word(after.folded) or not _phrase_end_after(text, words, j):
                continue
            follows = words[j + 1].folded if j + 1 < len(words) else ""
            if not follows or follows in _ARABIC_AFTER_PERSON:
                marked[j] = True
        elif (
            marked[i]
            and not marked[j]
            and i
            and (
                _phrase_at(words, i - 1, _NAME_CONTEXT) or _phrase_at(words, i - 1, _IN_THE_NAME_OF)
            )
            and (_unknown_arabic_name_word(after.folded) or _spoken_g_name(after.folded))
            and _phrase_end_after(text, words, j)
        ):
            marked[j] = True


# "My name is" in Arabic, whose words up to the comma are the whole name.
# Maghreb: "سميتي" (my name), "كنسمى" (I am called).
_ARABIC_MY_NAME = _split("اسمي واسمي اسمه واسمه اسمها واسمها سميتي سميتها كنسمى كيسمى كتسمى")


def _arabic_my_name_to_comma(text: str, words: list[_Word], marked: list[bool]) -> None:
    """ "اسمي X Y الZي، …": after "my name is" and a name, the words up to the comma, three
    at most, when the last is a family name ending in "ي" (a word said of a person, such as
    "مطلق", divorced, comes after the name, not before it) or a name found."""
    if "اسم" not in text:
        return
    for i in range(len(words) - 2):
        if words[i].folded not in _ARABIC_MY_NAME or not marked[i + 1]:
            continue
        ends = (
            j for j in range(i + 2, min(i + 5, len(words))) if _phrase_end_after(text, words, j)
        )
        end = next(ends, None)
        if end is None:
            continue
        last = words[end].folded
        nisba = last.startswith("ال") and last.endswith("ي") and len(last) >= 6
        rest = range(i + 2, end + 1)
        if all(
            _is_arabic(words[k].text)
            and _joined(text, words[k - 1], words[k])
            and words[k].folded not in _COMMON
            and (nisba or words[k].folded not in _ARABIC_AFTER_PERSON)
            for k in rest
        ) and (nisba or marked[end]):
            for k in rest:  # not "منت" (daughter of), which the name's words hold apart
                marked[k] = marked[k] or words[k].folded not in _ALL_PARTICLES | {"منت"}


def _spoken_g_name(folded: str) -> bool:
    """ "مطلگ": a word written with the spoken "گ" that no vocabulary holds as written (the
    spoken words read as "ق" are known only in that spelling)."""
    return "گ" in folded and not folded.startswith(("ال", "و")) and folded not in _arabic_ranks()


def _lower_case_after_cues(text: str, words: list[_Word], marked: list[bool]) -> None:
    """A name written in lower case: after "I am", "soy", "ni ce", "mimi ni" in any message
    ("ni ce hadiza"); in a message with no capitals but at its sentences' starts, also after
    a verb of contact or meeting or a relative ("i met zarghuna", "vi a yorbelis",
    "nilimwona syokau", "na ga iyami", "mi tío uscamayta quillahuaman"). The word, and the
    one after it, count when no list knows them as ordinary words in any of our languages."""
    lower = not any(w.capital and not w.initial for w in words if not _is_arabic(w.text))
    for i in range(len(words) - 1):
        length = _phrase_at(words, i, _INTRODUCTIONS)
        if lower and not length:
            length = (
                _contact_cue(words, i)
                or _phrase_at(words, i, _STRONG_CONTEXT)
                or int(_HAUSA_KIN.fullmatch(words[i].folded) is not None)
            )  # "kawuna danlami"
            # "mari mwen X": Creole's possessive after the relative ("mari" is French too)
            length = max(length, _phrase_at(words, i, _KIN_AFTER_PHRASES)) if length else 0
        elif not length and (words[i].folded in _RELATION_PHRASES or _hausa_kin(words[i].folded)):
            # In a message with capitals, a relative and a lower-case word no vocabulary
            # knows, alone at the end of its phrase: "ina neman dan uwana bukkar".
            length = _phrase_at(words, i, _RELATION_PHRASES) or int(
                _hausa_kin(words[i].folded) and _hausa(words)
            )
            end = i + length + 1
            if length and (
                end > len(words)
                or (
                    end < len(words)
                    and text[words[end - 1].end : words[end].start].strip()[:1]
                    not in tuple(",.;!?")
                    and not _is_next(text, words, end - 1)
                )
            ):
                length = 0
        j = i + length
        if (
            not length
            or j >= len(words)
            or not _joined_loose(text, words[j - 1], words[j])
            or not (
                _lower_case_unknown(words[j])
                or (_is_next(text, words, j) and _unlisted_lower(words[j]))
            )
            or _swahili_infinitive(words, j)
        ):
            continue
        marked[j] = True
        if (
            j + 1 < len(words)
            and _joined(text, words[j], words[j + 1])
            and _lower_case_unknown(words[j + 1])
            # "mi prima X sigue en…": a verb after the name, not more of it
            and (words[j + 1].folded in _name_list() or not _spanish_verb(words[j + 1].folded))
        ):
            marked[j + 1] = True
        elif j + 1 < len(words) and words[j + 1].folded in _PARTICLES:
            _lower_case_rest(text, words, marked, j)  # "mimi ni nasoro bin ngwali"


# "my friend X is in hospital", "su niña X están…": a verb of being right after the name.
_IS_AFTER_NAME = _split("""is was has had are were est était sont es está están estaba estuvo
tiene yuko yupo alikuwa""")


def _is_next(text: str, words: list[_Word], k: int) -> bool:
    """The word after word k is a verb of being or having, with nothing between."""
    return (
        k + 1 < len(words)
        and words[k + 1].folded in _IS_AFTER_NAME
        and _joined(text, words[k], words[k + 1])
    )


# "of" between a relative and whose relative: "la mamá de X", "la mère de X", "the mother of X".
_OF_WHOM = _split("de of")
_AND_OF = _split("y et and")


def _lower_case_after_kin_of(text: str, words: list[_Word], marked: list[bool]) -> None:
    """ "soy la mamá de x y de y", "la mère de x": after a relative and "of", a lower-case
    word no list knows is whose relative that is, and so is one after "and of"."""
    for i in range(1, len(words) - 1):
        if words[i].folded not in _OF_WHOM or words[i - 1].folded not in _RELATION_WORDS:
            continue
        k = i + 1
        while (
            k < len(words) and _joined(text, words[k - 1], words[k]) and _unlisted_lower(words[k])
        ):
            marked[k] = True
            after = words[k + 1 : k + 3]
            if len(after) < 2 or after[0].folded not in _AND_OF or after[1].folded not in _OF_WHOM:
                break
            k += 3


def _unlisted_lower(word: _Word) -> bool:
    """A lower-case Latin word no list knows, whatever its ending ("tening is…": before a
    verb of being, "-ing" is no participle)."""
    return (
        not word.capital
        and len(word.folded) >= 3
        and word.text.isalpha()
        and not _is_arabic(word.text)
        and word.folded not in _ordinary()
        and word.folded not in _vocabulary()
        and word.folded not in _gazetteer()
        and word.folded not in _RELATION_WORDS
    )


def _swahili_infinitive(words: list[_Word], k: int) -> bool:
    """ "alimsaidia mke wangu kupumua" (helped my wife to breathe): in a Swahili message, a
    lower-case "ku-" word ending in "-a" is a verb."""
    folded = words[k].folded
    return (
        not words[k].capital
        and len(folded) >= 5
        and folded.startswith("ku")
        and folded.endswith("a")
        and _swahili(words)
    )


# Endings of Spanish, French and English verb forms the vocabulary may lack: "perdió",
# "llamaron", "cherchant", "waited".
_VERB_ENDING = re.compile(
    r"(?:ió|aron|ieron|ando|iendo|ado|ido|ada|ida|ant|ait|aient|ez|ed"
    r"|[áéíóú][a-zñ]{1,4}(?:me|nos|les?|lo))$"  # "llámame", "ayúdenos": a verb and its pronoun
)


def _letters(text: str) -> str:
    """The word without the apostrophes inside it ("q'oyllur", "mu'azu")."""
    return text.translate(_NO_APOSTROPHES)


_NO_APOSTROPHES = str.maketrans("", "", _APOSTROPHES)


def _lower_case_unknown(word: _Word, swahili: bool = True) -> bool:
    """A word in Latin lower-case letters that no list knows as ordinary, no verb shape of
    Swahili ("akilia", "tulienda"; not asked outside Swahili: `swahili`) and no ordinary
    ending ("grateful", "perdió"). A Hausa word with the ending of "of" ("shugaban",
    "matar") is ordinary if the word is."""
    folded = word.folded
    return (
        not word.capital
        and not _is_arabic(word.text)
        and len(folded) >= 3
        and _letters(word.text).isalpha()
        and folded not in _ordinary()
        and folded not in _vocabulary()
        and folded not in _gazetteer()
        and not (folded[-1] in "nr" and (folded[:-1] in _everyday() or folded[:-1] in _TITLES))
        and not _VERB_ENDING.search(word.text.casefold())
        and folded not in _RELATION_WORDS
        and folded not in _DIGIT_WORDS
        and folded not in _TENS_WORDS
        and not _ordinary_ending(folded)
        and not (swahili and _swahili_verb_shape(folded))
        and not (swahili and _SWAHILI_CONTACT.fullmatch(folded))
    )


# Vowels that Spanish verbs change in the present, and the infinitives that do: "duerme"
# (dormir), "quiere" (querer), "sigue" (seguir), "pide" (pedir).
_STEM_CHANGES = (
    ("ue", "o", ("ar", "er", "ir")),
    ("ie", "e", ("ar", "er", "ir")),
    ("i", "e", ("ir",)),
)


@lru_cache(maxsize=65536)
def _spanish_verb(folded: str) -> bool:
    """A Spanish verb of "he", "she", "they", "you" whose stem changed, the vocabulary
    having its infinitive: "mi prima X sigue en…" (is still)."""
    for end in ("en", "es", "e"):
        stem = folded[: -len(end)]
        if not folded.endswith(end) or len(stem) < 3:
            continue
        for changed, vowel, endings in _STEM_CHANGES:
            k = stem.rfind(changed)
            if k >= 0:
                base = stem[:k] + vowel + stem[k + len(changed) :]
                if any(base + ending in _vocabulary() for ending in endings):
                    return True
    return False


def _arabic_word_not_name(word: _Word) -> bool | None:
    """For an Arabic word after "أنا" or a relative: True for an ordinary word (a listed
    one, a nationality, a frequent word, "ال" words, verb shapes: "يعمل", "تعاني", "ماتت",
    "ذهبوا", "أعيش"), False for one that may be a name, None for a word not in Arabic
    script. A word no Arabic vocabulary knows is a name unless it has the ending of a
    plural or a pronoun or starts as a verb of "he" ("تسابيح" is a name, "راسلوني",
    "يتعالج" verbs)."""
    if not _is_arabic(word.text):
        return None
    folded = word.folded
    if (
        folded in _COMMON
        or folded in _ARABIC_AFTER_PERSON
        or folded in _ARABIC_T_VERBS
        or _is_title(word)
        or len(folded) < 3
        or (folded[:1] == "و" and folded[1:] in _ARABIC_KIN)  # "أنا وجوزي": and my husband
    ):
        return True
    if _is_known(word) == "strong":
        return False
    if any(
        f in _arabic_nationalities() or f in _DIGIT_WORDS or f in _TENS_WORDS for f in _bare(folded)
    ):
        return True  # "أنا تشادي": I am Chadian; "أم لأربعة": mother of four
    rank = _arabic_rank(folded)
    if rank is not None and rank < _ARABIC_FREQUENT:
        return True  # "مريضة", "تقرير"
    if _masdar_shape(folded):
        return False  # "تغريد", "ترنيم": a rare noun of this shape may be a name
    if rank is None:  # a verb of "he" is no name by its shape alone: "يتعالج"
        return (_inflected(folded) and not _in_name(folded)) or folded.startswith("ي")
    return (
        folded.startswith("ي")
        or folded.endswith(("وا", "ون"))
        or (folded.startswith("ا") and rank < _ARABIC_RARE)  # "أعيش", not "أنور"
        or any(f.startswith("ال") for f in _bare(folded))  # "بالخبر": with the news
        or (len(folded) >= 4 and (folded.startswith("ت") or folded.endswith("ت")))
    )


def _in_name(folded: str) -> bool:
    """ "نرمين", "شيرين", "حنين", "سعدون": names end in "ين", "ون" as plurals do ("نازحين",
    "معلمين"), but not with the plural's shapes: a long "ا" second, or "م", "ي", "ت" first."""
    return (
        (folded.endswith("ين") or (folded.endswith("ون") and len(folded) == 5))
        and 4 <= len(folded) <= 6
        and folded[1] != "ا"
        and not folded.startswith(("م", "ي", "ت", "ال"))
    )


# Words of rank lower than this in the Arabic vocabulary (seen about 3,000 times or more in
# its subtitles) are ordinary words: "مريضة", "تعمل", "عصير". Rarer words may be names.
_ARABIC_FREQUENT = 8000
# Rarer than this (seen fewer than about 1,000 times), a word shaped as a verb of "I"
# ("أعمل") is more likely a name: "أنور", "أريج".
_ARABIC_RARE = 20000


@lru_cache(maxsize=1)
def _arabic_ranks() -> dict[str, int]:
    """Ordinary Arabic words, folded, with their rank: 0 for the most frequent."""
    ranks = dict(_arabic_vocabulary())
    # Spoken words ("زول", "بزاف", "ديال") count as frequent ones, also where the subtitles
    # hold them as rare ("قدام", in front of).
    for word in _spoken_words():
        ranks[word] = min(ranks.get(word, _ARABIC_VERY_FREQUENT), _ARABIC_VERY_FREQUENT)
    return ranks


@lru_cache(maxsize=1)
def _arabic_vocabulary() -> dict[str, int]:
    """The words of the Arabic vocabulary (film subtitles), with their rank."""
    path = resources.files("collector").joinpath("name_lists", "vocabulary_ar.txt.gz")
    words = gzip.decompress(path.read_bytes()).decode("utf-8").split()
    return {word: rank for rank, word in enumerate(words)}


@lru_cache(maxsize=1)
def _spoken_words() -> frozenset:
    """The words of spoken Arabic in `arabic_dialect.txt`, and the spoken forms of the verbs
    in `arabic_spoken_verbs.txt` that neither a name list nor the vocabulary holds ("نجيب"
    is "we bring" and a name: the vocabulary's rank for it stands), folded."""
    known = _listed()[1] | _ARABIC_NAMES | _arabic_vocabulary().keys()
    verbs = {
        form
        for line in _lines(_SPOKEN_VERBS_FILE)
        for form in _verb_forms(*(_fold(w) for w in line.split()))
        if form not in known
    }
    return frozenset(verbs | {_fold(w) for line in _lines(_DIALECT_FILE) for w in line.split()})


# The endings of the present as spoken ("يقعدو", "يگولون", "تقعدي", "تگولين"), and what
# goes before it: "ب" (the Levant, Egypt, Sudan), "ك" (the Maghreb), "د" (Iraq).
_PRESENT_ENDINGS = ("", "و", "وا", "ي", "ون", "ين")
_PRESENT_PREFIXES = ("", "ب", "ك", "د")


def _verb_forms(past: str, present: str) -> set[str]:
    """The spoken forms of a verb given as "he did", "he does" ("قعد", "يقعد"): "قعدت",
    "قعدنا", "قعدو", "نقعد", "بيقعد", "كنقعدو", "ديقعد", and with the "ش" of "ما … ش"
    ("قعدتش", "بيقعدش"). Forms of three letters are left out, and "ش" after them: names
    are often that short ("حسو", "عطوش")."""
    if past[-1] in "ىا":  # "مشى": "مشت", "مشيت", "مشينا", "مشو"
        base = past[:-1]
        forms = {past, base + "ت", base + "يت", base + "يتي", base + "ينا", base + "و", base + "وا"}
    else:
        endings = ("", "ت", "تي", "نا", "و", "وا", "تو", "توا")
        forms = {past + ending for ending in endings}
    stem = present[1:]
    persons = {p + stem + e for p in "يتن" for e in _PRESENT_ENDINGS}
    forms |= {pre + f for f in persons for pre in _PRESENT_PREFIXES}
    forms = {f for f in forms if len(f) >= 4}
    return forms | {f + "ش" for f in forms if not f.endswith("ش")}


def _iraqi_letters(folded: str) -> list[str]:
    """The word written with the letters of the written language for Iraqi "چ" and "گ"."""
    forms = [folded.replace("گ", "ق"), folded.replace("گ", "ك")] if "گ" in folded else [folded]
    return [f.replace("چ", c) for f in forms for c in "كج"] if "چ" in folded else forms


@lru_cache(maxsize=65536)
def _arabic_rank(folded: str) -> int | None:
    """The rank of an Arabic word in the vocabulary, as written or without the proclitics
    it may carry ("وبالخبر" is "and with the news"), None for a word it does not know.
    "And" goes before any word ("وعدل": and justice), the "ب" of spoken Arabic before any
    verb ("بتشيل": she carries), "ك" and "ل" before a word of four letters; other letters
    only before a frequent word: "فرقد" is a name, not "ف" + "رقد" (slept)."""
    ranks = _arabic_ranks()
    if folded in ranks:
        return ranks[folded]
    if "چ" in folded or "گ" in folded:
        # Iraqi letters: "چ" for "ك" or "ج" ("والسمچ": and the fish, "الچاموس": the
        # buffalo), "گ" for "ق" ("بسوگ": at the market), with their proclitics too
        known = [
            ranks[bare]
            for f in _iraqi_letters(folded)
            for bare in [f, *_bare(f)[1:]]
            if bare in ranks and len(bare) >= 3
        ]
        return min(known) if known else None
    found = [
        ranks[bare]
        for bare in _bare(folded)[1:]
        if bare in ranks
        and len(bare) >= 3
        and (
            folded.startswith("و")
            or ranks[bare] < _ARABIC_FREQUENT
            or (folded.startswith("ب") and bare.startswith(("ي", "ت", "ن")))
            # "كمسودة" (as a draft), "لتعدد" (for the number of): few names start with
            # "ك" or "ل" and leave a word of four letters behind.
            or (folded.startswith(("ك", "ل")) and len(bare) >= 4)
        )
    ]
    if not found:
        found = [ranks[f] for f in _spoken_forms(folded) if f in ranks and ranks[f] < _ARABIC_RARE]
    if not found and (
        _maghreb_negation(folded)
        or _b_imperfect(folded)
        or _k_imperfect(folded)
        or _spoken_plural_verb(folded)
        or _negated_perfect(folded)
    ):
        return _ARABIC_FREQUENT - 1
    return min(found) if found else None


def _maghreb_negation(folded: str) -> bool:
    """ "ماكاش" (there is none), "ماخلصهمش" (he did not pay them): the Maghreb's "ما…ش"
    around a verb of two letters or more is a negated verb, never a name."""
    return len(folded) >= 5 and folded.startswith("ما") and folded.endswith("ش")


def _k_imperfect(folded: str) -> bool:
    """The Maghreb's "ك" before a verb of the present ("كيشدو": they catch, "كتخدم": she
    works, "كيعطيهم": he gives them), "و" before it too."""
    folded = folded[1:] if folded.startswith("و") else folded
    if len(folded) < 5 or not folded.startswith(("كي", "كت", "كن")):
        return False
    ranks, verb = _arabic_ranks(), folded[1:]
    return (
        verb in ranks
        or (verb.endswith("و") and verb[:-1] in ranks)
        # "كيناعسو" (they sleep): a verb of spoken Arabic after "he", "she", "we"
        or verb[1:].removesuffix("و") in _spoken_words()
        or any(
            verb.endswith(o) and verb[: -len(o)].removesuffix("و") in ranks for o in _VERB_OBJECTS
        )
    )


def _spoken_plural_verb(folded: str) -> bool:
    """A verb of the present, or one of spoken Arabic, with the "وا" of "they" written "و"
    ("يحرگو": they cross, "بغاو": they wanted). Only verbs: "منتو" is a name."""
    if len(folded) < 4 or not folded.endswith("و"):
        return False
    verb = folded[:-1]
    if verb.endswith("ا") and verb in _spoken_words():
        return True  # "بغاو", "مشاو": a verb ending in "ا", not "اويو" ("أوي" is "very")
    # (not "ن", we: "نصورو" is a Hausa name written in Arabic)
    return folded.startswith(("ي", "ت")) and any(
        f in _arabic_ranks() and _arabic_ranks()[f] < _ARABIC_RARE
        for f in [verb, *_spoken_forms(verb)]
    )


def _negated_perfect(folded: str) -> bool:
    """The Maghreb's and the Gulf's "ما" glued to a verb of the past ("ماعرفت": I did not
    know, "مازال": still): a frequent word of four letters or more after it."""
    folded = folded[1:] if folded.startswith("و") else folded
    rest = folded[2:]
    ranks = _arabic_ranks()
    return folded.startswith("ما") and len(rest) >= 3 and ranks.get(rest, _ARABIC_FREQUENT) < 3000


# Passive and reflexive verbs of spoken Iraqi, Levantine and Egyptian Arabic: "انلزم" (he
# was caught), "اتقبض" (arrested), "تنحول" (they are sent on).
_SPOKEN_PASSIVES = ("ان", "ات", "تن")


def _spoken_forms(folded: str) -> list[str]:
    """The written word inside a spoken one: Iraqi and Gulf "گ" for "ق" ("تگول": she says),
    Levantine "هال" for "this" before an "ال" word, a passive's prefix before a verb of
    three letters."""
    forms = [folded.replace("گ", "ق")] if "گ" in folded else []
    if folded.startswith("هال") and len(folded) >= 6:  # "هالحكي": this talk (Levant)
        forms.append("ال" + folded[3:])
    elif folded.startswith(("بهال", "وهال", "لهال")) and len(folded) >= 7:  # "بهالبرد"
        forms.append("ال" + folded[4:])
    # Sudanese "ال" before a verb of the present: "البتبيع" (who sells), "البيشتغل"
    if folded.startswith(("البت", "البي", "البن")) and len(folded) >= 7:
        forms.append(folded[3:])
    # Five letters, a consonant fourth: "انلزم", not the names "إنعام", "انتصار".
    if len(folded) == 5 and folded.startswith(_SPOKEN_PASSIVES) and folded[3] not in "اوي":
        forms.append(folded[2:])
    elif folded.startswith("تن") and len(folded) == 5:
        forms.append(folded[2:])
    return forms


# Objects glued to a spoken verb: "بيطردن" (they throw them out), "بتعطيهم" (she gives them).
_VERB_OBJECTS = ("هن", "هم", "ها", "كم", "ني", "نا", "ن", "ه", "ك")


def _b_imperfect(folded: str) -> bool:
    """The Levantine and Egyptian "ب" before a verb of the present, with an object glued
    after it, "و" before it too: "بيطردن" is "يطرد" (he throws out, a rare word in the
    vocabulary but a word) and "them". A name of this shape leaves no word ("بيلسان")."""
    folded = folded[1:] if folded.startswith("و") else folded
    if len(folded) < 6 or not folded.startswith(("بي", "بت", "بن")):
        return False
    ranks = _arabic_ranks()
    if folded.endswith("و") and folded[1:-1] in ranks:
        return True  # "بيطلعو": they throw out, its "وا" written "و"
    return any(folded.endswith(o) and folded[1 : -len(o)] in ranks for o in _VERB_OBJECTS)


# Endings of plurals and of pronouns glued to a verb or a noun: "النازحين", "كلموني",
# "يحفظكم", "أوراقا", "جزاك". A word no vocabulary knows with one of them is no name.
_ARABIC_INFLECTIONS = (
    "ون",
    "وا",
    "ين",
    "ات",
    "تان",
    "كم",
    "هم",
    "ها",
    "وني",
    "ني",
    "نا",
    "ا",
    "تم",
    "ه",
    "ك",
)


def _inflected(folded: str) -> bool:
    """An Arabic word shaped as an inflected ordinary word: "ال" (also as in "للرضع", for
    the infants, and "عالمدرسة", to the school) or an ending above. Not a name made with
    "الدين" written as one word ("عزالدين", "نورالدين"), whose "ين" is no plural's."""
    bare = _bare(folded)
    if any(f.startswith("ال") for f in bare) or folded.startswith(("لل", "عال")):
        return True
    return folded.endswith(_ARABIC_INFLECTIONS) and not (
        folded.endswith("الدين") and len(folded) > 6
    )


@lru_cache(maxsize=1)
def _arabic_nationalities() -> frozenset:
    """ "سوري", "تشادية", "إثيوبي": the adjectives of Babel's Arabic country names ("سوريا",
    "تشاد", "إثيوبيا": a name in "يا" takes the ending in place of its "يا")."""
    from babel import Locale

    words = set()
    for value in Locale.parse("ar").territories.values():
        if " " in value:
            continue
        stem = _fold(value).removesuffix("ا").removesuffix("ة")
        stem = stem[2:] if stem.startswith("ال") else stem
        stems = [stem, stem[:-1]] if stem.endswith("ي") and len(stem) >= 4 else [stem]
        for s in stems:
            words |= {s + "ي", s + "ية", s + "يون", s + "يين", s + "يات"}
    return frozenset(words)


def _masdar_shape(folded: str) -> bool:
    """ "تسنيم", "ترنيم", "تغريد": the shape taf'īl is a noun (or a name), never a verb."""
    return len(folded) == 5 and folded[0] == "ت" and folded[3] == "ي"


# "X ولد Y", "X منت Y" (Hassaniya), "X ود Y" (Sudan): son or daughter of.
_NASAB_WORDS = _split("ولد منت بنت ابن ود")


def _arabic_nasab(text: str, words: list[_Word], marked: list[bool]) -> None:
    """ "أنا محمدن ولد اباه", "المعلومة منت اسويلك": a nasab between two words that the
    vocabulary does not hold as frequent ones makes a name of both ("عندي ولد مريض" stays:
    "عندي" and "مريض" are frequent)."""
    for i in range(1, len(words) - 1):
        if words[i].folded not in _NASAB_WORDS:
            continue
        before, after = words[i - 1], words[i + 1]
        # Hassaniya's "daughter of" says nothing else; after "أنا" (I am) one says one's
        # own nasab: "أنا التوم ود الجيلي", words and "ال" too.
        only = words[i].folded == "منت" or (i >= 2 and words[i - 2].folded in _ARABIC_I_AM)
        if (
            _joined(text, before, words[i])
            and _joined(text, words[i], after)
            and not any(f in _ARABIC_PLACE_NOUNS for f in _bare(before.folded))  # "مستشفى ابن X"
            and _nasab_member(before, only)
            and _nasab_member(after, only)
        ):
            marked[i - 1] = marked[i + 1] = True


def _nasab_member(word: _Word, any_word: bool = False) -> bool:
    """An Arabic word beside a nasab that may be a name: no title, relative or word said of
    a person; a listed name, a rare word, or (`any_word`) any other word."""
    folded = word.folded
    if not _is_arabic(word.text) or len(folded) < 3 or _is_title(word):
        return False
    if folded in _COMMON or folded in _ARABIC_AFTER_PERSON or folded in _ARABIC_KIN:
        return False
    if _is_known(word) == "strong" or any_word:
        return True
    rank = _arabic_rank(folded)
    return rank is None or rank >= _ARABIC_FREQUENT


_I_AM = _split("أنا انا")
_PARENT_OF = _split("أم ام أبو ابو")


def _my_kunya(text: str, words: list[_Word], marked: list[bool]) -> None:
    """ "أنا أم X": I am X's mother, one's own kunya; X is a name when a list holds it or no
    vocabulary knows it ("أنا أم مطلقة" is "a divorced mother")."""
    if "نا" not in text:
        return
    for i in range(len(words) - 2):
        if words[i].folded not in _I_AM or words[i + 1].folded not in _PARENT_OF:
            continue
        word = words[i + 2]
        rank = _arabic_rank(word.folded)
        if (
            _is_arabic(word.text)
            and _joined(text, words[i + 1], word)
            and word.folded not in _COMMON
            and (rank is None or _is_known(word) is not None)
        ):
            marked[i + 2] = True


def _arabic_relatives(text: str, words: list[_Word], marked: list[bool]) -> None:
    """ "زوجتي سماح مريضة": after "my wife", "my neighbour"…, an Arabic word that is no
    ordinary word is a name, even in no list."""
    for i in range(len(words) - 1):
        kin, word = words[i], words[i + 1]
        # "لخالتي زهوة": to my aunt Zahwa; the kin word may carry "to", "with", "and".
        if (
            (
                any(f in _ARABIC_KIN for f in _bare(kin.folded))
                or (kin.folded in _ARABIC_THANKS and _bare(word.folded) == [word.folded])
            )
            and _joined(text, kin, word)
            and (
                _arabic_word_not_name(word) is False
                or _t_name(text, words, i + 1)
                or _y_name(text, words, i + 1)
                or _unknown_capitalised(word)  # "جارنا Saadoun Al-Juaythni"
                or _name_with_an_ending(text, words, i + 1)
                or _name_with_the_article(text, words, i + 1)
                or _word_name_before_person_word(text, words, i + 1)
                or _unknown_shaped_as_a_word(text, words, i + 1)
            )
        ):
            marked[i + 1] = True
        elif (
            kin.folded in _ARABIC_THANKS
            and word.folded in _ARABIC_VERY
            and i + 2 < len(words)
            and _joined(text, word, words[i + 2])
            and _in_the_name_of(words, i + 2)
        ):
            marked[i + 2] = True  # "شكرا كتير إيلاف": thanks a lot, Ilaf
        # "Ɗan'uwana كشالا", "mon mari يريما": a name in Arabic letters after a relative.
        elif (
            not _is_arabic(kin.text)
            and (kin.folded in _RELATION_WORDS or _HAUSA_KIN.fullmatch(kin.folded))
            and _is_arabic(word.text)
            and _joined(text, kin, word)
            and (_arabic_rank(word.folded) or _ARABIC_FREQUENT) >= _ARABIC_FREQUENT
        ):
            marked[i + 1] = True
        # "نوفة قالت": first in a sentence, then "said": the one who spoke.
        elif (
            kin.initial
            and _is_arabic(kin.text)
            and word.folded in _ARABIC_SAID
            and kin.folded not in _ARABIC_PERSON_NOUNS
            and _arabic_word_not_name(kin) is False
            and not _said_by_next(words, i + 1)
        ):
            marked[i] = True


# After the relative and the name: "with us", "with me" ("وإمي X معنا بصور").
_ARABIC_WITH_US = _split("معنا معانا معي معاي معاه معها معهم معاهم")


def _word_name_before_person_word(text: str, words: list[_Word], i: int) -> bool:
    """After a relative, a noun outside the two thousand most frequent words, then a word
    said of a person, "with us", a spoken verb of the present ("وعمتي X قاعدين", "وخالها
    X بيقبض") or "and my uncle…": many names are such nouns (joy, lucky), or plurals'
    shapes no vocabulary knows ("فرحات"). Not a participle ("م…": "محبوس"), a verb, an
    "ال" word or a spoken word ("اللي")."""
    folded, nxt = words[i].folded, i + 1
    rank = _arabic_rank(folded)
    return (
        _is_arabic(words[i].text)
        and (rank is not None or folded.endswith("ات"))  # "فرحات": a plural's shape
        and (rank or 2000) >= 2000
        and len(folded) >= 3
        and not folded.startswith(("م", "ي", "ت", "ن", "ال"))
        and folded not in _ARABIC_AFTER_PERSON
        and folded not in _spoken_words()
        and nxt < len(words)
        and _joined(text, words[i], words[nxt])
        and (
            words[nxt].folded in _ARABIC_AFTER_PERSON
            or words[nxt].folded in _ARABIC_WITH_US
            or (words[nxt].folded.startswith(("بي", "بت")) and len(words[nxt].folded) >= 5)
            or (
                words[nxt].folded.startswith("و")
                and bool(_ARABIC_KIN.intersection(_bare(words[nxt].folded)))
            )
        )
    )  # ("حبوبتي X وخالي Y": the next relative)


def _name_with_the_article(text: str, words: list[_Word], i: int) -> bool:
    """After a relative, a word with "ال" that no vocabulary knows, with or without it,
    before a word said of a person, "and my…" or its phrase's end: Sudanese and Hassaniya
    names ("أمي الزينة وخالتي", "ولدي البشاري،"); not "ابني المريض"."""
    folded = words[i].folded
    return (
        folded.startswith("ال")
        and len(folded) >= 5
        and _arabic_rank(folded) is None
        and not folded.endswith(("ين", "ات", "ون"))
        and _before_a_person_word(text, words, i)
    )


def _name_with_an_ending(text: str, words: list[_Word], i: int) -> bool:
    """After a relative, a word no vocabulary knows whose ending only looks like a pronoun's
    or an accusative's, before a word said of a person or a next relative or at its
    phrase's end: "أختي كاديجا مريضة" (Chad writes names with a final "ا"), "ابني ملهم
    وبنتي" ("هم" on a stem of two letters, too short for a word)."""
    folded = words[i].folded
    if _arabic_rank(folded) is not None or folded.startswith(("ي", "ن", "ال")):
        return False
    if folded.startswith("ت") and len(folded) < 6:  # a verb, not "ترهاقا"
        return False
    alif = len(folded) >= 5 and folded.endswith("ا") and _arabic_rank(folded[:-1]) is None
    short = len(folded) == 4 and folded.endswith(("هم", "ها"))
    return (alif or short) and _before_a_person_word(text, words, i)


# A call to the readers before a name: "يا جماعة X ولدي ضاع".
_ARABIC_CALLS = _split("يا جماعة ياجماعة ناس")


def _arabic_name_then_kin(text: str, words: list[_Word], marked: list[bool]) -> None:
    """ "يا جماعة X ولدي ضاع", "X بنتي عمرها ٧": a rare word, then "my son", "my daughter"
    (the relative said after the name), after a call to the readers or before an age."""
    for i in range(len(words) - 2):
        word, kin, after = words[i], words[i + 1], words[i + 2]
        if (
            marked[i]
            or kin.folded not in _ARABIC_KIN
            or not _joined(text, word, kin)
            or not _rare_arabic_word(word)
        ):
            continue
        called = i > 0 and words[i - 1].folded in _ARABIC_CALLS
        if called or (after.folded in _ARABIC_AGE and _joined(text, kin, after)):
            marked[i] = True


def _unknown_shaped_as_a_word(text: str, words: list[_Word], i: int) -> bool:
    """After a relative, a word no vocabulary knows, in spoken spelling neither, whose shape
    is a verb's or a plural's ("وأختي يمينة،", "حبوبتي ستّنا عيانة", "أبوي فرحات"): at its
    phrase's end or before a word said of a person, a name. A verb there is one the
    vocabulary knows ("أختي يشتغلوا" is rare; "أختي تعبانة" is in it)."""
    word = words[i]
    folded = word.folded
    return (
        _is_arabic(word.text)
        and len(folded) >= 3
        and _arabic_rank(folded) is None
        and not folded.startswith(("ال", "بال", "فال"))
        and not (folded[0] in "بف" and folded[1:] in _arabic_places())  # "بصيدا": in Saida
        and folded not in _COMMON
        and folded not in _ARABIC_AFTER_PERSON
        and not _dialect_word(folded)
        and not any(f in _arabic_nationalities() for f in _bare(folded))
        and _before_a_person_word(text, words, i)
    )


def _before_a_person_word(text: str, words: list[_Word], i: int) -> bool:
    """Word i ends its phrase, or comes before a word said of a person or "and my…"."""
    after = i + 1
    if after >= len(words) or text[words[i].end : words[after].start].strip()[:1] in "،,.":
        return True
    nxt = words[after].folded
    return nxt in _ARABIC_AFTER_PERSON or (nxt.startswith("و") and nxt[1:] in _ARABIC_KIN)


# Verbs of harm done to a person: "العسكري ضرب X", "خطفوا X".
_ARABIC_HARM = _split("""
ضرب ضربوا ضربو ضربت هدد هددوا هددو هددت خطف خطفوا خطفو خطفت اعتقل اعتقلوا اعتقلو اعتقلت
قتل قتلوا قتلو قتلت طرد طردوا طردو طردت اغتصب اغتصبوا عذب عذبوا شتم شتموا شتمو حبس حبسوا
حبسو كتل كتلو كتلوا دق دقو دقوا
""")
# A person, with "the", in spoken and written Arabic: "المرة الأفغانية X" (the Afghan woman X).
_ARABIC_THE_PERSON = _split("""
المرة المرأة الست الراجل الرجل الزلمة الزول الولد البنت الطفل الطفلة الشب الشاب الصبية
الشابة الحرمة الختيار الختيارة العجوز الأرملة الارملة اللاجئ اللاجئة النازح النازحة
""")
_ARABIC_HE_IS = _split("هو هي")


def _rare_arabic_word(word: _Word) -> bool:
    """An Arabic word that may be a name where a cue is strong, whatever its ending: not
    frequent, no "ال" word, no verb of "he" or "they", no word for a person or a place."""
    folded = word.folded
    rank = _arabic_rank(folded)
    return (
        _is_arabic(word.text)
        and len(folded) >= 3
        and (rank is None or rank >= _ARABIC_RARE)
        and not folded.startswith("ي")
        and not folded.endswith("وا")
        and not any(
            f.startswith("ال")
            or f in _COMMON
            or f in _TITLES
            or f in _ARABIC_PERSON_NOUNS
            or f in _ARABIC_AFTER_PERSON
            or f in _arabic_places()
            or f in _arabic_nationalities()
            for f in _bare(folded)
        )
    )


def _arabic_loose_cues(text: str, words: list[_Word], marked: list[bool]) -> None:
    """Where the cue leaves no doubt, an Arabic word counts even with an ending that looks
    like a pronoun's ("تجاني", "زرمینه"): after a verb of harm ("ضرب X", hit X), after "the
    woman" and her people ("المرة الأفغانية X"), and one or two words just before ", he
    is…" ("من X Y، هو شيخ الحلة")."""
    for i, word in enumerate(words):
        if not _is_arabic(word.text):
            continue
        j = i + 1
        if word.folded in _ARABIC_THE_PERSON and j < len(words):
            if words[j].folded.startswith("ال") and words[j].folded.endswith(("ي", "ية", "يه")):
                j += 1  # "المرة الأفغانية", "الولد السوداني"
        elif word.folded not in _ARABIC_HARM:
            after_comma = i >= 1 and text[words[i - 1].end : word.start] in ("، ", ", ")
            if word.folded in _ARABIC_HE_IS and after_comma:
                _before_he_is(text, words, marked, i - 1)
            continue
        if (
            j < len(words)
            and not marked[j]
            and _joined(text, words[j - 1], words[j])
            and _rare_arabic_word(words[j])
        ):
            marked[j] = True


def _before_he_is(text: str, words: list[_Word], marked: list[bool], k: int) -> None:
    """Words k and k - 1 before ", هو": the person that "he" then describes."""
    run = [k] if _rare_arabic_word(words[k]) else []
    if run and k >= 1 and _joined(text, words[k - 1], words[k]):
        if _rare_arabic_word(words[k - 1]) or marked[k - 1]:
            run.append(k - 1)
    for m in run:
        marked[m] = True


def _said_by_next(words: list[_Word], i: int) -> bool:
    """ "مشكلة قال المدير": an "ال" word after the verb is who said it, not the word before."""
    return i + 1 < len(words) and words[i + 1].folded.startswith("ال")


_ARABIC_SAID = _split("قال قالت قالوا يقول تقول أخبرت اخبرت أخبرنا اخبرنا اشتكى اشتكت")


# Verbs of "she" that start with ت and often follow "my wife", "my sister": never a name there.
_ARABIC_T_VERBS = _split("""
تعمل تشتغل تعيش تسكن تدرس تبيع تشتري تطبخ تغسل تنظف تربي ترعى تساعد تحب تريد تعرف
تذهب تروح تجي تأتي تاتي تمشي تبكي تنام تصلي تقرأ تقرا تكتب تخاف تحتاج تبحث تنتظر تعاني
تقول تبقى ترى تشوف تتعلم تعلم تكلم تزوج تزوجت تعب تأخر تاخر توفي توفيت تخرج تقاعد تحسن
تعالج تتعالج تسافر ترجع تعود تخرج تدخل تلعب تضحك تحمل ترضع تخبز تخيط
""")
# After these, the word before is a verb with its complement, not a name: "تدرس في الجامعة".
_ARABIC_NOT_PREDICATE = _split("""
من في إلى الى على عن مع منذ عند بعد قبل حتى الآن الان اليوم دائما هنا هون كمان كذلك أيضا
ايضا والله ما لا لم لن قد كثيرا كتير جدا قليلا أمس امس غدا بكرة أن ان إن كل
""")


def _y_name(text: str, words: list[_Word], i: int) -> bool:
    """ "صديقي يامن يعمل": a rare word starting with ي after a relative, before a verb or an
    adjective of the list, is a name; a frequent one is a verb ("أخي يعمل في السوق")."""
    folded = words[i].folded
    if (
        not folded.startswith("ي")
        or len(folded) < 4
        or _inflected(folded)
        or i + 1 >= len(words)
        or not _joined(text, words[i], words[i + 1])
    ):
        return False
    rank = _arabic_rank(folded)
    after = words[i + 1].folded
    return (
        (rank is None or rank >= _ARABIC_RARE)
        and _is_arabic(after)
        and after not in _ARABIC_NOT_PREDICATE
        and (
            after in _ARABIC_AFTER_PERSON
            or after in _ARABIC_T_VERBS
            or (after.startswith(("ي", "ت")) and len(after) >= 4)
            or after.endswith("ت")
        )
    )


def _t_name(text: str, words: list[_Word], i: int) -> bool:
    """ "زوجتي تهاني حامل": a word starting with ت after a relative is a name when no
    listed verb and when the next word is its predicate (an adjective of the list, or a
    verb: "تعبت", "تبيع"), not a complement ("أختي تدرس في الجامعة", "ابني تعب كثيرا")."""
    word = words[i]
    folded = word.folded
    if (
        not (folded.startswith("ت") and len(folded) >= 3)
        or folded in _ARABIC_T_VERBS
        or folded in _COMMON
        or folded in _ARABIC_AFTER_PERSON
        or folded.endswith(("ت", "وا", "ون", "ين"))
        or i + 1 >= len(words)
        or not _joined(text, word, words[i + 1])
    ):
        return False
    after = words[i + 1].folded
    if (
        after in _ARABIC_NOT_PREDICATE
        or not _is_arabic(after)
        or after.startswith(("ال", "بال", "لل", "فال", "وال", "كال"))
    ):
        return False
    return (
        after in _ARABIC_AFTER_PERSON or after.startswith(("ي", "ت")) or after.endswith(("ت", "وا"))
    )


def _unknown_pairs(text: str, words: list[_Word], marked: list[bool]) -> None:
    """Two or more capitalised words that no list knows, in the middle of a sentence, are a
    name: "our chairlady Nyaguthii Wamae", "la promotora Keila Banguera". Not in a text
    written all in capitals or with most words capitalised, where capitals say nothing."""
    # Sentence-initial capitals are no sign of a headline: "Tulimwona Kazungu Charo sokoni".
    latin = [w for w in words if not _is_arabic(w.text) and not w.initial]
    if len(latin) >= 3 and sum(w.capital for w in latin) * 2 > len(latin):
        return
    for i in range(len(words) - 1):
        first, second = words[i], words[i + 1]
        if (
            not first.initial
            and _joined(text, first, second)
            and _unknown_without_cue(first)
            and _unknown_without_cue(second)
        ):
            marked[i] = marked[i + 1] = True


def _capitals_say_nothing(words: list[_Word]) -> bool:
    """A text written all in capitals or with most words capitalised (a headline)."""
    latin = [w for w in words if not _is_arabic(w.text) and not w.initial]
    return len(latin) >= 3 and sum(w.capital for w in latin) * 2 > len(latin)


def _packed_words(filename: str) -> frozenset:
    """A gzipped list of collector/name_lists/: one word a line, folded as `_fold` does
    (`make_word_lists.py` writes them so)."""
    path = resources.files("collector").joinpath("name_lists", filename)
    return frozenset(gzip.decompress(path.read_bytes()).decode("utf-8").split())


# -- A model of name shapes -------------------------------------------------------------
# Learnt from the lists (collector/name_lists/make_name_model.py): for each group of one to
# four letters, how much more often it comes in names than in ordinary words. Asked only
# where the rules hesitate; a word any list knows (a town, an ordinary word) is never a name
# because of it.
_MODEL_FILE = "name_model.txt.gz"
# Above these mean log ratios a word looks like a name (chosen on held-out names and words,
# `make_name_model.py --held-out`: one English, French or Spanish word in seven lies above
# them, one Swahili or Hausa word in four, and three names in four or more; Arabic letters
# score lower on the whole, their names being fewer).
_NAME_SHAPE = {"latin": 0.0, "arabic": -0.45}
# Below these a word looks like an ordinary word: no lower-case name without a clear cue.
_WORD_SHAPE = {"latin": -0.5, "arabic": -1.0}


def _name_grams(folded: str) -> list[str]:
    """The letter groups of one to four letters of a folded word, its start and end marked."""
    padded = f"^{folded}$"
    return [
        padded[i : i + n]
        for n in (1, 2, 3, 4)
        for i in range(len(padded) - n + 1)
        if padded[i : i + n] not in ("^", "$")
    ]


@lru_cache(maxsize=1)
def _name_model() -> dict[str, float]:
    """Letter group -> log ratio (names against words), from name_model.txt.gz."""
    path = resources.files("collector").joinpath("name_lists", _MODEL_FILE)
    lines = gzip.decompress(path.read_bytes()).decode("utf-8").splitlines()
    return {gram: float(ratio) for gram, ratio in (line.split("\t") for line in lines)}


@lru_cache(maxsize=65536)
def _name_shape(folded: str) -> float:
    """How much a folded word looks like a name: the mean log ratio of its letter groups,
    above 0 more like a name, below more like a word; 0 when the model knows none."""
    model = _name_model()
    found = [model[g] for g in _name_grams(folded) if g in model]
    return sum(found) / len(found) if found else 0.0


def _script(folded: str) -> str:
    return "arabic" if _is_arabic(folded) else "latin"


def _looks_like_name(folded: str) -> bool:
    """The model says name: at or above its script's threshold."""
    return _name_shape(folded) >= _NAME_SHAPE[_script(folded)]


def _looks_like_word(folded: str) -> bool:
    """The model says ordinary word, clearly: below its script's lower threshold."""
    return _name_shape(folded) < _WORD_SHAPE[_script(folded)]


@lru_cache(maxsize=1)
def _gazetteer() -> frozenset:
    """Words of GeoNames' town and country names: "Kaolack", "Tillabéri", "Barquisimeto"."""
    return _packed_words("places_geonames.txt.gz")


@lru_cache(maxsize=1)
def _vocabulary() -> frozenset:
    """Ordinary English, French and Spanish words ("Trucks", "Anoche", "Puente"), and our
    everyday Swahili and Hausa words ("Sokoni", "Ruwa")."""
    return _packed_words("vocabulary.txt.gz") | _everyday()


@lru_cache(maxsize=1)
def _everyday() -> frozenset:
    """Our everyday Swahili and Hausa words (collector/name_lists/everyday_sw_ha.txt) and
    the words of our own Swahili and Hausa texts (vocabulary_sw_ha.txt.gz)."""
    return _everyday_written() | _packed_words("vocabulary_sw_ha.txt.gz")


@lru_cache(maxsize=1)
def _everyday_written() -> frozenset:
    """The hand-written list alone: after a title it tells "Babu Ruwa" (no water) from
    "Baba Dogo" (a man called Dogo, "tall"), which a longer list would not."""
    return frozenset(_fold(w) for line in _lines(_EVERYDAY_FILE) for w in line.split())


def _unknown_without_cue(word: _Word) -> bool:
    """With no cue around it, an unknown capitalised word counts only if it is no town and
    no ordinary word either (a person's name the lists lack is rarely one)."""
    if not _unknown_capitalised(word):
        return False
    # "Touaregs", "Peuls": a plural of a listed or ordinary word is ordinary too.
    forms = [word.folded] + [
        word.folded[: -len(end)]
        for end in ("s", "es")
        if word.folded.endswith(end) and len(word.folded) > len(end) + 3
    ]
    return not any(f in _gazetteer() or f in _vocabulary() or f in _ordinary() for f in forms)


def _headline(words: list[_Word]) -> bool:
    """Four or more words after the first, nearly all capitalised: "Cortes De Agua En El
    Barrio", not "Parlez avec Mme Gbèssi Tossou"."""
    latin = [w for w in words if not _is_arabic(w.text) and not w.initial]
    return len(latin) >= 4 and sum(w.capital for w in latin) >= 0.8 * len(latin)


def _unknown_in_sentence(text: str, words: list[_Word], marked: list[bool]) -> None:
    """A capitalised word that no list knows, in the middle of a sentence, is taken for a
    name: "we went with Kaweesa to the market". Safety first: an unlisted place in the
    middle of a sentence goes too."""
    if _capitals_say_nothing(words):
        return
    for i, word in enumerate(words):
        if (
            not _unknown_without_cue(word)
            or word.folded in _RELATION_WORDS
            or _before_place_word(text, words, i)
            or _people_shaped(word, words)
        ):
            continue
        if not word.initial or _initial_full_name(text, words, i):
            marked[i] = True


# Hausa makes a people of a place or a people with "-awa" ("Kanawa", the people of Kano;
# "Larabawa", the Arabs), "-awan" before what they are of ("Larabawan Nijar").
_HAUSA_PEOPLE = re.compile(r"[a-z]{3,}awan?")


def _people_shaped(word: _Word, words: list[_Word]) -> bool:
    """A word made as a people's word is: "Mzambia", "Wakongo" (Swahili, one of a people and
    the people), "Kanawa" (Hausa, in a Hausa message)."""
    return _group_word(word) or (_hausa_people(word.folded) and _hausa(words))


@lru_cache(maxsize=65536)
def _hausa_people(folded: str) -> bool:
    """A Hausa word for a people ("Sakkwatawa"), not a listed name of that shape."""
    return _HAUSA_PEOPLE.fullmatch(folded) is not None and folded not in _name_list()


def _unknown_arabic(words: list[_Word], marked: list[bool]) -> None:
    """The Arabic counterpart of an unknown capitalised word: an Arabic word that no
    vocabulary and no list knows, even without "و" or "بـ" before it, and that has no
    ending of a plural or a pronoun, is taken for a name: "جديع ودعجاء تعرضا للتهديد".
    In a message written mostly in Latin letters, an Arabic word is a name unless it is a
    frequent word: "Nilimwona يامن sokoni", but "Asante, الحمد لله"."""
    arabic = [_is_arabic(w.text) for w in words]
    latin = sum(arabic) * 2 < len(words)
    for i, word in enumerate(words):
        if (
            marked[i]
            or not arabic[i]
            or (_FOREIGN_LETTERS.search(word.text) and _dialect_word(word.folded))
        ):
            continue
        if _spoken_context(words, marked, i):
            continue
        if _unknown_arabic_word(word.folded) or (latin and _rare_in_latin(word)):
            marked[i] = True


def _may_be_a_name(word: _Word) -> bool:
    """A word no vocabulary knows, or a capitalised word in Latin letters."""
    if _is_arabic(word.text):
        return _arabic_rank(word.folded) is None
    return word.capital


# What a name right after "من" (from) may be followed by: another part of it, or "that".
_ARABIC_THAT = _split("انو ان انه انها قال قالت")


def _spoken_context(words: list[_Word], marked: list[bool], i: int) -> bool:
    """Where an unknown word is no name by what stands before it: "ما X-ش" is a verb
    negated as the Maghreb, Egypt and Libya speak ("ما رجعش", "ما فيهش"); "من X", a town
    one comes from ("أنا جا من كوستي"), unless more of a name or "that" follows ("من أكول
    مجوك", "سمعت من شفان إنو"), or a name stands before "من": "أنا X Y من Z" may say from
    whom (round thirteen's choice, kept)."""
    before = words[i - 1].folded if i else ""
    if before in ("ما", "وما") and words[i].folded.endswith("ش"):
        return True
    if before != "من" or (i >= 2 and (marked[i - 2] or _may_be_a_name(words[i - 2]))):
        return False
    after = words[i + 1].folded if i + 1 < len(words) else ""
    joined = i + 1 < len(words) and words[i + 1].start - words[i].end <= 1
    return not (
        joined and (after in _ARABIC_THAT or (_is_arabic(after) and _arabic_rank(after) is None))
    )


def _rare_in_latin(word: _Word) -> bool:
    """An Arabic word in a Latin-script message that is no frequent or listed word."""
    folded = word.folded
    rank = _arabic_rank(folded)
    return (
        len(folded) >= 2
        and (rank is None or (rank >= _ARABIC_FREQUENT and not _inflected(folded)))
        and not any(f in _COMMON or f in _TITLES for f in _bare(folded))
    )


@lru_cache(maxsize=65536)
def _unknown_arabic_word(folded: str) -> bool:
    """No vocabulary, list or shape of an ordinary word knows it (see `_unknown_arabic`)."""
    bare = _bare(folded)
    return (
        len(folded) >= 3
        and _arabic_rank(folded) is None
        and not _inflected(folded)
        and not any(_BROKEN_PLURAL.fullmatch(f) and not f.endswith("ة") for f in bare)
        and not folded.startswith("ي")  # "يدلف": a verb of "he"; "يامن" needs a cue
        and not _spoken_verb(folded)
        and not _glued_word(folded)
        and not _spoken_possessive(folded)
        and not any(
            f in _COMMON
            or f in _arabic_places()
            or f in _arabic_nationalities()
            or f in _DIGIT_WORDS
            or f in _TENS_WORDS
            or f in _TITLES
            or f in _ARABIC_AFTER_PERSON
            or f in _ARABIC_PERSON_NOUNS
            for f in bare
        )
    )


def _glued_word(folded: str) -> bool:
    """A frequent word behind a proclitic ("بقائمة", in a list; "بدينار", for a dinar), or
    behind the Levant's "ع" (on, to: "عمدرسة", "عطريق"); not a listed name so glued."""
    glued = _bare(folded)[1:] + ([folded[1:]] if folded.startswith("ع") else [])
    return any(
        len(f) >= 3
        and (_arabic_rank(f) or _ARABIC_FREQUENT) < _ARABIC_FREQUENT
        and not _arabic_name(f)
        for f in glued
    )


def _spoken_possessive(folded: str) -> bool:
    """ "صاحبو", "سميتو", "بكرو": "his" written "و", as the Maghreb, Sudan and the Levant
    say it, on a word the vocabulary knows with "ه" ("صاحبه") or as a frequent word of
    four letters or more; a short frequent word may be a name's start ("اويو")."""
    if len(folded) < 4 or not folded.endswith("و") or folded.startswith("ال"):
        return False  # "the" and "his" never go together: "الجرو" may be a family name
    if _arabic_name(folded):
        return False
    stem = folded[:-1]
    return not _arabic_name(stem) and (
        (_arabic_rank(stem + "ه") or _POSSESSIVE_RANK) < _POSSESSIVE_RANK
        or (len(stem) >= 4 and (_arabic_rank(stem) or _ARABIC_FREQUENT) < _ARABIC_FREQUENT)
    )


# Rarer "ه" forms than this may be a name's with "و" ("منتو" beside "منته").
_POSSESSIVE_RANK = 60000


# Rarer "وا" forms than this are more likely a name's: "شمو" (a Yazidi name) beside "شموا".
_SPOKEN_PLURAL_RANK = 50000


def _spoken_plural(folded: str) -> bool:
    """ "ماتو", "لقو", "رجعو": the past of "they" with its "وا" written "و", as in the
    Maghreb and Sudan, when the vocabulary knows the "وا" form."""
    if not folded.endswith("و") or folded.startswith("ال"):
        return False
    rank = _arabic_rank(folded + "ا")
    return rank is not None and rank < _SPOKEN_PLURAL_RANK


@lru_cache(maxsize=65536)
def _spoken_verb(folded: str) -> bool:
    """A verb as spoken, built on a word the vocabulary knows: "جاعت" (she went hungry:
    "جاع" and "ت"), "نخدمو" (we work, in the Maghreb: "نخدم" and "و"), "شنسوي" (what do we
    do, in Iraq: "ش" and "نسوي"). A listed name of these shapes stays one."""
    if len(folded) < 3 or _arabic_name(folded):
        return False
    if _spoken_plural(folded):
        return True
    if len(folded) == 3:
        return False
    stems = []
    if folded.endswith("ت"):
        stems.append(folded[:-1])
    if folded.endswith("و") and folded[0] in "نتي" and len(folded) >= 5:
        stems.append(folded[:-1])
    if folded[0] == "ش" and folded[1] in "نتيا":
        stems.append(folded[1:])
    stems += _spoken_prefixed(folded)
    if any(len(stem) >= 3 and _arabic_rank(stem) is not None for stem in stems):
        return True
    return any(
        len(stem) >= 3 and (_arabic_rank(stem) or _ARABIC_RARE) < _ARABIC_RARE
        for stem in _spoken_verb_stems(folded)
    )


def _spoken_prefixed(folded: str) -> list[str]:
    """The verb of "he", "she", "we" inside a spoken present or passive: "بيشيل" (the
    Levant, Egypt, Sudan), "كيجي" (the Maghreb), "ديتابع", "دتطلب" (Iraq), "منعرف" (we
    know, in the Levant), "اتنهب" (it was looted, in Sudan and Egypt)."""
    stems = []
    if folded[0] in "بدك" and folded[1] in "يتن":
        stems.append(folded[1:])
    if folded.startswith(("كي", "كت", "كن")):
        stems.append(folded[1:])
    if folded.startswith("من") and len(folded) >= 5:
        stems.append(folded[1:])
    if folded.startswith("ات") and len(folded) >= 5:
        stems += [folded[2:], "ي" + folded[2:]]
    return stems


# Objects glued to a verb of "they" or "we" as spoken, its "وا" written "و": "مسكوهم".
_SPOKEN_OBJECTS = ("وهم", "وها", "وهن", "وني", "ونا", "وكم", "وه")


def _spoken_verb_stems(folded: str) -> list[str]:
    """The verb inside a spoken form with "not" or an object: "نعرفوش" (we don't know: "ما"
    … "ش", in the Maghreb, Egypt and Libya), "ما نجموش" (we can't), "مسكوهم" (they caught
    them)."""
    stems = []
    if folded.endswith("ش") and len(folded) >= 5:
        stems.append(folded[:-1])
        if folded.endswith("وش"):
            stems.append(folded[:-2])
    stems += [folded[: -len(end)] for end in _SPOKEN_OBJECTS if folded.endswith(end)]
    return stems


# The shapes of broken plurals, which a vocabulary often lacks: "مدافئ", "شوادر", "أرامل"
# (CaCāCiC, aCCāC) and "مفاتيح" (CaCāCīC). Some names have them ("تماضر"): those count
# after a cue only. Names ending in "ة" ("نوارة", "جمانة") are not plurals.
_BROKEN_PLURAL = re.compile(r"..ا..|..ا.ي.|ا..ا.")


@lru_cache(maxsize=1)
def _arabic_places() -> frozenset:
    """Arabic-script words of GeoNames' town names, and of our places and organisations."""
    words = {w for w in _gazetteer() if _is_arabic(w)}
    return frozenset(
        words | {w for line in _lines(_PLACES_FILE) for w in _split(line) if _is_arabic(w)}
    )


def _before_place_word(text: str, words: list[_Word], i: int) -> bool:
    """ "Hagadera market", "Owino Market": a word before a place word names the place."""
    return (
        i + 1 < len(words)
        and words[i + 1].folded in _NAMES_A_PLACE
        and _joined(text, words[i], words[i + 1])
    )


def _initial_full_name(text: str, words: list[_Word], i: int) -> bool:
    """First in a sentence, two capitalised words no list knows, then a word in lower case:
    "Mayunga Ndaturu amepigwa", "Yandé Ndour dit"."""
    if i + 2 >= len(words):
        return False
    second, after = words[i + 1], words[i + 2]
    if _swahili_verb_shape(words[i].folded) and _swahili(words):
        return False  # "Tumetoka Kagunga kwenda…": a verb (we came from), then a place
    return (
        _joined(text, words[i], second)
        and _unknown_without_cue(second)
        and not _before_place_word(text, words, i + 1)
        and _joined(text, second, after)
        and after.text[:1].islower()
    )


# -- Names in no list: verbs of speech and contact ---------------------------------------

# "Please tell X", "ask for X", "dis à X", "pregunte por X", "ka gaya wa X", "na ga X": the
# capitalised word after a verb of speech, contact or meeting is a person, unless a list
# knows it as an ordinary word ("call Safaricom", "thank God", "gracias a Dios").
_CONTACT_VERBS = _by_first_word(
    _phrase(p)
    for p in _phrases("""
tell|tell to|ask|ask for|ask about|call|phone|ring|text|contact|inform|thank|greet
told|asked|asked for|asked about|phoned|texted|informed|thanked|greeted|saw|met|meet
speak to|speak with|spoke to|spoke with|talk to|talk with|talked to|talked with
write to|wrote to|wait for|waited for|look for|looked for
took|beat|beats|arrested|arrest|chased|helped|help|hit|attacked|threatened|threatens|robbed
dis à|dites à|dire à|demande à|demandez à|demander à|demande|demandez|demander|demandé
appelle|appelez|appeler|appelé|téléphone à|téléphonez à|téléphoner à|téléphoné à
parle à|parlez à|parler à|parlé à|parle avec|parlez avec|parler avec|parlé avec
contacte|contactez|contacter|contacté|écris à|écrivez à|écrire à|écrit à|auprès de
prévenez|préviens|prévenir|informez|informe|remercie|remercions|remerciez|salue|saluez
vu|rencontré|croisé
dile a|dígale a|díganle a|decirle a|dígales a|diga a|dijo a|le dije a|le dijimos a
pregunte por|pregunta por|preguntar por|pregunten por|preguntes por|preguntamos por
pregúntele a|pregúntale a|preguntó por|llame a|llama a|llamar a|llamen a|llamé a|llamó a
hable con|habla con|hablar con|hablé con|hablamos con|hablen con|escribí a|escriba a
escríbale a|escribir a|escriba a|busque a|busca a|buscar a|busqué a|avise a|avísele a
avisar a|avisé a|contacte a|contactar a|vi a|vimos a|conocí a|encontré a
uliza|ulizia|waulize|wasiliana na|ongea na|ongeeni na|zungumza na|sema na
ka gaya wa|ki gaya wa|ku gaya wa|gaya wa|ka faɗa wa|ki faɗa wa|faɗa wa|ka fada wa|fada wa
ka tambayi|ki tambayi|ku tambayi|tambayi|na tambayi|mun tambayi|kira|ka kira|ki kira
ku kira|na kira|mun kira|ku nemi|ka nemi|ki nemi|nemi|na ga|mun ga|ya ga|ta ga
yi magana da|ka sanar da|ki sanar da|sanar da|ku sanar da
thank u|thank you|thanks|thanx|thanks to|merci à|gracias a|mun gode|na gode|mun gode wa|na gode wa
sun kama|an kama|ya kama|ta kama|sun doki|ya doki|ta doki|sun kori|ya kori|ya taimaki|ta taimaki
a taimaki|a taimaka wa|ki taimaki|ka taimaki
""")
)
# Swahili puts "him", "her", "them" inside the verb: "mwambie", "muulize", "mpigie",
# "nilimwona", "tulikutana na".
_SWAHILI_CONTACT = re.compile(
    r"(?:ni|tu|a|wa|u|m)?(?:li|me|na|ta|ki|ka)?(?:mw|mu|m|wa)(?:ambie|ambia|ulize|uliza|pigie"
    r"|pigia|pe|pa|tafute|tafuta|one|ona|ite|ita|julishe|shukuru|eleze|chukua|piga|kamata"
    r"|fukuza|saidia|tishia|nyanyasa|shika|umiza|ibia)(?:ni)?"
    r"|(?:ni|tu|a|wa)?(?:li|me|na|ta|ki)?(?:kutana|ongea|zungumza|wasiliana)"
)


def _contact_cue(words: list[_Word], i: int) -> int:
    """The length in words of a verb of speech or contact starting at word i, or 0."""
    length = _phrase_at(words, i, _CONTACT_VERBS)
    if length:
        return length
    folded = words[i].folded
    if _SWAHILI_CONTACT.fullmatch(folded):
        # "tulikutana na X": the "na" (with) belongs to the verb.
        with_na = folded.endswith(("kutana", "ongea", "zungumza", "wasiliana"))
        if not with_na:
            return 1
        return 2 if i + 1 < len(words) and words[i + 1].folded == "na" else 0
    return 0


def _after_contact_verbs(text: str, words: list[_Word], marked: list[bool]) -> None:
    """ "Please tell Mwanajabu", "ask for Kisakye", "Dites à Mbarga", "Mwambie Mwanaidi": a
    capitalised word no list knows, after a verb of speech or contact, is a name. The
    verb itself is then no name ("Kira" is "call" in Hausa, "Dis" is "tell")."""
    for i in range(len(words) - 1):
        length = _contact_cue(words, i)
        j = i + length
        if not length or j >= len(words) or not _joined_loose(text, words[j - 1], words[j]):
            continue
        if _swahili_infinitive(words, j):
            continue  # "anamsaidia kupika": helps him to cook
        if (
            _unknown_capitalised(words[j])
            or (marked[j] and words[j].capital)
            or _lower_case_unknown(words[j])
        ):
            marked[j] = True
            for k in range(i, j):
                marked[k] = False


# "Kaltuma told me", "Ngassa m'a dit", "Jhoiner me dijo", "Kanyange alisema", "Tasalla ta
# ce": a capitalised word no list knows, before a verb of saying, is a name.
_SAID = _split("""
said says told tells asked asks called calls explained explains reported complained wrote
informed promised replied answered mentioned warned insisted claimed shouted phoned texted
confirmed announced
dit demandé expliqué raconté raconte appelé téléphoné écrit promis répondu confirmé annoncé
signalé prévenu informé affirmé affirme crié assuré explique demande
dijo dice dicen contó cuenta preguntó llamó avisó explicó comentó informó escribió prometió
respondió contestó aseguró gritó dicho contado preguntado llamado avisado
ce faɗa fada gaya faɗi fadi tambaya kira rubuta sanar
""")
# What may stand between the name and the verb: "m'a dit", "me dijo", "ya ce", "has told".
_BEFORE_SAID = _split("""
has had have also then just always never already
m t l s n me te se nous vous lui leur ne a avait aurait est était aussi déjà toujours
le les nos lo la ha había también ya
ta yana tana
""")
_SWAHILI_SAID = re.compile(
    r"a(?:li|me|na|ta|ki|ka|si)?(?:ni|tu|wa|m|mw|ku)?"
    r"(?:sema|ambia|uliza|eleza|pigia|lalamika|andikia|jibu|ahidi|taja)"
)


def _before_speech_verbs(text: str, words: list[_Word], marked: list[bool]) -> None:
    """A capitalised word no list knows, then a verb of saying within the same phrase, is
    the person who spoke, also first in a sentence. Pronouns, "Everyone", "Nobody", "Kowa",
    "Nadie", days and months are in the ordinary lists; relatives ("Mijina ya ce") and
    English plurals ("Teachers said") are left."""
    for i in range(len(words) - 1):
        word = words[i]
        if (
            marked[i]
            or not _unknown_capitalised(word)
            or word.folded in _RELATION_WORDS
            or _contact_cue(words, i)
        ):
            continue
        k = i + 1
        while (
            k < len(words)
            and k <= i + 3
            and words[k].folded in _BEFORE_SAID
            and _near(text, words[k - 1], words[k])
        ):
            k += 1
        if k >= len(words) or not _near(text, words[k - 1], words[k]):
            continue
        verb = words[k].folded
        if verb == "ce" and k == i + 1:
            continue  # Hausa "Kyauta ce": it is a gift; "Musa ya ce": Musa said
        english = verb in _SAID and verb.endswith(("ed", "s", "d", "ld", "te"))
        if (verb in _SAID or _SWAHILI_SAID.fullmatch(verb)) and not (
            english and word.folded.endswith("s")
        ):
            marked[i] = True


def _near(text: str, left: _Word, right: _Word) -> bool:
    """Next to each other, or joined by an elision's apostrophe: "m'a", "l'a"."""
    gap = text[left.end : right.start]
    return len(gap) <= 2 and gap.strip(" -" + _APOSTROPHES) == ""


# Arabic cues: a verb, and the proclitic the name then carries ("قل لمنيرة": tell Munira;
# "اتصل بمعاذ": call Muadh). The word after must be none of the ordinary words and shapes of
# `_arabic_word_not_name`, no common noun for a person ("قابلت مدير المدرسة") and no
# indefinite object ("رأيت رجلا").
_ARABIC_CUES = {
    **{_fold(w): "ل" for w in "قل قولي قولوا قلت شكرا شكراً نشكر أشكر".split()},
    **{
        _fold(w): "ب"
        for w in """اتصل اتصلي اتصلوا اتصلت التقيت التقينا مررت
                   مررنا مرت""".split()
    },
    **{
        _fold(w): ""
        for w in """أخبر اخبر أخبري اخبري أخبروا أخبرت اخبرت بلغ بلغي
                   جاء جاءت حضر حضرت زارنا زارتنا حكى حكت أكد أكدت اشتكى اشتكت
                   كلم كلمي كلمت كلمنا رأيت رايت شفت قابلت قابلنا سألت سالت قال قالت يقول
                   تقول""".split()
    },
}
_ARABIC_ASK = _split("اسأل اسال اسألي اسالي اسألوا اسألوا سألت سالت سأل سال نسأل")
# Calling "on" someone, as the Levant, Iraq and the Gulf say it: "الاتصال على X" (call X),
# "اتصلوا على X", "دقوا على X".
_ARABIC_CALL_ON = _split("الاتصال اتصال اتصل اتصلي اتصلوا اتصلت دق دقي دقوا رن رني رنوا")
_ARABIC_PERSON_NOUNS = (
    _split("""
مدير مديرة موظف موظفة مسؤول مسؤولة مسئول رئيس رئيسة عضو أعضاء اعضاء مندوب مندوبة ضابط
مختار حارس حراس شرطي شرطة جندي جنود عسكري رجل رجال امرأة نساء طفل طفلة أطفال اطفال ولد
أولاد اولاد بنت بنات شاب شباب شخص أشخاص اشخاص ناس أهل اهل جار جارة صديق صديقة زميل زميلة
سائق عامل عمال ممرض ممرضة طبيب طبيبة دكتور معلم معلمة مدرس مدرسة متطوع متطوعة لجنة منظمة
مكتب رقم هاتف تلفون أحد احد بعض جميع كيف لماذا متى أين اين هذا هذه ذلك تلك شيء شي
متحدث متحدثة ناطق ناطقة مراسل مراسلة ممثل ممثلة شاهد شاهدة مصدر
""")
    | _ARABIC_KIN
)


# "قال لينا" (he told us, in Sudan and Chad), "قالت ليا": "to us", "to me" as spoken.
_TO_US = _split("لينا ليا ليهم ليكم ليك")
# He or they said, told: not "قالت" ("قالت لينا": Lina said).
_HE_SAID = _split("قال قالو قالوا قلت قلنا قالي حكى حكو حكوا بيقول يقول بقول")


def _told_us(text: str, words: list[_Word], marked: list[bool]) -> None:
    """ "قال لينا في شغل": after "he said", "they said", "لينا" is "to us", not Lina."""
    if not any(marked):
        return
    for i in range(1, len(words)):
        if (
            marked[i]
            and words[i].folded in _TO_US
            and words[i - 1].folded in _HE_SAID
            and _joined(text, words[i - 1], words[i])
        ):
            marked[i] = False


def _arabic_cues(text: str, words: list[_Word], marked: list[bool]) -> None:
    """ "قل لمنيرة", "اسأل عن بثينة", "اتصل بمعاذ", "رأيت حمادة", "قال صهيب": after a verb
    of speech, contact or seeing, an Arabic word that is no ordinary word is a name."""
    for i in range(len(words) - 1):
        verb, j = _cue_verb(words[i].folded), i + 1
        if verb in _ARABIC_ASK and words[j].folded == "عن":
            proclitic, j = "", j + 1  # "اسأل عن": ask about
        elif words[i].folded in _ARABIC_CALL_ON and words[j].folded == "على":
            proclitic, j = "", j + 1  # "الاتصال على": call
        elif verb in _ARABIC_CUES:
            proclitic = _ARABIC_CUES[verb]
        elif verb in _ARABIC_ASK or verb == "مع":
            proclitic = ""  # "اسألوا عذبة": ask Adhba; "مع ضمياء": with Damya'
        else:
            continue
        if j >= len(words) or marked[j] or not _joined(text, words[j - 1], words[j]):
            continue
        word = words[j]
        bare = word.folded
        if bare in _TO_US:
            continue
        if proclitic:
            # "للمدير" is "to the director": ل with "ال" that lost its alif.
            if not bare.startswith(proclitic) or bare.startswith("لل"):
                continue
            bare = bare[len(proclitic) :]
        plain = word._replace(text=bare, folded=bare)
        if (
            not _is_arabic(bare)
            or bare in _spoken_words()  # "قالوا لازم": they said (we) must
            or bare in _ARABIC_PERSON_NOUNS
            or any(f in _ARABIC_KIN for f in _bare(bare))  # "قالوا لعمي": to my uncle
            or (bare.endswith("ا") and len(bare) >= 4)
        ):
            continue
        # "بأمين المخزن" (the storekeeper): before an "ال" word it is a noun in a construct.
        construct = j + 1 < len(words) and words[j + 1].folded.startswith("ال")
        after_preposition = bool(proclitic) or words[j - 1].folded == "عن"
        if _arabic_word_not_name(plain) is False or (
            after_preposition and not construct and _noun_after_preposition(bare)
        ):
            marked[j] = True


_ARABIC_CUE_VERBS = frozenset(_ARABIC_CUES) | _ARABIC_ASK
_ARABIC_SAYS = _split("قال قالت يقول تقول أكد أكدت")
# Words this frequent (seen about 10,000 times or more) are no name even before "إن":
# "قال شاهد إن", "قال مصدر إن".
_ARABIC_VERY_FREQUENT = 3000


def _arabic_said_that(text: str, words: list[_Word], marked: list[bool]) -> None:
    """ "قالت تغلب إن الخيمة تسرب": between "said" and "that" stands who said it. Not an
    "ال" word, a pronoun, a noun for a person or a very frequent word ("قال مسؤول إن")."""
    for i in range(len(words) - 2):
        verb, word, that = words[i], words[i + 1], words[i + 2]
        folded = word.folded
        if (
            _cue_verb(verb.folded) not in _ARABIC_SAYS
            or that.folded != "ان"
            or marked[i + 1]
            or not (_joined(text, verb, word) and _joined(text, word, that))
        ):
            continue
        rank = _arabic_rank(folded)
        if (
            _is_arabic(word.text)
            and len(folded) >= 3
            and not _inflected(folded)
            and (rank is None or rank >= _ARABIC_VERY_FREQUENT)
            and not any(
                f in _COMMON
                or f in _TITLES
                or f in _ARABIC_PERSON_NOUNS
                or f in _ARABIC_AFTER_PERSON
                for f in _bare(folded)
            )
        ):
            marked[i + 1] = True


@lru_cache(maxsize=65536)
def _cue_verb(folded: str) -> str:
    """A cue verb without the "and" or "then" glued to it ("واسأل", "فقال"), nor the ending
    of "we", "they" or "I" ("سألنا", "كلموا", "سألت")."""
    for form in (folded, folded[1:] if folded[:1] in ("و", "ف") else ""):
        if form in _ARABIC_CUE_VERBS:
            return form
        for ending in ("نا", "وا", "ت"):
            if form.endswith(ending) and form[: -len(ending)] in _ARABIC_CUE_VERBS:
                return form[: -len(ending)]
    return folded


# Pronouns glued to the end of a word: "أخيها", "زوجها", "أهلهم", "أمك".
_ARABIC_POSSESSIVE = ("ي", "ك", "ه", "ها", "هم", "هن", "كم", "نا")


def _noun_after_preposition(bare: str) -> bool:
    """After "بـ", "لـ" or "عن" no verb can come: a word shaped like a verb ("بأوس", "عن
    يامن", "عن هتون") is a name there, unless it is an ordinary word, an "ال" word or
    carries a possessive ("بأخيها")."""
    return (
        len(bare) >= 3
        and not bare.startswith("ال")
        and not bare.endswith(_ARABIC_POSSESSIVE)
        and not bare.endswith("وا")
        and bare not in _COMMON
        and bare not in _ARABIC_AFTER_PERSON
        and bare not in _ARABIC_T_VERBS
        and bare not in _TITLES
    )


# -- Names in no list: before a verb, and joined by "and" to a name -------------------------

# "Leo Kazimoto amerudi": a Swahili verb for "he/she" (a-li-, a-me-, a-na-, a-ta-, a-ka-)
# after a capitalised word no list knows makes it its subject.
_SWAHILI_HE_SHE = re.compile(r"a(?:li|me|na|ta|ka|si)[a-z]{3,}")


def _swahili_subjects(text: str, words: list[_Word], marked: list[bool]) -> None:
    """An unknown capitalised word before a Swahili verb for "he/she" is a person."""
    for i in range(len(words) - 1):
        word, verb = words[i], words[i + 1]
        if (
            not marked[i]
            and _unknown_capitalised(word)
            and not verb.capital
            and word.folded not in _RELATION_WORDS
            and word.folded not in _everyday_written()  # "Msee anaitwa X": the guy is called X
            and _joined(text, word, verb)
            and _SWAHILI_HE_SHE.fullmatch(verb.folded)
        ):
            marked[i] = True


# "Atangana est venu": "est" and a past participle of coming, going, dying.
_FRENCH_PARTICIPLES = _split("""
venu venue revenu revenue parti partie mort morte décédé décédée arrivé arrivée allé allée
tombé tombée rentré rentrée sorti sortie resté restée né née passé passée retourné retournée
""")


# "a volé", "a frappé", "a pris", "a dit", "a vu": "avoir" and a past participle (not "a
# su": Spanish "to his").
_FRENCH_PAST = re.compile(r"[a-zàâçéèêëîïôûùüÿœ]{2,}(?:é|i|is|it|u|ert|eint|ait)|[vpbl]u|eu|dû")


def _french_subjects(text: str, words: list[_Word], marked: list[bool]) -> None:
    """An unknown capitalised word, then "est" and a participle of motion, or "a" and a
    past participle ("Mbokoso a volé"): a person."""
    for i in range(len(words) - 2):
        word, aux, verb = words[i], words[i + 1], words[i + 2]
        past = (aux.folded == "est" and verb.folded in _FRENCH_PARTICIPLES) or (
            aux.text == "a" and _FRENCH_PAST.fullmatch(verb.text) is not None
        )
        if (
            not marked[i]
            and (_unknown_capitalised(word) or _unknown_anywhere(word))
            and past
            and word.folded not in _RELATION_WORDS
            and _joined(text, word, aux)
            and _joined(text, aux, verb)
        ):
            marked[i] = True


_AND = _split("and et y na da & ak")  # "ak": Haitian Creole
# A Swahili verb with its subject and tense: "Tulienda" (we went), "Nimeongea" (I spoke).
_SWAHILI_VERB = re.compile(r"(?:ni|u|a|tu|m|mu|wa)(?:li|me|na|ta|ka|ki|nge|si)[a-z]{3,}")


def _joined_by_and(text: str, words: list[_Word], marked: list[bool]) -> None:
    """ "Waambie Ngwilizi na Mwasenga", "Dossou et Koffi", "سعاد ومريم": a capitalised
    word no list knows, joined by "and" to a name, is a name too (either side)."""
    for i in range(len(words) - 2):
        left, link, right = words[i], words[i + 1], words[i + 2]
        if (
            link.folded not in _AND
            or link.capital
            or not (_joined(text, left, link) and _joined(text, link, right))
        ):
            continue
        if (
            marked[i]
            and not marked[i + 2]
            and _unknown_capitalised(right)
            and not _plural_of_word(right.folded)
            and not _people_shaped(right, words)
        ):
            marked[i + 2] = True
        elif (
            marked[i + 2]
            and not marked[i]
            and (
                _unknown_without_cue(left)
                and not _contact_cue(words, i)
                and not _SWAHILI_VERB.fullmatch(left.folded)
                if left.initial
                else _unknown_capitalised(left) and not _plural_of_word(left.folded)
            )  # not "Teachers, Nurses and Wekesa": a plural of a word is a group
            and not _people_shaped(left, words)
        ):
            marked[i] = True
    for i in range(len(words) - 1):
        name, word = words[i], words[i + 1]
        rest = word.folded[1:]
        if (
            marked[i]
            and not marked[i + 1]
            and _is_arabic(name.text)
            and word.folded.startswith("و")
            and _joined(text, name, word)
            and not rest.endswith(_ARABIC_POSSESSIVE)
            # "وصلت" (she arrived) is no "و" + name: the whole word must not be a verb either.
            and _arabic_word_not_name(word) is False
            and _arabic_word_not_name(word._replace(text=rest, folded=rest)) is False
        ) or (
            marked[i]
            and i
            and words[i - 1].folded in _ARABIC_KIN
            and word.folded not in _ARABIC_AFTER_PERSON  # "بنتي X ولدت": gave birth
            and _second_name_after_kin(text, words, marked, i)
        ):
            marked[i + 1] = True


# Relatives and people a "و" word may name with a possessive: "أختي سعاد وزوجها" (and her
# husband) is no two-word name.
_ARABIC_PERSON_STEMS = _split("""
زوج جوز ابن بنت اولاد ولاد أولاد عيال اطفال أطفال اخ أخ اخت أخت ام أم اب أب اهل أهل اسرة
أسرة عائلة عيلة ولد بنات اخوان إخوان اخوات أخوات صاحب صاحبة جار جارة خال عم خالة عمة جد
جدة حما حماة رفيق رفيقة صديق صديقة
""")


def _second_name_after_kin(text: str, words: list[_Word], marked: list[bool], i: int) -> bool:
    """ "أختي فادومو ورسمه مريضة", "أخي X دقاله مات": after a relative and a name, a word
    ("و" and a word) that the vocabulary holds as rare (does not know), whose stem is no
    relative, and that comes before a word said of one person or ends the phrase is the
    second word of the name, whatever its ending; not a verb ("تعبت", "نمشيو")."""
    if not (
        i >= 1
        and i + 1 < len(words)
        and marked[i]
        and not marked[i + 1]
        and words[i - 1].folded in _ARABIC_KIN
        and _is_arabic(words[i].text)
        and _is_arabic(words[i + 1].text)
        and _joined(text, words[i], words[i + 1])
    ):
        return False
    second = words[i + 1].folded
    if second.startswith("و"):
        rest = second[1:]
        rank = _arabic_rank(rest)
    elif second.startswith(("ي", "ت", "ن", "ال")) or _spoken_verb(second):
        return False
    else:
        rest, rank = second, _arabic_rank(second)
        if rank is not None:
            return False
    stems = [rest] + [rest[: -len(e)] for e in _ARABIC_POSSESSIVE if rest.endswith(e)]
    after = i + 2
    ends = after >= len(words) or text[words[i + 1].end : words[after].start].strip()[:1] in (
        "،",
        ",",
        ".",
    )
    return (
        len(rest) >= 3
        and (rank is None or rank >= _ARABIC_RARE)
        and not any(f in _ARABIC_PERSON_STEMS or f in _COMMON for f in stems)
        and (ends or words[after].folded in _ARABIC_AFTER_PERSON)
    )


# -- Lists of names, a subject first in a sentence, lower-case cues (round seven) -----------

# Verbs and subject words that follow a person's name first in a sentence: Hausa's
# subject particles ("Musa ya tafi", "sun zo"), Spanish "se", "no", "fue", French "ne", "a",
# "est", English auxiliaries. Swahili and past-tense shapes are matched below.
# What follows a person first in a sentence, by number: one person ("Musa ya tafi",
# "Yasmany se robó", "Kanyoro alipigwa") or a list of them ("A, B da C ba sa", "A na B
# hawajapata"). A plural verb after one word is a group's ("Sojoji sun", "Madaktari
# wamegoma"), a verb of "we" is the writer's ("Pamoja tunaweza"): no sign of a person.
_ONE_NEXT = _split("""
se no fue ha había habia está esta estaba tiene dijo vino llegó llego murió murio salió salio
perdió perdio lo me nos te est était etait avait dort va vient
is was has did does will can cannot could would went came died
keeps takes took says said sells sold steals stole beats refuses refused wants asks asked
gives gave lives works sleeps told tells brought brings collects charges threatens sends sent
""")
_MANY_NEXT = _split("""
se no fueron han habían habian están estan estaban tienen dijeron vinieron llegaron murieron
sont étaient etaient ont avaient dorment vont viennent
are were have did do will can cannot could would went came died
""")
# Hausa's, only in a Hausa message: in Swahili "ya", "za" are "of" ("Neema ya Mungu"), and
# "ne" after a noun is Hausa's "it is" ("Alheri ne"), French's "not" elsewhere.
_HAUSA_ONE_NEXT = _split("ya ta za zai zata yana tana ba bai bata yakan takan")
_HAUSA_MANY_NEXT = _split("sun suna za zasu ba basu sukan an")  # "an": "X da Y an kore su"
_FRENCH_NOT = _split("ne n")
# Words that tell Hausa from Swahili, the two languages whose particles look alike.
_HAUSA_MARKERS = _split(
    "da ne ce amma kuma saboda wannan sosai jiya ba mun sun don akwai babu "
    "yana tana suna domin tun har gode yanzu ranar sunana sunansa sunanta mijina matata "
    "zuwa gare cikin wajen wurin muka suka wani wasu"
)
_SWAHILI_MARKERS = _split(
    "ni kwa na lakini kwenye hii sana tu bado ndiyo hakuna cha vya hapa "
    "sasa leo jana kwamba pia tena"
)
# Swahili verbs of "they" ("wamefukuzwa") and negatives of "he", "she" ("hajapata", "hakuja")
# and of "they" ("hawajapata").
_SWAHILI_THEY = re.compile(r"wa(?:li|me|na|ta|ka|ki|nge|si)[a-z]{3,}")
_SWAHILI_NOT_ONE = re.compile(r"ha(?:ja|ku|ta)[a-z]{2,}")
_SWAHILI_NOT_MANY = re.compile(r"hawa(?:ja|ku|ta|na)?[a-z]{3,}")
# Past tenses of Spanish, French and English: "perdió", "llamaron", "dormait", "chased".
_PAST_ONE = re.compile(r"(?:ió|ait|ed)$")
_PAST_MANY = re.compile(r"(?:aron|ieron|aient|ed)$")


def _hausa(words: list[_Word]) -> bool:
    """A message with more words of Hausa than of Swahili, and than of English, French or
    Spanish ("ce" is French too), among those that tell them apart."""
    hausa = sum(w.folded in _HAUSA_MARKERS for w in words)
    return hausa > sum(w.folded in _SWAHILI_MARKERS for w in words) and hausa > sum(
        w.folded in _EUROPEAN_MARKERS for w in words
    )


def _subject_verb(word: _Word, words: list[_Word], many: bool) -> bool:
    """A word that follows the subject, one person or several: a verb or a subject particle
    (Hausa's in a Hausa message only, the others' only elsewhere)."""
    folded = word.folded
    if word.capital or _is_arabic(word.text):
        return False
    lowered = word.text.casefold()
    if many:
        hausa = folded in _HAUSA_MANY_NEXT
        other = (
            folded in _MANY_NEXT
            or folded in _FRENCH_NOT
            or _SWAHILI_THEY.fullmatch(folded) is not None
            or _SWAHILI_NOT_MANY.fullmatch(folded) is not None
            or _PAST_MANY.search(lowered) is not None
        )
    else:
        hausa = folded in _HAUSA_ONE_NEXT
        other = (
            folded in _ONE_NEXT
            or folded in _FRENCH_NOT
            or _SWAHILI_HE_SHE.fullmatch(folded) is not None
            or _SWAHILI_NOT_ONE.fullmatch(folded) is not None
            or _PAST_ONE.search(lowered) is not None
        )
    if not (hausa or other):
        return False
    return hausa if _hausa(words) else other


def _list_at(text: str, words: list[_Word], i: int) -> list[int]:
    """The members of a list that starts at word i: "A, B and C", "A, B et C", "A na B",
    one word each. Only word i when no list starts there."""
    members = [i]
    k = i
    while k + 1 < len(words):
        gap = text[words[k].end : words[k + 1].start]
        if gap.count(",") == 1 and not gap.strip(" ,"):
            k += 1
        elif (  # "X, Y and baby Z": the last one said with "baby"
            words[k + 1].folded in _AND
            and not words[k + 1].capital
            and _baby_words(words, k + 2)
            and k + 2 + _baby_words(words, k + 2) < len(words)
            and all(
                _joined(text, words[n], words[n + 1])
                for n in range(k, k + 2 + _baby_words(words, k + 2))
            )
        ):
            k += 2 + _baby_words(words, k + 2)
        elif gap.strip() == "&" and k + 1 < len(words):
            # "X, Y & baby Z": the ampersand of notes written fast is "and"
            baby = k + 2 < len(words) and words[k + 1].folded in _BABY
            k += 2 if baby and _joined(text, words[k + 1], words[k + 2]) else 1
        elif (
            words[k + 1].folded in _AND
            and not words[k + 1].capital
            and k + 2 < len(words)
            and _joined(text, words[k], words[k + 1])
            and _joined(text, words[k + 1], words[k + 2])
        ):
            k += 2
        else:
            break
        members.append(k)
    return members


# ("and little X", "et la petite Y": the youngest said so)
_BABY = _split(
    "baby bébé bebé bebe jariri jaririya little petit petite pequeño pequeña chiquito chiquita"
)
# ("and the baby X", "na mtoto mchanga X": the newborn, with an article or in two words)
# ("and the small one X", "et la petite X", "y la pequeña X": the youngest, with an article)
_BABY_PHRASES = (("the", "baby"), ("le", "bébé"), ("el", "bebé"), ("mtoto", "mchanga"))
_YOUNGEST_PHRASES: tuple[tuple[str, ...], ...] = (
    *_BABY_PHRASES,
    *(("la", "petite"), ("le", "petit"), ("la", "pequena"), ("el", "pequeno")),
    *(("the", "small", "one"), ("the", "little", "one"), ("the", "youngest")),
)


def _baby_words(words: list[_Word], k: int) -> int:
    """How many words from word k say "the baby" before the last name of a list: 0 to 3."""
    if k < len(words) and words[k].folded in _BABY:
        return 1
    for length in (3, 2):
        if tuple(w.folded for w in words[k : k + length]) in _YOUNGEST_PHRASES:
            return length
    return 0


def _town_not_name(word: _Word) -> bool:
    """A capitalised town of GeoNames that no list of names holds."""
    folded = word.folded
    return (
        word.capital
        and folded in _gazetteer()
        and folded not in _listed()[0]
        and folded not in _AFRICAN_NAMES
        and folded not in _name_list()
    )


def _lower_case_message(words: list[_Word]) -> bool:
    """A message written in lower case: no Latin word has a capital, first words included."""
    return not any(w.capital for w in words if not _is_arabic(w.text))


# Words of English, French and Spanish that Swahili has not: "y", "se", "the", "les".
_EUROPEAN_MARKERS = _split("y se por los las el del que et le les des une the and of is was")


def _european(words: list[_Word]) -> bool:
    """A message in English, French or Spanish: a word of theirs, no word of Hausa's but
    "ba" (the word asked about)."""
    return any(w.folded in _EUROPEAN_MARKERS for w in words) and not any(
        w.folded in _HAUSA_MARKERS and w.folded != "ba" for w in words
    )


def _swahili(words: list[_Word]) -> bool:
    """A message that may be Swahili: a word only Swahili has among its markers, or no
    word of English, French or Spanish ("Alirio, Libardo y Emiro se fueron" is not)."""
    return any(w.folded in _SWAHILI_MARKERS and w.folded not in ("ni", "na") for w in words) or (
        not any(w.folded in _EUROPEAN_MARKERS for w in words)
    )


def _list_member_unknown(
    word: _Word, lower: bool, swahili: bool = True, hausa: bool = False
) -> bool:
    """A member of a list that may be a name: an unknown capitalised word (first in a
    sentence, no town or ordinary word either), or in a lower-case message an unknown word."""
    if (
        word.folded in _RELATION_WORDS
        or word.folded in _FAMILY_CUES  # "X ak pitit nou yo Y": "and our children Y"
        or _cue_word(word, swahili)
        or _group_word(word)
    ):
        return False
    if hausa and _hausa_people(word.folded):
        return False  # "Nufawa da Gwarawa": peoples, in Hausa
    if lower:
        return _lower_case_unknown(word)
    return _unknown_without_cue(word) if word.initial else _unknown_capitalised(word)


def _lists_of_names(text: str, words: list[_Word], marked: list[bool]) -> None:
    """ "Ekiru, Nakuwa and Etabo were chased", "Yurley, Sneider y Yeiner no tienen cupo":
    in a list whose other members are names, every unknown member is a name too, the first
    of a list that opens the message included. First in a sentence, a list (or one word)
    of unknown words before a verb or a subject particle is its subject: "Maiturare ya
    doki", "Yasmany se robó", "nyakuoth na gatluak hawajapata"."""
    lower = None
    i = 0
    while i < len(words):
        members = _list_at(text, words, i)
        end = members[-1] + 1
        i = end
        if len(members) == 1 and not (words[members[0]].initial and end < len(words)):
            continue  # one word inside a sentence: no list, no subject
        subject = (
            words[members[0]].initial
            and end < len(words)
            and _joined(text, words[end - 1], words[end])
            and (_subject_verb(words[end], words, len(members) > 1) or _hausa_focus(words, end))
        )
        names = [m for m in members if marked[m]]
        if not subject and not (len(members) >= 2 and names):
            continue
        if lower is None:
            lower = _lower_case_message(words)
        swahili, hausa = _swahili(words), _hausa(words)
        unknown = [m for m in members if _list_member_unknown(words[m], lower, swahili, hausa)]
        if subject and unknown != members and (len(members) > 1 or _hausa_focus(words, end)):
            # "kambere et syauswa n'ont…" in a message with capitals elsewhere, "salissou
            # ne yake…": lower-case words no vocabulary knows, none shaped like a word, before
            # a verb (one alone only when shaped like a name).
            unknown = [
                m
                for m in members
                if _lower_case_subject(words[m])
                and not _group_word(words[m])  # "wasamburu na …": a listed people
                and (len(members) > 1 or _looks_like_name(words[m].folded))
            ]
        if (subject and unknown == members) or (
            len(members) >= 2 and names and len(names) + len(unknown) >= len(members)
        ):
            # "appelante Mme X, Bambari, dit": with commas only, a town of GeoNames that no
            # name list holds, after a name, is where the person is from.
            joined_by_and = any(words[m - 1].folded in _AND for m in members[1:])
            for m in unknown:
                if joined_by_and or subject or not _town_not_name(words[m]):
                    marked[m] = True


# Hausa's focus: "X ne yake karɓar kuɗi" (it is X who takes money), "X ce ta zo".
_HAUSA_FOCUS = _split("ne ce")
_HAUSA_FOCUS_VERB = _split("yake take suke ke ya ta suka zai za zata yana tana suna")


def _hausa_focus(words: list[_Word], k: int) -> bool:
    """Words k and k + 1 are "ne yake", "ce take"… in a Hausa message."""
    return (
        k + 1 < len(words)
        and words[k].folded in _HAUSA_FOCUS
        and not words[k].capital
        and words[k + 1].folded in _HAUSA_FOCUS_VERB
        and _hausa(words)
    )


def _lower_case_subject(word: _Word) -> bool:
    """A lower-case member of a list before its verb that may be a name: no vocabulary
    knows it, it is no cue, and the model does not find it shaped like an ordinary word."""
    return (
        _lower_case_unknown(word)
        and not _cue_word(word)
        and not _looks_like_word(word.folded)
        and not _plural_of_word(word.folded)
    )


def _plural_of_word(folded: str) -> bool:
    """ "venezolanos", "colombianos": the plural of an ordinary word is ordinary too."""
    return any(
        folded.endswith(end)
        and (folded[: -len(end)] in _vocabulary() or folded[: -len(end)] in _ordinary())
        for end in ("s", "es")
    )


def _lower_case_listed(word: _Word) -> bool:
    """A name of our regional lists written in lower case that is no word of our
    vocabularies ("ténin"); not gender-guesser's, which holds words of many languages."""
    folded = word.folded
    return (
        not word.capital
        and not _is_arabic(word.text)
        and (folded in _listed()[0] or folded in _AFRICAN_NAMES)
        and folded not in _vocabulary()
        and folded not in _gazetteer()
        and folded not in _ordinary()
    )


# A list of lower-case words no list knows is a list of names when its words look like
# names on average by this much: Swahili and Hausa nouns the vocabularies lack look like
# names too ("mihogo na viazi", cassava and potatoes, +0.34 on average).
_LIST_SHAPE = 0.4


def _shaped_lists(text: str, words: list[_Word], marked: list[bool]) -> None:
    """ "muhamadi na bwanaheri ndio viongozi", "akwai ténin da nianzon da tenimba": a list of
    two or more lower-case words joined by "and" that no vocabulary knows is a list of names
    when the model of name shapes says so: none of them looks like an ordinary word, and
    each looks like a name (and all of them clearly, on average) or one of them is a name
    of our lists."""
    if not any(w.folded in _AND and not w.capital for w in words):
        return  # no "na", "da", "and": no list (most messages: this keeps it fast)
    i = 0
    while i < len(words):
        members = _list_at(text, words, i)
        i = members[-1] + 1
        if len(members) < 2:
            continue
        # "ténin da nianzon da tenimba, duk babu…": the list ends before a known word.
        for n, m in enumerate(members):
            if not (_lower_case_unknown(words[m]) or _lower_case_listed(words[m])):
                members = members[:n]
                break
        if len(members) < 2 or all(marked[m] for m in members):
            continue
        picked = [words[m] for m in members]
        if any(
            _looks_like_word(w.folded) or _cue_word(w) or _plural_of_word(w.folded) for w in picked
        ):
            continue
        shapes = [_name_shape(w.folded) for w in picked]
        if any(_lower_case_listed(w) for w in picked) or (
            all(_looks_like_name(w.folded) for w in picked)
            and sum(shapes) / len(shapes) >= _LIST_SHAPE
        ):
            for m in members:
                marked[m] = True


# "kutoka kwa X" (from X, a person), "daga wurin X", "daga hannun X" (from X's place, hand).
_FROM_WHOM = _by_first_word(
    _phrase(p) for p in "kutoka kwa|toka kwa|daga wurin|daga hannun|daga gun|daga gurin".split("|")
)
# Words for a person in lower case before a name: "our chairman kidega is selling".
_PERSON_BEFORE_NAME = _split("""
chairman chairlady chairperson leader nurse teacher guard watchman neighbour neighbor
enfermera maestra maestro vecina vecino gardien gardienne voisine voisin infirmière infirmier
mwenyekiti kiongozi jirani mlinzi shugaba shugaban maƙwabci makwabci makwabciyar
husband wife son daughter brother sister mother father uncle aunt cousin nephew niece
mari femme fils fille frère frere sœur soeur mère mere père pere oncle tante cousine
esposo esposa marido hijo hija hermano hermana madre padre tío tio tía tia primo prima
herder shepherd farmer fisherman driver trader vendor tailor widow widower
éleveur berger pêcheur chauffeur commerçant commerçante cultivateur veuve
pastor pescador chofer campesino campesina comerciante vendedor vendedora viuda
mfugaji mchungaji mvuvi dereva mkulima mjane makiyayi manomi direba bazawara
""")  # occupations too: "herder X lost 60 goats"


def _shaped_after_cues(text: str, words: list[_Word], marked: list[bool]) -> None:
    """Where a cue is weak, the model of name shapes decides about a lower-case word that no
    vocabulary knows: after "kutoka kwa", "daga wurin" (from a person) any such word that does
    not look like an ordinary word ("kutoka kwa buanali"); after a word for a person
    ("our chairman kidega", "jirani yangu mwaka") one that looks like a name."""
    for i, word in enumerate(words):
        if word.folded in _RELATION_PHRASES or _hausa_kin(word.folded):
            _shaped_after_kin(text, words, marked, i)
        if word.folded not in _FROM_WHOM and word.folded not in _PERSON_BEFORE_NAME:
            continue
        length = _phrase_at(words, i, _FROM_WHOM)
        j = i + length if length else i + max(1, _phrase_at(words, i, _KIN_AFTER_PHRASES))
        if j >= len(words) or marked[j] or not _joined_loose(text, words[j - 1], words[j]):
            continue
        after = words[j]
        if not _lower_case_unknown(after) or _cue_word(after):
            continue
        if length and not _looks_like_word(after.folded):
            marked[j] = True
        elif (
            not length
            and word.folded in _PERSON_BEFORE_NAME
            and not word.capital
            and _looks_like_name(after.folded)
        ):
            marked[j] = True


def _shaped_after_kin(text: str, words: list[_Word], marked: list[bool], i: int) -> None:
    """ "Ndugu yangu cawad alikamatwa", "mon frère kambale", "kanena mamudu": after a word for
    a relative, in any language, a lower-case word no vocabulary knows that looks like a name
    is one, and so is a second such word joined to it."""
    length = _phrase_at(words, i, _RELATION_PHRASES) or int(_hausa_kin(words[i].folded))
    if not length or (words[i].capital and not words[i].initial):
        return
    j = i + max(length, _phrase_at(words, i, _KIN_AFTER_PHRASES))  # "mari mwen X"
    for k in (j, j + 1):
        if (
            k >= len(words)
            or marked[k]
            or not _joined_loose(text, words[k - 1], words[k])
            or len(words[k].folded) < 4  # "mahaifiyata ihu" (shouted at my mother)
            or not _lower_case_subject(words[k])
            or not _looks_like_name(words[k].folded)
        ):
            return
        marked[k] = True


def _shaped_arabic_surnames(text: str, words: list[_Word], marked: list[bool]) -> None:
    """ "تهديد من أكول مجوك": after an Arabic-script name, a word no vocabulary knows is more of
    it even with an ending that looks like a pronoun's ("ـوك"), when it looks like a name."""
    for i in range(1, len(words)):
        word, before = words[i], words[i - 1]
        if (
            marked[i]
            or not marked[i - 1]
            or not _is_arabic(word.text)
            or not _is_arabic(before.text)
            or not _joined(text, before, word)
            or word.folded.startswith(("و", "ي"))  # "and": a new member; "ي…": a verb
            or word.folded.endswith("وا")  # "يشتكوا": a verb of "they"
            or _spoken_verb(word.folded)  # "مسكوهم": they caught them
            or _maghreb_of(word.folded)  # "بيت لجوج دالسوريين": of the Syrians
        ):
            continue
        if (
            _arabic_rank(word.folded) is None
            and len(word.folded) >= 3
            and not any(f in _arabic_places() or f in _COMMON for f in _bare(word.folded))
            and _looks_like_name(word.folded)
        ):
            marked[i] = True


def _maghreb_of(folded: str) -> bool:
    """The Maghreb's "د" (of) glued to an "ال" word the vocabulary or the nationalities know."""
    return folded.startswith("دال") and (
        folded[3:] in _arabic_nationalities() or _arabic_rank(folded[1:]) is not None
    )


# "the chairman", "la enfermera", "notre voisine": a person described after a name.
_DESCRIBING = _split("the our my la el le l notre mon ma nuestra nuestro mi")  # "X, l'agent"
# "Ohnmar and her kids", "Ayelen y su hija": a person, with a family.
_AND_FAMILY = _split("her his their su sus sa son ses leur yake wake")
_PERSON_NOUNS = _TITLES | _split("""
chairman chairlady chairperson leader nurse teacher guard watchman neighbour neighbor
enfermera maestra maestro vecina vecino guardia gardien gardienne voisine voisin infirmière
infirmier agent agente animateur animatrice volunteer volontaire promotor promotora midwife
secretary secrétaire secretaria
""")
# "X, yarinya ce 'yar shekara 9": Hausa "X, she is a girl", "he is a boy, an old man".
_HAUSA_PERSON_IS = _split("yarinya yaro budurwa dattijo tsoho tsohuwa")


# Possessives before a relative: "my son", "mi hijo", "ma fille".
_MY = _split("my our mi nuestra nuestro mon ma notre")


def _kin_after_possessive(then: _Word, after: _Word) -> bool:
    """ "mi hijo", "my niece", "ma fille": a possessive, then a word of a relative."""
    return (
        then.folded in _MY
        and after.folded in _RELATION_WORDS
        and after.folded not in _DESCRIBING
        and after.folded not in _ARTICLES
    )


# The parts of a camp or a settlement a person is from: "Kuony from zone C".
_CAMP_UNITS = _split("block zone section sector phase cluster bloc village quarter")
_OFFICES = _split("ngo office clinic committee unhcr wfp")


def _from_the_office(words: list[_Word], k: int) -> bool:
    """ "from the NGO", "from the office": words[k] is "the" before an office."""
    return words[k].folded == "the" and k + 1 < len(words) and words[k + 1].folded in _OFFICES


def _appositions(text: str, words: list[_Word], marked: list[bool]) -> None:
    """A capitalised word no vocabulary knows, then "the chairman", ", la enfermera," or
    "and her kids": a person, first in a sentence too; first in a sentence, before "from
    zone C", "from the NGO": a person (a place is not from a part of a camp)."""
    for i in range(len(words) - 2):
        word, then, after = words[i], words[i + 1], words[i + 2]
        lower = _lower_case_unknown(word)
        if marked[i] or not (_unknown_anywhere(word) or lower) or _is_known(word) == "weak":
            continue  # not "Pendo la mama…" (love, in Swahili)
        gap = text[word.end : then.start]
        described = (
            then.folded in _DESCRIBING
            # "Breiner, mi hijo de 9 años": a relative described after a name, too
            and (after.folded in _PERSON_NOUNS or _kin_after_possessive(then, after))
            and gap.strip(" ,") == ""
            and (_joined(text, then, after) or text[then.end : after.start] in ("'", "’"))
        )
        described = described or (
            then.folded in _HAUSA_PERSON_IS
            and after.folded in ("ce", "ne")
            and gap.strip(" ,") == ""
            and _joined(text, then, after)
        )
        family = (
            then.folded in _AND
            and after.folded in _AND_FAMILY
            and _joined(text, word, then)
            and _joined(text, then, after)
        )
        # "Kuony from zone C said…": first in a sentence, from a part of the camp or an office
        unit = (
            word.initial
            and then.folded == "from"
            and (after.folded in _CAMP_UNITS or _from_the_office(words, i + 2))
            and _unknown_without_cue(word)
            and _joined(text, word, then)
        )
        if (described and not lower) or family or unit:
            marked[i] = True
            # "shahzeb afridi and his cousins": the given name before it, in lower case too
            if (
                i
                and _joined(text, words[i - 1], word)
                and (_lower_case_unknown(words[i - 1]) or _unknown_anywhere(words[i - 1]))
            ):
                marked[i - 1] = True


# "وولادي X وY وZ" (and my children X, Y and Z): the plural relatives before a list.
_ARABIC_CHILDREN = _split("""ولادي أولادي اولادي بناتي اطفالي أطفالي اخواتي أخواتي إخواتي اخوتي
إخوتي ولادنا أولادنا اولادنا بناتنا ولاده اولاده أولاده ولادها اولادها أولادها
الولاد الأولاد الاولاد البنات الأطفال الاطفال عيالي عيالنا عياله عيالها
""")  # "الأب X، الأم Y، والولاد Z وW"; "عيالي" (my kids, in Yemen and the Gulf)


def _arabic_children_list(text: str, words: list[_Word], marked: list[bool]) -> None:
    """After "my children", "my daughters" (with "and" glued too), two words joined by "و"
    that may be names ("وولادي ريما وميس"): the first two of the list; `_arabic_lists`
    reads the rest."""
    for i in range(len(words) - 2):
        kin, first, second = words[i], words[i + 1], words[i + 2]
        if (
            kin.folded.removeprefix("و") in _ARABIC_CHILDREN
            and second.folded.startswith("و")
            and _is_arabic(first.text)
            and _is_arabic(second.text)
            and _joined(text, kin, first)
            and _joined(text, first, second)
            and _name_in_a_list(first.folded)
            and _name_in_a_list(second.folded[1:])
        ):
            marked[i + 1] = marked[i + 2] = True
        elif kin.folded.removeprefix("و") in _ARABIC_CHILDREN and _parents_named(words, i, marked):
            _children_after_parents(text, words, marked, i)


def _arabic_children_after_colon(text: str, words: list[_Word], marked: list[bool]) -> None:
    """ "عيالي: X، Y، Z، ومرتي W": after "my children" and a colon, each item of one word
    that is no frequent word is a name, to the end of the list."""
    for i, kin in enumerate(words[:-1]):
        if kin.folded.removeprefix("و") not in _ARABIC_CHILDREN:
            continue
        if not text[kin.end :].lstrip(" ").startswith(":"):
            continue
        k = i + 1
        while k < len(words) and _is_arabic(words[k].text):
            item = words[k].folded.removeprefix("و") if k > i + 1 else words[k].folded
            gap = text[words[k - 1].end : words[k].start].strip()
            ends = text[words[k].end : words[k].end + 2].strip()[:1]
            if (
                gap not in (":", "،", ",")
                or ends not in ("،", ",", ".", "")
                or not _name_in_a_list(item)
            ):
                break
            marked[k] = True
            k += 1


def _parents_named(words: list[_Word], i: int, marked: list[bool]) -> bool:
    """ "الأب X، الأم Y، والولاد …": a parent and their name before the children."""
    return any(
        words[k].folded in _ARABIC_MEMBERS and marked[k + 1] for k in range(max(0, i - 6), i - 1)
    )


def _children_after_parents(text: str, words: list[_Word], marked: list[bool], i: int) -> None:
    """After the parents' names, the children joined by "و" are names, frequent words too
    ("والولاد X وتيم ولين": "team", "soft" are names here)."""
    k = i + 1
    while k < len(words) and _is_arabic(words[k].text) and _joined(text, words[k - 1], words[k]):
        folded = words[k].folded if k == i + 1 else words[k].folded.removeprefix("و")
        if (k > i + 1 and not words[k].folded.startswith("و")) or len(folded) < 2:
            break
        if folded in _COMMON or folded.startswith("ال"):
            break
        marked[k] = True
        k += 1


def _name_in_a_list(folded: str) -> bool:
    """An Arabic word no frequent word and no little word: in a list, a name."""
    rank = _arabic_ranks().get(folded)
    return (
        (rank is None or rank >= _ARABIC_FREQUENT)
        and folded not in _COMMON
        and not folded.startswith("ال")
        and len(folded) >= 3
    )


def _arabic_lists(text: str, words: list[_Word], marked: list[bool]) -> None:
    """ "صفوك وشنيشل وعجيل", "لمياء ورنده ومياده": beside a name joined by "and", a word no
    Arabic vocabulary knows is a name too, before it or after it; a family name ending in
    "ي" between them goes with its name ("ستنا المصراتي وزمزم")."""
    for _ in range(2):
        for i in range(len(words) - 1):
            left, right = words[i], words[i + 1]
            if not (
                _is_arabic(left.text) and _is_arabic(right.text) and _joined(text, left, right)
            ):
                continue
            if marked[i] and not marked[i + 1] and right.folded.startswith("و"):
                # Not a frequent word that begins with "و": "X ولدت" (X gave birth)
                marked[i + 1] = _list_member(right.folded[1:]) and (
                    _arabic_ranks().get(right.folded, _ARABIC_FREQUENT) >= _ARABIC_FREQUENT
                )
            elif marked[i + 1] and not marked[i] and right.folded.startswith("و"):
                marked[i] = _list_member(left.folded) or _nisba_after_member(words, i, marked)


# The labels of a household's form: "رب الأسرة X، الزوجة Y، الأولاد A وB، البنات C".
_ARABIC_FORM_LABELS = _split("""الزوجة الزوج الأولاد الاولاد الأبناء الابناء البنات الأطفال
الاطفال""")
_ARABIC_FORM_HEADS = _split("رب ربة")
_ARABIC_FORM_HOUSEHOLD = _split("الأسرة الاسرة العائلة")
# Said of a member in such a form, not names: "الأطفال الرضع", "الزوج الشهيد".
_ARABIC_FORM_ADJECTIVES = _split("""رضع شهيد غايب غائب توام صغار كبار بكر بكري وحيد وحيدة
اوسط وسطاني وسطانية ثاني ثانية ثالث ثالثة رابع رابعة كبير كبيرة صغير صغيرة اكبر اصغر
كرام اعزاء عزيز عزيزة غالي غالية طيبين""")


def _arabic_form_labels(words: list[_Word]) -> list[int]:
    """Where the labels of a household's form end: after "رب الأسرة", "الزوجة", "الأولاد"."""
    found = []
    for i, word in enumerate(words):
        if word.folded in _ARABIC_FORM_LABELS:
            found.append(i)
        elif (
            word.folded in _ARABIC_FORM_HOUSEHOLD
            and i
            and words[i - 1].folded in _ARABIC_FORM_HEADS
        ):
            found.append(i)
    return found


def _arabic_form_article_names(text: str, words: list[_Word], marked: list[bool]) -> None:
    """In a household's form of two labels or more, the names after each label that begin
    with "ال", as many do in Sudan and the Gulf ("الزوجة التومة", "البنات العازة والسرة"): a
    word no vocabulary holds as frequent, not shaped as a participle ("المريضة", "المعاقة")
    nor said of a person ("الأطفال الرضع")."""
    labels = _arabic_form_labels(words)
    if len(labels) < 2:
        return
    for label in labels:
        for k in range(label + 1, min(label + 7, len(words))):
            gap = text[words[k - 1].end : words[k].start]
            if k > label + 1 and any(c in gap for c in ",،.;:(") or not _is_arabic(words[k].text):
                break
            folded = words[k].folded.removeprefix("و") if k > label + 1 else words[k].folded
            if folded.startswith("ال") and _article_name(folded):
                marked[k] = True


def _article_name(folded: str) -> bool:
    bare = folded[2:]
    rank = _arabic_rank(folded)
    return (
        len(bare) >= 3
        and not bare.startswith("م")
        and bare not in _ARABIC_AFTER_PERSON
        and bare not in _ARABIC_FORM_ADJECTIVES
        and folded not in _COMMON
        and folded not in _ARABIC_YOUNGEST
        and (rank is None or rank >= _ARABIC_FREQUENT)
        and _arabic_word_not_name(_Word(0, len(bare), bare, bare, False, False)) is False
    )


# Companions, as a relative is: "ورفيقه X" (and his companion X).
_ARABIC_COMPANIONS = _split("رفيقه رفيقها رفيقي صاحبه صاحبها زميله زميلها")


def _arabic_kin_article_names(text: str, words: list[_Word], marked: list[bool]) -> None:
    """ "جارنا السوداني الرشيد النعيم", "ورفيقه الفاضل البدوي": after a relative or a
    companion, and a nationality, up to three names with "ال" that no vocabulary holds as
    frequent (`_article_name`), as Sudan and the Gulf give them; "أخوي الكبير" stays."""
    for i, word in enumerate(words[:-1]):
        bare = _bare(word.folded)
        if not any(f in _ARABIC_KIN or f in _ARABIC_COMPANIONS for f in bare):
            continue
        j = i + 1
        if any(f in _arabic_nationalities() for f in _bare(words[j].folded)):
            j += 1  # "جارنا السوداني": our Sudanese neighbour
        for k in range(j, min(j + 3, len(words))):
            after = words[k]
            if not (
                _is_arabic(after.text)
                and after.folded.startswith("ال")
                and _joined(text, words[k - 1], after)
                and _article_name(after.folded)
            ):
                break
            marked[k] = True


# "والصغيرة X": the youngest, said last in a family's list.
_ARABIC_YOUNGEST = _split("الصغيرة الصغير الصغيرون الرضيع الرضيعة البيبي آخر العنقود")


def _arabic_youngest(text: str, words: list[_Word], marked: list[bool]) -> None:
    """ "X، Y، والصغيرة Z.": after a name and a comma, "and the youngest" and one word that
    ends the phrase: the youngest's name, a frequent word too ("نجمة", a star)."""
    if not any(y in text for y in ("صغير", "رضيع", "البيبي", "العنقود")):
        return
    for i in range(1, len(words) - 1):
        youngest, name = words[i], words[i + 1]
        if youngest.folded.removeprefix("و") not in _ARABIC_YOUNGEST:
            continue
        gap = text[words[i - 1].end : youngest.start].strip()
        if (
            marked[i - 1]
            and gap in (",", "،")
            and _is_arabic(name.text)
            and _joined(text, youngest, name)
            and _phrase_end_after(text, words, i + 1)
            and name.folded not in _COMMON
            and not name.folded.startswith("ال")
        ):
            marked[i + 1] = True


_ARABIC_LAND = _split("أرض ارض بلاد بلد منطقة ناحية ريف")


def _arabic_nisbas(text: str, words: list[_Word], marked: list[bool]) -> None:
    """ "هنادي الزنتاني تشكر": an "ال" word ending in "ي" that no vocabulary knows and that
    is no nationality, after a word that is a listed name or no frequent word, is a family
    name, and the word before it a given name."""
    for i in range(1, len(words)):
        word, before = words[i], words[i - 1]
        folded = word.folded
        if (
            marked[i]
            or not (_is_arabic(word.text) and _is_arabic(before.text))
            or not (folded.startswith("ال") and folded.endswith("ي") and len(folded) >= 6)
            or _arabic_rank(folded) is not None
            or folded in _arabic_nationalities()
            or not _joined(text, before, word)
        ):
            continue
        if any(f in _ARABIC_LAND for f in _bare(before.folded)):
            continue  # "بأرض الشدادي": in the land of X, a place
        rank = _arabic_rank(before.folded)
        if _is_known(before) or (
            (rank is None or rank >= _ARABIC_FREQUENT)
            and _arabic_word_not_name(before) is False
            and not _is_title(before)
        ):
            marked[i - 1] = marked[i] = True


def _list_member(folded: str) -> bool:
    """An Arabic word that may be a name in a list of names: no vocabulary knows it."""
    return (
        _arabic_rank(folded) is None
        and not folded.startswith("ال")
        and len(folded) >= 3
        and folded not in _COMMON
        and not any(f in _TITLES or f in _ARABIC_COMPANIONS for f in _bare(folded))
    )


def _nisba_after_member(words: list[_Word], i: int, marked: list[bool]) -> bool:
    """ "ستنا المصراتي": a family name ending in "ي" that no vocabulary knows, after a word
    that is no frequent one: both are a name."""
    folded = words[i].folded
    if not (
        i and folded.startswith("ال") and folded.endswith("ي") and _arabic_rank(folded) is None
    ):
        return False
    rank = _arabic_rank(words[i - 1].folded)
    if (rank is None or rank >= _ARABIC_FREQUENT) and words[i - 1].folded not in _COMMON:
        marked[i - 1] = True
        return True
    return False


# Short titles written in lower case: "mr olanya", "dr kizito", "bi zuhura".
_LOWER_TITLES = _SHORT_TITLES | _split("""
mister madam bwana mzee alhaji hajiya malam mallam malama mal sheikh pastor nas likita
tonton tantine tata mama maman baba papa doña bibi inna kawu
daktari dokta mwalimu mchungaji padri shangazi mjomba dada kaka nesi
""")  # not "babu", "yaya", "don": in Hausa "there is no", "how", "for"
# "baba yake kuach", "mama yangu achieng": a possessive between the title and the name.
_POSSESSIVES = _split(
    "yangu yake yako yetu wangu wake wako wetu yao wao"
)  # not "mama", "baba": "la mama" is "the mother's" too


# Said before a name only in English, French or Spanish messages: Congolese "ba" (respect),
# kunyas in Latin letters ("abu", "umm"; in Hausa "abu" is "thing", "ba" is "not").
_LATIN_KUNYAS = _split("ba abu abou umm oum")


def _lower_case_titles(text: str, words: list[_Word], marked: list[bool]) -> None:
    """ "please tell mr olanya": after a title in lower case, a word in lower case that no
    vocabulary of our languages knows is a name. Congolese "ba" (respect: "thanks to ba
    X") and kunyas ("abu X") only in an English, French or Spanish message."""
    for i in range(len(words) - 1):
        title = words[i]
        j = i + 1 + (i + 2 < len(words) and words[i + 1].folded in _POSSESSIVES)
        word = words[j]
        # "ba mukenge": no Swahili verb; "ask for abu X", "oum X": a kunya in Latin letters
        respect = title.folded in _LATIN_KUNYAS and _european(words)
        if (
            (title.folded in _LOWER_TITLES or respect)
            and not marked[j]
            and all(
                text[a.end : b.start] in (" ", ". ", ": ", " - ")
                for a, b in zip(words[i:j], words[i + 1 : j + 1], strict=True)
            )
            and _lower_case_unknown(word, swahili=not respect)
        ):
            marked[j] = True
            _lower_case_rest(text, words, marked, j)


# Greetings that open a message, and the self-introductions after them: "bonjour c'est
# fousseyni", "hello its tendai", "habari ni mwanaisha", "sannu ni ne larai".
_GREETINGS = _split("""
hello hi hey good morning afternoon evening bonjour bonsoir salut hola buenos buenas dias
tardes noches habari jambo hujambo salama shikamoo sannu barka ina kwana salam salaam
assalamu alaikum moi
""")  # "moi": "moi c'est X", "moi c X" opens a message as a greeting does
_SELF_INTRODUCTIONS = _by_first_word(
    _phrase(p)
    for p in "c'est|moi c'est|ici c'est|c|its|it's|it is|this is|here is|"
    "ni|ni ne|nine|soy|es|habla|aqui|aquí".split("|")
)


_SIGNATURES = {
    tuple(p.split())
    for p in "c'est|c est|cest|this is|its|it's|it is|ni mimi|mimi ni|ni ne|nine|soy|habla".split(
        "|"
    )
}


def _greeting_introductions(text: str, words: list[_Word], marked: list[bool]) -> None:
    """After a greeting, "c'est X", "its X", "this is X", "ni X": X is a name when no
    vocabulary of our languages knows it, in lower case as well."""
    greeted = False
    for i, word in enumerate(words[:8]):
        if word.folded in _GREETINGS:
            greeted = True
            continue
        if not greeted:
            continue
        j = i + _phrase_at(words, i, _SELF_INTRODUCTIONS)
        if j == i or j >= len(words) or not _joined_loose(text, words[j - 1], words[j]):
            continue
        if "," in text[words[j - 1].end : words[j].start]:
            return  # "hola, X aquí, llámame": the comma closes the sign-on

        name = words[j]
        if _lower_case_unknown(name) or _unknown_capitalised(name):
            marked[j] = True
            if not name.capital:  # "moi c djénéba samaké": the family name too
                _lower_case_rest(text, words, marked, j)
        return
    _signed_at_the_end(text, words, marked)


def _signed_at_the_end(text: str, words: list[_Word], marked: list[bool]) -> None:
    """ "appelez-moi au …, c'est ferroudja", "…, this is kibet": a message signed at its end
    with "c'est", "this is", "ni mimi", "ni ne" and a word no vocabulary knows."""
    for length in (2, 1):
        if len(words) <= length:
            continue
        cue = tuple(w.folded for w in words[-length - 1 : -1])
        if (
            cue in _SIGNATURES
            and not marked[-1]
            and (_lower_case_unknown(words[-1]) or _unknown_capitalised(words[-1]))
        ):
            marked[-1] = True
            return


# "Dayib here, …", "X ici, …", "X hapa, …", "X nan, …", "X aquí, …": a caller says who
# speaks first, as on the phone.
_HERE = _split("here ici hapa nan aqui aca calling")
# "X ne, a kira ni": Hausa "it is X", only before a comma ("rahama daga Allah ne kawai").
_HERE_BEFORE_A_COMMA = _HERE | _split("ne")
_SIGN_ON_GREETINGS = _GREETINGS | _split("bjr bsr slt cc salamu alo allo allô")
# A word of the vocabulary is a sign-on's name only with a number or a call in the message:
# "Ushindi hapa, nipigie 0997…" (Ushindi is "victory"), not "Life here, …".
_CALL_WORDS = _split("""
number numéro numero namba lambata lamba lambar call phone appelez appelle llámame llamame
nipigie mpigie kira cel celular tel
""")
# "معكم X", "معك X" (with you is X): an Arabic caller's sign-on, also after the name.
_ARABIC_WITH_YOU = _split("معك معكم معاك معاكم معكي")


def _sign_on(text: str, words: list[_Word], marked: list[bool], kept: list[bool]) -> None:
    """A message that opens, after a greeting, with one or two words then "here", "ici",
    "hapa", "nan", "aquí" and a comma is signed on with them ("Dayib here, my number is…",
    "Tiémogo ici, mon numéro…"): a capitalised word that no list knows as a town or an
    ordinary word, or is a name, or a lower-case one that looks like a name; an ordinary
    word ("Ushindi", victory) only with a number or a call in the message. In Arabic, the
    word after "معكم" or before it ("معكم X", "X معكم")."""
    p = 0
    while p < min(3, len(words)) and words[p].folded in _SIGN_ON_GREETINGS:
        p += 1
    if p >= len(words):
        return
    if _is_arabic(words[p].text):
        _arabic_sign_on(text, words, marked, p)
        return
    here = _signs_on_from(text, words, p)
    if here and not kept[p] and _signs_on(words[p], words):
        marked[p] = True  # "X from Y here.": the name, then where the writer is
        for k in range(p + 2, here):
            marked[k] = False  # the place
        return
    for length in (1, 2):
        h = p + length
        if h >= len(words) or words[h].folded not in _HERE_BEFORE_A_COMMA or words[h].capital:
            continue
        after = text[words[h].end : words[h + 1].start if h + 1 < len(words) else len(text)]
        run = range(p, h)
        if not (
            after.strip() == "" and h + 1 == len(words) or after.strip()[:1] in tuple(",.!:;-–")
        ):
            return
        if not all(_joined(text, words[k], words[k + 1]) for k in run):
            return
        if all(not kept[k] and _signs_on(words[k], words) for k in run):
            for k in run:
                marked[k] = True
        return


# "somos X, Y y los 3 niños", "we are X and the kids": the writers name themselves, then
# the children they have with them.
_WE_ARE_WITH_CHILDREN = re.compile(
    r"(?<![\w])(?i:somos|we\s+are|nous\s+sommes|sisi\s+ni)\s+"
    r"((?:[A-ZÀ-ÝƁƊƘƳ][\w'’-]*\s*,\s*){0,3}[A-ZÀ-ÝƁƊƘƳ][\w'’-]*)\s+(?i:y|and|et|na|da)\s+"
    r"(?i:(?:los|las|the|les|mis|my|mes|our|nos|nuestros|wetu)\s+)?(?:\d{1,2}\s+)?"
    r"(?i:niños|niñas|hijos|hijas|nenes|kids|children|enfants|petits|watoto|bebé|baby|bébé|yara)\b"
)


_WE_ARE_CUES = re.compile("(?i)somos|we are|sommes|sisi ni")


def _we_are_with_children(text: str, words: list[_Word], marked: list[bool]) -> None:
    """The capitalised words between "somos" and "y los 3 niños" are the writers' names."""
    if not _WE_ARE_CUES.search(text):
        return
    for match in _WE_ARE_WITH_CHILDREN.finditer(text):
        for k, word in enumerate(words):
            if match.start(1) <= word.start < match.end(1) and not _is_title(word):
                marked[k] = True


# An emoji glued to the word that opens a message or a sentence: "X👋 habari", "X✌️ dice…".
_EMOJI = re.compile("[\U0001f000-\U0001ffff\u2600-\u27bf]")
# Greetings and thanks written so ("Hello👋", "Asante🙏") are no person.
_EMOJI_WORDS = _split("""hello hi hey hola salut bonjour bonsoir coucou merci gracias thanks thank
asante habari jambo sannu salaam salam salamu alhamdulillah amen amin inshallah mashallah bravo
yes no ok okay oui non sí si ndiyo hapana eeh help sos urgent urgente urgence""")


def _name_before_emoji(text: str, words: list[_Word], marked: list[bool], kept: list[bool]) -> None:
    """A capitalised word that opens a sentence with an emoji glued to it is a person, the
    one written to or of, unless it is a greeting, an ordinary word of a list or a place."""
    if not _EMOJI.search(text):
        return
    for i, word in enumerate(words):
        if (
            word.initial
            and word.capital
            and not kept[i]
            and _EMOJI.match(text, word.end)
            and word.folded not in _EMOJI_WORDS
            and word.folded not in _COMMON
            and word.folded not in _ordinary()
            and not _town_not_name(word)
            and not _is_title(word)
        ):
            marked[i] = True


_FROM = _split("from de kutoka daga desde")


def _signs_on_from(text: str, words: list[_Word], p: int) -> int:
    """Word p opens "X from Y here", "X de Y ici", "X kutoka Y hapa": a place of one to
    three words between "from" and "here", which ends its clause. The index of "here", or
    0."""
    if p + 3 >= len(words) or words[p + 1].folded not in _FROM:
        return 0
    for h in range(p + 3, min(p + 6, len(words))):
        if words[h].folded in _HERE and not words[h].capital:
            after = text[words[h].end : words[h + 1].start if h + 1 < len(words) else len(text)]
            joined = all(_joined(text, words[k], words[k + 1]) for k in range(p, h))
            ends = after.strip() == "" or after.strip()[:1] in tuple(",.!:;-–")
            return h if joined and ends else 0
    return 0


def _signs_on(word: _Word, words: list[_Word]) -> bool:
    """Word may be the name a message signs on with (see `_sign_on`)."""
    if _is_arabic(word.text) or word.folded in _RELATION_WORDS or _is_title(word):
        return False
    if not word.capital:
        return _lower_case_unknown(word) and _looks_like_name(word.folded)
    if _is_known(word):
        return True
    if not _unknown_capitalised(word) or word.folded in _gazetteer():
        return False
    return not _everyday_word(word.folded) or any(
        w.folded in _CALL_WORDS or w.text.isdigit() or w.folded in _DIGIT_WORDS for w in words
    )


def _arabic_sign_on(text: str, words: list[_Word], marked: list[bool], p: int) -> None:
    """ "معكم X، …", "X معكم، …": X is a name unless it is an ordinary word; a title or a
    kunya between ("معكم الأخ X", "معكم أم X") leaves the name to their own rules."""
    if words[p].folded in _ARABIC_WITH_YOU and p + 1 < len(words):
        k = p + 1
    elif p + 1 < len(words) and words[p + 1].folded in _ARABIC_WITH_YOU:
        k = p
    else:
        return
    word = words[k]
    if (
        not marked[k]
        and _is_arabic(word.text)
        and not _is_title(word)
        and word.folded not in _KUNYA
        and (_is_known(word) or _arabic_word_not_name(word) is False)
    ):
        marked[k] = True


# Peoples in Swahili take "Wa-" (plural) and "M-" (one): "Wasomali", "Wanyamulenge".
_GROUP_PREFIXES = ("wa", "ba", "m", "mu", "aba", "bana")


def _group_word(word: _Word) -> bool:
    """A people: a listed one with or without "Wa-", "Ba-" ("Wasomali", "Banyamulenge")."""
    return _group_folded(word.folded)


@lru_cache(maxsize=65536)
def _group_folded(folded: str) -> bool:
    """`_group_word` on a folded word, remembered: asked of the same words again and again."""
    return (
        any(
            folded.startswith(p)
            and len(folded) > len(p) + 3
            and (folded[len(p) :] in _never_names() or folded[len(p) :] in _ordinary())
            for p in _GROUP_PREFIXES
        )
        or any(
            folded.startswith(p) and folded[len(p) :] in _language_stems() for p in _PEOPLE_PREFIXES
        )
        or _language_of_a_people(folded)
    )


def _language_of_a_people(folded: str) -> bool:
    """Swahili's "Ki-" before a people is its language ("wanawake wa Kimasai": Maasai women,
    "Kimakua"); not a listed name ("Kishan")."""
    return (
        folded.startswith("ki")
        and len(folded) > 5
        and folded not in _name_list()
        # a language's or a people's name itself, not one made with a prefix ("Kimbembe")
        and (folded[2:] in _language_names() or folded[2:] in _PROPER)
    )


# Bantu languages name a people with a plural prefix on the stem of its language's name:
# "Abanyarwanda" speak "Kinyarwanda", "Bakongo" "Kikongo", "Baluba" "Kiluba".
_PEOPLE_PREFIXES = ("wa", "ba", "aba", "ova", "ovi", "ama", "va")
_LANGUAGE_PREFIXES = ("ki", "chi", "ci", "si", "se", "lu", "ru", "u", "isi", "oshi", "otji")


@lru_cache(maxsize=1)
def _language_stems() -> frozenset:
    """The stems of Babel's language names after a Bantu language prefix: "mbundu"."""
    return frozenset(
        name[len(p) :]
        for name in _language_names()
        for p in _LANGUAGE_PREFIXES
        if name.startswith(p) and len(name) - len(p) >= 4
    )


def _groups(text: str, words: list[_Word], marked: list[bool]) -> None:
    """ "Wasomali na Wanyamulenge wanapewa": in a list with a people, a capitalised member
    that starts as peoples do ("Wa-", "Ba-") is a people too, not a person; "Zarma da Fulani
    da Buzaye": in a list whose other members are all peoples, an unknown capitalised
    member no name list holds is one too."""
    if not any(w.capital and (w.folded.startswith(("wa", "ba")) or _people(w)) for w in words):
        return
    i = 0
    while i < len(words):
        members = _list_at(text, words, i)
        if len(members) > 1 and any(_group_word(words[m]) for m in members):
            for m in members:
                if (
                    words[m].capital
                    and words[m].folded.startswith(("wa", "ba"))
                    and not _is_known(words[m])
                ):
                    marked[m] = False
        peoples = [m for m in members if _people(words[m])]
        if len(members) > 2 and len(peoples) == len(members) - 1:
            (m,) = set(members) - set(peoples)
            if words[m].capital and _unknown(words[m]) and not _is_known(words[m]):
                marked[m] = False
        i = members[-1] + 1


def _people(word: _Word) -> bool:
    """A people, capitalised: listed ("Dinka"), a known one ("Fulani"), "Wa-" + one, or a
    language's name ("Zarma", "Kanuri": a people speaks it)."""
    return word.capital and _people_folded(word.folded)


@lru_cache(maxsize=65536)
def _people_folded(folded: str) -> bool:
    """`_people` on a folded word, remembered."""
    return (
        folded in _never_names()
        or folded in _PROPER
        or folded in _language_names()
        or folded in _demonyms()
        or _group_folded(folded)
    )


@lru_cache(maxsize=1)
def _language_names() -> frozenset:
    """One-word language names in English and French (Babel's): "Zarma", "Kanuri", "Peul"."""
    from babel import Locale  # Flask-Babel's own dependency

    return frozenset(
        _fold(value)
        for language in ("en", "fr")
        for value in Locale.parse(language).languages.values()
        if len(value.split()) == 1 and "-" not in value
    )


# Arabic: a family ("عائلة الرويلي", "آل الزين"), a neighbour with "our" ("جارتنا زرغونه").
_ARABIC_FAMILY = _split("عائلة عايلة العائلة أسرة اسرة ال بيت دار")
# Letters of Persian, Pashto, Urdu and Kurdish, no letters of Arabic: "پلوشه", "ژیلا",
# "ښکلا", "ٹیپو".
_FOREIGN_LETTERS = re.compile("[پچژگٹڈڑںھےښټډړږځڅګڼېۍڵڕێۆ]")


def _arabic_families(text: str, words: list[_Word], marked: list[bool]) -> None:
    """ "عائلة الرويلي": after "family", "house of", an "ال" word the vocabulary does not
    know (or rarely) is a family name; after a relative, a word ending in "ه" whose stem
    is no word either ("جارتنا زرغونه"); anywhere, a word with Persian letters that is no
    town ("الطفلة پلوشه")."""
    for i, word in enumerate(words):
        if marked[i] or not _is_arabic(word.text):
            continue
        before = words[i - 1] if i else word  # the first word joins nothing before it
        joined = i > 0 and _joined(text, before, word)
        folded = word.folded
        if (
            joined
            and before.folded in _ARABIC_FAMILY
            and folded.startswith("ال")
            and len(folded) >= 5
            and _rare_arabic(folded[2:])
            and _rare_arabic(folded)
        ):
            marked[i] = True
        elif (
            joined
            and any(f in _ARABIC_KIN for f in _bare(before.folded))
            and folded.endswith("ه")
            and len(folded) >= 5
            and not folded.startswith("ي")
            and _arabic_rank(folded) is None
            and _arabic_rank(folded[:-1]) is None
            and not any(f.startswith("ال") for f in _bare(folded))
        ):
            marked[i] = True
        elif (
            _FOREIGN_LETTERS.search(word.text)
            and len(folded) >= 3
            and not any(f in _arabic_places() for f in _bare(folded))
            and not _dialect_word(folded)
        ):
            marked[i] = True


def _dialect_word(folded: str) -> bool:
    """Iraqi and Gulf Arabic write "g" as گ and "ch" as چ: "گال" is "قال" (he said), "چان"
    is "كان" (was). A word that is a known word with them read so is no name."""
    forms = {
        folded,
        folded.replace("گ", "ق").replace("چ", "ك"),
        folded.replace("گ", "ك").replace("چ", "ج"),
    }
    ranks = [_arabic_rank(f) for f in forms]
    return any(rank is not None and rank < _ARABIC_RARE for rank in ranks)


def _rare_arabic(folded: str) -> bool:
    """An Arabic word the vocabulary does not know or holds as rare."""
    rank = _arabic_rank(folded)
    return rank is None or rank >= _ARABIC_RARE


# After a name, an adjective: "أنا سعيد جدا" (I am very happy), not "I am Said".
_ARABIC_VERY = _split("جدا جداً كتير كثيرا كثير خالص جزيلا جزيلاً")


def _not_names(text: str, words: list[_Word], marked: list[bool], keys: set[str]) -> None:
    """Words no name can be whatever rule found them: an Arabic word before "very", an
    ordinary word alone in an exclamation ("¡Socorro!", "Help!"), a kinship word that no
    list holds as a name ("Surukina", my in-law)."""
    for i, word in enumerate(words):
        if not marked[i] or _own(word, keys):
            continue
        after = words[i + 1] if i + 1 < len(words) else None
        if (
            _is_arabic(word.text)
            and after is not None
            and after.folded in _ARABIC_VERY
            and _joined(text, word, after)
        ):
            marked[i] = False
        elif (
            word.initial
            and text[word.end : word.end + 1] == "!"
            and (i + 1 == len(words) or words[i + 1].initial)
            and _everyday_word(word.folded)
        ):
            marked[i] = False  # "¡Socorro!" is "help!"; "Amina!" calls someone
        elif (word.folded in _RELATION_WORDS or _HAUSA_KIN.fullmatch(word.folded)) and (
            word.folded not in _name_list() or not word.capital
        ):  # "Mari", "Tia" are names
            marked[i] = False
        elif _hausa_verb_after_marker(words, i):
            marked[i] = False
        elif not word.capital and word.folded.removesuffix("s") in _LIST_WORDS:
            marked[i] = False  # "son familias sin techo": "they are", not "son"


def _hausa_verb_after_marker(words: list[_Word], i: int) -> bool:
    """ "malamin ya ce ya fadi" (he said he fell): in lower case right after "ya", "ta",
    "sun" (he, she, they did), a word is the verb, a listed name too ("Fadi")."""
    word = words[i]
    return (
        i > 0
        and not word.capital
        and words[i - 1].folded in _HAUSA_ONE_NEXT | _HAUSA_MANY_NEXT
        and not words[i - 1].capital
        and _hausa(words)
    )


# "There is none", after a thing in Swahili: "Salama hakuna", "Amani hamna".
_THERE_IS_NONE = _split("hakuna hamna haipo haiko hazipo")
# "There is no" in spoken Arabic: "مافي مي" (no water), "مفيش شغل", "ماكو كهرباء".
_ARABIC_THERE_IS_NO = _split("مافي ومافي مفيش ومفيش مافيش ومافيش ماكو وماكو مابش ومابش مافيه")


def _after_there_is_no(words: list[_Word], i: int) -> bool:
    """Word i follows "there is no" ("مافي", "ما في"): a thing, not someone."""
    if i >= 1 and words[i - 1].folded in _ARABIC_THERE_IS_NO:
        return True
    return (
        i >= 2
        and words[i - 1].folded in ("في", "فيه", "فيها", "فيهم", "فيش")
        and words[i - 2].folded in ("ما", "وما")
    )


# Articles: "By the Grace of God", "el Éxito", "la Esperanza" are things, not people.
_ARTICLES = _split("the an le la les l du des un une el los las del al una")
# A Swahili verb whose subject is a thing, not a person ("zirudi", "imejaa", "kimeharibika"):
# the word before it is no one's name ("Amani na Baraka zirudi", peace and blessings).
_SWAHILI_THING_VERB = re.compile(
    r"(?:i|zi|li|ya|ki|vi|pa)(?:li|me|na|ta|ka|nge|si)[a-z]{3,}|zi[a-z]{4,}"
)
# Arabic verbs of the shape infa'ala ("انضرب", was beaten; "انكسر", broke): five letters.
# Six letters only with the ending of "they" or "she": "إنتحمد" is a Tuareg name.
_ARABIC_INFA_AL = re.compile("ان[\u0621-\u064a]{3}(?:وا|ت)?|ان[\u0621-\u064a]{4}(?:وا|ت)")


def _ordinary_uses(text: str, words: list[_Word], marked: list[bool], keys: set[str]) -> None:
    """A word that is a name and an ordinary word, used as the ordinary word: written in
    lower case elsewhere in the message ("Sol y más sol"), after an article ("By the Grace
    of God"); the subject of a Swahili verb of things; Arabic adjectives and verbs."""
    lower = {w.folded for w in words if not w.capital}
    for i, word in enumerate(words):
        if not marked[i] or _own(word, keys):
            continue
        ordinary = _is_known(word) == "weak" or _everyday_word(word.folded)
        before = words[i - 1] if i else None
        after = words[i + 1] if i + 1 < len(words) else None
        if (
            ordinary
            and word.capital
            and (
                word.folded in lower
                or (
                    before is not None
                    and before.folded in _ARTICLES
                    and _joined(text, before, word)
                )
            )
        ):
            marked[i] = False
        elif after is not None and _thing_verb(text, words, word, after):
            marked[i] = False
        elif _is_arabic(word.text) and _arabic_not_person(words, i):
            marked[i] = False
        elif after is not None and after.folded in _POSSESSIVES and _joined(text, word, after):
            marked[i] = False  # "Kadi yangu ya UNHCR": a name takes no "my"
        elif ordinary and after is not None and after.folded in _THERE_IS_NONE:
            marked[i] = False  # "Salama hakuna": there is no safety
        elif _is_arabic(word.text) and _after_there_is_no(words, i):
            marked[i] = False  # "ومافي مي": and there is no water
        elif _of_god(words, i) or _feast_month(words, i) or (_hausa(words) and _hausa_of(word)):
            marked[i] = False
        elif word.initial and word.capital and _and_a_virtue(text, words, i) and not marked[i + 2]:
            marked[i] = False
        elif word.capital and word.folded in _VIRTUES and _virtue_said(text, words, i):
            marked[i] = False
        elif i == 0 and word.folded in _GREETINGS and text[word.end : word.end + 1] in (",", "!"):
            marked[i] = False  # "Salam, I am…": the message opens with a greeting


def _virtue_said(text: str, words: list[_Word], i: int) -> bool:
    """A virtue with a capital, said as one: after another virtue and "and", before "is"
    ("Hope and Faith is what kept us going"), or wished to all ("Blessing to all",
    "Paix à tous")."""
    after = [w.folded for w in words[i + 1 : i + 3]]
    paired = (
        i >= 2
        and words[i - 1].folded in _AND
        and words[i - 2].folded in _VIRTUES
        and words[i - 2].capital
        and bool(after)
        and after[0] in _VIRTUE_IS
        and _joined(text, words[i - 2], words[i - 1])
        and _joined(text, words[i - 1], words[i])
    )
    wished = len(after) == 2 and after[0] in _TO_ALL and after[1] in _ALL
    return paired or wished


_TO_ALL = _split("to à a kwa ga")
_ALL = _split("all everyone everybody tous toutes todos todas wote kowa")


# Virtues asked for, in lower case: "Rahma and mercy is what we ask" makes "Rahma" one too.
_VIRTUES = _split("""
mercy peace hope patience justice love help prayers blessing blessings kindness compassion
faith grace joy charity
paix espoir justice amour miséricorde patience aide bénédiction foi grâce joie
paz esperanza justicia amor misericordia paciencia ayuda bendición fe gracia
amani rehema upendo haki subira baraka msaada neema imani furaha
hakuri albarka zaman lafiya taimako alheri salam salaam
""")


def _and_a_virtue(text: str, words: list[_Word], i: int) -> bool:
    """Word i, first in its sentence, is joined by "and" to a lower-case virtue and the two
    are said to be what one asks or needs ("Rahma and mercy is what we ask", "Rahama da
    hakuri muke bukata", "Amani et paix c'est…"); "Amina and peace" alone stays a name."""
    if i + 3 >= len(words) or words[i + 1].folded not in _AND or words[i + 1].capital:
        return False
    virtue = words[i + 2]
    return (
        virtue.folded in _VIRTUES
        and not virtue.capital
        and _joined(text, words[i], words[i + 1])
        and _joined(text, words[i + 1], virtue)
        and words[i + 3].folded in _VIRTUE_IS
        and _joined(text, virtue, words[i + 3])
    )


# What follows virtues said to be asked for: "is what", "ndiyo tunataka", "muke so".
_VIRTUE_IS = _split("is are was ni ndiyo ndio est sont c es son fue muke ne ce")


# "Rahama ta Allah", "Grace de Dieu", "Baraka za Mungu": a word that is a name, before "of
# God", is the word.
_OF = _split("of de ya za ta wa")  # not "na": "Juma na Mungu" is "Juma and God"
_GOD = _split("god dieu dios mungu allah ubangiji")


def _of_god(words: list[_Word], i: int) -> bool:
    return (
        i + 2 < len(words)
        and _is_known(words[i]) == "weak"
        and words[i + 1].folded in _OF
        and words[i + 2].folded in _GOD
    )


# "Mwezi wa Ramadhani", "le mois de Ramadan": a feast after "month of", "time of".
_SEASONS = _split("mwezi wakati sikukuu month time mois fête fete mes época epoca watan lokacin")


def _feast_month(words: list[_Word], i: int) -> bool:
    return (
        i >= 2
        and words[i].folded in _ordinary()
        and words[i - 1].folded in _OF
        and words[i - 2].folded in _SEASONS
    )


def _hausa_of(word: _Word) -> bool:
    """Hausa "Likitan" (the doctor of), "Gidana" (my house): a word of the everyday list or a
    title, with the "of" ending or a possessive ending."""
    folded = word.folded
    stems = [folded[:-1]] if folded[-1:] in ("n", "r") else []
    stems += [folded[: -len(e)] for e in _HAUSA_POSSESSIVE_ENDINGS if folded.endswith(e)]
    return any(
        len(stem) >= 3 and (stem in _everyday_written() or stem in _TITLES) for stem in stems
    )


_HAUSA_POSSESSIVE_ENDINGS = ("na", "nmu", "nku", "nsu", "rmu", "rku", "rsu", "nta", "nsa")


def _thing_verb(text: str, words: list[_Word], word: _Word, after: _Word) -> bool:
    """In a Swahili message, a verb after `word` whose subject is a thing."""
    return (
        not _is_arabic(word.text)
        and not after.capital
        and _joined(text, word, after)
        and len(after.folded) >= 6
        and _SWAHILI_THING_VERB.fullmatch(after.folded) is not None
        and not _hausa(words)
        and after.folded not in _vocabulary()
    )


def _arabic_not_person(words: list[_Word], i: int) -> bool:
    """ "العائلة الأفغانية", "بطاقة تموينية": "…-ian" after a noun is an adjective; "انضرب" a
    verb; "سلامة أولادنا" (the safety of our children): a name that is also a word, before a
    noun with "our", "their", "your", is the word."""
    folded = words[i].folded
    before = words[i - 1].folded if i else ""
    after = words[i + 1].folded if i + 1 < len(words) else ""
    if folded.startswith("ال") and folded.endswith("ية") and before.startswith("ال"):
        return True
    if (
        folded.endswith("ية")
        and before.endswith("ة")
        and not before.startswith("ال")
        and (_arabic_rank(before) or _ARABIC_FREQUENT) < _ARABIC_FREQUENT
        and not _arabic_name(folded)
        and not _arabic_name(before)
    ):
        return True  # "بطاقة تموينية" (a ration card): an adjective after its noun
    if (
        _ARABIC_INFA_AL.fullmatch(folded)
        and not _arabic_name(folded)
        and before not in _ARABIC_I_AM
        and not any(f in _ARABIC_KIN for f in _bare(before))
    ):
        return True  # "انضرب" (was beaten), not "أنا إنعام"
    rank = _arabic_rank(folded)
    return (
        (_is_known(words[i]) == "weak" or (rank is not None and rank < _ARABIC_FREQUENT))
        and not any(f in _ARABIC_KIN for f in _bare(before))  # "صديقتي نور تساعدنا"
        and not (i and _is_title(words[i - 1]))
        and _is_arabic(after)
        and after.endswith(("نا", "هم", "كم", "هن"))
        and not _arabic_name(after)
    )


# Hausa kinship with "my", "his", "her", "our": "surukina", "kawuna", "goggonta", "yayansa".
_HAUSA_KIN = re.compile(
    r"(?:suruk[ia]|kawu|baff[ao]|gwaggo|goggo|inna|bab[ae]|uba|uwa|kak[ae]|jik[ae]|yay[ae]|"
    r"kan[ei]|kanwa|mat[ae]|miji|aboki|abokiya|makwabci|makwabciya|dangi|'?yar'?uwa|"
    r"d?an'?uwa|mahaif[ai]|mahaifiya|yarinya|yaro)"
    r"(?:na|ta|sa|nsa|rsa|nta|rta|rmu|nmu|nku|rku|nsu|rsu|nka|rka|nki|rki)"
)


@lru_cache(maxsize=65536)
def _hausa_kin(folded: str) -> bool:
    """ "Kanwata", "dan'uwana": a Hausa kinship word with "my", "his", "her"…"""
    return _HAUSA_KIN.fullmatch(folded) is not None


# -- Places and organisations made of names ----------------------------------------------

# A capitalised word after these is part of a place: "San José", "Port Louis", "Sainte-Marie".
# Hausa "Sabon Gari" (new town), "Tsohon Birni" (old town); Malay "Bukit" (hill), "Sungai"
# (river), "Pasar" (market); Tamasheq "Tin" ("Tin X"): places.
_PLACE_PREFIXES = _split(
    "san santa santo sao saint sainte st port puerto porto mont villa "
    "fort mount mt lake cape cap ras wadi jebel jabal bahr kafr birnin kafin "
    "tudun dutsen kofar sabon sabuwar tsohon tsohuwar kurmin unguwan angwan rijiyar plaine colline "
    "bukit kuala sungai pulau tanjung teluk kota bandar pasar kampung tin "
    "operation opération operação operacao operación operacion bena bakwa dar place "
    "mae ban wat tha huai doi khlong phra"
)  # "Opération X", "Operação X": a named operation of the police or of aid, no person; the
# Kasai's "Bena X", "Bakwa X" (the people of X, and their villages); "Dar X" (the house, the
# quarter of X: "Dar X", "Dar es Salaam"); "Place X Y" (a square); Thai "Mae" (river),
# "Ban" (village), "Wat" (temple), "Tha" (landing), "Huai" (stream), "Doi" (mountain),
# "Khlong" (canal), "Phra" (holy): "Mae X", "Ban Mai X", "Wat X"
# A capitalised word after these names a place: "barrio La Paz", "iglesia San Pedro",
# "quartier Moussa", "kijiji cha Mwamba", "unguwar Sani".
_PLACE_WORDS = _split("""
barrio vereda corregimiento municipio ciudad pueblo parroquia iglesia colegio escuela mercado plaza
hospital sector comuna colonia caserío puente parque avenida aeropuerto terminal estadio virgen
calle carrera avenue rue boulevard street road barabara titin zone block phase bloc
carretera شارع طريق ميدان ساحة دوار جادة
pont parc aéroport stade hôpital bridge park airport stadium
quartier village ville paroisse église école collège lycée marché commune préfecture
village town city county district parish church mosque school hospital camp settlement market
river lake fleuve rivière lac río laguna mto ziwa kogin tafkin نهر بحيرة
kijiji mtaa kambi shule kanisa msikiti hospitali wilaya kata mji soko zahanati مستوصف مدرسة
skuli shehia uwanja hoteli mosquée
unguwar garin makarantar masallacin kasuwar asibitin sansanin jihar tashar
unguwa kauyen mutanen yan hanyar hakimin sarkin dagacin magajin shugabannin rijiyar kisima forage
puits pozo
aldea cantón bairro secteur localité hameau maternité dispensaire maternidad dispensario
puesto centro comisaría comisaria
albergue refugio campamento daira dayra دائرة دايرة ولاية ناحية recinto
abrigo ocupación ocupacion ocupação ocupacao feira feirinha frontière frontiere frontera border
av ave avda vijiji sierra serranía sekondari
carrefour rond-point junction roundabout site forêt forest bosque msitu dajin souk resguardo
layin harin kituo غابة هجوم
area neighbourhood neighborhood playa plage beach toma población poblacion
حي مخيم مدينة قرية منطقة بلدة مسجد مستشفى رأس وادي جبل بحر معسكر حارة حاره سوق
مخيمات قرى بلدات مشفى سبيطار السبيطار صبيطار مدارس مستشفيات بلدية معبر
جامعة صيدلية كلية معهد
""")  # "بمخيمات X" (in the camps of X), "لمشفى X" (Levantine: to X's hospital); "harin X",
# "هجوم X" (the attack on X), "layin X" (X's street), "resguardo X" (a reserve); "مدارس X"
# (the schools of X), "بلدية X" (X's municipality), "معبر X" (the crossing at X)
# "مستشفى الأمير حمزة", "مدرسة الملك عبدالله الثاني": a school, a hospital named after a
# king or a prince is an institution. "مدرسة" alone is also "a teacher": only before these.
_ARABIC_ROYAL = _split(
    "الملك الملكة الأمير الأميرة الامير الاميرة السلطان الشهيد الشيخ الإمام الامام السيدة"
)
_ARABIC_ORDINALS = _split("الأول الاول الثاني الثالث الرابع الخامس السادس السابع الثامن")
# (the Maghreb's "سبيطار": a hospital)
_ARABIC_INSTITUTIONS = _split(
    "مدرسة جامعة شارع معهد مركز كلية مجمع مستشفى مسجد جامع مستوصف سبيطار السبيطار صبيطار"
)
# "جمعية زهرة الفرات", "منظمة شفق": an association's name is no person's.
_ARABIC_ASSOCIATIONS = _split("جمعية منظمة مؤسسة رابطة")
# "shule ya msingi", "escuela primaria", "école primaire": a school's level before its name;
# "shule ya bweni ya X" (a boarding school), "ya wasichana" (girls'); Hausa "tashar mota ta
# X" (the motor park of X).
_SCHOOL_LEVELS = _split("""msingi sekondari primaria secundaria primaire secondaire primary ndege
bweni wasichana wavulana mota fiscal fiscomisional
régional régionale regional préfectoral préfectorale national nationale provincial provinciale
général générale general central centrale municipal municipale
nacional departamental distrital provincial comunitario comunitaria público pública publico
publica salud santé sante afya""")  # "l'hôpital régional de X", "hospital nacional X"
# ("escuela fiscal X": Ecuador's public school; "puesto de salud X", "centre de santé X")
# Connectors inside a place name: "Santa Cruz de la Sierra", "Dar es Salaam", "kijiji cha".
_PLACE_LINKS = _split(
    "de la del los las des du da do di es el cha ya wa za vya ta"
)  # "hoteli za X"
# Streets and squares in Arabic: "شارع صلاح الدين", "ميدان التحرير".
_ARABIC_STREETS = _split("شارع طريق ميدان ساحة دوار جادة")
# The second half of a compound name: "صلاح الدين", "عبد الله", "سيف الإسلام".
_ARABIC_COMPOUND_SECOND = _split("الدين الله الرحمن الرحيم الإسلام الاسلام الحق النبي الهدى")
_NASAB = _split("بن ابن بنت")
# Words that begin the name of a village or a quarter: "بر الياس", "عين الحلوة", "تل عفر".
# "برج" (tower) and "مار" (saint, in Syriac) too: "مخيم برج البراجنة", "دير مار مارون".
_ARABIC_PLACE_PREFIXES = _split("بر دير عين تل كفر بيت بئر بير سوق جسر مرج برج مار")
# "في مركز X": a centre (a detention or health centre) named after its place, or a kunya
# ("مركز أبو X"). Not "المركز": "مدير المركز X" names the centre's director.
_ARABIC_CENTRES = _split("مركز")
# Places a person is at, with "in", "at" glued on after a name: "الدكتورة X بعيادة الهلال".
_ARABIC_PLACE_NOUNS = (
    {w for w in _PLACE_WORDS if _is_arabic(w)}
    | _ARABIC_INSTITUTIONS
    | _ARABIC_CENTRES
    | _split("عيادة مكتب مخيم سوق بيت")
)
# Words that end the name of the place before them: "Nelson Mandela Road", "Bidi Bidi Camp".
# Some of them in lower case too: "Makarfi road".
_NAMED_BEFORE = _split("""
road street avenue lane drive close crescent highway square junction roundabout estate bridge
way rd ave
stadium park camp settlement primary secondary academy hall memorial station barracks
masjid mosque church chapel cathedral clinic hospital dispensary school market
district checkpoint ward creek centre center dc crossing border police complex
hospitali kliniki zahanati
bazaar bazar network woreda wereda kebele zone
khel kalay kalai kili rod qala
valley hills site township county ville rifles regiment
""")  # Pashto and Dari: "X Khel" (a clan's village), "X Kalay" (village), "X Rod" (river);
# "X Valley", "X-Ville", "the X Rifles" (a regiment named after its region)
# "Bilal Masjid", "Sheikh Abdiqani clinic": a mosque, a clinic named after a person is a place.
_NAMED_BEFORE_LOWER = _split("""
road street avenue highway junction roundabout masjid mosque church clinic hospital
dispensary school market station camp settlement borehole district checkpoint ward centre park
center bazaar bazar network woreda wereda kebele zone crossing border police hospitali kliniki
zahanati valley site township county
""")  # "the X crossing", "X police" (its station), "Mama X hospitali" (code-switched Swahili)
# Who heads a place: "le chef de quartier Ngaïkoisset" names the head, not the quarter.
_HAUSA_PLACE_OF = _split("unguwar garin kauyen")
_PLACE_HEADS = _split("""
chef jefe head mwenyekiti shugaba shugaban mai responsable président presidente leader
chairman chairperson delegado délégué balozi
""")


# Place words that are Swahili words too: "jina lake X" is "his name X", no lake.
_SWAHILI_LOOKALIKES = _split("lake")
# Place words that are also given names ("Daira Lopez"): place words in lower case only.
_NAME_LOOKALIKES = _split("daira dayra")
# Place words that are "by way of" after these: "ta hanyar X" is "through X", a person.
_BY_WAY_OF = {"hanyar": _split("ta")}
# "The people of", "the head of": a place after them ("mutanen Zurmi", "Hakimin Maru"), a
# person when a title follows ("mutanen Alhaji Garba"), or for "mutanen" a listed name.
_PEOPLE_OF = _split("mutanen yan")  # "'yan Idoma": the people of a place, a people
_HEAD_OF = _split("hakimin sarkin dagacin magajin shugabannin")


def _people_of_a_person(words: list[_Word], i: int) -> bool:
    """Word i is "mutanen" or "Hakimin" and a person's title or name follows it."""
    folded = words[i].folded
    if (folded not in _PEOPLE_OF and folded not in _HEAD_OF) or i + 1 >= len(words):
        return False
    after = words[i + 1]
    return _is_title(after) or (
        folded in _PEOPLE_OF and (after.folded in _name_list() or after.folded in _AFRICAN_NAMES)
    )


def _signed_on_before(words: list[_Word], i: int) -> bool:
    """ "me llamo X Laguna Y", "my name is Laguna": a place word capitalised right after "my
    name is" or after one name there is a family name ("Laguna", "Iglesias", "Mercado")."""
    for start in range(max(0, i - 4), i):
        end = start + _phrase_at(words, start, _NAME_CONTEXT)
        if end > start and (end == i or (end == i - 1 and words[end].capital)):
            return True
    return False


# Hausa words of place before a town: "a" (at, in: not French "à"), "zuwa" (to), "daga"
# (from), "kasuwar" (the market of), "garin" (the town of).
_HAUSA_BEFORE_TOWN = {"a", "zuwa", "daga", "kasuwar", "garin", "cikin"}


def _hausa_town_dan(words: list[_Word], i: int) -> bool:
    """ "a Dan X", "zuwa Dan X", "kasuwar Dan X": towns of Hausa country named "Dan X" (as
    a man is "Dan X", son of X; after a word of place it is the town)."""
    return (
        words[i].folded == "dan"
        and 0 < i < len(words) - 1
        and words[i - 1].text.casefold() in _HAUSA_BEFORE_TOWN
        and words[i + 1].capital
    )


def _protected(text: str, words: list[_Word]) -> list[bool]:
    """The words of a listed place or organisation, or of a place made as above: never a name."""
    kept = [False] * len(words)
    places = _places()
    for i, word in enumerate(words):
        length = (
            _phrase_at(words, i, places)
            or _arabic_place_at(words, i, places)
            or _phrase_at(words, i, _FEASTS)
            or _month_named(words, i)
        )
        if length:
            kept[i : i + length] = [True] * length
        prefix = (
            word.capital
            and (
                word.folded in _PLACE_PREFIXES
                or (word.folded == "dan" and _hausa_town_dan(words, i))
            )
            and not (word.folded == "place" and word.initial)  # "Place X on the list"
        )
        place_word = (
            (
                word.folded in _PLACE_WORDS
                and not (
                    word.folded in _SWAHILI_LOOKALIKES and not word.capital and _swahili(words)
                )
                and not (word.folded in _NAME_LOOKALIKES and word.capital)
                and not (i and words[i - 1].folded in _BY_WAY_OF.get(word.folded, ()))
                and not _people_of_a_person(words, i)
                and not (word.capital and _signed_on_before(words, i))
            )
            or (
                _is_arabic(word.text)
                and any(f in _PLACE_WORDS and len(f) >= 4 for f in _bare(word.folded)[1:])
            )
            or _arabic_centre(word)
        )
        named = i + 1 < len(words) and (  # "chef de quartier de X", "mai unguwa na X"
            words[i + 1].folded in _PLACE_LINKS or _hausa_of_place(words, i + 1)
        )
        if (prefix or _arabic_institution(words, i) or place_word) and (
            named or not _headed(words, i)
        ):
            _protect_place(text, words, i, kept, prefix)
            # "San Cristóbal", "La Calle Bolívar": the prefix or the street word is part of
            # the place too ("San", "Calle" are also names).
            kept[i] = kept[i] or (i + 1 < len(words) and kept[i + 1])
    _protect_organisations(text, words, kept)
    _protect_named_after_a_title(text, words, kept)
    _protect_named_before(text, words, kept)
    _protect_towns(text, words, kept)
    _protect_after_locatives(text, words, kept)
    _protect_where_one_goes(text, words, kept)
    _protect_from_after_my_name(text, words, kept)
    _protect_programmes(text, words, kept)
    _protect_tribes(text, words, kept)
    _protect_gone_to(text, words, kept)
    _protect_place_lists(text, words, kept)
    _protect_arabic_villages(text, words, kept)
    _protect_arabic_gone_to(text, words, kept)
    _protect_arabic_quarters(text, words, kept)
    _protect_arabic_in_a_town(text, words, kept)
    _protect_arabic_where_one_lives(text, words, kept)
    _protect_latin_arabic_places(text, words, kept)
    _protect_town_of_a_place(text, words, kept)
    _protect_health_centres_of(text, words, kept)
    _protect_set_off_places(text, words, kept)
    _protect_peoples_of(text, words, kept)
    _protect_named_by_what_follows(text, words, kept)
    _protect_institution_acronyms(text, words, kept)
    _protect_arabic_associations(text, words, kept)
    _protect_dateline(text, words, kept)
    _protect_offices(text, words, kept)
    _protect_emphasis(text, words, kept)
    _protect_languages_spoken(text, words, kept)
    _protect_peoples_and_roles(text, words, kept)
    _protect_transport_companies(text, words, kept)
    _protect_feminine_places(text, words, kept)
    _protect_arabic_second_place(text, words, kept)
    _protect_fled(text, words, kept)
    _protect_swahili_people_of(text, words, kept)
    _protect_ways_to(text, words, kept)
    _protect_near_and_attacked(text, words, kept)
    _protect_armed_groups(text, words, kept)
    _protect_numbered_quarters(text, words, kept)
    _protect_swahili_passive_at(text, words, kept)
    _protect_swahili_from(text, words, kept)
    _protect_travelled_between(text, words, kept)
    return kept


# What comes from a person: a call, help, news; and receiving or getting ("nimepokea
# kutoka X", "tulipata kutoka X").
_SWAHILI_FROM_A_PERSON = _split("simu msaada taarifa ripoti")
_SWAHILI_RECEIVED = re.compile(r"\w*(?:pokea|pokelea|pata)")


def _protect_swahili_from(text: str, words: list[_Word], kept: list[bool]) -> None:
    """ "kutoka X": Swahili says "kutoka kwa X" of a person, so up to two capitalised words
    no name list holds right after "kutoka" are a place, unless a letter, greetings, money or
    a call come from them ("barua kutoka X"), or they were received from them."""
    if "kutoka" not in text:
        return
    for i in range(1, len(words)):
        if words[i - 1].folded != "kutoka":
            continue
        if i >= 2 and (
            words[i - 2].folded in _PERSON_BEFORE_LOCATIVE
            or words[i - 2].folded in _SWAHILI_FROM_A_PERSON
            or _SWAHILI_RECEIVED.fullmatch(words[i - 2].folded)
        ):
            continue
        _keep_capitals(text, words, kept, i, 2, lambda k: _place_like(text, words, k))


# "he drives a bus between X and Y", "the boat runs between X and Y": the ends of a way.
_TRAVELS = _split("""
drive drives driving drove run runs ply plies travel travels travelling walk walks commute
commutes go goes bus buses taxi taxis truck trucks lorry boat boats road route
""")


def _protect_travelled_between(text: str, words: list[_Word], kept: list[bool]) -> None:
    """A capitalised word no name list holds after "between", and another after "and",
    when a way or a ride is said in the four words before "between"."""
    if "between" not in text:
        return
    for i in range(1, len(words) - 2):
        if words[i - 1].folded != "between" or not any(
            w.folded in _TRAVELS for w in words[max(0, i - 5) : i - 1]
        ):
            continue
        if words[i + 1].folded == "and" and words[i].capital and words[i + 2].capital:
            for k in (i, i + 2):
                kept[k] = kept[k] or _place_like(text, words, k)


# "la dame de X 75 qui…", "à X 12, …": a quarter named with its number, the number ending
# the phrase (not "à X 2 sacs", nor an age: "X 35 ans"); "X PK 12 : …" (a quarter by its
# kilometre on the road) also first before a colon ("X 23:" may be a name and an age).
_NUMBERED_QUARTER = re.compile(
    r"\s+(PK\s*)?\d{1,3}[A-Z]?\b(?![\d.,:/-]*\d)(?=\s*(?:[,;:.!?)]|$|(?:qui|où|who|where)\b))"
)
_AT_A_QUARTER = _split("à a de vers in at from en au")


def _protect_numbered_quarters(text: str, words: list[_Word], kept: list[bool]) -> None:
    """A capitalised word right before such a number, after "à", "de", "in", "at"; with
    "PK", first in a message before a colon too."""
    for i, word in enumerate(words):
        if not word.capital or _is_title(word):
            continue
        number = _NUMBERED_QUARTER.match(text, word.end)
        if number is None:
            continue
        heading = (
            i == 0
            and number.group(1) is not None
            and text[number.end() :].lstrip(" ").startswith(":")
        )
        if heading or (
            i
            and words[i - 1].folded in _AT_A_QUARTER
            and not words[i - 1].capital
            and _joined(text, words[i - 1], word)
        ):
            kept[i] = True
            if i + 1 < len(words) and words[i + 1].text == "PK":
                kept[i + 1] = True


# Swahili passives of harm and loss: "aliuawa X" (was killed at X), "imeibiwa X" (was stolen
# at X). Who did it takes "na" ("aliuawa na X"); "anaitwa X" (is called X) is a name.
_SWAHILI_PASSIVE = re.compile(r"(?:a|wa|i|li|zi|ki|vi|u|ya)(?:li|me|na|ta)\w{2,}(?:wa|iwa|ewa)")


def _protect_swahili_passive_at(text: str, words: list[_Word], kept: list[bool]) -> None:
    """A capitalised word no name list holds right after such a passive, not "itwa", when
    the verb's subject stands before it ("baba aliuawa X", "mifugo 300 imeibiwa X"): with no
    subject before, the word after may be the subject ("aliuawa X jana": X was killed)."""
    for i in range(2, len(words)):
        verb, subject = words[i - 1], words[i - 2]
        if (
            words[i].capital
            and _SWAHILI_PASSIVE.fullmatch(verb.folded)
            and "itwa" not in verb.folded
            and not subject.capital
            and text[subject.end : verb.start].strip(" 0123456789") == ""
            and _joined(text, verb, words[i])
            and _place_like(text, words, i)
            and _swahili(words)
        ):
            kept[i] = True


# "karibu na X" (near X), Hausa "harin X" (the attack on X): a place, unless a list holds
# it as a name; after Hausa "sun bar" (they left) and before "zuwa" (to), whatever the lists say.
def _protect_near_and_attacked(text: str, words: list[_Word], kept: list[bool]) -> None:
    """One or two capitalised words after "karibu na", "harin", or "sun bar" before "zuwa"."""
    if "karibu" not in text and "harin" not in text and "bar " not in text:
        return
    for i in range(2, len(words)):
        prev, before = words[i - 1].folded, words[i - 2].folded
        near = prev == "harin" or (prev == "na" and before == "karibu")
        left = prev == "bar" and before in _HAUSA_THEY
        if not (near or left) or not words[i].capital or not _joined(text, words[i - 1], words[i]):
            continue
        run = [i]
        if i + 1 < len(words) and words[i + 1].capital and _joined(text, words[i], words[i + 1]):
            run.append(i + 1)
        if left and not (run[-1] + 1 < len(words) and words[run[-1] + 1].folded == "zuwa"):
            continue
        if all(_place_like(text, words, k, left) for k in run):
            for k in run:
                kept[k] = True


_HAUSA_THEY = _split("sun mun kun ya ta na")


def _keep_capitals(
    text: str,
    words: list[_Word],
    kept: list[bool],
    start: int,
    most: int,
    fits: Callable[[int], bool] = lambda k: True,
) -> None:
    """Keep up to `most` capitalised words from `start` on, each joined to the one before
    it and such that `fits(k)`: the name of a place or a group after the word that says so."""
    k = start
    while k < min(start + most, len(words)) and words[k].capital:
        if not (_joined(text, words[k - 1], words[k]) and fits(k)):
            return
        kept[k] = True
        k += 1


# "el bus a X", "la vía a X", "the road to X": a ride or a road goes to a place.
_WAYS = _split("bus buses flota pasaje pasajes carretera vía via ruta route road bateau boda")
_WAYS_TO = _split("a al hacia para to à")
_WAY_CUES = re.compile("(?i)bus|flota|pasaje|carretera|v[ií]a|ruta|route|road|bateau|boda")


def _protect_ways_to(text: str, words: list[_Word], kept: list[bool]) -> None:
    """One or two capitalised words after a ride or a road and "to" are where it goes."""
    if not _WAY_CUES.search(text):
        return
    for i in range(2, len(words)):
        if not (words[i - 1].folded in _WAYS_TO and words[i - 2].folded in _WAYS):
            continue
        _keep_capitals(text, words, kept, i, 2, lambda k: _place_like(text, words, k, True))


# "la columna X Y", "el frente X": armed groups are named after people.
_ARMED_GROUPS = _split("columna frente bloque brigada batallón")
_ARMED_GROUP_CUES = re.compile("columna|frente|bloque|brigada|batall")


def _protect_armed_groups(text: str, words: list[_Word], kept: list[bool]) -> None:
    """Up to three capitalised words after a lower-case word for an armed group."""
    if not _ARMED_GROUP_CUES.search(text):
        return
    for i in range(1, len(words)):
        if words[i - 1].folded not in _ARMED_GROUPS or words[i - 1].capital:
            continue
        _keep_capitals(text, words, kept, i, 3)


# "wakaazi wa X", "mvuvi wa X Port": residents, fishermen, farmers of a place.
_SWAHILI_PEOPLE_OF = _split("""wakaazi wakazi mkaazi mkazi wananchi wenyeji mwenyeji wavuvi
mvuvi wakulima mkulima wafugaji wachimbaji wanawake wakimbizi""")  # women, refugees of X
# "akina mama wa X": the women of X ("mama wa X" alone is X's mother)
_WOMEN_OF = ("akina", "mama")


def _protect_swahili_people_of(text: str, words: list[_Word], kept: list[bool]) -> None:
    """Up to two capitalised words no list holds as names after such a word and "wa"."""
    if " wa " not in text:
        return
    for i in range(2, len(words)):
        if not (
            words[i - 1].folded == "wa"
            and (
                words[i - 2].folded in _SWAHILI_PEOPLE_OF
                or (i >= 3 and (words[i - 3].folded, words[i - 2].folded) == _WOMEN_OF)
            )
        ):
            continue
        _keep_capitals(text, words, kept, i, 2, lambda k: _place_like(text, words, k))


# French "fuir", "quitter" take the place with no preposition: "on a fui X Y", "j'ai quitté X".
_FLED = _split("fui quitté quittée quittés quittées")
_HAVE = _split("a ai as avons avez ont")


def _protect_fled(text: str, words: list[_Word], kept: list[bool]) -> None:
    """Up to two capitalised words after "a fui", "avons quitté" are the place left."""
    if "fui" not in text and "quitt" not in text:
        return
    for i in range(2, len(words)):
        if not (words[i - 1].folded in _FLED and words[i - 2].folded in _HAVE):
            continue
        _keep_capitals(text, words, kept, i, 2, lambda k: not _is_title(words[k]))


def _protect_arabic_second_place(text: str, words: list[_Word], kept: list[bool]) -> None:
    """ "مدارس X وY": after a place kept as one, "و" and a word no vocabulary or list knows
    is a second place."""
    if " و" not in text:
        return
    for i in range(1, len(words)):
        word = words[i]
        if (
            kept[i - 1]
            and not kept[i]
            and _is_arabic(word.text)
            and _is_arabic(words[i - 1].text)
            and word.folded.startswith("و")
            and len(word.folded) >= 4
            and _arabic_rank(word.folded[1:]) is None
            and _is_known(word) is None
            and _joined(text, words[i - 1], word)
        ):
            kept[i] = True


# French puts "la" before a river, a company or a region, not before a person: "puisent à
# la X", "le pont sur la X"; and "de la X" after water, a bridge, a road.
_BEFORE_LA = _split("à sur dans vers sous depuis jusqu")
_THINGS_OF_LA = _split("eau pont rive bord barrage route courant électricité fleuve rivière")


def _protect_feminine_places(text: str, words: list[_Word], kept: list[bool]) -> None:
    """One capitalised word after a French preposition and "la" is a place or a company."""
    if " la " not in text:
        return
    for i in range(2, len(words)):
        article, before = words[i - 1], words[i - 2]
        if (
            article.text == "la"
            and words[i].capital
            and (
                (before.folded in _BEFORE_LA and before.text != "a")
                or (
                    before.folded == "de"
                    and i >= 3
                    and words[i - 3].folded in _THINGS_OF_LA
                    and not words[i - 3].capital
                )
            )
            and _joined(text, before, article)
            and _joined(text, article, words[i])
            and not (i + 1 < len(words) and words[i + 1].capital)
            and not _is_title(words[i])
        ):
            kept[i] = True


# Verbs of speaking a language: what follows is a language ("speaks Dari only", "parle
# fulfulde et haoussa"), and a people is named after it. Not Spanish "habla": "Le habla X" is
# X on the phone, and Spanish writes a language in lower case. Not Hausa "jin" (hear,
# understand): "ina jin X tana kuka" is "I hear X crying".
_SPEAKING = _split("""
speak speaks spoke speaking parle parlent parlons parlait parlaient يتكلم تتكلم يتكلمون
بتتكلم بيتكلم يحكي تحكي بحكي بتحكي بيحكي بيحكو بيحكوا منحكي بنحكي يحچي تحچي يهدر تهدر
""")
# "anasema Kibembe" (he speaks Kibembe): in Swahili only before a language's "Ki-", since
# "anasema Juma…" is "he says Juma…" and "anaongea" also "he talks".
_SWAHILI_SAYS = _split("anasema wanasema ninasema tunasema anaongea wanaongea naongea tunaongea")
_OR = _split("or ou o au ko and et y na da ak")
# Collective nouns after a people: "the Zadran elders", "X militia"; not "community" ("X
# community health worker" is a person).
_PEOPLE_NOUNS = _split("""
elders tribe tribes clan clans militia militias villagers fighters herders tribesmen
""")


def _protect_languages_spoken(text: str, words: list[_Word], kept: list[bool]) -> None:
    """After a verb of speaking, a language and those listed with it by "or", "and": "speaks
    Gumuz or Uduk", "anasema Kibembe", "parle fulfulde et haoussa"."""
    for i in range(len(words) - 1):
        verb = words[i].folded
        if verb not in _SPEAKING and verb not in _SWAHILI_SAYS:
            continue
        k = i + 1
        while k < len(words) and _joined(text, words[k - 1], words[k]):
            word = words[k]
            if verb in _SWAHILI_SAYS and not word.folded.startswith("ki"):
                break
            if _is_title(word) or word.folded in _COMMON or word.folded in _RELATION_WORDS:
                break
            kept[k] = True
            if k + 2 < len(words) and words[k + 1].folded in _OR and not words[k + 1].capital:
                k += 2
            elif word.capital and k + 1 < len(words) and words[k + 1].capital:
                k += 1  # "speak X Y": a language of two words
            elif _is_arabic(word.text) and k + 1 < len(words) and words[k + 1].folded[:1] == "و":
                k += 1  # "بتحكي تركي وكردي"
            else:
                break


# Buses, boats, trucks in the plural: "los buses X y Y", "boti X" run by a company.
_VEHICLES = _split("""
buses busetas autobuses camiones lanchas taxis boats ferries trucks lorries coaches
bateaux camions pirogues cars mabasi boti malori
""")


def _protect_transport_companies(text: str, words: list[_Word], kept: list[bool]) -> None:
    """A capitalised word right after a vehicle in the plural or a boat, and the one joined
    to it by "and": the company that runs them ("Los buses X y Y suben el pasaje")."""
    for i in range(1, len(words)):
        word, before = words[i], words[i - 1]
        if (
            word.capital
            and before.folded in _VEHICLES
            and not before.capital
            and _joined(text, before, word)
            and _place_like(text, words, i)  # "the trucks Amina drives": no listed name
        ):
            kept[i] = True
            if i + 2 < len(words) and words[i + 1].folded in _OR and words[i + 2].capital:
                kept[i + 2] = _joined(text, word, words[i + 1]) and not _is_title(words[i + 2])


def _protect_peoples_and_roles(text: str, words: list[_Word], kept: list[bool]) -> None:
    """A capitalised word before a collective noun of a people ("the Zadran elders"), or
    after "the" and before "of" or its phrase's end ("the Qazi of the village", "ask the
    Wakil.", "the Wakil and the Qazi"): a role; English puts no "the" before a person's
    name), or after French "le" ("quitté le Bazèga"), or in "X and Y" with a people ("mostly
    Uduk and Hausa"), or after French "l'" ("de l'Ouémé": a river, a region; no person
    takes an article), or shaped as a brand ("TapMoney", "PayPal")."""
    for i, word in enumerate(words):
        if not word.capital or kept[i]:
            continue
        joined = i + 1 < len(words) and _joined(text, word, words[i + 1])
        nxt = words[i + 1] if joined else None  # the next word, with nothing between
        before = words[i - 1] if i else None
        if (
            (nxt is not None and nxt.folded in _PEOPLE_NOUNS and not nxt.capital)
            or (
                before is not None
                and before.folded == "the"
                and _joined(text, before, word)
                and (
                    nxt is None
                    or nxt.folded == "of"
                    or _and_the(words, i + 1)
                    or _past_verb(nxt)  # "the Issa attacked the well": a people, a clan
                )
            )
            or (before is not None and _french_le(text, before, word, nxt))
            or (before is not None and _elided_article(text, before, word))
            or _brand_shaped(word)
            or _service_prefixed(text, word)
            or _listed_with_a_people(text, words, i)
        ) and not _is_title(word):
            kept[i] = True


def _and_the(words: list[_Word], k: int) -> bool:
    """ "the Wakil and the Qazi": words[k] is "and", "or" before "the"."""
    return k + 1 < len(words) and words[k].folded in ("and", "or") and words[k + 1].folded == "the"


def _french_le(text: str, before: _Word, word: _Word, nxt: _Word | None) -> bool:
    """ "on a quitté le Bazèga en mars": French "le" in lower case before a capitalised
    word that ends its name (a region, a river: no person takes "le")."""
    return before.text == "le" and _joined(text, before, word) and (nxt is None or not nxt.capital)


def _elided_article(text: str, before: _Word, word: _Word) -> bool:
    """ "l'Ouémé": French "l'" right before the word."""
    return (
        before.text in ("l", "L")
        and word.start - before.end == 1
        and text[before.end] in _APOSTROPHES
    )


# "e-Devlet", "m-Pesa", "e-Citizen": an online service, a product.
_SERVICE_PREFIXES = ("e-", "m-", "i-")


def _service_prefixed(text: str, word: _Word) -> bool:
    """ "e-Devlet": "e-", "m-" alone before the word (not the end of "Serge-Alain")."""
    start = word.start - 2
    return (
        start >= 0
        and text[start : word.start].casefold() in _SERVICE_PREFIXES
        and (start == 0 or not text[start - 1].isalnum())
    )


def _past_verb(word: _Word) -> bool:
    """An English verb in the past, in lower case: "attacked", "looted"."""
    return not word.capital and word.folded.endswith("ed") and word.folded in _vocabulary()


def _brand_shaped(word: _Word) -> bool:
    """ "TapMoney", "PayPal": two parts in one word, the last an ordinary word no name list
    holds (not "DeShawn", "McDonald"); "MyKad", "MySejahtera": "My" and a product."""
    parts = _camel_parts(word.text)
    if len(parts) < 2:
        return False
    if parts[0] == "My":
        return True
    last = _fold(parts[-1])
    return len(last) >= 3 and _everyday_word(last) and last not in _name_list()


def _listed_with_a_people(text: str, words: list[_Word], i: int) -> bool:
    """ "Uduk and Hausa", "Hausa or Uduk": beside a people by "and", "or", no listed name."""
    word = words[i]
    if word.folded in _name_list() or word.folded in _AFRICAN_NAMES:
        return False
    if i and words[i - 1].capital and _joined(text, words[i - 1], word):
        return False  # "Mahaman Maazou na Red Cross": a full name, then "of" an organisation
    for other, link in ((i + 2, i + 1), (i - 2, i - 1)):
        if 0 <= other < len(words) and words[link].folded in _OR and not words[link].capital:
            left, right = sorted((i, other))
            after = words[other + 1] if other + 1 < len(words) else None
            if (
                _people(words[other])
                and not (after is not None and after.capital and _joined(text, words[other], after))
                and _joined(text, words[left], words[link])
                and _joined(text, words[link], words[right])
            ):
                return True
    return False


# Feasts and seasons made of words that are also names: "Semana Santa", "Good Friday",
# "Babbar Sallah" (Hausa, the great feast), "Ijumaa Kuu".
_FEASTS = _by_first_word(
    _phrase(p)
    for p in _phrases("""
semana santa|viernes santo|jueves santo|sábado de gloria|domingo de ramos|domingo de pascua
día de los muertos|día de muertos|todos los santos|noche buena|año nuevo|día de la madre
día del padre|día de la independencia|semaine sainte|vendredi saint|nouvel an|jour de l'an
mardi gras|fête des mères|holy week|good friday|easter monday|easter sunday|palm sunday
new year|mother's day|independence day|boxing day|ijumaa kuu|mwaka mpya|idd el fitr
idd el hajj|idd ul fitr|eid al fitr|eid al adha|eid ul fitr|eid ul adha|eid mubarak
babbar sallah|karamar sallah|ƙaramar sallah|sallah babba|sallah karama
""")
)
# "watan Azumi" (Hausa: the month of fasting), "mwezi wa Ramadhani", "the month of Ramadan":
# after these a capitalised word is a month or a feast.
_MONTH_OF = _by_first_word(
    _phrase(p) for p in "watan|mwezi wa|month of|mois de|mes de|شهر".split("|")
)


def _month_named(words: list[_Word], i: int) -> int:
    """1 when word i is the capitalised word right after "watan", "mwezi wa", "month of"."""
    if i < 1 or not words[i].capital or _is_title(words[i]):
        return 0
    for length in (1, 2):
        k = i - length
        if k >= 0 and _phrase_at(words, k, _MONTH_OF) == length and not words[k].capital:
            return 1
    return 0


# Spanish and French articles before a place word: "en el hospital Dr. X Y Z".
_ROMANCE_ARTICLES = _split("el del al la le l du au")


def _protect_named_after_a_title(text: str, words: list[_Word], kept: list[bool]) -> None:
    """ "en el hospital Dr. Manuel Gómez Ortiz de Comitán", "la escuela Lic. Benito Juárez":
    in Spanish and French, a place word with its article, then a title and a full name of
    three words (or a name and "de" a town), is a place named after a person. A person after
    a place takes an article or a comma ("en el hospital, el Dr. X")."""
    for i in range(1, len(words) - 2):
        place, title = words[i], words[i + 1]
        if (
            place.folded not in _PLACE_WORDS
            or words[i - 1].folded not in _ROMANCE_ARTICLES
            or not _joined_loose_org(text, words[i - 1], place)
            or not (title.capital and _is_title(title))
            or text[place.end : title.start] != " "
        ):
            continue
        end = i + 2
        while end < len(words) and end < i + 6 and words[end].capital:
            if not _joined(text, words[end - 1], words[end]) and end > i + 2:
                break
            end += 1
        of_a_town = (
            end + 1 < len(words)
            and words[end].folded in ("de", "del")
            and words[end + 1].capital
            and _joined(text, words[end - 1], words[end])
        )
        if end - (i + 2) >= 3 or (end > i + 2 and of_a_town):
            kept[i:end] = [True] * (end - i)


def _arabic_centre(word: _Word) -> bool:
    """ "مركز", "بمركز", "في مركز": a centre without "ال" (see `_ARABIC_CENTRES`)."""
    if "مركز" not in word.folded:
        return False
    bare = _bare(word.folded)
    return any(f in _ARABIC_CENTRES for f in bare) and not any(f.startswith("ال") for f in bare)


def _arabic_institution(words: list[_Word], i: int) -> bool:
    """ "مدرسة الملك عبدالله", "مدرسة خالد بن الوليد": a school, a hospital named after a
    king, or after a man of history with his father's name. "مدرسة" alone is also "a
    teacher", so only these."""
    if not any(f in _ARABIC_INSTITUTIONS for f in _bare(words[i].folded)) or i + 1 >= len(words):
        return False
    return (
        words[i + 1].folded in _ARABIC_ROYAL
        or words[i + 1].folded in _KUNYA  # "جامع أبو بكر الصديق"
        or (i + 3 < len(words) and words[i + 2].folded in _NASAB)
    )


def _headed(words: list[_Word], i: int) -> bool:
    """ "chef de quartier", "mwenyekiti wa mtaa", "mai unguwa": the place word names what a
    person heads, and the word after it is that person. Not Hausa's "of" form: "mai unguwar
    X" is the head of the quarter X."""
    if words[i].folded in _HAUSA_PLACE_OF:
        return False
    before = [w.folded for w in words[max(0, i - 2) : i]]
    return bool(before) and (
        before[-1] in _PLACE_HEADS
        or (len(before) == 2 and before[0] in _PLACE_HEADS and before[1] in _ORGANISATION_LINKS)
    )


def _protect_named_before(text: str, words: list[_Word], kept: list[bool]) -> None:
    """ "Nelson Mandela Road", "Patience Road", "Makarfi road", "Mohamed Mooge district",
    "Sheikh Isaaq secondary school": up to three capitalised words joined before a street,
    camp, district or school word (a school's level between) are its name, and the word is
    kept with them. Not after a verb of contact ("tell Wanjiku clinic is closed"), nor before
    what one pays or owns ("pay Amina school fees"): there the name is a person's."""
    for i, word in enumerate(words):
        if word.folded not in _NAMED_BEFORE or _is_arabic(word.text):
            continue
        if not (word.capital or word.folded in _NAMED_BEFORE_LOWER):
            continue
        if i + 1 < len(words) and words[i + 1].folded in _OWED and not words[i + 1].capital:
            continue
        last = i - 1
        while last >= 1 and words[last].folded in _PLACE_LEVELS and not words[last].capital:
            last -= 1  # "secondary", "referral", "health" between the name and the word
        k, run = last, []
        while (
            k >= max(0, last - 2)
            and (
                (words[k].capital and words[k].folded not in _TITLE_CASE_LINKS)
                or _hyphened_article(text, words[k])  # "X al-Y hospital"
            )
            and not _is_title(words[k])
            and words[k].folded not in _RELATION_WORDS
            and not _contact_cue(words, k)
            and _joined(text, words[k], words[k + 1])
        ):
            run.append(k)
            k -= 1
        if not run or (k >= 0 and _person_cue_before(words, k)):
            continue
        for m in run + list(range(last + 1, i + 1)):
            kept[m] = True


def _hyphened_article(text: str, word: _Word) -> bool:
    """The Arabic article in Latin letters, hyphened to the word after it: "al-Rassi"."""
    return word.folded in ("al", "el") and text[word.end : word.end + 1] == "-"


# A school's or a hospital's level or kind, between its name and the word: "Sheikh Isaaq
# secondary school", "Kalobeyei referral hospital".
_PLACE_LEVELS = _SCHOOL_LEVELS | _split("""
secondary primary general referral regional district health maternity memorial teaching
girls boys community public mixed central police detention transit reception collective
specialist specialists federal autonomous medical
""")
# What a person pays or owns after a place word: "pay Amina school fees".
_OWED = _split("""
fees fee money uniform uniforms books bag bill bills card loan debt shoes
""")


def _person_cue_before(words: list[_Word], k: int) -> bool:
    """A verb of contact, a relative or a title ends at word k ("tell", "my son", "Mama")."""
    if _is_title(words[k]) and words[k].capital:
        # "Sheikh Nur checkpoint": a title is part of the place's name, unless a verb of
        # contact comes before it ("ask Mama Zawadi…").
        return k >= 1 and any(_contact_cue(words, m) == k - m for m in range(max(0, k - 3), k))
    if words[k].folded in _RELATION_WORDS or _is_title(words[k]):
        return True
    return any(_contact_cue(words, m) == k + 1 - m for m in range(max(0, k - 2), k + 1))


# "in Cúcuta", "kwenye Kakuma": after these, a capitalised town of GeoNames is a place.
# Not "à", "a", "from", "to": "dis à Fatima", "vi a Rosa", "a letter from Grace".
_IN = _split("in en dans kwenye huko hapa kule katika cikin desde hasta hacia mjini daga kutoka")
# "llegamos a Cúcuta", "je suis arrivé à Goma", "we went to Arua": "a", "à", "to" after
# a verb of going or coming.
_TO = _split("a à al au to de from")
_GOING = re.compile(
    r"lleg\w*|fui|fuimos|fue|fueron|vamos|voy|van|viaj\w*|volv\w*|regres\w*|hui\w*|huy\w*|"
    r"arriv\w*|allé\w*|venu\w*|parti\w*|retourn\w*|rentr\w*|fui\w*|transféré\w*|déplacé\w*|"
    r"went|go|going|gone|came|come|moved|travel\w*|returned|fled|relocated|transferred"
)


def _arabic_place_at(words: list[_Word], i: int, places: dict) -> int:
    """A listed place or organisation whose first word carries "to", "with", "in": "شكرا
    لأطباء بلا حدود" (thanks to Doctors Without Borders), "في أم درمان"."""
    if not _is_arabic(words[i].text):
        return 0
    for bare in _bare(words[i].folded)[1:]:
        length = _phrase_at([words[i]._replace(folded=bare)] + words[i + 1 :], 0, places)
        if length:
            return length
    return 0


def _from_a_place(words: list[_Word], k: int) -> bool:
    """ "the people from", "los de", "les gens de": words[k] is "from" after a word that
    makes what follows a place."""
    return words[k].folded in _FROM and _after(words, k, _FROM_A_PLACE)


def _protect_towns(text: str, words: list[_Word], kept: list[bool]) -> None:
    """A town of GeoNames after "in", "en", "kwenye"…, or after "from" where it says where
    ("los de Cúcuta", "les gens de Thiès"), is a place, unless our own name lists hold it
    (gender-guesser's long list has towns: "Cúcuta")."""
    for i in range(1, len(words)):
        word = words[i]
        if (
            word.capital
            and (
                _after_in(words, i)
                or _from_a_place(words, i - 1)
                or (words[i - 1].folded in _FROM and _after_a_people(words, i - 1))
            )
            and _joined(text, words[i - 1], word)
            and word.folded in _gazetteer()
            and word.folded not in _AFRICAN_NAMES
            and word.folded not in _listed()[0]
        ):
            kept[i] = True


# "in Garbatulla", "au site de Kibabi", "hapa Lomogol", "sokoni X", "daga X": a word
# no list knows, after these, names where, not who. Not "à" after a verb of giving or
# saying ("dis à X"), nor Spanish "a" ("vi a X"): there the word after is a person.
_LOCATIVES = _split("""
in at from near inside outside around
au aux dans de du des vers près chez
en desde hasta hacia cerca
hapa huko kule katika kwenye sokoni kambini mjini kijijini kutoka
baharini kisiwani visiwani mkoani wilayani mtaani shehiani uwanjani barabarani nyumbani pale
daga cikin zuwa kusa zaune via
""")  # "baharini X" (at sea off X), "kisiwani X" (on the island of X), "nyumbani X" (at home
# in X), "pale X" (there at X)
# "à" and Hausa "a" only after a verb of being or living there: "habite à X", "yana a
# X"; "dites à X", "merci à X" name a person.
_PLURAL_ARTICLES = _split("les los las")
# "j'habite X": where one lives, named without "à", a place even if a list holds it as a name.
_LIVE_IN = _split("habite habitons habitez habitent")
# Hausa "da ke X" (which is in X), Swahili "walikuja X" (they came to X): a place after them.
_SWAHILI_WE_THEY_CAME = re.compile(
    r"(?:tu|wa|ni)(?:li|me|na|ta|ka)(?:kuja|fika|kimbia|hamia|rudi|hama|safiri|enda|ja)"
)
# Hausa verbs of coming, going back, going: "za su zo X", "ya koma X". A person takes
# "wurin", "gun" between ("ya zo wurin X"), so the word right after them is a place; so
# after "he is", "she is" ("tana Matameye": she is in M.; not "suna", also "name").
_HAUSA_WENT = _split("zo koma tafi shiga")  # "sun sake shiga X": they entered X again
_HAUSA_IS_AT = _split("yana tana muna kuna")


def _hausa_went(word: _Word, words: list[_Word] | None = None) -> bool:
    if word.capital:
        return False
    return word.folded in _HAUSA_WENT or (
        word.folded in _HAUSA_IS_AT and words is not None and _hausa(words)
    )


# Not "إلى" (to): "الإحالة إلى X" is a referral to a person.
_ARABIC_LOCATIVES = _split("من في قرب ف")  # "ف" alone: "in", in the Maghreb and Mauritania
_LOCATIVE_ARTICLES = _split("the le la l el")
_THROUGH = _split("por par through via")
# "en La Carpio", "por El Papaturro": "La", "El" capitalised there begin a place's name.
_IN_THE_PLACE = _split("en por hasta desde")
_FRENCH_AT = _split("à")
_HAUSA_AT = _split("a")
_BEING_AT = _split("""
habite habitent habitons vit vivent vivons né née nés nées est sont suis sommes resté restée
restés installé installée installés réfugié réfugiée réfugiés déplacé déplacée déplacés
travaille travaillent ici là bien arrivé arrivée arrivés
yana tana muna suna ina kuna zaune zama
""")
# Verbs of living, before "à" and Hausa "a": what follows is where, whatever the lists say.
_LIVING_AT = _split("""
habite habitent habitons habitez vit vivent vivons installé installée installés installées
né née nés nées zaune
""")
# "from", "de" and "من" are also whose and from whom ("threats from X", "la fille de X",
# "سمعت من X"): they make a place only after a word for coming, living or a place, so that
# a name in no list after them is still removed (safety before fewer false alarms).
_FROM = _split("from de daga kutoka")
_FROM_A_PLACE = _split("""
come came comes coming arrived arrive arrives fled flee fleeing displaced moved returned
parti partie partent partons leaves left departs
returnees caller callers people person persons family families refugee refugees idp idps
woman man women men lady girl boy village town city camp site area district region zone
venu venue venus venues originaire originaires déplacé déplacée déplacés déplacées
réfugié réfugiée réfugiés réfugiées appel appelant appelante gens habitants ville
quartier territoire région province
vengo viene vienen venimos vinimos llegó llegaron salimos desplazado desplazada
desplazados refugiado refugiados gente familia familias personas
police policemen soldiers soldier army militia youths traders farmers herders fishermen
groupement groupements taxis motos zémidjans chauffeurs transporteurs
policiers policier gendarmes soldats militaires commerçants éleveurs pêcheurs
policía policías soldados militares comerciantes
mayor governor chief commissioner maire gouverneur préfet alcalde gobernador prefecto
comisario alcaldía mairie
zo zuwa dawo gudu gudo fito taho hijira mutane mutanen garin kauye kauyen yan ƴan
wakimbizi mkimbizi wageni mgeni watu mtu familia kijiji mji kambi wilaya
congolais congolaises rwandais burundais maliens burkinabè burkinabe nigériens tchadiens
soudanais centrafricains camerounais ivoiriens sénégalais mauritaniens nigérians
am suis sommes soy somos viens vient venons venez viennent arrivons arrivent partis enfuis
forage forages puits pozo pozos borehole boreholes well wells pump pompe fontaine
los las ceux celles those
far loin lejos away malades riverains populations population villageois ressortissants
pobladores habitantes residents inhabitants villagers patients pupils students travellers
passengers pacientes patients élèves
rapatrié rapatriée rapatriés rapatriées retourné retournée retournés retournées expulsé
expulsée expulsés expulsées évacué évacuée évacués évacuées transféré transférée transférés
repatriated deported evacuated transferred relocated returnee repatriado repatriada
repatriados deportado deportada deportados retornado retornada retornados
santé sanitaire hôpital hopital dispensaire clinique maternité prison marché gare
salud clínica clinica mercado cárcel carcel
familles femmes hommes jeunes vieux vieille vieilles enfants route pont chemin axe école
salí salió salieron desplazadas resguardo vereda corregimiento municipio
""")
# (Its later lines: a place's police, soldiers or head, "police from X", "el alcalde de X";
# Hausa and Swahili words of coming and of places, "mun zo daga X", "mkimbizi kutoka X";
# peoples in the plural, "les Congolais de X"; "I am from X", "soy de X", "nous venons de
# X": where one is from. Not "is from", "es de": "this message is from X" is a person.)
# "We are from X", "we're from X": "are" only after "we", "they", "you".
_WE_ARE = _split("we they you")
# "from X to Y", "daga X zuwa Y", "de X à Y": the word after "to" ends a way between places.
_TO_A_PLACE = _split("to à a au hasta zuwa hadi mpaka kwenda")
_ARABIC_TO = _split("إلى الى لـ لعند")
# Swahili verbs of coming, fleeing, moving ("tulikuja kutoka X", "wamekimbia kutoka X").
_SWAHILI_COMING = re.compile(r"\w*(?:ja|fika|kimbia|hamia|rudi|hama|safiri|hamishwa)")
_ARABIC_FROM_A_PLACE = _split("""
نازح نازحة نازحين نازحون جاء جاءت جينا جيت وصل وصلت وصلنا هربنا هرب هربت لاجئ لاجئة
لاجئين أهل اهل ناس مخيم منطقة قرية مدينة أصله اصله أصلها اصلها
نزح نزحت نزحنا نزحوا نزحو
""")
# "أنا من كوتوبا مخيم ٧": a word before "camp", "block", "quarter" is where.
_ARABIC_CAMP_AFTER = _split("مخيم بلوك حي قطاع منطقة")
# "وصلنا كوستي": a verb of arriving or living then a word no list knows names a place.
_ARABIC_ARRIVED = _split("وصلنا وصلت وصل وصلوا جينا جيت سكنا ساكنين نزحنا رحنا")
_ARABIC_TO_A_PLACE = _split("إلى الى لعند")
# Words before the locative that make the next word a person: "a letter from X", "de la
# part de X", "le fils de X", "la maison de X", "kutoka kwa X" ("kwa" is no locative).
_PERSON_BEFORE_LOCATIVE = _RELATION_WORDS | _split("""
letter message note greetings regards gift money word news help call calls phone number
lettre mot cadeau argent nouvelles part nom fils fille femme mari maman papa famille maison
numéro téléphone cas compte enfant children kids niño niña hijos watoto yara
carta mensaje regalo dinero noticias parte nombre casa familia número teléfono caso cuenta
barua ujumbe zawadi pesa habari salamu
wasika sako kyauta kudi labari gaisuwa
رسالة هدية مبلغ فلوس خبر سلام تحويل أولاد اولاد أطفال اطفال عائلة بيت
""")


def _protect_after_locatives(text: str, words: list[_Word], kept: list[bool]) -> None:
    """ "caller from Garbatulla", "au site de Kibabi", "hapa Lomogol": a capitalised
    word no name list knows, just after a word for "in", "at", "from", is a place, and so
    is a second such word joined to it ("from Kutupa Para"). Not after a person cue ("a
    letter from X", "de la part de X", "le fils de X"), not with a possessive after it
    ("near X's house"), not with a title or a relative as the word after the locative."""
    for i in range(1, len(words)):
        word, before = words[i], words[i - 1]
        # "وصلت إلى X": "to" after a verb of arriving
        arrived_at = (
            before.folded in _ARABIC_TO_A_PLACE
            and i >= 2
            and words[i - 2].folded in _ARABIC_ARRIVED
        )
        if (
            (
                before.folded not in _BEFORE_A_PLACE
                and not _SWAHILI_WE_THEY_CAME.fullmatch(before.folded)
                and not _hausa_went(before, words)
                and not arrived_at
            )
            or (kept[i] and not (i + 1 < len(words) and words[i + 1].capital))
            or not (word.capital or _is_arabic(word.text))
            or not _joined(text, before, word)
        ):
            continue
        if _is_arabic(word.text):
            # "نازح من مونغونو": an Arabic word no vocabulary or list knows after "من", "في".
            kept[i] = (
                (
                    before.folded in _ARABIC_LOCATIVES
                    or before.folded in _ARABIC_ARRIVED
                    or arrived_at
                )
                and (
                    arrived_at
                    or before.folded != "من"
                    or _after(words, i - 1, _ARABIC_FROM_A_PLACE)
                    or _after(words, i - 1, _ARABIC_WE)  # "نحن من بانغي": where we are from
                    or _arabic_from_after_a_name(words, i)
                    or _to_after(text, words, i, _ARABIC_TO)
                    or (i >= 2 and text[words[i - 2].end : before.start] in ("، ", ", "))
                    or (i + 1 < len(words) and words[i + 1].folded in _ARABIC_CAMP_AFTER)
                )
                and _arabic_rank(word.folded) is None
                and _is_known(word) is None
                and not (i >= 2 and _person_before(words[i - 2].folded))
            )
            nxt = words[i + 1] if i + 1 < len(words) else None
            if kept[i] and arrived_at and nxt and nxt.folded.startswith("و"):
                # "وصلت إلى X وY": the second place, "and" glued to it
                kept[i + 1] = _joined(text, word, nxt) and _arabic_rank(nxt.folded[1:]) is None
            continue
        if not word.capital:
            continue
        if before.folded in _PLURAL_ARTICLES and (not before.capital or before.initial):
            # "les Fuliiru", "los Wayuu": a people; one person takes no plural article.
            kept[i] = _place_like(text, words, i) and not _is_known(word)
            continue
        if (
            before.folded in _LOCATIVE_ARTICLES
            and (not before.capital or (i >= 2 and words[i - 2].folded in _IN_THE_PLACE))
            and i >= 2
            and (words[i - 2].folded in _LOCATIVES or words[i - 2].folded in _THROUGH)
            and _joined(text, words[i - 2], before)
        ):
            before = words[i - 2]  # "por el Tapón", "dans le Kivu", "in the Sahel"
            i_before, article = i - 2, True
            if (
                i >= 3
                and before.folded in _PARTICLES
                and words[i - 3].capital
                and _joined(text, words[i - 3], before)
            ):
                continue  # "Yorlenis de la Ossa": a family name's particle, not "from"
        else:
            i_before, article = i - 1, False
        if before.folded in _FRENCH_AT or (before.folded in _HAUSA_AT and not before.capital):
            if not _at_a_place(words, i_before):
                continue
            # "j'habite à X", "ina zaune a X": where one lives, even a name of our lists
            article = article or _after(words, i_before, _LIVING_AT)
        elif before.folded in _LIVE_IN or _hausa_which_is_in(words, i_before):
            article = True
        elif _SWAHILI_WE_THEY_CAME.fullmatch(before.folded) or _hausa_went(before, words):
            pass  # "walikuja Mecanhelas", "za su zo X": not a listed name, as below
        elif before.folded not in _LOCATIVES and not (article and before.folded in _THROUGH):
            continue
        elif before.folded in _FROM and not (
            _after(words, i_before, _FROM_A_PLACE)
            or _from_after_a_name(text, words, i_before)
            or _is_from(words, i_before)
            or _leaves_from(words, i_before)
            or _far_from(words, i_before)
            or _after_a_people(words, i_before)
            or (i_before >= 1 and _SWAHILI_COMING.fullmatch(words[i_before - 1].folded))
            or _we_are(words, i_before)
            or _we_came_after(words, i)
            or _to_after(text, words, i, _TO_A_PLACE)
            # "l'EPC de X", "the UNHCR office from X": an institution's acronym, then where
            or (i_before >= 1 and _acronym(words[i_before - 1]))
            # "de Ali Sabieh et de Dikhil": "and from" after a place
            or (i_before >= 2 and words[i_before - 1].folded in _AND and kept[i_before - 2])
        ):
            continue
        if (
            i_before >= 1
            and _person_before(words[i_before - 1].folded)
            and not _leaves_from(words, i_before)
        ):
            continue
        if before.folded in _FROM and _sent_before(words, i_before):
            continue  # "la lettre vient de X", "the money came from X": a person sent it
        run = [i]
        if i + 1 < len(words) and words[i + 1].capital and _joined(text, word, words[i + 1]):
            run.append(i + 1)
        elif (
            i + 2 < len(words)
            and words[i + 1].folded in ("de", "del")
            and words[i + 2].capital
            and _joined(text, word, words[i + 1])
            and _joined(text, words[i + 1], words[i + 2])
        ):
            run.append(i + 2)  # "salí de López de Micay": a town named "X de Y"
        # "nous venons de Ali Sabieh": where we come from, even a name of our lists.
        listed = (
            article
            # "salió de X", "desplazadas de X", "estoy en X": left, fled or staying there
            or (i_before >= 1 and (before.folded, words[i_before - 1].folded) in _STRONG_PLACE_CUES)
            or (before.folded in _FROM and (_we_came(words, i_before) or _is_from(words, i_before)))
            # "the shelter at X", "the depot in X": a place's place
            or (before.folded in _AT_IN and _after(words, i_before, _PLACES_AT))
        )
        if all(_place_like(text, words, k, listed) for k in run):
            for k in run:
                kept[k] = True


# "We came from", "nous venons de", "venimos de", "mun taso daga": people coming from a place.
_WE_CAME = _split("venons venimos vinimos vengo venons venu venus venues taso")
_WE_CAME_EN = _split("came come fled moved")
# Swahili verbs of "I", "we" coming, returning, fleeing: "nimerudi", "tulikimbia".
_SWAHILI_I_WE_CAME = re.compile(
    r"(?:ni|tu)(?:li|me|ka)(?:rudi|toka|kuja|ja|fika|kimbia|hamia|hama|safiri|hamishwa|rudishwa)"
)


def _we_came(words: list[_Word], k: int) -> bool:
    """ "from" (words[k]) after a verb of coming whose subject is the writer: "nous venons
    de", "venimos de", "we came from", "mun taso daga"."""
    if k < 1:
        return False
    verb = words[k - 1].folded
    if words[k].folded == "kutoka" and _SWAHILI_I_WE_CAME.fullmatch(verb):
        return True  # "nimerudi kutoka X", "tulikimbia kutoka X"
    if verb in _WE_CAME:
        return verb != "taso" or (k >= 2 and words[k - 2].folded == "mun")
    return verb in _WE_CAME_EN and k >= 2 and words[k - 2].folded in ("we", "i", "they")


# Swahili verbs of going, coming from, arriving, moving, fleeing to: "kwenda X", "tumetoka
# X", "wamehamia X". A person takes "kwa" ("kwenda kwa X"), so the word after is a place;
# not "-penda" (to love): "anampenda X".
_SWAHILI_MOTION = re.compile(
    r"(?:ku|kw|tu|ni|wa|a|u|m|tu|mu|hatu|ha|hawa|si)?(?:li|me|na|ta|ki|ka|ja|ku)?(?:o|ye)?"
    r"(?:enda|toka|fika|hamia|hamishiwa|kimbilia|rudi|safiri|kaa|ishi|potea|fariki|fia|baki)|"
    r"twende|"
    r"tuende|nenda|nendeni"
    # "wanaoishi X" (who live in X), "alifariki X" (died at X): with "who", of dying too.
    # "maji haitoke X" (water does not come out at X), "hawafiki X": the negative present
    r"|ha(?:i|zi|wa|tu|ku|m|u|li|ya|ki|vi)?(?:toke|toki|fike|fiki|endi|ende)"
)
# "Msafiri" (a traveller), "Mkaa": a capitalised motion verb with no tense is a name,
# and the word after it no place ("Jina langu ni Msafiri Kyombo").
_SWAHILI_MOTION_NAME = re.compile(r"mu?(?:enda|toka|fika|rudi|safiri|kaa|ishi)")
# Words of time before "à": "Dimanche dernier à X", "hier soir à X", "ce matin à X".
_TIME_BEFORE_AT = _PROPER | _split("""
hier aujourd demain matin soir nuit dernier dernière derniere passé passée prochain
prochaine semaine mois année annee hui
""")


# "hapa Nduta", "huko Kigoma", "kwenye Mtendeli": here, there, in; a person takes "kwa".
_SWAHILI_HERE = _split(
    "hapa huko kule kwenye katika mjini niko tuko yuko nipo tupo yupo kwetu kwao kwenu"
    " iko ziko kiko liko ipo zipo kipo lipo"
)
# "niko X": I am at X; "shambani kwetu X": at our farm, in X; "kadi iko X": the card is at X
_SWAHILI_I_AM_AT = _split("niko tuko yuko wako nipo tupo yupo wapo iko ziko kiko liko ipo zipo")


def _from_place_before(words: list[_Word], kept: list[bool], k: int) -> bool:
    """ "from Palma to X": "to" (words[k]) after "from" and a place kept just before it."""
    return (
        k >= 2
        and kept[k - 1]
        and (
            words[k - 2].folded in _FROM
            or (k >= 3 and kept[k - 2] and words[k - 3].folded in _FROM)
        )
    )


# "from X to Y then Z": a way, place after place.
_THEN = _split("then puis luego kisha sannan")


def _protect_place_lists(text: str, words: list[_Word], kept: list[bool]) -> None:
    """ "Santa Marta y Riohacha", "Kakuma na Kalobeyei": a capitalised word that no name list
    knows, joined by "and" to a place, is a place too (either side); so is one after a
    place and "then" that ends its phrase ("to Marsabit then Kalacha, …")."""
    for i in range(1, len(words) - 1):
        left, link, right = words[i - 1], words[i], words[i + 1]
        then = link.folded in _THEN and kept[i - 1] and _phrase_end_after(text, words, i + 1)
        if (
            (link.folded not in _AND and not then)
            or link.capital
            or kept[i - 1] == kept[i + 1]
            or not (_joined(text, left, link) and _joined(text, link, right))
        ):
            continue
        k = i + 1 if kept[i - 1] else i - 1
        place = words[i - 1] if kept[i - 1] else words[i + 1]
        if (
            words[k].capital
            # Hausa "na" is "of": "Malam Chollom na makarantar…" is the school's teacher, so
            # a place word in lower case is no place of a list, and a titled word is a person.
            and place.capital
            and not (k and _is_title(words[k - 1]))
            and not _is_arabic(words[k].text)
            and not (k < i and words[k].initial and not _unknown_without_cue(words[k]))
            and _place_like(text, words, k)
        ):
            kept[k] = True
    _article_after_a_place(text, words, kept)


def _article_after_a_place(text: str, words: list[_Word], kept: list[bool]) -> None:
    """ "por la Duarte y la Máximo Gómez": after a place, "and" and the article of a street
    or a place, the capitalised words (two at most) are one too, a listed name too."""
    for i in range(1, len(words) - 2):
        if not (
            kept[i - 1]
            and words[i].folded in _AND
            and not words[i].capital
            and words[i + 1].text in ("la", "el", "le", "las", "los")
            and words[i + 2].capital
            and not _is_title(words[i + 2])
            and all(
                _joined(text, a, b)
                for a, b in zip(words[i - 1 : i + 2], words[i : i + 3], strict=True)
            )
        ):
            continue
        kept[i + 2] = True
        if (
            i + 3 < len(words)
            and words[i + 3].capital
            and _joined(text, words[i + 2], words[i + 3])
        ):
            kept[i + 3] = True


# "llegaron por X", "nos devolvieron a X", "ils sont arrivés par X": "a", "por", "à", "par"
# after a verb of going, returning or sending back (not "to": "I went to X" may be a visit).
_GONE_TO = _split("a al à au por par")
_SENT_BACK = re.compile(r"devolv\w*|deport\w*|expuls\w*|refoul\w*|renvoy\w*")
# "walked to X", "fled to X", "were deported to X": one flees, walks, is moved to a place;
# one goes to a person too ("I went to X" may be a visit, "the case was transferred to X" a
# referral), so only these, right before "to".
_FLED_TO = _split("""
fled walked moved relocated deported evacuated trekked migrated walk walks flee flees
""")


def _protect_gone_to(text: str, words: list[_Word], kept: list[bool]) -> None:
    """After "a", "por", "à", "par" that follow a verb of going (the verb, or the verb and one
    word), a capitalised word (two joined) no name list holds is a place, in no gazetteer
    too: where one went, where one was sent back to."""
    for i in range(2, len(words)):
        word, to = words[i], words[i - 1]
        fled_to = to.folded == "to" and words[i - 2].folded in _FLED_TO
        if (
            kept[i]
            or not word.capital
            or (to.folded not in _GONE_TO and not fled_to)
            or to.capital
            or not _joined(text, to, word)
            or not (
                fled_to
                or any(
                    _GOING.fullmatch(w.folded) or _SENT_BACK.fullmatch(w.folded)
                    for w in words[max(0, i - 3) : i - 1]
                )
            )
        ):
            continue
        run = [i]
        if i + 1 < len(words) and words[i + 1].capital and _joined(text, word, words[i + 1]):
            run.append(i + 1)
        if all(_place_like(text, words, k) for k in run):
            for k in run:
                kept[k] = True


# "بني عامر", "والبني عامر", "بنو هلال": a tribe, or a town named after one ("بني سويف").
_TRIBE_OF = _split("بني بنو البني")


def _protect_tribes(text: str, words: list[_Word], kept: list[bool]) -> None:
    """The word after "بني", "بنو" (the sons of) names a tribe or its town, no person."""
    if "بن" not in text:
        return
    for i in range(len(words) - 1):
        if any(f in _TRIBE_OF for f in _bare(words[i].folded)) and _joined(
            text, words[i], words[i + 1]
        ):
            kept[i] = kept[i + 1] = _is_arabic(words[i + 1].text)


# "My name is X Y from Z", "naitwa X Y kutoka Z": after one's own full name, where one is from.
_MY_NAME_BEFORE = re.compile(
    r"(?i:my\s+name\s+is|i\s+am|i'm|je\s+m'appelle|je\s+suis|me\s+llamo|soy|jina\s+langu\s+ni|"
    r"naitwa|mimi\s+ni|sunana|ni\s+ne|ni\s+ce)\s+$"
)
_FROM_PLACE = _split("from kutoka daga desde")


# Latin American aid programmes named after a hero: "el bono Juancito Pinto", "la beca
# Benito Juárez", "la Misión Ribas". A person's own grant takes "de" ("el bono de X").
_PROGRAMMES = _split("bono bonos beca becas misión mision")


def _protect_programmes(text: str, words: list[_Word], kept: list[bool]) -> None:
    """Up to three capitalised words right after a programme's word, in lower case or after
    an article ("el Bono", not "Bono Rosa dijo"), are its name."""
    for i, word in enumerate(words[:-1]):
        if word.folded not in _PROGRAMMES or (
            word.capital and not (i and words[i - 1].folded in _ARTICLES)
        ):
            continue
        k = i + 1
        while (
            k < len(words)
            and k <= i + 3
            and words[k].capital
            and _joined(text, words[k - 1], words[k])
        ):
            kept[k] = True
            k += 1


def _protect_from_after_my_name(text: str, words: list[_Word], kept: list[bool]) -> None:
    """ "My name is Fuseini Osumanu from X": a capitalised word after "from" that follows
    one's own name in two words is where one is from, a listed name too."""
    for i in range(3, len(words)):
        word, before = words[i], words[i - 1]
        if (
            before.folded in _FROM_PLACE
            and word.capital
            and not kept[i]
            and words[i - 3].capital
            and words[i - 2].capital
            and all(
                _joined(text, a, b)
                for a, b in zip(words[i - 3 : i], words[i - 2 : i + 1], strict=True)
            )
            and _MY_NAME_BEFORE.search(text, max(0, words[i - 3].start - 25), words[i - 3].start)
        ):
            kept[i] = True


def _protect_where_one_goes(text: str, words: list[_Word], kept: list[bool]) -> None:
    """Where, whatever the lists say: a capitalised word (two joined) after a Swahili verb of
    going or coming ("Tumetoka Kagunga kwenda Mtendeli"), after "hapa", "huko", "kwenye"
    (here, there, in), after "à" that follows a word of time ("Lundi dernier à Mtendeli"),
    after "to" in "from a place to X" ("from Kagunga to Mtendeli"). Not a title, a
    relative, a word with "'s"; not "kutoka" alone, which the rules of "from" read ("barua
    kutoka X" is a letter from a person)."""
    swahili = None
    for i in range(1, len(words)):
        word, before = words[i], words[i - 1]
        if kept[i] or not word.capital or not _joined(text, before, word):
            continue
        listed = True  # a name of our lists after it is a place too
        if (before.text == "à" and i >= 2 and words[i - 2].folded in _TIME_BEFORE_AT) or (
            before.folded in _SWAHILI_HERE and not before.capital
        ):
            where = True
        elif before.folded in _SWAHILI_I_AM_AT and before.initial and _swahili(words):
            where = kept[i - 1] = True  # "Niko Mayotte tangu…": I am in X, not "Niko"
        elif (
            before.folded == "kutoka"
            and any(  # "nilifika kwa boti kutoka X"
                _SWAHILI_MOTION.fullmatch(w.folded) for w in words[max(0, i - 5) : i - 1]
            )
        ):
            where = True
        elif before.folded in _TO_A_PLACE and _from_place_before(words, kept, i - 1):
            where, listed = True, False  # "from Kakuma to Amina": Amina stays a person
        elif (
            _SWAHILI_MOTION.fullmatch(before.folded)
            and before.folded not in _FROM
            and not (before.capital and _SWAHILI_MOTION_NAME.fullmatch(before.folded))
        ):
            if swahili is None:
                swahili = _swahili(words) and not _hausa(words)
            where = swahili
        else:
            continue
        run = [i]
        if i + 1 < len(words) and words[i + 1].capital and _joined(text, word, words[i + 1]):
            run.append(i + 1)
        if where and all(_place_like(text, words, k, listed) for k in run):
            for k in run:
                kept[k] = True


# "من بر الياس", "ساكنين بدير زنون": words that begin a village's name ("land", "monastery",
# "hill", "spring"), after "from", "in" or a verb of living; not "بيت" (a house: "من بيت X"
# is from X's house).
_ARABIC_VILLAGE_WORDS = _split("بر دير تل كفر بئر بير جسر مرج عين برج")
_ARABIC_IN = _split("من في قرب الى إلى لعند")
# Verbs of living: "ساكن بشتورة" (living in Chtaura), "عايشين بالمرج".
_ARABIC_LIVING = _split("""
ساكن ساكنة ساكنه ساكنين سكنا نسكن بنسكن عايش عايشة عايشين نعيش قاعد قاعدة قاعدين نازل نازلين
""")


# Verbs of going in, crossing and reaching, spoken and written: "دخل لسبتة عوم" (he went into
# X swimming), "بغاو يحرگو لX" (they want to cross to X), "وصلت لX".
_ARABIC_GOING_IN = _split("""
دخل دخلت دخلو دخلوا يدخل يدخلو ندخل حرگ حرگو يحرگو نحرگو حرق يحرقو حرك يحركو مشى مشا مشات
مشاو راح راحت راحو راحوا وصل وصلت وصلو وصلوا سافر سافرت سافرو سافروا هرب هربت هربو هربوا
""")


def _protect_arabic_gone_to(text: str, words: list[_Word], kept: list[bool]) -> None:
    """Right after a verb of going in, crossing or reaching, a word with "ل" (to) that no
    vocabulary and no list of names knows is the place gone to."""
    if not _ARABIC_LETTER.search(text):
        return
    for i in range(1, len(words)):
        word = words[i]
        if (
            kept[i]
            or words[i - 1].folded not in _ARABIC_GOING_IN
            or not word.folded.startswith("ل")
            or word.folded.startswith("لل")
            or len(word.folded) < 4
            or not _joined(text, words[i - 1], word)
        ):
            continue
        rest = word.folded[1:]
        if not (_arabic_name(rest) or _arabic_rank(rest) is not None or _is_known(word)):
            kept[i] = True


def _protect_arabic_villages(text: str, words: list[_Word], kept: list[bool]) -> None:
    """A village's first word after "from", "in" or a verb of living, and the word after it
    ("جينا من بر الياس"); after a verb of living, a word with "in" that no vocabulary knows
    ("وساكن بشتورة")."""
    for i in range(1, len(words)):
        word, before = words[i], words[i - 1]
        if kept[i] or not _is_arabic(word.text) or not _joined(text, before, word):
            continue
        living = any(f in _ARABIC_LIVING for f in _bare(before.folded))
        bare = _bare(word.folded)
        village = word.folded in _ARABIC_VILLAGE_WORDS and (
            before.folded in _ARABIC_IN or living or before.folded in _ARABIC_ARRIVED
        )
        village = village or (word.folded[:1] in "بل" and word.folded[1:] in _ARABIC_VILLAGE_WORDS)
        if village and i + 1 < len(words) and _joined(text, word, words[i + 1]):
            kept[i] = kept[i + 1] = True
        elif (
            living
            and word.folded.startswith("ب")
            and not word.folded.startswith("بال")
            and len(word.folded) >= 4
            and _arabic_rank(word.folded) is None
            and _is_known(word) is None
            and _arabic_rank(bare[-1]) is None
        ):
            kept[i] = True


# "The people of X", "the town of X", "Mkristo wa X" (a Christian of X): where, not whose.
_OF_A_PLACE = _split("""
people residents inhabitants villagers population town city village region district area
camp streets chief chiefs chifu elders wazee mzee diwani mwenyekiti mbunge sheikh mukhtar
muslim muslims christian christians catholic catholics mwislamu waislamu mkristo wakristo
mkatoliki wakatoliki
""")


def _protect_peoples_of(text: str, words: list[_Word], kept: list[bool]) -> None:
    """ "Wasomali wa Kudhaa", "the Nuer of Akobo", "the people of Kawa": a people or "the
    people", then "of" and a capitalised word no name list holds: where that people lives."""
    for i in range(2, len(words)):
        link, word = words[i - 1], words[i]
        if (
            word.capital
            and not kept[i]
            and link.folded in ("wa", "of")
            and not link.capital
            and (_people(words[i - 2]) or words[i - 2].folded in _OF_A_PLACE)
            and _joined(text, words[i - 2], link)
            and _joined(text, link, word)
            and _place_like(text, words, i)
        ):
            kept[i] = True
            # "the Sheikh of Albu Sawda": a second capitalised word joined is more of it
            if i + 1 < len(words) and words[i + 1].capital and _joined(text, word, words[i + 1]):
                kept[i + 1] = kept[i + 1] or _place_like(text, words, i + 1)
    for i in range(1, len(words)):  # Hausa "Larabawan Nijar": the Arabs of Niger
        of, word = words[i - 1], words[i]
        if (
            word.capital
            and of.folded.endswith("awan")
            and _hausa_people(of.folded)
            and _joined(text, of, word)
            and (word.folded in _gazetteer() or word.folded in _ordinary())
            and _hausa(words)
        ):
            kept[i] = True


# "the Batil people", "Ngok returnees": a people or a place before them.
_PEOPLE_AFTER = _split(
    "people community communities tribe clan returnees residents villagers speaker speakers"
    " hablante hablantes locuteur locuteurs"
)
# "Hospital Doctor X", "Colegio Padre X": a place named after a doctor or a priest.
_FACILITY_TITLES = _split("doctor dr docteur doctora padre père father")
# "Nuestra Señora de X", "Notre-Dame de X", "Our Lady of X": a church, a hospital.
_OUR_LADY = ({"nuestra", "senora"}, {"notre", "dame"}, {"our", "lady"})
# "de El Fondillo", "en El Alto": a place with its article, after a preposition.
_BEFORE_THE_ARTICLE = _split("de en a por desde hacia para hasta")
_SPANISH_OF = _split("de del y e")
# "youth from X", "raiders from X": a group of people from a place.
_GROUPS_FROM = _split("""youth youths people men women soldiers raiders fighters herders
families refugees returnees""")
# "the X Y clinic": a run of capitalised words between "the" and a facility in lower case.
_FACILITIES = _split("clinic hospital school centre center market shelter office")
# "cruzar por X": to cross at X.
_CROSSING = _split("cruzar cruzan cruzó cruzaron cruza pasar pasan pasó pasaron")


def _protect_named_by_what_follows(text: str, words: list[_Word], kept: list[bool]) -> None:
    """Capitalised words that name a people or a place by the words around them: before
    "people" or "returnees", after a hospital and a doctor, "Nuestra Señora de", "de El",
    "New", "cruzar por"."""
    for i, word in enumerate(words):
        if not word.capital or kept[i] or i == 0:
            continue
        after = words[i + 1] if i + 1 < len(words) else None
        if (
            after is not None
            and after.folded in _PEOPLE_AFTER
            and not after.capital
            and _joined(text, word, after)
            and not text[word.start : after.start].rstrip().endswith(("'s", "’s", "s'", "s’"))
        ) or (_joined(text, words[i - 1], word) and _named_by_what_precedes(words, i)):
            kept[i] = True


def _protect_dateline(text: str, words: list[_Word], kept: list[bool]) -> None:
    """ "Reynosa: …", "سبتة: …": one word alone before a colon that opens a message is where
    the news is from (or what it is about), unless a list holds it as a name ("Amina: …" is
    who speaks)."""
    if len(words) > 1 and words[0].start == 0 and words[0].folded in _HEADING_ARTICLES:
        # "El Tambo: …": a town with its article; a person takes none
        if words[1].capital and text[words[1].end :].lstrip(" ").startswith(":"):
            kept[0] = kept[1] = _joined(text, words[0], words[1])
        return
    _protect_noted_place(text, words, kept)
    if not words or words[0].start > 0 or not text[words[0].end :].lstrip(" ").startswith(":"):
        return
    if _is_known(words[0]) is None and words[0].folded not in _name_list():
        kept[0] = True


_HEADING_ARTICLES = _split("el la los las le les the al")
# What kind of note a message opens with, before the place it is from: "kiosk, X:",
# "survey comment X:", "rahoton X:". Not a case note, a call or "from": those may open
# with the person ("case note X Y: 14, …", "call from X:").
_NOTE_KINDS = _split("""
kiosk kiosque survey comment commentaire comentario enquête encuesta info sécurité security
rapport report update feedback taarifa rahoton
""")


def _protect_noted_place(text: str, words: list[_Word], kept: list[bool]) -> None:
    """ "kiosk, Mungula: …", "survey comment Adel Bagrou: …": one or two capitalised words
    that no list holds as names, after the words that say what kind of note this is and
    before the colon that ends them, name where it is from."""
    colon = text.find(":", 0, 80)
    before = [w for w in words if w.end <= colon]
    place = 0
    while (
        place < min(2, len(before))
        and before[-1 - place].capital
        and before[-1 - place].folded not in _NOTE_KINDS
    ):
        place += 1
    kinds, named = before[: len(before) - place], range(len(before) - place, len(before))
    if (
        not place
        or not kinds
        or text[before[-1].end : colon].strip()
        or not all(w.folded in _NOTE_KINDS for w in kinds)
    ):
        return
    if all(
        _is_known(words[i]) is None
        and words[i].folded not in _name_list()
        and not _is_title(words[i])
        for i in named
    ):
        for i in named:
            kept[i] = True


def _protect_arabic_associations(text: str, words: list[_Word], kept: list[bool]) -> None:
    """The name after an association's word: the next word, and one more with "ال" ("جمعية
    زهرة الفرات": the Euphrates Flower association)."""
    if not any(a in text for a in _ARABIC_ASSOCIATIONS):
        return  # (most messages hold none: the words' proclitics are looked at only then)
    for i in range(len(words) - 1):
        if not any(f in _ARABIC_ASSOCIATIONS for f in _bare(words[i].folded)):
            continue
        if not (_is_arabic(words[i + 1].text) and _joined(text, words[i], words[i + 1])):
            continue
        kept[i + 1] = True
        k = i + 2
        if (
            k < len(words)
            and words[k].folded.startswith("ال")
            and _joined(text, words[k - 1], words[k])
        ):
            kept[k] = True


def _named_by_what_precedes(words: list[_Word], i: int) -> bool:
    """ "Hospital Doctor X", "Nuestra Señora de X", "de El X", "New X", "cruzar por X",
    "l'hôpital Al X"."""
    before, word = words[i - 1], words[i]
    two = {words[i - 3].folded, words[i - 2].folded} if i >= 3 else set()
    return (
        (
            before.folded in _FACILITY_TITLES
            and i >= 2
            and words[i - 2].capital
            and words[i - 2].folded in _ORGANISATION_WORDS
        )
        or (before.folded == "de" and any(pair <= two for pair in _OUR_LADY))
        or (before.text == "El" and i >= 2 and words[i - 2].folded in _BEFORE_THE_ARTICLE)
        # "niña X, 15, de La Y": "de La" after no capitalised word ("Ana de La Cruz")
        or (
            before.text == "La"
            and i >= 2
            and words[i - 2].text == "de"
            and not (i >= 3 and words[i - 3].capital and words[i - 2].start - words[i - 3].end == 1)
        )
        # "l'hôpital Al Farabi", "escuela El Carmen": an institution with its article
        or (before.text in ("Al", "El") and i >= 2 and words[i - 2].folded in _ORGANISATION_WORDS)
        # "le centre Las Raíces", "el albergue Los Olivos": not "Juan de Los Santos"
        or (
            before.text in ("Las", "Los")
            and i >= 2
            and not words[i - 2].capital
            and words[i - 2].folded not in _SPANISH_OF
        )
        or (before.text == "New" and word.folded not in _COMMON)
        or (before.folded == "por" and i >= 2 and words[i - 2].folded in _CROSSING)
        or (before.folded == "from" and i >= 2 and words[i - 2].folded in _GROUPS_FROM)
        # "el espigón del Tarajal": "del" (of the) after a thing, not "hijo del X"
        or (
            before.text == "del"
            and i >= 2
            and not words[i - 2].capital
            and words[i - 2].folded not in _RELATION_WORDS
            and words[i - 2].folded not in _CHILD_WORDS
            and not _is_title(words[i - 2])
        )
        or _before_a_facility(words, i)
    )


def _before_a_facility(words: list[_Word], i: int) -> bool:
    """ "the Heyva Sor clinic": word i in a run of one or two capitalised words after "the"
    and before a facility in lower case."""
    for start in (i - 1, i - 2):
        for end in (i + 1, i + 2):
            if (
                start >= 0
                and end < len(words)
                and end - start <= 3
                and words[start].text == "the"
                and words[end].folded in _FACILITIES
                and not words[end].capital
                and all(w.capital for w in words[start + 1 : end])
            ):
                return True
    return False


# Quarters named "the house of", "the sheikh": "في دار سعد", "نحن من الشيخ عثمان".
_ARABIC_QUARTER_WORDS = _split("دار الشيخ")
# Who says where they are or come from before "من", "في": "نحن من X", "ساكنين في X".
_ARABIC_WE = _split("نحن احنا إحنا أنا انا")


# Verbs and adjectives of living somewhere: "ساكن بX", "تقيم في X Y".
_ARABIC_LIVING = _split("""
ساكن ساكنة ساكنه ساكنين ساكنة عايش عايشة عايشين نازل نازلة نازلين مقيم مقيمة مقيمين تقيم يقيم
نقيم أقيم اقيم يسكن تسكن نسكن بيسكن بتسكن بنسكن منسكن
""")


_ARABIC_HOSPITALS = _ARABIC_INSTITUTIONS | _split("مشفى")
_DIGITS_AND_SPACES = " 0123456789٠١٢٣٤٥٦٧٨٩"


def _institution_before(text: str, words: list[_Word], i: int) -> bool:
    """A hospital, a school, a centre in the three words before word i, the same phrase (a
    number between too: "مشفى ٢٥٠ سرير بX", the 250-bed hospital in X)."""
    for k in range(i - 1, max(-1, i - 5), -1):
        if text[words[k].end : words[k + 1].start].strip(_DIGITS_AND_SPACES):
            return False
        if words[k].folded in _ARABIC_HOSPITALS:
            return True
    return False


def _protect_arabic_where_one_lives(text: str, words: list[_Word], kept: list[bool]) -> None:
    """After a verb of living and "في" or a glued "ب" ("ساكن بX Y", "تقيم في X Y"), the
    town, a name or a rare word too, and a second word no vocabulary knows: where, not who."""
    if not _is_arabic(text):
        return
    for i in range(1, len(words)):
        before, word = words[i - 1], words[i]
        if not _is_arabic(word.text) or not _joined(text, before, word):
            continue
        glued = (
            word.folded[:1] == "ب"
            and len(word.folded) > 3
            and (
                before.folded in _ARABIC_LIVING
                # "مدرسة الشهيد X Y بZ", "مشفى ٢٥٠ سرير بZ": after a place's name, or a
                # few words after a hospital, a school, a centre, its town
                or (
                    (kept[i - 1] or _institution_before(text, words, i))
                    and _arabic_rank(word.folded) is None
                    and word.folded[:2] != "بو"
                )
                # "للسوريين بX", "مخيمات الحاويات بX وY": a word no vocabulary knows, "in"
                # glued to it, after people or things in the plural
                or (
                    before.folded.startswith(("ال", "لل"))
                    and before.folded.endswith(("ين", "ات", "ون"))
                    and before.folded not in _ARABIC_COMPOUND_SECOND  # "جمال الدين بوزيد"
                    and not word.folded.startswith("بو")  # "بوزيد", "بومدين": Maghreb names
                    and _arabic_rank(word.folded) is None
                )
            )
        )
        after_in = (
            before.folded == "في"
            and i >= 2
            and words[i - 2].folded in _ARABIC_LIVING
            and _joined(text, words[i - 2], before)
        )
        if not (glued or after_in):
            continue  # a name too: one lives in Ghazi Antep, not with "غازي"
        kept[i] = True
        nxt = words[i + 1] if i + 1 < len(words) else None
        if nxt and _joined(text, word, nxt) and _arabic_rank(nxt.folded) is None:
            kept[i + 1] = True
        elif nxt and _joined(text, word, nxt) and nxt.folded[:1] == "و":
            rank = _arabic_rank(nxt.folded[1:])  # "بX وإصلاحية": a second town, rare or unknown
            kept[i + 1] = rank is None or rank >= _ARABIC_RARE


def _protect_arabic_quarters(text: str, words: list[_Word], kept: list[bool]) -> None:
    """ "عاقل الحارة في دار سعد", "نحن من الشيخ عثمان": "دار" after "in", and "الشيخ"
    after "in" or "from" when the words before say where one lives or comes from ("نحن",
    a verb of living or arriving, a place word), name a quarter with the word after them.
    Not "رسالة من الشيخ X" (a letter from a sheikh), "ثقتي في الشيخ X"."""
    for i in range(1, len(words) - 1):
        word, before, after = words[i], words[i - 1], words[i + 1]
        if (
            word.folded not in _ARABIC_QUARTER_WORDS
            or before.folded not in ("في", "من")
            or not _joined(text, before, word)
            or not _joined(text, word, after)
            or not _is_arabic(after.text)
        ):
            continue
        where = i >= 2 and (
            words[i - 2].folded in _ARABIC_WE
            or any(
                f in _ARABIC_LIVING or f in _ARABIC_ARRIVED or f in _PLACE_WORDS
                for f in _bare(words[i - 2].folded)
            )
        )
        if where or (word.folded == "دار" and before.folded == "في"):
            end = i + 1 + (i + 2 < len(words) and words[i + 2].folded in _ARABIC_COMPOUND_SECOND)
            kept[i : end + 1] = [True] * (end + 1 - i)


# Words that begin a village's or a quarter's name, in Latin letters: "Ain Saadeh" (spring),
# "Burj al-Shemali" (tower), "Deir el-Balah" (monastery), "Bir Hassan" (well), "Kafr Qasim".
_LATIN_VILLAGE_WORDS = _split("""
ain ein ayn burj bourj borj bir deir dayr dair kafr kfar kefr souq suq bab beit bayt hayy
haret khirbet qasr ksar nahr ras wadi jebel jabal bahr
""")
# Words that begin a place's name after "in" only, being also a name or a kunya: "in Tarik
# al-Matar" (the road of…), "in Abu Hamra", but "Tarik al-Amin" and "Abu Hamra" are people.
_LATIN_PLACE_AFTER_IN = _split("tarik tariq abu abou umm oum")
# The Arabic article as written in Latin letters, assimilated or not: "al-", "el-", "ash-".
_LATIN_ARTICLES = _split("al el ad ar as ash at az an ed er es et ez en ul")
# "In", being there: "in", "dans", "en", "kwenye", "cikin" (not "from", "to": "a letter
# from Abu X", "talk to Abu X" name a person).
_BEING_IN = _split("in dans en kwenye katika cikin huko hapa mjini")


def _protect_latin_arabic_places(text: str, words: list[_Word], kept: list[bool]) -> None:
    """Arabic places written in Latin letters: a village word and the capitalised word after
    it, with "al-" between or not ("Ain Saadeh", "Bir al-Rumman", "Deir el-Balah"); after
    "in" also a road or a kunya and its word ("in Tarik al-Matar", "in Abu Hamra")."""
    for i, word in enumerate(words[:-1]):
        if not word.capital:
            continue
        village = word.folded in _LATIN_VILLAGE_WORDS
        if not village and not (word.folded in _LATIN_PLACE_AFTER_IN and _being_in(words, i - 1)):
            continue
        j = i + 1
        gap = text[words[i].end : words[j].start]
        if words[j].folded in _LATIN_ARTICLES and (gap == "-" or gap == " "):
            after = text[words[j].end : words[j + 1].start] if j + 1 < len(words) else ""
            if after != "-" and not (after == " " and words[j].folded in ("al", "el")):
                continue
            j += 1
        elif word.folded in ("tarik", "tariq"):
            continue  # "Tarik Ramadan": a road takes "al-", a man's family name need not
        if j < len(words) and words[j].capital and _joined(text, words[j - 1], words[j]):
            kept[i : j + 1] = [True] * (j + 1 - i)


# "The hospital in X", "le centre à X", Hausa "sansanin X na Y" (the camp X of Y).
_PLACE_IN = _split("in à en dans kwenye huko")


def _protect_town_of_a_place(text: str, words: list[_Word], kept: list[bool]) -> None:
    """A town of GeoNames right after a named place and "in" ("Kabiro Hospital in X"), or
    Hausa "na" ("sansanin Minawao na X"), is where that place is, even a name of our lists:
    a hospital or a camp is in a town, not in a person."""
    for i in range(2, len(words)):
        word, link = words[i], words[i - 1]
        if (
            kept[i]
            or not kept[i - 2]
            or not word.capital
            or link.capital
            or not (link.folded in _PLACE_IN or (link.folded == "na" and _hausa(words)))
            or not (_joined(text, words[i - 2], link) and _joined(text, link, word))
            or word.folded not in _gazetteer()
            or not _place_like(text, words, i, article=True)
        ):
            continue
        k = i - 2
        while k > max(0, i - 5) and kept[k - 1] and words[k].folded not in _NAMES_A_PLACE:
            k -= 1
        if words[k].folded in _NAMES_A_PLACE:
            kept[i] = True


# Health facilities, named after where they are: "le centre de santé de X", "CSPS de X".
_HEALTH_FACILITIES = _split("""
santé sanitaire hôpital hopital dispensaire maternité csps csi cs salud
escuela école ecole colegio liceo complejo complexe mercado marché parroquia paroisse
cáritas caritas alcaldía alcaldia municipalidad mairie préfecture prefectura
afya zahanati hospitali kliniki polisi police policía policia gendarmerie commissariat
""")  # ("kituo cha afya cha X", "zahanati ya X": Swahili's; "polisi wa X", "la gendarmerie
# de X": the police post of a place), and a school, a market, a border
# post, a parish, the town's office of a place: "la escuela de X", "la alcaldía de X"
# "la Pastoral Social de X", "Acción Social de X": the church's or the state's social service
# ("la trabajadora social de X" is a person's).
_SOCIAL_SERVICES = _split("pastoral acción accion bienestar")


def _protect_health_centres_of(text: str, words: list[_Word], kept: list[bool]) -> None:
    """ "au centre de santé d'Ali Sabieh", "l'hôpital de Mopti": after a health facility and
    "de", one or two capitalised words are the place it serves, even names of our lists
    (a health centre is not a person's). Not a title and what follows it."""
    for i in range(2, len(words)):
        facility, of, word = words[i - 2], words[i - 1], words[i]
        social = facility.folded == "social" and i >= 3 and words[i - 3].folded in _SOCIAL_SERVICES
        if (
            (facility.folded not in _HEALTH_FACILITIES and not social)
            or of.folded not in ("de", "d", "du", "cha", "ya", "wa")
            or not word.capital
            or _is_title(word)
            or not (_near(text, facility, of) and _near(text, of, word))
        ):
            continue
        run = [i]
        if i + 1 < len(words) and words[i + 1].capital and _joined(text, word, words[i + 1]):
            run.append(i + 1)
        if all(_place_like(text, words, k, article=True) for k in run):
            for k in run:
                kept[k] = True


def _being_in(words: list[_Word], k: int) -> bool:
    """Word k is "in", or "à", Hausa "a" where they say where one is."""
    if k < 0 or words[k].capital:
        return False
    if words[k].folded in _BEING_IN:
        return True
    return words[k].folded in _FRENCH_AT and _at_a_place(words, k)


def _unknown(word: _Word) -> bool:
    """A word no name list knows."""
    return word.folded not in _name_list() and word.folded not in _AMBIGUOUS_NAMES


_SINCE = _split("since depuis desde tangu tun")
_BLOCK_NUMBER = re.compile(r"\s+[A-Z]?-?\d{1,4}[A-Z]?\s+$")


_FROM_TOWN = _split("from kutoka daga desde")


def _protect_set_off_places(text: str, words: list[_Word], kept: list[bool]) -> None:
    """A capitalised word no list of names holds, alone at the end of its phrase: after a
    place word set off by a comma ("Sharya camp, Dohuk."), after a block's number ("bloc 4
    Maratane."), after the town one comes from ("from X, Y."): the town, the site or the
    province; after "since" ("since Newroz,"): a day or a feast."""
    for i in range(1, len(words)):
        word, before = words[i], words[i - 1]
        if kept[i] or not word.capital or _is_arabic(word.text) or word.text.isupper():
            continue
        gap = text[before.end : word.start]
        since = before.folded in _SINCE and gap == " " and not before.capital
        if not _phrase_end_after(text, words, i) or not _place_like(text, words, i, since):
            continue
        after_place = kept[i - 1] and before.folded in _NAMES_A_PLACE and gap.strip() == ","
        after_block = before.folded in _CAMP_UNITS and _BLOCK_NUMBER.fullmatch(gap) is not None
        # "kutoka Kasongo, X.", "from Goma, X": the province after the town one comes from
        after_from = (
            kept[i - 1] and gap.strip() == "," and i >= 2 and words[i - 2].folded in _FROM_TOWN
        )  # (not "de": "le chef de Kaya, X." names the chief)
        if after_place or after_block or after_from or since:
            kept[i] = True


def _protect_arabic_in_a_town(text: str, words: list[_Word], kept: list[bool]) -> None:
    """ "مستشفى الشيخ زايد فانواكشوط", "فشارع جمال عبد الناصر فانواكشوط": right after a
    place, a word joined to "ف" or "ب" (in) that is no name and that no vocabulary knows
    without it is the town the place is in."""
    for i in range(1, len(words)):
        word = words[i]
        if (
            kept[i]
            or not kept[i - 1]
            or not _is_arabic(word.text)
            or not word.folded.startswith(("ف", "ب"))
            or len(word.folded) < 5
            or not _joined(text, words[i - 1], word)
        ):
            continue
        rest = word.folded[1:]
        if rest in _arabic_places() or not any(
            _arabic_name(f) or _arabic_rank(f) is not None or _is_known(word)
            for f in (word.folded, rest)
        ):
            kept[i] = True


def _protect_institution_acronyms(text: str, words: list[_Word], kept: list[bool]) -> None:
    """ "L'EPP Ranavalona", "the IDP Kalobeyei office": an acronym after an article is an
    institution, and the capitalised word joined after it is its name; an acronym of three
    letters or more also with no article, before a word no name list knows ("CBCA Kasika")."""
    for i in range(1, len(words) - 1):
        word, after = words[i], words[i + 1]
        if (
            2 <= len(word.text) <= 5
            and word.text.isupper()
            and (words[i - 1].folded in _ARTICLES or (len(word.text) >= 3 and _unknown(after)))
            and not _is_title(word)
            and after.capital
            and not after.text.isupper()
            and _near(text, words[i - 1], word)
            and _joined(text, word, after)
            and not _is_title(after)
        ):
            kept[i] = kept[i + 1] = True
    # "ya lo reportamos al PANI", "le dossier du HCR": an acronym of three letters or more
    # after "al", "del", "du", "au" (the article glued to "to", "of") is an institution.
    for i in range(1, len(words)):
        word = words[i]
        if (
            len(word.text) >= 3
            and word.text.isupper()
            and word.text.isalpha()
            and words[i - 1].folded in _TO_THE
            and not words[i - 1].capital
            and _joined(text, words[i - 1], word)
        ):
            kept[i] = True


_TO_THE = _split("al del du au aux des")


# "a ofishin SUBEB", "ofisi ya UNHCR", "the office of IOM": an office's acronym.
_OFFICE_WORDS = _split("office offices ofishin ofis ofisi bureau oficina oficinas")
_OFFICE_LINKS = _split("of ya de du la del")


def _protect_offices(text: str, words: list[_Word], kept: list[bool]) -> None:
    """A word in capitals after an office word (and "of") is the agency's acronym."""
    for i in range(1, len(words)):
        word, before = words[i], words[i - 1]
        k = i - 2 if before.folded in _OFFICE_LINKS else i - 1
        if (
            k >= 0
            and words[k].folded in _OFFICE_WORDS
            and 2 <= len(word.text) <= 6
            and word.text.isupper()
            and all(_near(text, words[m], words[m + 1]) for m in range(k, i))
        ):
            kept[i] = True


# Verbs and words before "à" that make the next word a person: "merci à X", "j'ai donné
# l'argent à X", "dites à X", "bienvenue à X"; Hausa "a" is "at" only.
_TO_A_PERSON = re.compile(
    r"merci|remerci\w*|dit|dis|dites|dire|parl\w*|demand\w*|donn\w*|envoy\w*|écri\w*|"
    r"ecri\w*|téléphon\w*|telephon\w*|appel\w*|montr\w*|confi\w*|remi\w*|rend\w*|"
    r"vend\w*|pay\w*|prêt\w*|expliqu\w*|signal\w*|répon\w*|adress\w*|salu\w*|bonjour|"
    r"bienvenu\w*|bravo|courage|félicitation\w*|gloire|grâce|grace|marié\w*|mariée|appartien\w*|"
    r"conseill\w*|annonc\w*|transmet\w*|transmis|pens\w*|faut|plainte|plaint\w*|"
    r"référ\w*|refer\w*|orient\w*|confié\w*"
)


def _at_a_place(words: list[_Word], k: int) -> bool:
    """ "à" or Hausa "a" (words[k]) before a place: after a verb of being or living there
    ("il habite à X", "yana a X"), or with no verb of giving, saying or thanking in the four
    words before it ("on dort dehors à Kaya", "blessé par les VDP à X", "an kai hari a X");
    Hausa "a" only in a Hausa message (Spanish "a" names a person: "vi a X")."""
    if k >= 1 and words[k - 1].folded in _BEING_AT:
        return True
    if words[k].text == "a" and not _hausa(words):  # "à" folds to "a": the text tells them apart
        return False
    window = [w.folded for w in words[max(0, k - 4) : k]]
    # "on nous a dit que la distribution à X": a new clause after "que" says where
    clause = max((m + 1 for m, w in enumerate(window) if w in _THAT), default=0)
    return not any(_TO_A_PERSON.fullmatch(w) for w in window[clause:])


_THAT = _split("que qu")


# Every word that may stand just before a place above (made once: this runs on every word).
_BEFORE_A_PLACE = (
    _LOCATIVES
    | _ARABIC_LOCATIVES
    | _ARABIC_ARRIVED
    | _LIVE_IN
    | _split("ke")
    | _PLURAL_ARTICLES
    | _LOCATIVE_ARTICLES
    | _FRENCH_AT
    | _HAUSA_AT
)


def _we_are(words: list[_Word], k: int) -> bool:
    """ "we are from X", "we're from X", Hausa "manomi ne daga X" (a farmer from X): being
    from a place (words[k] is "from")."""
    return (k >= 2 and words[k - 1].folded in ("are", "re") and words[k - 2].folded in _WE_ARE) or (
        k >= 1 and words[k].folded == "daga" and words[k - 1].folded in _HAUSA_FOCUS
    )


def _hausa_which_is_in(words: list[_Word], k: int) -> bool:
    """ "Asibitin X da ke Jos": "da ke" (which is in) before a place (words[k] is "ke")."""
    return words[k].folded == "ke" and k >= 1 and words[k - 1].folded == "da" and _hausa(words)


def _we_came_after(words: list[_Word], i: int) -> bool:
    """ "Daga X muka zo" (from X we came), "daga X suka gudu": a verb of coming after the
    place, in Hausa."""
    return (
        i + 2 < len(words)
        and words[i + 1].folded in _HAUSA_WE_THEY
        and words[i + 2].folded in _HAUSA_COME
    )


_HAUSA_WE_THEY = _split("muka mun suka sun muna suna")
_HAUSA_COME = _split("zo taho gudo gudu fito tashi baro")


def _to_after(text: str, words: list[_Word], i: int, to: set[str]) -> bool:
    """ "from X to Y", "daga X zuwa Y", "من X إلى Y": word i (or it and the word joined to
    it) is followed by "to" and a name: a way from one place to another. Not "from X to
    pay", "من X إلى المدير": the word after "to" must be capitalised, or Arabic with no "ال"."""
    k = i + 1
    if k < len(words) and words[k].capital and _joined(text, words[i], words[k]):
        k += 1  # "from Kutupa Para to…"
    if k + 1 >= len(words):
        return False
    to_word, there = words[k], words[k + 1]
    return (
        to_word.folded in to
        and not to_word.capital
        and _joined(text, words[k - 1], to_word)
        and _joined(text, to_word, there)
        and (
            there.capital
            if not _is_arabic(there.text)
            else not any(f.startswith("ال") for f in _bare(there.folded))
        )
    )


# "2 days from X", "siku mbili kutoka X", "kwana uku daga X": a way measured from a place.
_WAY_UNITS = _split("""
day days hour hours km kms kilometres kilometers miles minutes jour jours heure heures
día días dia dias hora horas siku saa masaa kilomita kwana awa awanni
""")


def _far_from(words: list[_Word], k: int) -> bool:
    """A unit of time or distance right before "from", "kutoka", "daga" (words[k]), or with
    its number said after it ("siku mbili kutoka"). Not "de": "hace 2 días de X no sé nada"
    is of a person."""
    if words[k].folded not in ("from", "kutoka", "daga") or k < 1:
        return False
    before = words[k - 1].folded
    return before in _WAY_UNITS or (
        k >= 2 and before in _DIGIT_WORDS and words[k - 2].folded in _WAY_UNITS
    )


def _after(words: list[_Word], k: int, cues: set[str]) -> bool:
    """Whether the word before words[k] is one of `cues` ("caller" before "from")."""
    return k >= 1 and words[k - 1].folded in cues


def _after_a_people(words: list[_Word], k: int) -> bool:
    """ "garífuna de X", "les Dinka from X", "Sudanese from X", "des Peuls de X", "les Toubou
    de X": a people (a nationality, a language's people, a plural, a capitalised word
    after "les", "los") before "from" says where they live."""
    if k < 1:
        return False
    people = words[k - 1]
    folded = people.folded
    return (
        _group_folded(folded)
        or folded in _arabic_nationalities()
        or (
            people.capital
            and (
                _people_folded(folded)
                or (folded.endswith("s") and _people_folded(folded[:-1]))
                or (k >= 2 and words[k - 2].folded in _PLURAL_ARTICLES)
            )
        )
    )


def _arabic_from_after_a_name(words: list[_Word], i: int) -> bool:
    """ "المتصلة X من Y تقول": after a word no vocabulary knows (a name), "من" and a word
    before a verb of saying tell where that person is from. Not "رسالة من Y تقول" (a
    message from Y says): there "من" follows a known word and Y is who sent it."""
    return (
        i >= 2
        and _is_arabic(words[i - 2].text)
        and _arabic_rank(words[i - 2].folded) is None
        and i + 1 < len(words)
        and words[i + 1].folded in _ARABIC_SAID
    )


# Papers of one person: "el DNI de Rosa", "la CNI de X" name whose they are.
_PERSONAL_PAPERS = _split("dni cni id nin cin curp rut nida sms dob")


def _acronym(word: _Word) -> bool:
    """ "EPC", "HCR", "ONG": an institution's acronym, two to five capitals."""
    return (
        2 <= len(word.text) <= 5
        and word.text.isupper()
        and word.text.isalpha()
        and word.folded not in _PERSONAL_PAPERS
    )


def _from_after_a_name(text: str, words: list[_Word], k: int) -> bool:
    """ "Je suis Mwavita Bulambo, de Kabare": "from" set off by a comma after a capitalised
    word inside a sentence says where that person is from; "daga", "kutoka" also with no
    comma ("Ni ne Kachallah Karagama daga Dalori")."""
    if k < 1:
        return False
    name = words[k - 1]
    gap = text[name.end : words[k].start]
    return (
        name.capital
        and not name.initial
        # "Chengo Kahaso from Bamburi", "I am X from Y": "from" after a name in a sentence
        and (gap == ", " or (gap == " " and words[k].folded in ("daga", "kutoka", "from")))
        and not _is_title(name)
    )


# "the shelter at X", "the depot in X": at or in after a place, a place, a listed name too.
_AT_IN = _split("at in")
_PLACES_AT = _split("""
shelter shelters camp school clinic hospital market depot centre center office warehouse
site settlement church mosque station
""")

# "X is from Y", "her kimlik is from Y": where a person or a paper is from. Not after "this",
# "it" or a thing sent ("this is from Amina", "the call was from X": who sent it).
_IS = _split("is was are were")
_NOT_FROM_A_PLACE = _split("""
this that it which what these those everything all call calls request complaint parcel
package donation payment transfer invitation text sms email report help support aid idea
advice answer reply decision order permission food
""")


# "le camion part de X", "à partir de X": leaving from a place; not "de la part de X" (on
# behalf of a person).
_LEAVES = _split("part partent partira partiront partir")


def _leaves_from(words: list[_Word], k: int) -> bool:
    return (
        k >= 1
        and words[k].folded in ("de", "d")
        and words[k - 1].folded in _LEAVES
        and not (k >= 2 and words[k - 2].folded in ("la", "ma", "sa", "leur", "notre", "votre"))
    )


def _is_from(words: list[_Word], k: int) -> bool:
    """ "is from", "was from" (words[k] is "from") after a word that is no sender's thing."""
    return (
        k >= 2
        and words[k].folded == "from"
        and words[k - 1].folded in _IS
        and words[k - 2].folded not in _NOT_FROM_A_PLACE
        and words[k - 2].folded not in _SENT
    )


# Things a person sends: "la lettre vient de X", "the money came from X" name who sent them.
_SENT = _split("""
letter message note gift money lettre mot cadeau argent carta mensaje regalo dinero barua
ujumbe zawadi pesa wasika sako kyauta kudi
""")


_CAME = _split("""
come came comes arrived vient viennent venu venue venus arrivé arrivée viene vienen vino
llegó llego llegaron imekuja ilikuja ilitoka imetoka ya zo ta zo
""")


def _sent_before(words: list[_Word], k: int) -> bool:
    """A verb of coming before "from" (words[k]) with a thing sent just before it: "la
    lettre vient de X", "the money came from X"."""
    return (
        k >= 2
        and words[k - 1].folded in _CAME
        and any(w.folded in _SENT or w.folded[:-1] in _SENT for w in words[max(0, k - 4) : k - 1])
    )


# Kin and heads after a comma: "X, matar Hakimi", "X, le chef", "X, mke wa mwenyekiti".
_KIN_OF = _RELATION_WORDS | _split("""
matar mijin dan yar uwar mahaifin mahaifiyar mke mume binti mtoto femme fille fils épouse
veuve veuf wife husband widow son daughter esposa esposo hijo hija viuda
""")


def _apposition_person(text: str, words: list[_Word], k: int) -> bool:
    """ "daga Ummukaltum, matar Hakimi", "de Razafy, le chef": a word set off by a comma
    and followed by a kinship word, a title or a word for a person is that person."""
    j = k + 1
    if j >= len(words) or text[words[k].end : words[j].start] != ", ":
        return False
    if words[j].folded in _ARTICLES and j + 1 < len(words):
        j += 1
    elif j + 1 < len(words) and words[j + 1].folded in _CLAUSE_IS:
        return False  # "from X, husband is Y": a new clause, no apposition
    return words[j].folded in _KIN_OF or words[j].folded in _PERSON_NOUNS


_CLAUSE_IS = _split("is was ni est es")


def _person_before(folded: str) -> bool:
    """ "letter", "fils", "enfants", "watoto": before a locative, the next word is whose.
    Not the plural of "family" or "woman" ("les femmes de X": the women of a place)."""
    plural = folded.endswith("s") and folded not in _PEOPLE_OF_A_PLACE
    return folded in _ARABIC_KIN or any(
        f in _PERSON_BEFORE_LOCATIVE for f in (folded, folded[:-1] if plural else folded)
    )


# A verb of leaving or fleeing before "de", of staying before "en": a place follows.
_STRONG_PLACE_CUES = {
    (prep, verb)
    for prep, verbs in (
        ("de", "salí salió salieron salimos huimos huyeron desplazadas desplazados desplazado"),
        ("de", "desplazada déplacé déplacée déplacés déplacées fui fue fuimos"),
        ("from", "fled displaced"),
        ("en", "estoy estamos están está vivo vivimos viven vive"),
    )
    for verb in _split(verbs)
}
_PEOPLE_OF_A_PLACE = _split("familles femmes familias mujeres families women")


def _place_like(text: str, words: list[_Word], k: int, article: bool = False) -> bool:
    """A capitalised word no name list knows (after an article, a listed one too: "por el
    Chocó"), no title, without "'s" after it."""
    word = words[k]
    after = text[word.end : word.end + 2]
    return not (
        (not article and (word.folded in _name_list() or word.folded in _AMBIGUOUS_NAMES))
        or _is_title(word)
        or _apposition_person(text, words, k)
        or word.folded in _RELATION_WORDS
        or (len(after) == 2 and after[0] in _APOSTROPHES and after[1] in "sS")
    )


def _after_in(words: list[_Word], i: int) -> bool:
    """Word i follows "in" ("kwenye", "hapa"…) or "to" after a verb of going."""
    before = words[i - 1].folded
    if before in _IN:
        return True
    if before in _FRENCH_AT and not words[i - 1].capital and _at_a_place(words, i - 1):
        return True  # "on dort dehors à Kaya", "ba mu da gida a Kaya"
    # "llegamos a Cúcuta", "llegamos bien a Cúcuta": the verb, or the verb and one word.
    return before in _TO and any(_GOING.fullmatch(w.folded) for w in words[max(0, i - 3) : i - 1])


def _protect_emphasis(text: str, words: list[_Word], kept: list[bool]) -> None:
    """Three or more capitalised words in a row, no title among them and mostly ordinary
    words no name list holds, are emphasis or a title, not a name: "Nadie Vende Nada"
    (nobody sells anything). Their ordinary words stay, even one a name list holds ("Nada")."""
    start = 0
    while start < len(words):
        end = start
        while (
            end < len(words)
            and words[end].capital
            and not _is_arabic(words[end].text)
            and (end == start or _joined(text, words[end - 1], words[end]))
        ):
            end += 1
        run = words[start:end]
        plain = [w for w in run if _everyday_word(w.folded) and w.folded not in _name_list()]
        if (
            len(run) >= 3
            and len(plain) * 2 > len(run)
            and not any(map(_is_title, run))
            and not _signed_on_before(words, start)  # "me llamo Ruddy Laguna Sequeira"
        ):
            for k in range(start, end):
                kept[k] = kept[k] or _everyday_word(words[k].folded)
        start = max(end, start + 1)


def _everyday_word(folded: str) -> bool:
    """A word of the English, French, Spanish, Swahili or Hausa vocabulary, or a listed
    ordinary word, that is not one of the African names above."""
    return (folded in _vocabulary() or folded in _ordinary()) and folded not in _AFRICAN_NAMES


# Words that make a run of capitalised words an organisation, in the six languages: "Aga
# Khan Foundation", "Programme Alimentaire Mondial", "Kamati ya Maji", "Hukumar Agaji".
_ORGANISATION_WORDS = _split("""
foundation programme program fund council committee ministry hospital school church mosque
market radio redio tv télé televisión
association union agency office centre center society commission authority organisation
organization project trust institute university college clinic cooperative federation
fondation programme fonds conseil comité ministère hôpital école église mosquée association
union agence bureau centre société commission autorité organisation projet institut
université clinique coopérative fédération
fundación programa fondo consejo comité ministerio hospital escuela iglesia mezquita
asociación unión agencia oficina centro sociedad comisión autoridad organización proyecto
instituto universidad clínica cooperativa federación unidad unidade unité
shirika baraza kamati wizara hospitali shule kanisa msikiti chama umoja ofisi kituo mfuko
mamlaka halmashauri jumuiya taasisi chuo zahanati
vicariato vicariat vicariate diócesis diocesis diocèse diocese
kungiyar majalisar kwamitin maaikatar asibitin makarantar cocin masallacin hukumar ofishin
cibiyar asusun shirin jamiar
marine express airways airlines ferries ferry transport logistics
univ international internationale internacional
""")  # "Azam Marine", "X Express": boats, buses and airlines are companies; "X Memorial
# Univ", "sekondari ya X": a university, a secondary school named after a person
# The unions the rules ask about, made once (a set union per word would slow every message).
_NAMES_A_PLACE = _PLACE_WORDS | _ORGANISATION_WORDS
_NOT_MORE_NAME = _PROPER | _PLACE_WORDS | _ORGANISATION_WORDS | _HAUSA_PERSON_IS  # "Tsohuwa X"
_PROPER_OR_LINK = _PROPER | _PLACE_LINKS
_ALL_PARTICLES = _PARTICLES | _ARABIC_PARTICLES
_PARTICLES_OR_LINKS = _PARTICLES | _split("la los las")
# Particles that begin a family name in lower case: "van Cuypers", "ag Intalla", "de la Ossa".
_SURNAME_PARTICLES = _split("van von ag ould bin")  # not "de": "le maire de Ziguinchor"
# Small words that Title Case capitalises, which stand before an organisation's name, not
# inside it.
_TITLE_CASE_LINKS = _split(
    "to the for from with by at in on and a an à au aux pour par avec "
    "a al el la para por con sin ya kwa na ga da"
)
# What may stand inside an organisation's name: "Ministry of Health", "Fonds des Nations Unies".
# (Hausa "Asibitin kwararru na X", the specialists' hospital; "Jami'ar Tarayya ta X")
_ORGANISATION_LINKS = _PLACE_LINKS | _split("of for the pour aux au l d para ta na kwararru")


def _protect_organisations(text: str, words: list[_Word], kept: list[bool]) -> None:
    """An organisation word keeps the capitalised words joined to it: before it ("Danish
    Refugee Council", "Aga Khan Foundation") and after it, across links ("Ministry of
    Health", "Programme Alimentaire Mondial", "Kamati ya Maji")."""
    for i, word in enumerate(words):
        if not (word.capital and word.folded in _ORGANISATION_WORDS):
            continue
        kept[i] = True
        k = i - 1
        # "Message From Pastor John Kamau To The Committee": "To The" ends the name.
        while (
            k >= 0
            and words[k].capital
            and not _is_title(words[k])
            and words[k].folded not in _TITLE_CASE_LINKS
            and _joined(text, words[k], words[k + 1])
        ):
            kept[k] = True
            k -= 1
        k, last = i + 1, i
        while k < len(words) and k <= i + 6 and _joined_loose_org(text, words[k - 1], words[k]):
            if words[k].capital and not _is_title(words[k]):
                kept[last + 1 : k + 1] = [True] * (k - last)
                last = k
            elif words[k].folded not in _ORGANISATION_LINKS or words[k].capital:
                break
            k += 1


def _joined_loose_org(text: str, left: _Word, right: _Word) -> bool:
    """Joined, or across an elision's apostrophe: "pour l'Enfance"."""
    return _joined(text, left, right) or _near(text, left, right)


_SHORT_STREETS = _split("av ave avda")


def _protect_place(text: str, words: list[_Word], i: int, kept: list[bool], prefix: bool) -> None:
    """Protect the name of a place after word i, in the same phrase: capitalised words and
    the links between them in Latin letters ("La Paz", "Santa Cruz de la Sierra"); in
    Arabic the word after a place word, two if the first is a title or a kunya ("حي الشيخ
    مقصود")."""
    j = i + 1
    end = j
    while (
        end < len(words)
        and (
            _joined(text, words[end - 1], words[end])
            or (end > j and text[words[end - 1].end : words[end].start] in _APOSTROPHES)  # "N'Z…"
            # "St. Augustine's": the full stop of an abbreviated prefix joins
            or (
                end == j
                and (prefix or words[i].folded in _SHORT_STREETS)  # "Av. Duarte"
                and text[words[i].end : words[j].start] == ". "
            )
        )
    ):
        end += 1  # a comma ends it: "le chef de quartier, Souleymane Kaboré"
    hausa_of = j < len(words) and _hausa_of_place(words, j)  # the whole message's language
    words = words[:end]
    if j >= len(words):
        return
    if _is_arabic(words[j].text):
        if not prefix:
            span = _arabic_place_span(words, j)
            for k in range(j, min(j + span, len(words))):
                kept[k] = _is_arabic(words[k].text)
        return
    k = j + (
        (words[j].folded in _PLACE_LINKS or hausa_of) and not words[j].capital
    )  # "kijiji cha Mwamba", "unguwa na X"
    if (
        k + 1 < len(words) and words[k].folded in _SCHOOL_LEVELS and not words[k].capital
    ):  # "shule ya msingi Mwalimu…"; not "stade Général X": there the title is in the name
        k += 1
        k += k + 1 < len(words) and words[k].folded in _PLACE_LINKS  # "uwanja wa ndege wa X"
        k += k < len(words) and _is_title(words[k])
    while k < len(words) and k < j + 6:
        links = k
        while (
            links < len(words)
            and words[links].folded in _PLACE_LINKS
            and not words[links].capital
            and links > j
        ):
            links += 1  # "de la" between two capitalised words
        word = words[links] if links < len(words) else None
        if (
            word is None
            or not word.capital
            or (word.folded in _COMMON and word.folded not in _PROPER_OR_LINK)
        ):
            return
        for m in range(k, links + 1):
            kept[m] = True
        k = links + 1


def _unknown_second_place_word(folded: str) -> bool:
    """An Arabic word no vocabulary or list of names knows, not a new phrase ("و…")."""
    return (
        _ARABIC_LETTER.match(folded) is not None
        and _arabic_rank(folded) is None
        and not _arabic_name(folded)
        and not folded.startswith(("و", "ال"))
        and folded not in _COMMON
    )


def _hausa_of_place(words: list[_Word], j: int) -> bool:
    """Hausa "na" (of) after a place word: "mai unguwa na X" is the head of ward X."""
    return words[j].folded == "na" and _hausa(words)


# Buildings and streets named after a person with a given and a family name.
_ARABIC_NAMED_FOR_PEOPLE = _split("مسجد جامع مستشفى مشفى شارع")


def _arabic_place_span(words: list[_Word], j: int) -> int:
    """How many words from j name a place after its place word: one ("حي الزهور"), two
    after a title or kunya ("حي الشيخ مقصود"), a king's name with its ordinal, a compound
    name ("شارع صلاح الدين") and a father's name after "بن" ("مدرسة خالد بن الوليد")."""
    span = 2 if (_is_title(words[j]) or words[j].folded in _KUNYA) else 1
    span += words[j].folded in _ARABIC_PLACE_PREFIXES  # "مخيم بر الياس", "حي دير بعلبة"
    if words[j].folded in _ARABIC_ROYAL:  # "مدرسة الملك عبدالله الثاني"
        span = 2 + (j + 2 < len(words) and words[j + 2].folded in _ARABIC_ORDINALS)
        # "مدرسة الشهيد X Y": the family name after the given name, no word nor name
        span += span == 2 and j + 2 < len(words) and _unknown_second_place_word(words[j + 2].folded)
    end = j + span
    if (
        span == 1
        and not words[j].folded.startswith("ال")
        and (_arabic_rank(words[j].folded) or _ARABIC_RARE) >= _ARABIC_RARE
        and end < len(words)
        and _unknown_second_place_word(words[end].folded)
    ):
        end += 1  # "مخيم مام رشان": a camp's name of two words, the second no word nor name
    if (
        span == 1
        and j
        and words[j - 1].folded in _ARABIC_NAMED_FOR_PEOPLE
        and end < len(words)
        and _arabic_name(words[j].folded)
        and _arabic_name(words[end].folded)
    ):
        end += 1  # "مسجد مصطفى محمود": a mosque named with a full name
    if end < len(words) and words[end].folded in _ARABIC_COMPOUND_SECOND:
        end += 1
    if end + 1 < len(words) and words[end].folded in _NASAB:
        end += 2
    # "عبد" and its "ال" word are one name: "شارع جمال عبد الناصر", "بن عبد العزيز".
    if words[end - 1].folded == "عبد" and end < len(words) and words[end].folded.startswith("ال"):
        end += 1
    elif (
        end + 1 < len(words)
        and words[end].folded == "عبد"
        and words[end + 1].folded.startswith("ال")
    ):
        end += 2
    return end - j


def _weak_beside_names(text: str, words: list[_Word], marked: list[bool]) -> None:
    """A word that may be a name is one beside another name: "Baraka Otieno", "peter kamau"."""
    for i, word in enumerate(words):
        listed = word.folded in _name_list() or word.folded in _AMBIGUOUS_NAMES
        if (
            marked[i]
            or word.folded in _COMMON
            or _is_title(word)
            or not (_is_known(word) or listed)
        ):
            continue
        # In lower case only beside a name also in lower case: "peter kamau", not "ku kira Hadiza".
        shaped = word.capital or _is_arabic(word.text)
        neighbours = [j for j in (i - 1, i + 1) if 0 <= j < len(words)]
        if any(
            marked[j]
            and _joined(text, *sorted((words[i], words[j])))
            and (shaped or not words[j].capital)
            for j in neighbours
        ):
            marked[i] = True


def _surnames(text: str, words: list[_Word], marked: list[bool], kept: list[bool]) -> None:
    """The words joined to a name that look like more of it: capitalised words in Latin
    letters ("Wanjiru Odhiambo", "Aminata N'Diaye"), "ال" words and بن/أبو in Arabic.
    Sweeps forward then backward (linear: a long message stays fast). Not in a headline,
    where every word has a capital: "Water Trucks Stopped Coming After Easter"."""
    if _headline(words):
        kept = [k or not _is_arabic(w.text) for k, w in zip(kept, words, strict=True)]
    for i in range(1, len(words) - 2):
        if marked[i] and words[i + 1].folded == "de" and words[i + 2].capital:
            if _town_after_full_name(text, words, marked, i, i + 2):
                marked[i + 2], kept[i + 2] = False, True  # "Awa Diallo de Tondikiwindi"
    _third_name_before_a_note(text, words, marked, kept)
    for _ in range(2):
        _grow(text, words, marked, kept, range(1, len(words)), -1)
        _grow(text, words, marked, kept, range(len(words) - 2, -1, -1), +1)
        # "بن علي": the word after an Arabic "son of" is a name, whatever it is.
        for i in range(1, len(words) - 1):
            if (
                marked[i - 1]
                and words[i].folded in _ARABIC_PARTICLES
                and not marked[i + 1]
                and _is_arabic(words[i + 1].text)
                and words[i + 1].folded not in _COMMON
            ):
                marked[i] = marked[i + 1] = True
        _latin_particles(text, words, marked, kept)
        # Particles between two names: "Fatuma binti Ali", "Ahmed bin Said".
        for i in range(1, len(words) - 1):
            if (
                not marked[i]
                and marked[i - 1]
                and marked[i + 1]
                and words[i].folded in _ALL_PARTICLES
            ):
                marked[i] = True


def _third_name_before_a_note(
    text: str, words: list[_Word], marked: list[bool], kept: list[bool]
) -> None:
    """ "llamante X Y Mercado (m)", "X Y Iglesias (34)": after two names, a third capitalised
    word right before a bracket (a case note's sex or age) is a second family name, an
    ordinary word too; not a word that ends a place's or an organisation's name."""
    for i in range(2, len(words)):
        word = words[i]
        if (
            marked[i]
            or kept[i]
            or not (marked[i - 1] and marked[i - 2])
            or not word.capital
            or _is_arabic(word.text)
            or not text[word.end :].lstrip(" ").startswith("(")
            or not (_joined(text, words[i - 2], words[i - 1]) and _joined(text, words[i - 1], word))
            or word.folded in _COMMON
            or word.folded in _ORGANISATION_WORDS
            or word.folded in _NAMED_BEFORE  # "X Y Hospital (Kenya)"
            or _is_title(word)
        ):
            continue
        marked[i] = True


def _latin_particles(text: str, words: list[_Word], marked: list[bool], kept: list[bool]) -> None:
    """After a name, particles in lower case then a capitalised word are more of it:
    "Yorlenis de la Ossa", "Mahfoudh ould Bouh", "Ahmadou ag Intalla"."""
    for i in range(len(words) - 2):
        if not marked[i] or _is_arabic(words[i].text):
            continue
        j = i + 1
        while j < len(words) and j <= i + 2 and words[j].folded in _PARTICLES_OR_LINKS:
            j += 1
        if (
            i + 1 < j < len(words)
            and not words[i + 1].capital
            and words[j].capital
            and not kept[j]
            and words[j].folded not in _COMMON
            and not words[j].text.isupper()  # "Oisín de la ONG": an acronym, no family name
            and not _town_after_full_name(text, words, marked, i, j)
            # "moi c foromo de Yomou": a capital after a name in lower case is a place's
            and (words[i].capital or words[i + 1].folded not in _FROM)
            and all(
                _joined(text, a, b) for a, b in zip(words[i:j], words[i + 1 : j + 1], strict=True)
            )
        ):
            marked[i + 1 : j + 1] = [True] * (j - i)


def _town_after_full_name(
    text: str, words: list[_Word], marked: list[bool], i: int, j: int
) -> bool:
    """ "Fatchima Halidou de Ouallam": after a full name (two names joined), "de" and a town
    of GeoNames that no name list holds say where the person is from; in French, any word
    no name list holds (French writes no married name with "de"). Not after one name
    ("Yorlenis de la Ossa"), nor a family name of our lists after "de" ("María López de
    García"), nor in Spanish a word no list holds ("Rosa Pérez de Xitumul")."""
    return (
        j == i + 2
        and words[i + 1].folded == "de"
        and i >= 1
        # "Ardo Hammanjoda de Bocaranga": a title and a name are a full name too
        and (marked[i - 1] or (_is_title(words[i - 1]) and words[i - 1].capital))
        and _joined_loose(text, words[i - 1], words[i])
        and _unknown(words[j])
        and words[j].folded not in _AFRICAN_NAMES
        and words[j].folded not in _listed()[0]
        and (
            words[j].folded in _gazetteer()
            or not any(w.folded in _NOT_FRENCH_WORDS or w.folded in _SPANISH_WORDS for w in words)
        )
    )


# Spanish words that French has not, besides those of `_NOT_FRENCH_WORDS`.
_SPANISH_WORDS = _split("soy mi mis es son está esta están muy pero hija hijo esposa esposo")


def _grow(
    text: str, words: list[_Word], marked: list[bool], kept: list[bool], order, side: int
) -> None:
    """Mark each word in `order` whose neighbour on `side` is a name and that looks like more
    (not a word of a place or organisation)."""
    for i in order:
        j = i + side
        if marked[i] or not marked[j] or kept[i]:
            continue
        left, right = sorted((words[i], words[j]))
        if (
            _joined(text, left, right)
            and _looks_like_more_name(words[i], words[j], j < i)
            and not (_is_arabic(words[i].text) and _arabic_not_person(words, i))
            and not _son_of_before(words, marked, i, j)
        ):
            marked[i] = True


_SON_OF = _split("ابن بنت ولد")


def _son_of_before(words: list[_Word], marked: list[bool], i: int, j: int) -> bool:
    """ "تحويل بنت Salwa": "son of" first, before a name, says whose child; it is part of a
    name only between two of its words ("علي ابن سالم")."""
    return j > i and words[i].folded in _SON_OF and not (i and marked[i - 1])


def _looks_like_more_name(word: _Word, name: _Word, after: bool) -> bool:
    """Is `word`, next to the name `name` (after it or before it), more of that name?"""
    if _is_title(word) or word.folded in _NOT_MORE_NAME or word.folded in _RELATION_WORDS:
        return False
    if _is_arabic(word.text):
        # "لأمها Bêrîvan المريضة": after a name in Latin letters, an Arabic word of the
        # vocabulary says how the person is (sick), it is no surname
        if not _is_arabic(name.text) and _arabic_rank(word.folded) is not None:
            return False
        return word.folded not in _COMMON and _more_arabic_name(word.folded, name.folded, after)
    # A short capitalised word after a name is a surname even if it is also a word ("Awa Ba").
    if word.folded in _COMMON and not (after and word.capital and len(word.folded) <= 3):
        return False
    # Before a name, a capitalised first word of a sentence is no sign ("Yesterday Ali
    # came") unless no list knows it: "Tonatiuh Xicoténcatl dijo".
    return (
        word.capital
        and len(word.folded) >= 2
        and (after or not word.initial or (_unknown_without_cue(word) and not _cue_word(word)))
        and not (word.text.isupper() and len(word.text) > 3)
    )


def _cue_word(word: _Word, swahili: bool = True) -> bool:
    """The first word of a cue before a name: "Naitwa", "Mpigie", "Sunana", "Mijina". The
    shapes of Swahili verbs only in a message with Swahili words (`swahili`): "Alirio" is
    "a-li-rio" only to a Swahili ear."""
    folded = word.folded
    return (
        folded in _RELATION_WORDS
        or _HAUSA_KIN.fullmatch(folded) is not None
        or any(
            folded in cues
            for cues in (
                _NAME_CONTEXT,
                _STRONG_CONTEXT,
                _WEAK_CONTEXT,
                _CONTACT_VERBS,
                _INTRODUCTIONS,
                _SHORTHAND,
            )
        )
        or (
            swahili
            and any(
                shape.fullmatch(folded)
                for shape in (_SWAHILI_CONTACT, _SWAHILI_VERB, _SWAHILI_SAID, _SWAHILI_HE_SHE)
            )
        )
    )


# What is said of a person with "ال" after the name, never a family name as a nationality
# is ("المصري"): "X الصغير", "X البالغ من العمر", "X المقيمة في", "X المريضة".
_ARABIC_STATES = _split(
    "صغير صغيرة بالغ بالغة مقيم مقيمة ساكن ساكنة مريض مريضة يتيم يتيمة مفقود مفقودة"
)


def _more_arabic_name(folded: str, name: str, after: bool) -> bool:
    """After an Arabic name: a particle (بن، ود), a listed name, a Maghreb "بو" name
    ("بوزيد"), a rare word that may be a name ("أنور إسحاق"), or an "ال" word: the first
    one after the given name ("رنا الخطيب"), after that only a nisba ("السوداني") or a
    listed name with "ال" ("البشير")."""
    if folded in _ARABIC_PARTICLES:
        return True
    if not after:
        return False
    if _arabic_name(folded) or (folded.startswith("بو") and len(folded) >= 4):
        return True
    if (
        folded in _spoken_words()
        or _participle(folded)
        or _spoken_plural(folded)
        or _who_does(folded)
    ):
        return False  # "الحاج X اللي يوزع" (who hands out), "X مخطوف" (kidnapped), "X ماتو"
    if folded.startswith("ال") and folded[2:] in _ARABIC_STATES:
        return False  # "X الصغير" (the younger), "X البالغ من العمر" (aged), "X المقيمة في"
    if any(f in _ARABIC_PLACE_NOUNS for f in _bare(folded)[1:]):
        return False  # "الدكتورة X بعيادة …": at the clinic, where she works
    if _in_a_town(folded):
        return False  # "مستشفى X بحلب": in a town, to a town
    if not folded.startswith("ال") and _rare_name_word(folded):
        return True
    if not folded.startswith("ال") or len(folded) <= 3:
        return False
    return (
        not name.startswith("ال")
        or folded.endswith("ي")
        or _arabic_name(folded[2:])
        or name in _ARABIC_PARTICLES
    )


def _who_does(folded: str) -> bool:
    """Sudanese "ال" before a verb of the present: "البتبيع الشاي" (who sells tea)."""
    if len(folded) < 7 or not folded.startswith(("البت", "البي", "البن")):
        return False
    rank = _arabic_ranks().get(folded[3:])
    return rank is not None and rank < _ARABIC_FREQUENT


def _in_a_town(folded: str) -> bool:
    """ "بحلب", "لبغداد": "in", "to" glued to a town of our Arabic places."""
    return folded.startswith(("ب", "ل")) and any(f in _arabic_places() for f in _bare(folded)[1:])


def _participle(folded: str) -> bool:
    """A word the vocabulary knows, of the shape of a passive participle ("مخطوف",
    "مسجون", "مفقود"): said of a person, not a family name. Names of that shape
    ("منصور", "مسعود") are in the lists and counted before this."""
    return (
        len(folded) == 5
        and folded[0] == "م"
        and folded[3] == "و"
        and _arabic_rank(folded) is not None
    )


def _rare_name_word(folded: str) -> bool:
    """An Arabic word of four letters or more that the vocabulary has not or rarely, with
    no ordinary shape or ending and no "و" (which begins the next phrase: "وأخذ")."""
    rank = _arabic_rank(folded)
    word = _Word(0, len(folded), folded, folded, False, False)
    if len(folded) >= 5 and folded.startswith(("بي", "بت", "بن")):
        return False  # "بياخد", "بتفرق": spoken verbs (he takes, she divides), not "بتول"
    return (
        (rank is None or rank >= _ARABIC_RARE)
        and len(folded) >= 4
        and not folded.startswith("و")
        and not _inflected(folded)
        and (not folded.endswith(("ه", "ك")) or (folded.endswith("الله") and len(folded) > 5))
        and _arabic_word_not_name(word) is False
    )


# -- E-mails, phone numbers, ID-like numbers ------------------------------------------------

_EMAIL = re.compile(r"[\w.+%'-]+@[\w-]+(?:\.[\w-]+)+")
# An optional +, then 7+ digits (any script's decimal digits) with spaces, dots, dashes,
# slashes or parentheses between them. Not glued to a word on the left, so that
# "A1234567" is left whole for the ID rule.
_PHONE = re.compile(r"(?<![\w/])\+?\(?\d(?:[\s./()\-–]{0,3}\d){6,}(?![^\W_]|/)")
# A file or card number in groups: "KKM-044-19273", "CMR-MNW-230917-04", "V-24.817.360":
# capital letters, then groups of capitals or digits joined by dashes, dots or slashes.
_GROUPED_ID = re.compile(
    r"(?<![\w.\-/])(?:[A-Z]{1,5}|\d{1,6}(?=[-./][A-Z0-9]*[A-Z]))(?:[-./][A-Z0-9]{1,10}){1,5}"
    r"(?![\w\-/])"
)
# A token of 6+ letters/digits mixing both, or any run of 5+ digits.
_ID = re.compile(r"(?<![^\W_])(?=[^\W_]*\d)(?=[^\W_]*[^\W\d_])[^\W_]{6,}(?![^\W_])|\d{5,}")
_YEARS = re.compile(r"(?:19|20)\d\d\s*[-–/]\s*(?:19|20)\d\d")
# "1 500 000 FCFA" is a price, not a phone number.
_CURRENCY = re.compile(
    r"(?i)(?:fcfa|cfa|francs?|shillings?|ksh|kshs|tsh|ush|sh|naira|dollars?|euros?|dinars?|"
    r"dirhams?|pounds?|pesos?|syp|lbp|iqd|sdg|ssp|tzs|ugx|xaf|xof|mxn|mad|dzd|cdf|fc|"
    r"\$|€|£|₦|جنيه|دينار|درهم|ريال|ليرة)"
)  # and the ISO codes of the regions' pounds, shillings, francs, pesos and dirhams ("FC":
# the Congolese franc)


_CURRENCY_AFTER = re.compile(
    rf"\s?(?:{_CURRENCY.pattern.removeprefix('(?i)')})(?![^\W\d_])", re.IGNORECASE
)


def _emails(text: str) -> list[Span]:
    return [Span(m.start(), m.end(), "email") for m in _EMAIL.finditer(text)]


def _phones(text: str) -> list[Span]:
    spans = []
    for match in _PHONE.finditer(text):
        value = match.group().rstrip(" .-–/")
        if _YEARS.fullmatch(value) or _is_price(text, match.start(), match.end()):
            continue
        spans.append(Span(match.start(), match.start() + len(value), "phone"))
    return spans


def _is_price(text: str, start: int, end: int) -> bool:
    """Digits grouped by threes and a currency beside them, or up to seven digits and a
    currency just after them ("15000 FCFA")."""
    if re.fullmatch(r"\d{5,7}", text[start:end]) and _CURRENCY_AFTER.match(text, end):
        return True
    if not re.fullmatch(r"\d{1,3}(?:[ .,\u00a0]\d{3})+", text[start:end].strip()):
        return False
    around = text[max(0, start - 6) : start] + " " + text[end : end + 10]
    return bool(_CURRENCY.search(around))


def _grouped_ids(text: str) -> list[Span]:
    """IDs in groups with 5 digits or more ("COVID-19" is no ID)."""
    return [
        Span(m.start(), m.end(), "id")
        for m in _GROUPED_ID.finditer(text)
        if sum(c.isdigit() for c in m.group()) >= 5
    ]


def _ids(text: str) -> list[Span]:
    return [
        Span(m.start(), m.end(), "id")
        for m in _ID.finditer(text)
        if not _is_price(text, m.start(), m.end())
    ]


# Digits said in words; Arabic also as spoken in the Levant, Egypt, the Gulf and the Maghreb
# ("تنين", "ثنين", "تمانية", "ربعة"), and in the short forms of counting ("ست", "سبع").
_DIGIT_WORDS = {}
for _digit, _line in enumerate(
    [
        "zero oh o sifuri sifiri sifili cero zéro صفر",
        "one un une uno una moja daya ɗaya واحد",
        "two deux dos mbili biyu اثنان اثنين إثنان اتنين تنين ثنين ثنتين اثنتين تنتين",
        "three trois tres tatu uku ثلاثة ثلاثه تلاتة تلاته ثلاث تلات",
        "four quatre cuatro nne hudu huɗu أربعة اربعة اربعه أربعه ربعة أربع اربع",
        "five cinq cinco tano biyar خمسة خمسه خمس",
        "six seis sita shida ستة سته ست",
        "seven sept siete saba bakwai سبعة سبعه سبع",
        "eight huit ocho nane takwas ثمانية ثمانيه تمانية تمانيه تمنية ثمنية ثمان تمان",
        "nine neuf nueve tisa tara تسعة تسعه تسع",
    ]
):
    for _word in _line.split():
        _DIGIT_WORDS[_fold(_word)] = _digit
# Numbers from ten to ninety-nine, said two digits at a time ("zéro six, douze,
# trente-quatre…", "nueve ocho, setenta y dos…"): each counts as two digits.
_TENS_WORDS = _split("""
ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty thirty
forty fifty sixty seventy eighty ninety
dix onze douze treize quatorze quinze seize vingt vingts trente quarante cinquante soixante
septante huitante octante nonante
diez once doce trece catorce quince dieciséis diecisiete dieciocho diecinueve veinte veintiuno
veintiún veintidós veintitrés veinticuatro veinticinco veintiséis veintisiete veintiocho
veintinueve treinta cuarenta cincuenta sesenta setenta ochenta noventa
kumi ishirini thelathini arobaini hamsini sitini sabini themanini tisini
goma ashirin talatin arbain hamsin sittin sabain tamanin casain
عشرة عشر عشرين عشرون ثلاثين ثلاثون أربعين اربعين خمسين ستين سبعين ثمانين تسعين
""")
# Hundreds said as one word: each one digit ("doscientos treinta": 230).
_HUNDREDS_WORDS = _split("""
doscientos trescientos cuatrocientos quinientos seiscientos setecientos ochocientos
novecientos ciento cien ميتين
""")
_REPEATS = {"double": 2, "triple": 3, "doble": 2}
# A word keeps its inner apostrophe: Hausa's "arba'in" (forty) is one word.
_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|\d+")
# What may stand between two said digits: punctuation, the "and" inside a number ("vingt et
# un", "setenta y dos", "ishirini na tano", "goma sha biyu", "ashirin da daya"), and the
# word for a hundred after its digit ("cinq cent douze", "three hundred twelve", "mia tano").
_JOINERS = {"et", "y", "na", "sha", "da", "و"} | {
    "cent",
    "cents",
    "hundred",
    "mia",
    "ɗari",
    "dari",
    "مية",
    "ميه",
    "مئة",
    "مائة",
}
_DIGIT_GAP = re.compile(rf"[\s,.;:/\-–،]*(?:(?:{'|'.join(_JOINERS)})[\s\-]+)?")


def _spelled_phones(text: str) -> list[Span]:
    """Seven or more digits said in words, digits mixed in: "zero seven one two ...",
    "sifuri saba moja mbili ...", "صفر سبعة ...". Arabic "و" (and) may join them."""
    spans: list[Span] = []
    run: list[re.Match[str]] = []
    count = 0
    tokens: list[re.Match[str] | None] = list(_TOKEN.finditer(text))
    for match in tokens + [None]:  # None closes the last run
        if run and match and match.group().casefold() in _JOINERS:
            continue  # the gap test below looks at it with the next digit word
        digits = _digit_count(match.group()) if match else 0
        joined = run and match and _DIGIT_GAP.fullmatch(text[run[-1].end() : match.start()])
        if match is not None and digits and (not run or joined):
            run.append(match)
            count += digits
            continue
        # Digits alone are the regex's: "1 500 000" is a price, "2019-2023" years.
        if count >= 7 and sum(not m.group().isdigit() for m in run) >= 3:
            spans.append(Span(run[0].start(), run[-1].end(), "phone"))
        run, count = ([match], digits) if match is not None and digits else ([], 0)
    return spans


def _digit_count(token: str) -> int:
    if token.isdigit():
        return len(token) if len(token) <= 4 else 0  # long digit runs are the regex's
    folded = _fold(token)
    if folded in _REPEATS:
        return 1  # "double seven": the word after it brings one more, this one the other
    if folded in _DIGIT_WORDS:
        return 1
    if folded in _TENS_WORDS:
        return 2
    if folded in _HUNDREDS_WORDS:
        return 1
    if folded.startswith("و") and folded[1:] in _DIGIT_WORDS:
        return 1
    if folded.startswith("و") and folded[1:] in _TENS_WORDS:
        return 1  # "اثنين وعشرين", two and twenty: with the digit before it, two digits
    return 0


# -- Dates ----------------------------------------------------------------------------------

_MONTHS = "|".join(
    sorted(
        {
            _fold(m)
            for m in """
january february march april may june july august september october november december
jan feb mar apr jun jul aug sep sept oct nov dec
janvier février fevrier mars avril mai juin juillet août aout septembre octobre novembre décembre
enero febrero marzo abril mayo junio julio agosto septiembre setiembre octubre noviembre diciembre
januari februari machi aprili mei juni julai agosti septemba oktoba novemba desemba
janairu fabrairu maris afrilu mayu yuni yuli agusta satumba nuwamba disamba
يناير فبراير مارس أبريل ابريل إبريل مايو يونيو يونيه يوليو يوليه أغسطس اغسطس سبتمبر أكتوبر
اكتوبر نوفمبر ديسمبر""".split()
        },
        key=len,
        reverse=True,
    )
)
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th|er|º|°)?"
_YEAR = r"(?P<year>\d{4})"
_DATE_WORDS = re.compile(
    rf"(?i)(?<!\d){_DAY}\s*(?:of\s+|de\s+|ga\s+(?:watan\s+)?|-|/|\.)?\s*(?P<month>{_MONTHS})\.?"
    rf",?\s*(?:de\s+|del\s+|,\s*)?{_YEAR}(?!\d)"
    rf"|(?<![^\W\d_])(?P<month2>{_MONTHS})\.?\s+(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?,?\s+"
    rf"(?P<year2>\d{{4}})(?!\d)"
)
_DATE_NUMBERS = re.compile(
    r"(?<![\d/.\-])(?:(?P<a>\d{1,2})(?P<sep>[/.\-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})"
    r"|(?P<y2>\d{4})(?P<sep2>[/.\-])(?P<m2>\d{1,2})(?P=sep2)(?P<d2>\d{1,2}))(?![\d/\-]|\.\d)"
)


def _dates(text: str) -> list[Span]:
    """Full dates with a day, in digits or with the month's name; a year alone stays."""
    folded = _fold_keeping_length(text)
    spans = [
        Span(m.start(), m.end(), "date")
        for m in _DATE_WORDS.finditer(folded)
        if 1 <= int(m.group("day") or m.group("day2")) <= 31
    ]
    for m in _DATE_NUMBERS.finditer(text):
        if m.group("a"):
            a, b = int(m.group("a")), int(m.group("b"))
            ok = (1 <= a <= 31 and 1 <= b <= 12) or (1 <= a <= 12 and 1 <= b <= 31)
        else:
            ok = 1 <= int(m.group("m2")) <= 12 and 1 <= int(m.group("d2")) <= 31
        if ok:
            spans.append(Span(m.start(), m.end(), "date"))
    return spans


def _fold_keeping_length(text: str) -> str:
    """Text folded character by character (so that offsets stay), for month names."""
    out = []
    for char in text:
        folded = _fold(char)
        out.append(folded if len(folded) == 1 else char)
    return "".join(out)


# -- Street addresses -------------------------------------------------------------------------

_STREET = (
    r"street|st|road|rd|avenue|ave|av|lane|drive|close|crescent|highway|rue|boulevard|bd|"
    r"allée|allee|chemin|route|impasse|calle|c/|avenida|avda|carrera|paseo|camino|callejón|"
    r"barabara|mtaa|titi|titin|layi|layin|hanya|rua|travessa|jr|jirón|jiron|pasaje|psje|"
    r"شارع|طريق|زقاق|درب|زنقة"
)  # the Maghreb's "زنقة" (an alley)  # "Jr. Los Geranios 318": a jirón, Peru's street
_HOUSE = (
    r"house|plot|flat|apartment|shelter|building|maison|porte|parcelle|abri|immeuble|casa|depto|"
    r"dpto|departamento|apto|sitio|nyumba|kiwanja|gida|منزل|بيت|شقة|بناية|بناء|عمارة|دار|"
    r"bt|bât|bâtiment|batiment|appt|appartement|lote|carré|carre|mlango|caravan|كرفان|الكرفان|"
    r"كرافان|الكرافان|bldg|صريفة|الصريفة|solar"
)  # "abri 40" (a shelter in a camp), "depto 12", "sitio 9" (a lot in a Chilean "toma"),
# Algeria's "Cité X, Bt 12, Appt 4", Bolivia's "lote 7", Guinea's and Mali's "carré 12" (a
# family's compound), a door in Swahili ("mlango B12"), a camp's caravan ("الكرفان رقم 112"),
# the reed house of Iraq's marshes ("الصريفة رقم 14"), Ecuador's lot ("manzana 14, solar 6")
# Mayotte's and the Comoros' "case" (a house) only after its street or with its look and
# number ("rue du Stade, case 7", "case en tôle n°12"): "case 12345" is a file's number.
_HOUSE_OR_CASE = rf"{_HOUSE}|case"
# A camp's tent by its number ("الخيمة 14"): only at the end of a whole address, since "la
# tente 12" alone says where someone is in the camp, not a door.
_TENT = r"tent|tente|tanti|jaima|khaima|خيمة|الخيمة"  # Hausa "tanti"
# A camp's block, by its number or letter and number: "Block B-4", "bloc 12"; the "îlot C"
# of Nouakchott's and Dakar's quarters.
_BLOCK = (
    r"block|bloc|bloque|blok|bulo|kitalu|manzano|manzana|mza|mz|îlot|ilot|بلوك|القطاع|قطاع|مربع"
)
_BLOCK_ID = r"(?:(?:[A-Z]-?)?\d{1,4}[A-Z]?\b|[A-Z]\b|[\u0621-\u064a](?![\w]))"  # "bloc C", "قطاع ب"
# "Calle Olmedo y Rocafuerte": a corner, two streets named.
_CORNER = r"y|e|et|and|&|na|da|و"
# A street named after a date: "calle Malecón y 12 de Octubre", "9 de Julio".
_DATE_STREET = r"\d{1,2}\s+de\s+[A-ZÁÉÍÓÚ][a-záéíóú]+"
# "titi na 5" (Hausa: street number 5), "mtaa namba 3"
_NUMBER_WORD = (
    r"no\.?|na\.|number|num\.?|n°|nº|numéro|numero|número|namba|lamba|mai\s+lamba|na|رقم|#"
)
_NUM = r"\d{1,5}[a-zA-Z]?\b"
# The number's own word, not "na" nor "#" ("nyumba ya mama na 3 watoto" is no door)
_HOUSE_NUMBER_WORD = r"no\.?|number|n°|nº|numéro|numero|número|namba|lamba|رقم"
_CONNECT = r"de\s+la|de|des|du|del|de\s+los|ya|wa|cha|za|la|al|el"
_NAME_WORD = r"[A-ZÀ-ÝƁƊƘƳŞĞİ][\w'’.-]*|[\u0621-\u065f\u0670-\u06d3]+"  # not the Arabic comma
_FLOOR = r"floor|étage|etage|piso|ghorofa|bene|الطابق|طابق|الدور"
_CAPITALISED = r"[A-ZÀ-ÝƁƊƘƳŞĞİ][\w'’-]*"
# Units of local government an address starts with: the Sahrawi camps' "wilaya" and "daira",
# Kabul's and Jalalabad's police districts ("nahia").
_ADMIN = r"wilaya|daira|dayra|police\s+district|district|nahia|nahiya|ولاية|دايرة|دائرة|ناحية"
_AREA = (
    rf"{_ADMIN}|quartier|barrio|bairro|secteur|sector|colonia|urbanización|mtaa|kijiji|unguwar|unguwa|zone|"
    r"zoni|fokontany|kata|shehia|taman|kampung|kampong|kg|desa|kelurahan|kecamatan|"
    r"woreda|wereda|kebele|tambon|amphoe|moo|soi|area|cité|cite|"
    r"estate|haret|hara|site|toma|población|poblacion|الحي|حي|محلة|حارة|حاره|"
    rf"camp|kambi|sansanin|مخيم|{_BLOCK}|"
    r"village|commune|kwartie|kwartier|komine|مربع|zona|uv|section|col\.|col|kitongoji|"
    r"neighbourhood|neighborhood|mahalla|asentamiento|vereda|corregimiento|"
    r"hay(?=\s+[ae]l\b)|hai(?=\s+[ae]l\b)"
)  # a camp's "Village 5"; Congolese Swahili's "kwartie", "komine"; Sudan's "مربع ٤" (a block);
# Bolivia's "zona", Santa Cruz's "UV 160" (a neighbourhood unit), Nairobi's "Section 1",
# Colombia's "vereda" (a rural district) and "asentamiento" (a settlement); Sudan's "hay
# el-X" (a quarter, in Latin letters)
# A numbered block or quarter before the house: "secteur 3, carré 12", "zone 4, house 9".
_UNIT = rf"{_BLOCK}|secteur|sector|section|zone|zona|area|phase|village"
# A landmark that says which door: "house behind the church, no. 5", "nyumba namba 9
# karibu na soko", "derrière la pharmacie, maison 8", "layin masallacin X".
_LANDMARK = (
    r"behind|near|opposite|beside|below|above|next\s+to|close\s+to|facing|derrière|derriere|près\s+de|"
    r"pres\s+de|près\s+du|pres\s+du|à\s+côté\s+d[eu]|a\s+cote\s+d[eu]|en\s+face\s+d[eu]|face\s+à|"
    r"detrás\s+de|detras\s+de|cerca\s+de|"
    r"frente\s+a|al\s+lado\s+de|junto\s+a|karibu\s+na|nyuma\s+ya|mbele\s+ya|kando\s+ya|"
    r"jirani\s+na|kusa\s+da|bayan|gaban|خلف|قرب|جنب|بجانب|مقابل|وراء|ورا"
)
# The landmark itself: up to four words ("behind the X primary school"), to a comma or
# the sentence's end.
_LANDMARK_PLACE = (
    rf"(?i:{_LANDMARK})\s+(?:[^\W\d_][\w'’-]*\s+){{0,3}}[^\W\d_][\w'’-]*"
    rf"(?:\s+(?i:de|del|du|des|of|wa|ya|la|cha|na|ta)\s+[^\W\d_][\w'’-]*(?:\s+[^\W\d_][\w'’-]*)?)?"
    r"(?=\s*(?:[,.;:!?،]|$))"
)  # ("karibu na msikiti wa X Y", "frente a la cancha de X": a landmark of a place)
# Turkish quarters and streets: "Güneykent Mah.", "Atatürk Caddesi", "64027 Sk."
_TURKISH_QUARTER = r"mah\.|mahallesi|mh\."
_TURKISH_STREET = r"sk\.|sok\.|sokak|sokağı|cad\.|cd\.|cadde|caddesi|bulvarı|blv\."
# "150 metros al oeste", "300 sur", "200 varas al norte": a distance and a heading.
_DISTANCE_UNIT = r"metros|mts\.?|mt|m|varas|vrs\.?|km|cuadras"
# Managua's "arriba" (east), "abajo" (west), "al lago" (north), "a la montaña" (south)
_HEADING = (
    r"norte|sur|este|oeste|noreste|noroeste|sureste|suroeste|arriba|abajo|lago|"
    r"(?:a\s+)?la\s+montaña"
)
_DISTANCE = rf"\d{{1,4}}\s*(?:(?i:{_DISTANCE_UNIT})\s+)?(?i:al\s+)?(?i:{_HEADING})\b"
_ADDRESS = re.compile(
    # "house behind Baptist church, no. 14": the house, its landmark, its number
    rf"(?<![\w])(?i:{_HOUSE})\s+{_LANDMARK_PLACE}\s*[,،]\s*(?i:{_NUMBER_WORD})\s*{_NUM}|"
    # "Plot 27 Kasanga Lane", "house 4, Moi Avenue": the house, then a named street
    rf"(?<![\w])(?i:{_HOUSE})\s+(?:(?i:{_NUMBER_WORD})\s*)?{_NUM}\s*[,،]?\s+"
    rf"(?:(?:{_NAME_WORD})\s+){{1,3}}(?i:{_STREET})(?![\w])\.?"
    # "14 Moi Avenue", "22B Kenyatta Road"
    rf"|(?<![\d.,]){_NUM}\s*[,،]?\s+(?:(?:{_NAME_WORD})\s+){{1,3}}(?i:{_STREET})(?![\w])\.?"
    # "12 rue des Lilas", "5 avenue Bourguiba"
    rf"|(?<![\d.,]){_NUM}\s*[,،]?\s+(?i:{_STREET})(?![\w])\.?(?:\s+(?i:{_CONNECT})\b)?"
    rf"(?:\s+(?:{_NAME_WORD}|[a-zà-ÿ]+)){{1,3}}"
    # "calle Mayor 5", "Barabara ya Moi 14", "شارع الحمرا 12", "Titin Zaria, lamba 14"
    rf"|(?<![\w])(?i:{_STREET})(?![\w])\.?(?:\s+(?i:{_CONNECT})\b)?(?:\s+(?:{_NAME_WORD})){{1,3}}\s*[,،]?\s*"
    rf"(?:(?i:{_NUMBER_WORD})\s*)?{_NUM}"
    # "Mtaa wa Msimbazi, nyumba namba 45", "شارع المطران، بناية الورد": a street, then the house
    # ("Calle Olmedo y Rocafuerte, casa 88": at a corner)
    rf"|(?<![\w])(?i:{_STREET})(?![\w])\.?(?:\s+(?i:{_CONNECT})\b)?(?:\s+(?:{_NAME_WORD}|[a-z][\w'’]+))"
    rf"(?:\s+(?:{_NAME_WORD})){{0,2}}(?:\s+(?i:{_CORNER})\s+(?:{_DATE_STREET}|(?:{_NAME_WORD})(?:\s+(?:{_NAME_WORD}))?))?\s*[,،]?\s*"
    rf"(?i:{_HOUSE_OR_CASE})\s+(?:(?i:{_NUMBER_WORD})\s*)?(?:{_NUM}|[\u0621-\u064a]+)"
    # "gida mai lamba 17, titin Zaria Road", "Lamba 12, Titin Kurmi": the house, then the street
    rf"|(?<![\w])(?:(?i:{_HOUSE})\s+(?:(?i:{_NUMBER_WORD})\s*)?|(?i:{_NUMBER_WORD})\s*){_NUM}"
    rf"\s*[,،]\s*(?i:{_STREET})(?![\w])\.?(?:\s+(?i:{_CONNECT})\b)?(?:\s+(?:{_NAME_WORD})){{1,3}}"
    # Colombian and Venezuelan: "Calle 18 # 7-42", "Carrera 5 No. 12-30", "Cra 7 #45-10"
    rf"|(?<![\w])(?i:calle|carrera|cra|cl|avenida|av|diagonal|dg|transversal|tv)\.?\s+\d{{1,3}}"
    rf"[a-zA-Z]?(?:\s+(?i:bis|sur|norte|este|oeste))*\s*(?:#|(?i:{_NUMBER_WORD}))\s*\d{{1,3}}"
    rf"[a-zA-Z]?\s*-\s*\d{{1,3}}"
    # "Street 18", "شارع ١٨", "Rue 14.27": a numbered street
    rf"|(?<![\w])(?i:{_STREET})\s+(?:(?i:{_NUMBER_WORD})\s*)?{_NUM}(?:[.\-/]\d{{1,4}})?"
    rf"(?=\s*[,،]\s*(?:(?i:{_HOUSE})\s+(?:(?i:{_NUMBER_WORD})\s*)?|(?i:{_NUMBER_WORD})\s*){_NUM})"
    # "Block 4, Nyumba 112", "block 7, tent 38", "secteur 3, carré 12", "manzano 12, lote 7":
    # a camp's block or a numbered quarter, then the shelter, tent or house in it
    rf"|(?<![\w])(?i:{_UNIT})\s+{_BLOCK_ID}\s*[,،]\s*(?i:{_HOUSE}|{_TENT})\s+(?:(?i:{_NUMBER_WORD})\s*)?{_NUM}"
    # "ghorofa ya 3, mlango B12", "4th floor, flat 7": the floor, then the door
    rf"|(?<![\w])(?i:{_FLOOR})\s+(?:(?i:{_CONNECT})\s+)?{_NUM}\s*[,،]\s*(?i:{_HOUSE})\s+"
    rf"(?:(?i:{_NUMBER_WORD})\s*)?(?:[A-Z]-?)?{_NUM}"
    # "lot II M 45 bis Ambovombe": Madagascar's lots, a Roman numeral, letters, a number
    rf"|(?<![\w])(?i:lot)\s+[IVX]{{1,4}}\s+(?:[A-Z]{{1,3}}\s+)?\d{{1,4}}(?:\s*(?i:bis|ter))?"
    rf"(?:\s+(?!(?i:et|and|mais)\b){_CAPITALISED})?"
    # "ببناية الخوري، الطابق التاني، …": a building named, then its floor or street
    rf"|(?<![\w])(?:ب|في\s+)?(?:بناية|عمارة|بناء)\s+[\u0621-\u064a]+"
    rf"(?=\s*[،,]\s*(?:{_FLOOR}|{_STREET}))"
    # "Block 22 Road 4 House 11", "block 7, barabara ya 3, nyumba namba 14": a camp's grid
    rf"|(?<![\w])(?i:{_BLOCK})\s+{_BLOCK_ID}\s*[,،]?\s*(?i:{_STREET})\s+(?:(?i:{_CONNECT})\s+)?"
    rf"(?:(?i:{_NUMBER_WORD})\s*)?{_NUM}(?:\s*[,،]?\s*(?i:{_HOUSE})\s+(?:(?i:{_NUMBER_WORD})\s*)?{_NUM})?"
    # "Rue 17, quartier X, maison 231": a numbered street, its quarter, the house
    rf"|(?<![\w])(?i:{_STREET})\s+(?:(?i:{_NUMBER_WORD})\s*)?{_NUM}\s*[,،]\s*(?i:{_AREA})\s+"
    rf"(?:{_NAME_WORD})(?:\s+{_CAPITALISED})?\s*[,،]\s*(?i:{_HOUSE})\s+(?:(?i:{_NUMBER_WORD})\s*)?{_NUM}"
    # Mexican: "Calle 5a Norte #34", "Avenida 3 Poniente No. 12"
    rf"|(?<![\w])(?i:calle|avenida|av|privada|andador)\.?\s+\d{{1,3}}[a-zA-Z]?"
    rf"(?:\s+(?i:norte|sur|oriente|poniente|este|oeste|bis))*\s*(?:#|(?i:no\.?|núm\.?|num\.?|n°|nº))\s*\d{{1,5}}\b"
    # Burundi and Rwanda: "colline X, commune Y", "cellule X, secteur Y"
    rf"|(?<![\w])(?i:colline|cellule|umudugudu)\s+{_CAPITALISED}\s*[,،]\s*"
    rf"(?i:commune|secteur|district|province)\s+{_CAPITALISED}"
    # "wilaya de X, daira de Y, barrio 3", "ولاية X، دايرة Y، الحي Z، الخيمة 14": units of
    # local government down to a numbered quarter or tent
    rf"|(?<![\w])(?i:{_ADMIN})\s+(?:(?i:{_CONNECT})\s+)?(?:{_NAME_WORD})(?:\s+(?:{_NAME_WORD}))?"
    rf"\s*[,،]\s*(?:(?i:{_AREA})\s+(?:(?i:{_CONNECT})\s+)?(?:{_NAME_WORD})(?:\s+(?:{_NAME_WORD}))?"
    rf"\s*[,،]\s*){{0,2}}(?i:{_AREA}|{_HOUSE}|{_TENT})\s+(?:(?i:{_NUMBER_WORD})\s*)?{_NUM}"
    # "case en tôle n°12", "nyumba ya bati namba 8": the house told by its look, its number
    rf"|(?<![\w])(?i:{_HOUSE}|case(?=\s+en\s))\s+(?:[^\W\d_][\w'’-]*\s+){{1,3}}?"
    rf"(?i:{_HOUSE_NUMBER_WORD})\s*{_NUM}"
    # "house number 12", "nyumba namba 45", "gida mai lamba 7", "منزل رقم 5", "casa 14-B"
    rf"|(?<![\w])(?i:{_HOUSE})\s+(?:(?i:{_NUMBER_WORD})\s*)?{_NUM}(?:-[A-Za-z0-9]{{1,3}}\b)?",
    re.UNICODE,
)


# Addresses of one region each, looked for only when their words are in the text (the
# common forms above are looked for everywhere): what each needs, then its pattern.
_REGIONAL_ADDRESSES: tuple[tuple[tuple[str, ...], re.Pattern], ...] = (
    (
        ("mah", "mh."),
        re.compile(
            # Turkish: "Güneykent Mah. 64027 Sk. No:9 Daire 3", "X Mahallesi Y Caddesi No: 4"
            rf"(?<![\w])(?:(?:{_NAME_WORD})\s+){{1,2}}(?i:{_TURKISH_QUARTER})\s*[,،]?\s+"
            rf"(?:(?:{_NAME_WORD}|\d{{1,6}})\s+){{1,3}}(?i:{_TURKISH_STREET})\s*[,،]?\s*"
            rf"(?i:no|numara)\s*[:.]?\s*\d{{1,4}}[A-Za-z]?(?:\s*/\s*\d{{1,4}})?"
            rf"(?:\s*[,،]?\s*(?i:daire|d|kat|k|blok|apt|apartmanı)\.?\s*[:.]?\s*(?:\d{{1,4}}|[A-Z]\b))*",
            re.UNICODE,
        ),
    ),
    (
        ("jalan", "jln", "jl", "lorong", "lrg", "persiaran", "lebuh"),
        re.compile(
            # Malaysian: "No. 12, Jalan Mawar 3", "7-12, Jalan X Y": the door, then the jalan
            rf"(?<![\w.,-])(?:(?i:no|lot)\.?\s*)?\d{{1,4}}(?:-\d{{1,4}})?[A-Za-z]?\s*[,،]?\s+"
            rf"(?i:jalan|jln|lorong|lrg|persiaran|lebuh)\.?(?:\s+(?:{_NAME_WORD}|\d{{1,3}}[A-Z]?\b)){{1,4}}"
            # Indonesian: "Jl. Melati No. 17": the jalan, its name, then the door
            rf"|(?<![\w])(?i:jalan|jln|jl)\.?(?:\s+(?:{_NAME_WORD})){{1,3}}\s*[,،]?\s*"
            rf"(?:(?i:{_NUMBER_WORD})\s*)?{_NUM}",
            re.UNICODE,
        ),
    ),
    (
        ("moo", "soi"),
        re.compile(
            # Thai: "99/1 Moo 3", "Soi 5, Moo 3": the house or the lane, then the village
            rf"(?<![\w./])\d{{1,4}}(?:/\d{{1,3}})?\s*[,،]?\s+(?i:moo)\.?\s*\d{{1,2}}\b"
            rf"|(?<![\w])(?i:soi)\s+(?:(?:{_NAME_WORD})\s+)?\d{{1,3}}[A-Z]?\s*[,،]\s*"
            rf"(?i:moo)\.?\s*\d{{1,2}}\b",
            re.UNICODE,
        ),
    ),
    (
        ("norte", "sur", "este", "oeste", "arriba", "abajo", "lago", "montaña"),
        re.compile(
            # Costa Rica and Nicaragua, from a landmark: "de la pulpería X 150 metros al
            # oeste", "del Banco Nacional 300 sur", "100 m norte de la iglesia", "de la iglesia
            # 200 varas al sur"
            rf"(?<![\w])(?i:del|de\s+la|de\s+los|de\s+las|de)\s+(?:[^\W\d_][\w'’-]*\s+){{1,4}}?"
            rf"{_DISTANCE}(?:\s*(?:[,،]|(?i:y|e))?\s*{_DISTANCE})*"
            rf"|(?<![\w.,])\d{{1,4}}\s*(?i:{_DISTANCE_UNIT})\s+(?i:al\s+)?(?i:{_HEADING})\s+"
            rf"(?i:del|de\s+la|de\s+los|de\s+las|de)\s+[^\W\d_][\w'’-]*"
            rf"(?:(?:\s+[^\W\d_][\w'’-]*){{1,3}}(?=\s*(?:[,.;:!?]|$)))?",
            re.UNICODE,
        ),
    ),
)
_REGIONAL_ADDRESSES += (
    (
        (
            "sector",
            "secteur",
            "block",
            "bloc",
            "blok",
            "kitalu",
            "manzan",
            "mza",
            "section",
            "zone",
            "zona",
            "area",
            "phase",
            "village",
            "قطاع",
            "بلوك",
        ),
        re.compile(
            # "Sector 2 block 11 Bentiu PoC", "قطاع ٣ بلوك ١٢ بوك ملكال": a camp's sector and
            # block, then the camp's name to the phrase's end
            rf"(?<![\w])(?i:{_UNIT})\s+{_BLOCK_ID}\s*[,،]?\s*(?i:{_UNIT})\s+{_BLOCK_ID}"
            rf"(?:\s+(?:{_CAPITALISED}|[\u0621-\u064a]+)(?:\s+(?:{_CAPITALISED}|[\u0621-\u064a]+))?"
            rf"(?=\s*(?:[,.;:!?،]|$)))?",
            re.UNICODE,
        ),
    ),
    (
        ("kijiji", "kitongoji", "mtaa", "kata"),
        re.compile(
            # "Kijiji cha X, Kitongoji cha Y": Tanzania's village and its hamlet
            rf"(?<![\w])(?i:kijiji|kitongoji|mtaa|kata)\s+(?i:cha|ya|wa|la)\s+{_CAPITALISED}\s*[,،]\s*"
            rf"(?i:kitongoji|kijiji|mtaa)\s+(?i:cha|ya|wa|la)\s+{_CAPITALISED}",
            re.UNICODE,
        ),
    ),
    (
        ("رقم", "no", "n°", "nº", "num", "núm", "namba", "lamba"),
        re.compile(
            # "زنقة ٢٣ رقم ١٤", "calle 5 número 12": a numbered street, then the door's number
            rf"(?<![\w])(?i:{_STREET})\s+{_NUM}\s*[,،]?\s*(?i:{_HOUSE_NUMBER_WORD})\s*{_NUM}",
            re.UNICODE,
        ),
    ),
    (
        ("col",),
        re.compile(
            # Mexico: "Calle X 2418, Col. Y", "Av. X 1152, int. 4, col. Y", "Cañón del X 44,
            # col. Y": a street of any kind and its number, then the colonia
            rf"(?<![\w])(?:{_NAME_WORD})(?:\s+(?:(?i:{_CONNECT})\s+)?(?:{_NAME_WORD})){{0,3}}"
            rf"\s+{_NUM}(?=\s*[,،]\s*(?:(?i:int)\.?\s*\d{{1,4}}[A-Z]?\s*[,،]\s*)?(?i:col)(?:\.|onia\b))",
            re.UNICODE,
        ),
    ),
)
# A camp's or a quarter's own units after its name: "X camp block C", "sansanin X Y bulo na
# 3 tanti 41", "حي X مربع 9", "asentamiento X lote 23", "tente B-17 bloc 3".
_UNIT_IN = rf"{_UNIT}|{_HOUSE}|{_TENT}"
# (a block, not a camp's sector: "مخيم X قطاع ٦" says only where in a town-sized camp)
_SMALL_UNIT = r"block|bloc|bloque|blok|bulo|kitalu|manzano|manzana|بلوك|مربع|lote"
_NUMBERED_UNIT = rf"(?i:{_UNIT_IN})\s+(?:(?i:{_NUMBER_WORD})\s*)?{_BLOCK_ID}"
# Colombia's countryside: "vereda X finca Y", "finca X, vereda Y": the farm and its district.
_RURAL = r"vereda|finca|hacienda|corregimiento|parcela"
_RURAL_NAME = rf"(?:(?i:el|la|los|las|del|de)\s+)?{_CAPITALISED}(?:\s+{_CAPITALISED}){{0,2}}"
# A quarter by its name and the landmark by the door, with no number: "quartier X derrière
# le forage", "barrio X frente a la escuela", "حي X قرب الجامع".
_QUARTER = (
    r"quartier|barrio|neighbourhood|neighborhood|mtaa|unguwar|unguwa|colonia|cité|حي|محلة|حارة"
)
_REGIONAL_ADDRESSES += (
    (
        ("block", "bloc", "bulo", "blok", "kitalu", "manzan", "بلوك", "مربع", "lote"),
        re.compile(
            rf"(?<![\w])(?:(?i:{_AREA})\s+(?:{_NAME_WORD})(?:\s+(?:{_NAME_WORD})){{0,2}}"
            rf"|{_CAPITALISED}(?:\s+{_CAPITALISED})?\s+(?i:camp|neighbourhood|neighborhood|site)"
            rf"|(?i:{_TENT}|{_HOUSE})\s+(?:(?i:{_NUMBER_WORD})\s*)?{_BLOCK_ID})"
            rf"\s*[,،]?\s*(?i:{_SMALL_UNIT})\s+(?:(?i:{_NUMBER_WORD})\s*)?{_BLOCK_ID}"
            rf"(?:\s*[,،]?\s*{_NUMBERED_UNIT})?",
            re.UNICODE,
        ),
    ),
    (
        ("vereda", "finca", "hacienda", "corregimiento", "parcela"),
        re.compile(
            rf"(?<![\w])(?i:{_RURAL})\s+{_RURAL_NAME}\s*[,،]?\s*(?i:{_RURAL}|lote)\s+"
            rf"(?:{_RURAL_NAME}|{_NUM})",
            re.UNICODE,
        ),
    ),
)
_QUARTER_CUES = (
    "quartier",
    "barrio",
    "neighbo",
    "mtaa",
    "unguwa",
    "colonia",
    "cit",
    "حي",
    "محل",
    "حار",
)
_QUARTER_BY_ITS_LANDMARK = re.compile(
    rf"(?<![\w])(?i:{_QUARTER})\s+(?:{_NAME_WORD})(?:\s+(?:{_NAME_WORD}))?(?:\s+{_NUM})?"
    rf"\s*[,،]?\s*{_LANDMARK_PLACE}",
    re.UNICODE,
)
# "zone X 2, maison en tôle bleue à côté du moulin": a quarter, a house told by its look and
# its landmark; looked for where a comma and a landmark's word are.
_LANDMARK_CUES = (
    "behind near opposite beside below above next close facing derri près pres côté cote face "
    "detr cerca frente lado junto karibu nyuma mbele kando jirani kusa bayan gaban خلف قرب جنب "
    "بجانب مقابل وراء ورا"
).split()
_HOUSE_BY_ITS_LANDMARK = re.compile(
    rf"(?<![\w])(?i:{_AREA})\s+(?:{_NAME_WORD})(?:\s+(?:{_NAME_WORD}))?(?:\s+{_NUM})?"
    rf"\s*[,،]\s*(?i:{_HOUSE})\s+(?:[^\W\d_][\w'’-]*\s+){{0,4}}?{_LANDMARK_PLACE}",
    re.UNICODE,
)


_ARABIC_FLOOR_ORDINALS = "أرضي|ارضي|أول|اول|ثاني|تاني|ثالث|تالت|رابع|خامس|سادس"


# What an address goes on with after a comma: the building or its floor ("شارع ١٨، بناية ٤،
# الطابق الثالث"), the street ("Lamba 12, Titin Kurmi"), the quarter ("…, barrio La
# Ermita", "…, حي الميدان") and the town ("…, Gwale, Kano"): with the house number they
# point at one door, so they go with it.
_ADDRESS_MORE = re.compile(
    # "Jalan Kenanga 3", "Jurong East St 21": the street's number after its name
    r"\s+\d{1,4}[A-Z]?\b(?=\s*[,،])"
    # "…, RT 03/RW 05" (Indonesia's neighbourhood units), "…, #08-112" (Singapore's floor
    # and unit)
    r"|\s*[,،]\s*(?:(?i:rt)\.?\s*\d{1,3}\s*/\s*(?i:rw)\.?\s*\d{1,3}|#\d{1,3}-\d{1,5})"
    # "c/ Real 112, 3ºA", "…, 2º izq.": Spain's floor and door
    r"|\s*[,،]\s*\d{1,2}\s*[ºª°]\s*(?:[A-Za-z]\b|\d{1,2}\s*[ºª]?|(?i:izq|izda|dcha|dch)\.?)?"
    # "house 14 lane 3", "الكرفان رقم 112 القطاع C": the lane, block or tent with no comma
    rf"|\s+(?i:{_STREET}|{_UNIT}|{_TENT})\s+(?:(?i:{_NUMBER_WORD})\s*)?{_BLOCK_ID}"
    # "Calle 7 # 12-45 barrio La Playita": the quarter also with no comma before it
    r"|"
    rf"\s+(?i:{_AREA})\s+(?:(?i:{_CONNECT})\s+)?(?:{_NAME_WORD})"
    # ("… حي بنديبان طنجة": an Arabic town after the quarter, at the phrase's end)
    rf"(?:\s+(?:{_CAPITALISED}|[\u0621-\u064a]+(?=\s*(?:[,.;:!?،]|$))))?"
    # "…, behind Hope academy", "… karibu na soko": the landmark by the door
    rf"|\s*[,،]?\s*{_LANDMARK_PLACE}"
    # "…، بناية ٣ طابق أول": the floor by its ordinal
    rf"|\s*[,،]?\s*(?:{_FLOOR})\s+(?:ال)?(?:{_ARABIC_FLOOR_ORDINALS})(?![\w])"
    rf"|\s*[,،]\s*(?:"
    # "…, impasse X, no 5": the door's number alone (not "namba", "lamba": a phone's)
    r"(?i:no\.?|n°|nº|numéro|numero|número)\s*\d{1,4}[a-zA-Z]?\b(?![\s.-]*\d)|"
    # "…, 3rd district, flat 7", "…, 4th floor"
    rf"\d{{1,3}}(?i:st|nd|rd|th|e|ème|er)\s+(?i:{_AREA}|{_FLOOR})\b|"
    rf"(?i:{_AREA}|{_HOUSE}|{_STREET}|{_FLOOR}|int\.|interior)\s+(?:(?i:{_CONNECT})\s+)?"
    rf"(?:(?i:{_NUMBER_WORD})\s*)?(?:{_NUM}(?:\s+{_CAPITALISED})?|{_BLOCK_ID}"
    rf"|(?:{_NAME_WORD})(?:\s+{_CAPITALISED}){{0,2}})"  # "…, Tambon Tha Sai Luat"
    rf"|{_CAPITALISED}(?:\s+(?:(?:de\s+la|del|de|des|du)\s+)?{_CAPITALISED}){{0,2}}\b"
    rf"(?=\s*(?:[,.;:!?،]|$|\s+(?:and|et|y|na|da|و)\b))"
    # "…، دار ٢٢، بغداد الجديدة،": an Arabic town, set off by commas; not "و…" (a new
    # phrase) nor "near", "behind", "in front of"… the mosque (a landmark, read above)
    rf"|(?!و|قرب|جنب|بجانب|بجنب|عند|مقابل|خلف|أمام|امام|بين|قريب|ورا|جوار|بالقرب|في|من|على|مع)"
    rf"[\u0621-\u064a]+(?:\s+[\u0621-\u064a]+)?(?=\s*[,.;:!?،])"
    # "…, casa verde con portón negro": the house told by its look, to the phrase's end
    rf"|(?i:{_HOUSE})\s+(?:[^\W\d_][\w'’-]*\s+){{0,4}}[^\W\d_][\w'’-]*(?=\s*(?:[,.;:!?،]|$)))"
)
# "Gul Bagh street, house 12": a named street before the house (looked for only before
# a house found, not at every capitalised word).
_STREET_BEFORE = re.compile(
    rf"(?<![\w])(?:(?:{_NAME_WORD})\s+){{1,3}}(?i:{_STREET})(?![\w])\.?\s*[,،]\s*$"
)
# "No. 14 Old Otukpo Road": the number's own word before the house number.
# "Police District 7, Gul Bagh street": the district of a numbered one.
_NUMBER_BEFORE = re.compile(
    rf"(?<![\w])(?i:no\.?|n°|nº|number|numéro|numero|número|blk)\s*$|(?<![\w])(?i:{_ADMIN})\s+$"
    r"|(?<![\w])(?i:h/no|hse\s+no|h/n)\.?\s*(?:[A-Z]{1,3}\s*)?$"
)  # "Blk 214 Jurong East St 21": Singapore's block; "H/No. C 312": a Ghanaian house
# "Bairro Cariacó, Rua 5, …", "محلة ٩٠٦، زقاق ١٤، …": the quarter before the street.
# A building named: "Edificio Los Robles", "Torre B", "Immeuble Kandé".
_BUILDING = r"edificio|edif\.|torre|residencial|immeuble|building|jengo|بناية|عمارة"
_ADDRESS_BEFORE = re.compile(
    # "Flat Sri Pinang Blok C, 7-12, …": the building's name before its block
    rf"(?:(?<![\w])(?i:{_HOUSE})\s+(?:(?:{_NAME_WORD})\s+){{1,3}}(?=(?i:{_BLOCK})\s))?"
    # "مخيم X، الحي Y، بناية Z": the camp and its quarter before the building, up to three;
    # "Katubza zone, block 12", "zone Likuni 1, …", "Urbanización La Esperanza casa 14-B"
    rf"(?:(?:(?<![\w])(?i:{_AREA})\s+(?:(?i:{_CONNECT})[\s-]+)?"
    rf"(?:(?:{_NAME_WORD})(?:\s+(?:{_NAME_WORD}))?(?:\s+{_NUM})?|{_NUM}(?:\s+(?i:de)\s+{_NAME_WORD})?)"
    # ("Katubza zone": a Latin name before its area word; Arabic puts the area word first)
    rf"|(?<![\w]){_CAPITALISED}(?:\s+{_CAPITALISED})?\s+(?i:{_AREA})(?:\s+{_NUM})?"
    # "Calle 50, Edificio Los Robles, piso 3, apto 3B": the street, the building, the floor
    rf"|(?<![\w])(?i:{_STREET}|{_FLOOR})\s+{_NUM}|(?<![\w])\d{{1,3}}(?i:st|nd|rd|th)\s+(?i:{_STREET})"
    # "Plan 3000, …", "La Propicia 1, …": a district named with its number ("zona 16 de
    # Julio": above)
    rf"|(?<![\w])(?:(?:La|El|Los|Las|Le|Les)\s+)?{_CAPITALISED}\s+\d{{1,5}}\b"
    rf"|(?<![\w])(?i:{_BUILDING})\s+(?:(?i:{_CONNECT})\s+)?(?:{_NAME_WORD})(?:\s+(?:{_NAME_WORD})){{0,2}}"
    # "rue Moussa, imm. X 3e étage": the street by its word and name, set off by a comma
    rf"|(?<![\w])(?i:{_STREET})\s+(?:(?i:{_CONNECT})\s+)?(?:{_NAME_WORD})(?:\s+{_CAPITALISED})?(?=\s*[,،]))"
    rf"\s*[,،]?\s*){{1,3}}$"
)
# "فحي X زنقة 31 رقم 9": the quarter glued to "ف", "ب" (in) before the street.
_GLUED_QUARTER = re.compile(
    r"(?<![\w])[فب]((?:حي|الحي|محلة|حارة)\s+[\u0621-\u064a]+(?:\s+[\u0621-\u064a]+)?)\s*[,،]?\s*$"
)
# "derrière la pharmacie, maison 8": the landmark before the house.
_LANDMARK_BEFORE = re.compile(rf"(?<![\w]){_LANDMARK_PLACE}\s*[,،]\s*$")
# "in Kaloleni, plot 9", "عنواني: الحبانية، حي …", "من المطرية، الحي الثالث": the town set
# off by a comma after "in", "from", "I live", or a colon, before the address.
_TOWN = (
    rf"(?:(?:{_NAME_WORD}|\d{{1,3}})\s+(?:(?i:de|del|de\s+la|ya|wa)\s+)?){{0,2}}(?:{_NAME_WORD})"
)
# "vivo en Heredia, San Francisco, …", "عنواني: غازي عنتاب، شاهين بي، …": a town and its
# district, two at most; also after "j'habite", Hausa "suna haya a" (they rent in) and "ina"
# (I am in).
_TOWN_BEFORE = re.compile(
    r"(?:(?<![\w])(?i:in|at|to|à|au|en|habite|ninaishi|naishi|tunaishi|anaishi|wanaishi|nakaa|"
    r"ninakaa|tunakaa|anakaa|wanakaa|tuko|niko|zaune\s+a|haya\s+a|zama\s+a|ina|من|في)\s+|:\s*)"
    rf"((?:{_TOWN}\s*[,،]\s*)?{_TOWN})\s*[,،]\s*$"
)


# "ina zaune a Sabon Tasha titin X, gida mai lamba 14": the quarter before the street, with
# no comma, after "in".
_STREET_FIRST = re.compile(rf"(?i:{_STREET})\s")
_QUARTER_BEFORE_STREET = re.compile(
    rf"(?<![\w])(?i:in|at|a|à|en|ninaishi|naishi|anaishi)\s+({_CAPITALISED}(?:\s+{_CAPITALISED})?)\s+$"
)
# "à X 40B, rue Y", "j'habite X 27, impasse Y", "in X ilot D lot 118": a numbered quarter,
# or a town before its block, after "in" or "I live".
_UNIT_FIRST = re.compile(rf"\d|(?i:{_UNIT})\s")
_TOWN_BEFORE_UNIT = re.compile(rf"(?<![\w])(?i:in|at|à|au|en|habite)\s+({_CAPITALISED})\s+$")


_REGIONAL_ADDRESSES += (
    (
        ("floor", "étage", "etage", "piso", "ghorofa", "طابق", "الدور"),
        re.compile(
            # "imm. Haddad 3e étage", "bldg 9 floor 2": a building, by its name or number,
            # then its floor
            rf"(?<![\w])(?:(?i:{_BUILDING}|bldg|imm)\.?)\s+(?:{_NAME_WORD}|{_NUM})"
            rf"(?:\s+{_CAPITALISED})?\s*[,،]?\s*(?:\d{{1,2}}\s*(?i:e|ème|eme|er|st|nd|rd|th|º|°)"
            rf"\s+(?i:{_FLOOR})\b|(?i:{_FLOOR})\s+{_NUM})",
            re.UNICODE,
        ),
    ),
    (
        ("vereda", "corregimiento"),
        re.compile(
            # Colombia: "vereda X, finca Y": a rural hamlet, then the farm in it
            rf"(?<![\w])(?i:vereda|corregimiento)\s+(?:(?i:{_CONNECT})\s+)?(?:{_NAME_WORD})"
            rf"(?:\s+(?:{_NAME_WORD}))?\s*[,،]\s*(?i:finca|hacienda|parcela)\s+"
            rf"(?:(?i:{_CONNECT})\s+)?(?:{_NAME_WORD})(?:\s+(?:{_NAME_WORD}))?",
            re.UNICODE,
        ),
    ),
)


# A rented room by its number, then its lane, street, quarter or building: "room 14, Soi 7
# behind …", "chambre 3, rue …" (not "room 12B" alone: a room of anything).
_ROOM = r"room|chambre|cuarto|habitación|habitacion|chumba|غرفة"
_REGIONAL_ADDRESSES += (
    (
        ("room", "chambre", "cuarto", "habitaci", "chumba", "غرفة"),
        re.compile(
            rf"(?<![\w])(?i:{_ROOM})\s+(?:(?i:{_NUMBER_WORD})\s*)?{_NUM}(?=\s*[,،]\s*"
            rf"(?i:{_STREET}|{_AREA}|{_BUILDING}|{_FLOOR})\s)",
            re.UNICODE,
        ),
    ),
)


# Where one lives, told by the house and its landmark with no number, after a verb of
# living: "habite X, la maison à côté du forage", "vive en la casa azul frente a la cancha
# de X", "ninaishi X, nyuma ya kanisa Y, nyumba ya mabati ya kijani".
_LIVING_VERBS = (
    "habite habitent vit vivent vive vivo viven vivimos lives live living stays stay "
    "ninaishi anaishi wanaishi tunaishi ninakaa anakaa wanakaa tunakaa"
).split()
_LIVES_IN = "|".join(
    rf"(?<=(?i:{verb}) )"
    for verb in (
        *_LIVING_VERBS,
        "vit à",
        "vit au",
        "vive en",
        "vivo en",
        "viven en",
        "lives in",
        "live in",
        "lives at",
        "live at",
        "stays in",
        "stay in",
    )
)
_LOOK = r"(?:[^\W\d_][\w'’-]*\s+)"
_REGIONAL_ADDRESSES += (
    (
        tuple(f"{verb} " for verb in _LIVING_VERBS),
        re.compile(
            rf"(?<= )(?:{_LIVES_IN})(?:(?:{_TOWN})\s*[,،]\s*)?(?:(?i:la|le|el|the|una|un|a)\s+)?"
            rf"(?i:{_HOUSE})\s+{_LOOK}{{0,3}}?{_LANDMARK_PLACE}"
            rf"|(?<= )(?:{_LIVES_IN})(?:{_TOWN})\s*[,،]\s*{_LANDMARK_PLACE}\s*[,،]\s*"
            rf"(?i:{_HOUSE})\s+{_LOOK}{{0,5}}[^\W\d_][\w'’-]*(?=\s*(?:[,.;:!?،]|$))",
            re.UNICODE,
        ),
    ),
)


# Nouakchott's "îlot D lot 118", "secteur 2, îlot F, lot 77", "المقاطعة ٣ الحي د القطعة
# ١١٨": a district, a block or a quarter by its number or letter, then the plot.
_PLOT = r"lot|lote|القطعة|قطعة|parcelle"
_REGIONAL_ADDRESSES += (
    (
        ("lot", "قطعة", "parcelle"),
        re.compile(
            rf"(?<![\w])(?:(?:(?i:{_UNIT})|المقاطعة|مقاطعة|الحي|حي)\s+{_BLOCK_ID}\s*[,،]?\s*){{1,3}}"
            rf"(?i:{_PLOT})\s+(?:(?i:{_NUMBER_WORD})\s*)?{_NUM}",
            re.UNICODE,
        ),
    ),
)


# The end of a sentence, not the dot of "Col. X", "int. 4", "Na. 47" (Mexico's colonia and
# flat, Swahili's number).
_ADDRESS_SENTENCE_END = re.compile(r"(?<![Cc]ol)(?<!int)(?<![Nn]a)(?<![Nn]o)[.!?]\s")


# A full stop after a word of four letters or more, then a capital: a new sentence the
# address does not run into ("12 rue des Lilas. Merci"); not "Avda. X", "Blvd. X".
_WORD_THEN_SENTENCE = re.compile(r"([^\W\d_]{4,})[.!?]+\s+(?=[^\W\d_])")
_LONG_ABBREVIATIONS = _split("blvd avda dpto apto prol carr")


def _sentence_end_inside(text: str, start: int, end: int) -> int:
    for stop in _WORD_THEN_SENTENCE.finditer(text, start, end):
        if _fold(stop.group(1)) not in _LONG_ABBREVIATIONS and text[stop.end()].isupper():
            return stop.end(1)
    return end


def _address_patterns(text: str) -> list[re.Pattern]:
    """The common forms, and the regional ones whose words the text holds."""
    folded = text.casefold()
    patterns = [_ADDRESS] + [p for cues, p in _REGIONAL_ADDRESSES if any(c in folded for c in cues)]
    if any(c in folded for c in _LANDMARK_CUES):
        if any(q in folded for q in _QUARTER_CUES):
            patterns.append(_QUARTER_BY_ITS_LANDMARK)
        if "," in text or "،" in text:
            patterns.append(_HOUSE_BY_ITS_LANDMARK)
    return patterns


def _addresses(text: str) -> list[Span]:
    spans = []
    matches = ((p, m) for p in _address_patterns(text) for m in p.finditer(text))
    for found, match in matches:
        # An address does not run into the next sentence ("12 rue des Lilas. Merci"): what
        # is left before the full stop must be one still ("… on the street. Ph 0944…" is not).
        cut = _sentence_end_inside(text, match.start(), match.end())
        if cut < match.end():
            shorter = found.match(text, match.start(), cut)
            if shorter is None:
                continue
            match = shorter
        end, start = match.end(), match.start()
        for pattern in (_STREET_BEFORE, _LANDMARK_BEFORE, _ADDRESS_BEFORE, _GLUED_QUARTER):
            before = pattern.search(text, max(0, start - 60), start)
            start = before.start(before.lastindex or 0) if before else start
        town = _TOWN_BEFORE.search(text, max(0, start - 40), start)
        if not town and _STREET_FIRST.match(text, start):
            town = _QUARTER_BEFORE_STREET.search(text, max(0, start - 40), start)
        if not town and _UNIT_FIRST.match(text, start):
            town = _TOWN_BEFORE_UNIT.search(text, max(0, start - 40), start)
        start = town.start(1) if town else start
        number = _NUMBER_BEFORE.search(text, max(0, start - 20), start)
        start = number.start() if number else start
        for _ in range(4):  # the building, the floor, the street, the quarter, the town
            more = _ADDRESS_MORE.match(text, end)
            if not more:
                break
            end = more.end()
        # What follows goes on to the sentence's end, not past it ("colonia X. Gracias").
        stop = _ADDRESS_SENTENCE_END.search(text[match.end() : end])
        end = match.end() + stop.start() if stop else end
        end = _sentence_end_inside(text, match.start(), end)
        value = text[start:end].rstrip(" ,.،")
        spans.append(Span(start, start + len(value), "address"))
    return spans


# The second opinion reads this module's lists and words: imported once they are defined.
from collector import name_judge  # noqa: E402
