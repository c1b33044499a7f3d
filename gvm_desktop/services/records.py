"""Opening a person's record: the justification first, the read and its log entry in one transaction."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from itertools import accumulate
from typing import Any, TypedDict

from gvm_desktop.core.audit import Action
from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.justification import Justification, ReasonCategory
from gvm_desktop.core.people import age_on
from gvm_desktop.core.policy import Permission
from gvm_desktop.core.records import NominalRecord, ScoreLine, VersionRecord
from gvm_desktop.core.scoring import ScoringPolicy, default_policy, score
from gvm_desktop.core.text import fold, invisible
from gvm_desktop.services.context import Operation, Workspace
from gvm_desktop.services.scope import Target, resolve
from gvm_desktop.store.protocols import Unit

# -- free text that names the person it is about ---------------------------------------------------
# A justification is written to an append-only log that is read by reference: the person's name in it
# would outlive their removal. Archive reasons are scrubbed with the same matcher.

WHY_NOT_WHO = "write why, not who: the reference is already recorded"


class NamesThePerson(ValidationError):
    """Free text that contains the person's name, an alias, their date of birth, address or postcode."""

    code = "names_the_person"

    def __init__(self, what: str = "This justification") -> None:
        # Never the matched words: this message is shown, and written to the log as the refusal's detail.
        super().__init__(f"{what} contains the person's name, an alias, their date of birth or their address: "
                         f"{WHY_NOT_WHO}.")


@dataclass(frozen=True)
class Identity:
    """What identifies a person in free text: their names, aliases, date of birth, address and postcode."""

    given_name: str
    family_name: str
    date_of_birth: date
    aliases: tuple[str, ...] = ()
    address: str = ""
    postcode: str = ""
    earlier: tuple[Identity, ...] = ()  # what earlier versions of the record held: a former address identifies too


def _identity(data: Mapping[str, Any], aliases: Iterable[str]) -> Identity:
    return Identity(str(data["given_name"]), str(data["family_name"]), date.fromisoformat(str(data["date_of_birth"])),
                    tuple(aliases), str(data.get("address") or ""), str(data.get("postcode") or ""))


def identity_of(store: Unit, nominal_id: int) -> Identity:
    """The person as the record holds them now, with every other identity its earlier versions held (a reason
    "moved away from <the old address>" names them as surely as the current one)."""
    current = _identity(store.records.fields(nominal_id), store.records.aliases(nominal_id))
    earlier = dict.fromkeys(_identity(v.snapshot, v.snapshot.get("aliases") or ())  # type: ignore[arg-type]  # a snapshot is JSON: its aliases are a list of str
                            for v in store.records.versions(nominal_id))
    earlier.pop(current, None)
    return replace(current, earlier=tuple(earlier))


# Scripts written without spaces between words: a name in them is found anywhere in the text.
_UNSPACED = ("CJK", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR", "TIBETAN")
_MONTHS = {name: number for number, names in enumerate((
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
    ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
    ("december", "dec")), start=1) for name in names}
_MONTH = "(?<![a-z])(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")(?![a-z])"
_ORDINAL = r"(?:st|nd|rd|th)?"
# Dates as people write them, matched in the matcher's text (folded, every separator one space: see _folded),
# so 29/11/2006, 29-11-2006 and 29.11.2006 all read "29 11 2006", and 06-May-07 reads "06 may 07".
_NUMERIC_DATE = re.compile(r"(?<!\d)(\d{1,4}) (\d{1,2}) (\d{1,4})(?!\d)")  # 29/11/2006, 2006-11-29, 29/11/06
_COMPACT_DATE = re.compile(r"(?<!\d)(\d{8})(?!\d)")  # 29112006, 20061129
_DAY_MONTH_YEAR = re.compile(rf"(?<!\d)(\d{{1,2}}){_ORDINAL} ?(?:of )?{_MONTH} ?(\d{{4}}|\d{{2}})(?!\d)")  # 6 May 07
_MONTH_DAY_YEAR = re.compile(rf"{_MONTH} ?(?:the )?(\d{{1,2}}){_ORDINAL} ?(\d{{4}}|\d{{2}})(?!\d)")  # May (the) 6th, 2007
_YEAR_MONTH_DAY = re.compile(rf"(?<!\d)(\d{{4}}) ?{_MONTH} ?(?:the )?(\d{{1,2}}){_ORDINAL}(?![a-z\d])")  # 2007 May 6
_YEAR_DAY_MONTH = re.compile(rf"(?<!\d)(\d{{4}}) ?(\d{{1,2}}){_ORDINAL} ?(?:of )?{_MONTH}")  # 2007, 6th of May

# English words that are also given or family names. A single name part of four letters or more is matched in
# any case ("visit to zyxwquuxtest's house"); one of these, like a part shorter than four letters, only as a
# name is written (see _written_as_name), so "I will visit" and "Green band person" are not about Will Green.
# A name missing here is refused in any case: a false refusal the writer rephrases, never a name let through.
_NAME_WORDS = frozenset({
    "able", "amber", "angel", "april", "archer", "autumn", "baker", "banks", "barber", "baron", "bell", "berry", "best",
    "bird", "bishop", "black", "bliss", "bloom", "blue", "bond", "booth", "brand", "brave", "bright", "brook", "brooks",
    "brown", "buck", "bull", "bush", "butler", "carol", "carter", "cash", "chance", "chase", "cherry", "child",
    "christian", "church", "clay", "cliff", "coal", "cook", "cooper", "crane", "cross", "crystal", "daisy", "dale",
    "dawn", "dean", "dear", "diamond", "drake", "drew", "duke", "dune", "earl", "early", "east", "ernest", "fair",
    "faith", "field", "fields", "finch", "fisher", "flint", "ford", "forest", "frank", "free", "freeman", "friend",
    "frost", "gentle", "ginger", "glass", "glen", "gold", "golden", "good", "grace", "grant", "gray", "green", "grey",
    "hale", "hall", "hardy", "harmony", "hart", "hawk", "heart", "heath", "heather", "hill", "holly", "honey", "hood",
    "hope", "house", "hunt", "hunter", "iris", "ivory", "jack", "jade", "jewel", "judge", "june", "justice", "kind",
    "king", "knight", "lake", "lamb", "lance", "land", "lane", "lily", "little", "long", "love", "lucky", "major",
    "march", "mark", "marsh", "marshal", "mason", "melody", "mercy", "miles", "mill", "miller", "mills", "moody",
    "moon", "moss", "noble", "north", "nurse", "page", "palmer", "park", "parker", "parks", "patience", "peace",
    "pearl", "penny", "piper", "poppy", "porter", "potter", "power", "precious", "price", "pride", "prince", "rain",
    "ranger", "read", "reed", "rich", "river", "rivers", "robin", "rock", "rose", "royal", "ruby", "rush", "sage",
    "sandy", "savage", "sharp", "shepherd", "short", "silver", "slater", "smart", "smith", "snow", "sonny", "south",
    "sparrow", "spring", "star", "steel", "sterling", "stone", "storm", "strong", "summer", "sunny", "swan", "sweet",
    "swift", "tanner", "trinity", "turner", "violet", "wade", "walker", "ward", "warden", "waters", "weaver", "wells",
    "west", "white", "wild", "will", "wise", "wolf", "wood", "woods", "wren", "young"
}) | frozenset((  # noqa: SIM905 (one string keeps some 1,500 words readable)
    # Surnames and given names that are also ordinary English words ("a case conference", "the school gates", "taken
    # to the nick", "the phone bill", "treated for burns"). Built once from the surname and given-name lists that the
    # zxcvbn package ships, kept where a lower-case English dictionary (/usr/share/dict/words) has the word, without
    # the few hundred commonest given names unless their ordinary sense is common (Bill, Nick, May, Grace...). Fixed
    # here: nothing is looked up at run time.
    "abbey agee aide akin alba albino alder alderman alexia aline alley almond amber amie angelic angle appel april archer arenas "
    "arias ariel arroyo askew auger august aura aurelia aurora autumn azure babbitt bach backer bacon bade bailey baker bales "
    "ball bandy bane bangs banister bank banks banning bannister barb barber bard barker barns baron barre barrette barrios "
    "barrow barrows barter barton bash bashaw basil bass basso bates batiste batten battles batty bays beach beadle beam bean "
    "beard beau beavers beck beers beery bell belle bellows bender benedict bennet benny berg berry beryl bethel bias bibb bice "
    "bill billings bills billy binder birch bird birdsong bishop black blain blanch bland blank blanks bliss blocker bloom "
    "bloomer blossom blunt boatman bobby bock bode bogle boles bolt bond bonds bone bones boney bong bonny bookman booth borders "
    "borg bott bottoms bounds bourdon bourgeois bourne bower bowers bowman bowyer brace bracken brain brake branch brant brasher "
    "bravo bray brazier bree brewer bridges bright brill brim brimmer brindle brink broach brock brogan brook brooks broom brown "
    "brownfield browning brunet brunette buck buckles bueno bullock bunch bunker bunting burden burg burgess burke burkes burl "
    "burley burn burns burr burrow burrows burse burton busby bush bushman buss butcher butler butts caballero cade cain cairns "
    "caldera camellia campion campo candida candler candy canfield canning cannon canter cantor canty capers caprice caraway "
    "carder carina carline carman carmine carney carol carpenter carper carrell carrier carrion carter carver case cases cash "
    "castor catchings cate cater caudillo caudle causey caver celesta cesar chamberlain chambers chance chandler chapman charity "
    "chase chastity cheek cherish chestnut chevalier chew chiles chin ching chow christen chuck church cicely cisco clack clapper "
    "clary clay cleaver cleaves cleek clem clement clementine click cliff cline cloud clough cluck coats coble coffin coil cole "
    "coles coley collard collier collins colon colter combs comer conception concha cone coney confer conger conn conte converse "
    "cook cooks coon coons cooper coots cope coral corder coria cornett corr corral corrie coss costa cote cotter cotton couch "
    "coulter countryman counts court cousins couture covert covey coward craft cram craven cravens cray creamer creed creel "
    "crenshaw cress crews crick crim crisp crista crochet croft crone cronk crook crooks cropper cross crouch crouse crow crozier "
    "crumb crump cruse crystal cull culler culver curl currier curry curt cutler dahl dahlia daisy daphne dart dasher davenport "
    "dawn days deans decamp deforest delaine dell dement dent derry dewberry dews dial dibble dickens dickey dill dills dimple "
    "dingle dingus dirk dirks dobbins dodge dole dolly dona dong dorado doss dotty doughty dove dowdy downer downing downs dozier "
    "drain drake drakes draper drew duff duke dukes dung dunning durst dusty dyer dyke dykes earls earnest eaves echo eddy egger "
    "eggers elder emerita emery engram ester ethyl evens ewers eyre fain fair faith falconer fanning fanny farina farmer farrow "
    "farthing fawn feaster feller fellers fellows felts fern fetter fetters field fielder fielding fields fife finch fink "
    "firestone firth fisher fitch flack flake fleck flesher fletcher flick flint flood flor flory flowers ford fore forehand "
    "foreman forester forte foster fountain frank franklin franks freed freedman freeman freer frier frith fritz frost fryer "
    "fudge fuller funk furlong furry gable gage gainer gala gale gales gall gallant gamble gammon gang gangs garland garner "
    "garnet garret garrison garth garvey gaskin gaskins gasper gate gates gathers gemma genie gentile gentry gibbons gilder gill "
    "gillies ginny gist givens gladden gladstone glass glassman glaze glazer glazier glory glover goad goings goldsmith goodman "
    "gore gouge gowan grace graham granger grant gravely graver graves gray grayer grays greaves green greenfield greening "
    "greenwood gribble griffin grim grimes grizzle grooms gross grove groves gulley gully gunter gurney gussie hackman hackney "
    "haddock haggard hake halbert hale hales hall hallmark halter hames hammock hance hand hands handy hank hanks hansel harden "
    "hardy hare harms harness harp harper hart hartshorn hash hasty hatch hatcher hatter haugh havens hawk hawks haws hays "
    "hayward hazard hazel head heads heady heath heather heck hedge hedges heller helm helms herb herd heron herring hertz hickey "
    "hicks hidalgo hight hill hinds hoard hock hocking hogan hoke holden holder holler holly holm holt hong hood hooks hooper "
    "hoover hope hopper horn horst hough house houses huff hull humble hung hunt huntsman hurdle hurley hurst hyacinth infante "
    "ingle iris irons ivory jack jade jaeger jarred jerkins jerry jess jetton jimmy jinks johns joiner jolly josh julienne june "
    "junker kain kaiser kali kamala kami karma kasha keck keel keeling keen keener keister kelvin kern kersey keys khan kidder "
    "kina kinder kindle kindred king kirkman kirsch kish kitchens kite kittle kluge knight knoll kohl kraft kris kyles lackey "
    "lacy lair laird lamas lamb lambert landau lander lane lang large lark lash lasher laurel lavender lawless layman lazar leach "
    "leaks leal lean leathers leatherwood ledger leech lees lehr leister lemon lemons lent leone levin levy lewis liana lien "
    "likens lily linden lindy ling lingo link linker linn lino lira lister little lively llamas llanos lock locks logan long "
    "looney looper loos loper lopes lore loris lory lough loveless lowery luce lulu luster lutes lynch mace mach mack madden "
    "madrigal magdalen magnolia majors mana manning manual maple maples mara marble marcel march marchese mares marg margarite "
    "marge mark marks marlin marline marques marquis marron marsh martens martin martins marvel mason mast masters matte mavis "
    "maya mayo maze mead meadows medley meek meeker melody melton mercer merchant mercy merino merle merry mesa messenger messier "
    "meta mica mignon miles miller millet milliner mills milo mina miner mink minor minter missy misty mize moats mock moline "
    "moll mollie mong monger monk monte monteith montero montes moody moon mora morel morello morris morrow morse moss motes "
    "motley mounts mouton mull mullen muller mulligan murphy muse nance napoleon napper natal nave nelly nelson ness nettles "
    "newcomer newton nick nickels nickles nicks nightingale noble nobles nock noel noma nova novella null numbers nunnery nutter "
    "nutting oaks ogle olive omer ostler otto overman pace paddock pagan page painter palmer palomino pansy papa pare park parkin "
    "parks parr parry parsley parson parsons parton partridge paschal pasty pate patience patten pattie peacock pearl pearly "
    "peart pease peck peek peel peeler pelham pence penni penny peoples peppers perron perry peter peters petit petty phil piazza "
    "pierce pike pilgrim pinkie pinto piper pipkin pippin pitman plank plowman plumb plunk pointer poling pollack pollard pollock "
    "ponce pond ponder pope porter posada poss potter powers prater prentice price priest proctor provost prudence pulley puma "
    "purser quint quirk rains rainwater rakes rand randy ranee ransom raper rash ream reamer reams reaves rector redd redden reed "
    "reedy reel reeve reeves reis render repp revels rhea rhymes rice rich rickey ricks riddle rider rife riffle riles ringer "
    "riser rivers rives roach road roan robbin robins robles rocky roebuck rogers romaine roman romeo rondeau rood rook rooks "
    "root roper roque rose rosette rosy rouleau rounds rouse roux rowan ruble ruby rudd rudder ruddy ruder ruff runnels rush "
    "rushing rusk rust rusty sabin sabra saddler sage sager sain salina sally salmons salter sample samples sander sanders sands "
    "sandy sang saran sari sass saucier savage savanna savannah savoy sawyer sawyers sayer scales schiller schilling school scot "
    "scull scurry seal seals seaman sears sellers sells seltzer serena settles severance sexton shad shade shah shank shanks "
    "sharp shaver shavers shaw shay shearer shears sheets shell shepherd shields shilling shim shin shipman shirk shiver shivers "
    "shoemaker shook shores short shorter showers shuck sibyl sickles sill sills silva silvas silvers sima simmers sims sine "
    "sines singleton sizer skinner slack slate slater slaughter slay sledge small smalls smith smock smothers snider snipes snook "
    "snow sobers solano soles sours sowers sparks sparrow spates spear spearman spears speck speller spence spencer spicer spies "
    "spiller spires spitz springer sprinkle spry squire squires stabler stack stamper stamps stanhope staples stark starling "
    "steed stein sterling stern sterner steward stickler stiles stills stiver stockman stoker stokes stone stoner stoops storey "
    "storms stout stover strain strait strand street streets stringer stripling strode strong stroud stull stump sturgeon summer "
    "summers sumpter sung sunny swain swan swank swart sweeny swift swindle swingle swink swisher tabor tally tana tang tanner "
    "tapper tart tarter tawny teal tedder teddy teeter teeters terra testa thatcher thorn thorp thrash thrasher thrift thrower "
    "tiara tiller tingle tittle tolar tomes toms toner tong topping tora tori towery trammel trey trice troche trotter troupe "
    "trout trull trump truss trusty tuck tucker tufts turner tweed tweedy underwood usher utter vail valentine vanda vang veal "
    "vela vena verdin vermillion vest vesta vestal vigil villa vina vines vineyard violet vita viva wacker waddle wade wagers "
    "wages wagoner wainwright waiters waits waldo walker walkup wall walling walls wally waltz wanner ward warden wards ware "
    "waring warren washer waterman waters watt watts weatherly weathers weaver weber weeks weir welch well wells welsh welter "
    "wert west wester wheat wheeler whetstone white whited whitehead whitener whiting whitlow whittle wick wicker wicks widener "
    "wiener wight wilder wilds wiles will wills willy wilt winder windy wines winger winkle winters wireman wise withers wold "
    "wolf womble wood woodcock woodman woodruff woods workman worth worthy wren wright xenia yang yard young"
).split())
# A month next to a day or a year, or after one of these, is a date: "6 May", "May 2026", "in April", "end of May".
# Not "by", "from", "with", "after": "a call from April" is about a person.
_BEFORE_MONTH = frozenset({"in", "since", "until", "till", "during", "last", "next", "this", "early", "late", "mid",
                           "throughout"})
_BEFORE_OF_MONTH = frozenset({"end", "start", "beginning", "middle", "rest", "month"})
# A full stop after these ends no sentence: "Mr. Green" is written as a name.
_TITLES = frozenset({"mr", "mrs", "ms", "mx", "miss", "dr", "prof", "rev", "st", "sgt", "pc", "dc", "insp"})
_SENTENCE_END = frozenset(".!?…。！？")


# Cyrillic and Greek letters that look like Latin ones, after case folding, read as the Latin letter: a name spelt
# with them ("Cloverclоff" with a Cyrillic о, "Аmir" with a Cyrillic А) is the name. Folding to this skeleton, rather
# than refusing words that mix scripts, also catches a word written wholly in look-alikes ("Сасе"), and refuses
# nothing written in Russian or Greek unless it spells the person's name. A letter whose capital and small forms look
# like different Latin letters (Greek Η/η: H/n, Ν/ν: N/v) is read both ways: _SKELETON_ALT is the second reading.
_SKELETON = str.maketrans({
    "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "п": "n", "р": "p", "с": "c", "т": "t",
    "у": "y", "х": "x", "ь": "b", "ѕ": "s", "і": "i", "ј": "j", "һ": "h", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ӏ": "l",
    "ү": "y", "ұ": "y", "ѵ": "v", "α": "a", "β": "b", "γ": "y", "ε": "e", "ζ": "z", "η": "h", "ι": "i", "κ": "k",
    "μ": "m", "ν": "n", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϲ": "c", "ϳ": "j",
    "ı": "i", "ȷ": "j", "ɑ": "a", "ɡ": "g",
})
_SKELETON_ALT = {**_SKELETON, **str.maketrans({"η": "n", "ν": "v", "μ": "u", "υ": "v", "ӏ": "i"})}


def _folded(text: str, skeleton: Mapping[int, str] = _SKELETON) -> tuple[str, list[int]]:
    """`text` as the matcher reads it, and for each of its characters the index of the original one.

    Folded as search folds it (case and accents ignored), Cyrillic and Greek look-alikes read as Latin letters
    (see _SKELETON). Invisible characters (format characters and default-ignorable ones: zero-width space, soft
    hyphen, ZWNJ, ZWJ, word joiner, combining grapheme joiner, variation selectors, Hangul fillers...) are deleted,
    so "Zyxw<U+200B>quuxtest" reads "zyxwquuxtest". Every run of anything that is not a letter, mark or digit reads
    as one space, so "06-May-2007" separates its parts as "06 May 2007" does, and "Tamsin_Quillmere" as "Tamsin
    Quillmere".
    """
    out: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        if invisible(ch):
            continue
        for f in fold(ch).translate(skeleton):
            if unicodedata.category(f)[0] in "LMN":
                out.append(f)
                origin.append(i)
            elif out and out[-1] != " ":
                out.append(" ")
                origin.append(i)
    return "".join(out), origin


def _words(text: str) -> list[str]:
    return _folded(text)[0].split()


def _pattern(words: list[str], *, unspaced: bool = False, plural: bool = False) -> re.Pattern[str]:
    body = " ?".join(re.escape(w) for w in words)  # "Mary-Jane" is also "Mary Jane" and "MaryJane"
    if plural:  # a name takes an s or es as a possessive without its apostrophe ("Clovercliffs house") or a plural
        body += "(?:e?s)?"
    return re.compile(body if unspaced else rf"(?<!\S){body}(?!\S)")  # whole words: "Al" is not in "already"


def _unspaced(name: str) -> bool:
    return any(unicodedata.name(ch, "").startswith(_UNSPACED) for ch in name)


@dataclass(frozen=True)
class _Mention:
    pattern: re.Pattern[str]
    what: str
    as_written: bool = False  # only with a capital initial, and not as the first word of the text or a sentence
    spread: str = ""  # a name of 5 letters or more, run together: also found spelt out or split ("C l i v e", "Cli-ve")


_SPREAD_MIN = 5  # shorter names spelt out letter by letter turn up inside ordinary text ("a man I" for "Amani" is 5)


def _spread_form(words: list[str], unspaced: bool) -> str:
    joined = "".join(words)
    return joined if not unspaced and len(joined) >= _SPREAD_MIN else ""


def _name_mention(name: str, *, alias: bool) -> _Mention | None:
    words = _words(name)
    letters = sum(len(w) for w in words)
    if letters < 2:
        return None  # a single letter identifies nobody, and would refuse half the language
    unspaced = _unspaced(name)
    # Ordinary words are names only as a name is written: a part shorter than four letters ("He", "An") or an
    # English word ("Will", "Green"). Aliases of four letters or more, and names of several words, always count.
    as_written = not unspaced and (letters < 4 or (not alias and len(words) == 1 and words[0] in _NAME_WORDS))
    return _Mention(_pattern(words, unspaced=unspaced, plural=True), "[name]", as_written, _spread_form(words, unspaced))


def _address_mentions(address: str, postcode: str) -> list[_Mention]:
    found: list[_Mention] = []
    words = _words(address)
    if words:
        found.append(_Mention(_pattern(words), "[address]"))
        # The house number is the number just before the street: "Flat 3, 41 Xxqqjjmews Close" has 41.
        number = next((i for i, w in enumerate(words[:-1]) if w[0].isdigit() and not words[i + 1][0].isdigit()), None)
        if number is not None:
            street = words[number + 1:]
            # The house number and the street, its later words optional: "41 Xxqqjjmews", "41 Xxqqjjmews Close".
            rest = ""
            for w in reversed(street[1:]):
                rest = f"(?: ?{re.escape(w)}{rest})?"
            found.append(_Mention(re.compile(rf"(?<!\S){re.escape(words[number])} ?{re.escape(street[0])}{rest}(?!\S)"),
                                  "[address]"))
            if len(street) >= 2:  # the street without its number ("Xxqqjjmews Close"); one word alone is too common
                found.append(_Mention(_pattern(street), "[address]"))
    code = "".join(_words(postcode))
    if len(code) >= 4:  # spacing ignored: "ZZ9 8QJ", "ZZ98QJ", "zz9-8qj"
        found.append(_Mention(_pattern(list(code)), "[postcode]"))
    return found


def _mentions(who: Identity) -> list[_Mention]:
    found: list[_Mention] = []
    for former in who.earlier:
        found += _mentions(former)
    given, family = _words(who.given_name), _words(who.family_name)
    if given and family:  # the full name, either order, in any case: "Will Green", "GREEN, Will"
        unspaced = _unspaced(who.given_name + who.family_name)
        found += [_Mention(_pattern(given + family, unspaced=unspaced, plural=True), "[name]",
                           spread=_spread_form(given + family, unspaced)),
                  _Mention(_pattern(family + given, unspaced=unspaced, plural=True), "[name]",
                           spread=_spread_form(family + given, unspaced))]
    for name, alias in ((who.given_name, False), (who.family_name, False), *((a, True) for a in who.aliases)):
        mention = _name_mention(name, alias=alias)
        if mention is not None:
            found.append(mention)
    return found + _address_mentions(who.address, who.postcode)


def _written_as_name(text: str, at: int) -> bool:
    """Whether the word at `at` in `text` is written as a name: a capital initial, and not the first word of
    the text or of a sentence (where every word has one). A script without case gives no such sign: it counts."""
    first = text[at]
    if first.lower() == first.upper():
        return True
    if not first.isupper():
        return False
    i = at - 1
    while i >= 0 and (text[i].isspace() or unicodedata.category(text[i]) in ("Cf", "Ps", "Pi", "Pf") or text[i] in "\"'"):
        if text[i] in "\n\r\u2028\u2029":
            return False  # a new line starts a new sentence
        i -= 1
    if i < 0:
        return False
    if text[i] not in _SENTENCE_END:
        return True
    word_start = i
    while word_start > 0 and text[word_start - 1].isalpha():
        word_start -= 1
    return fold(text[word_start:i]) in _TITLES  # "Mr. Green": a title's full stop ends no sentence


def _is_birthday(born: date, year: str, month: int, day: int) -> bool:
    """Whether day, month and a year of 4 digits (or 2, as in 29/11/06) are the date of birth."""
    if (month, day) != (born.month, born.day) or len(year) not in (2, 4):
        return False
    return int(year) == (born.year if len(year) == 4 else born.year % 100)


def _date_spans(folded: str, born: date) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for m in _NUMERIC_DATE.finditer(folded):
        a, b, c = m.groups()
        if len(a) == 4:
            hit = len(c) <= 2 and _is_birthday(born, a, int(b), int(c))
        else:  # day first as in the UK; month first too, since either reading names the birthday
            hit = _is_birthday(born, c, int(b), int(a)) or _is_birthday(born, c, int(a), int(b))
        if hit:
            spans.append(m.span())
    for m in _COMPACT_DATE.finditer(folded):
        digits = m.group(1)
        if _is_birthday(born, digits[4:], int(digits[2:4]), int(digits[:2])) or \
                _is_birthday(born, digits[:4], int(digits[4:6]), int(digits[6:])):
            spans.append(m.span())
    for m in _DAY_MONTH_YEAR.finditer(folded):
        if _is_birthday(born, m.group(3), _MONTHS[m.group(2)], int(m.group(1))):
            spans.append(m.span())
    for m in _MONTH_DAY_YEAR.finditer(folded):
        if _is_birthday(born, m.group(3), _MONTHS[m.group(1)], int(m.group(2))):
            spans.append(m.span())
    for m in _YEAR_MONTH_DAY.finditer(folded):
        if _is_birthday(born, m.group(1), _MONTHS[m.group(2)], int(m.group(3))):
            spans.append(m.span())
    for m in _YEAR_DAY_MONTH.finditer(folded):
        if _is_birthday(born, m.group(1), _MONTHS[m.group(3)], int(m.group(2))):
            spans.append(m.span())
    return spans


def _a_date(folded: str, start: int, end: int) -> bool:
    """Whether the word at folded[start:end] is a month used as a date: next to a day or a year ("6 May", "6th of
    May", "May the 6th", "April 2026") or after a word that introduces a month ("in April", "end of May")."""
    if folded[start:end] not in _MONTHS:
        return False
    before, after = folded[:start].split()[-2:], folded[end:].split()[:2]
    if after and (after[0][0].isdigit() or (after[0] == "the" and len(after) == 2 and after[1][0].isdigit())):
        return True
    if not before:
        return False
    if before[-1][0].isdigit() or before[-1] in _BEFORE_MONTH:
        return True
    return before[-1] == "of" and len(before) == 2 and (before[0][0].isdigit() or before[0] in _BEFORE_OF_MONTH)


def _spread_spans(text: str, folded: str, origin: list[int], name: str) -> list[tuple[int, int]]:
    """Where `name` (letters run together) is spelt across several words of `folded`: "Clover-cliff",
    "C l o v e r c l i f f", "Q.u.i.l.l.b.r.o.o.k", with an s or es after it. It must start and end on word
    boundaries, and its pieces must be joined by punctuation alone (a hyphen, a dot) or all be of one or two
    letters: words that happen to spell a name ("the white house" for Whitehouse, "a man I" for Amani, "and/or" for
    Andor) are ordinary words, each separated by a space or a slash, and are left alone."""
    tokens = [(t.start(), t.end()) for t in re.finditer(r"\S+", folded)]
    if len(tokens) < 2:
        return []
    joined = "".join(folded[a:b] for a, b in tokens)
    offsets = list(accumulate((b - a for a, b in tokens[:-1]), initial=0))  # where each word starts in `joined`
    ends = {offset + b - a: k for k, (offset, (a, b)) in enumerate(zip(offsets, tokens, strict=True))}
    found: list[tuple[int, int]] = []
    for first, offset in enumerate(offsets):
        if not joined.startswith(name, offset):
            continue
        for suffix in ("es", "s", ""):
            last = ends.get(offset + len(name) + len(suffix))
            if last is None or last == first or not joined.startswith(suffix, offset + len(name)):
                continue
            pieces = [tokens[first][1] - tokens[first][0]]
            for (_, end), (start, stop) in zip(tokens[first:last], tokens[first + 1:last + 1], strict=True):
                if any(ch.isspace() or ch == "/" for ch in text[origin[end - 1] + 1:origin[start]]):
                    pieces.append(0)
                pieces[-1] += stop - start
            if len(pieces) == 1 or max(pieces) <= 2:
                found.append((tokens[first][0], tokens[last][1]))
                break
    return found


def _spans(text: str, who: Identity) -> list[tuple[int, int, str]]:
    """Where `text` mentions `who`: (start, end, what) in `text`'s own indices, longest first at each start."""
    folded, origin = _folded(text)
    found: list[tuple[int, int, str]] = []

    def add(start: int, end: int, what: str) -> None:
        if end > start:
            found.append((origin[start], origin[end - 1] + 1, what))

    # Earlier versions mostly repeat the current names: each pattern is run once, on each reading of look-alikes
    # (the two readings differ only letter for letter, so they share `origin`).
    mentions = {(m.pattern.pattern, m.what, m.as_written, m.spread): m for m in _mentions(who)}.values()
    for reading in dict.fromkeys((folded, _folded(text, _SKELETON_ALT)[0])):
        for mention in mentions:
            for m in mention.pattern.finditer(reading):
                if not mention.as_written or (_written_as_name(text, origin[m.start()]) and not _a_date(reading, *m.span())):
                    add(*m.span(), mention.what)
            for start, end in _spread_spans(text, reading, origin, mention.spread) if mention.spread else ():
                if not mention.as_written or _written_as_name(text, origin[start]):
                    add(start, end, mention.what)
    for born in dict.fromkeys(i.date_of_birth for i in (who, *who.earlier)):
        for start, end in _date_spans(folded, born):
            add(start, end, "[date of birth]")
    return sorted(found, key=lambda span: (span[0], -span[1]))


def names_person(text: str, who: Identity) -> bool:
    return bool(_spans(text, who))


def scrub(text: str, who: Identity) -> str:
    """`text` with every mention of `who` (names, aliases, date of birth, address, postcode) replaced by what
    it was ("[name]", "[date of birth]", "[address]", "[postcode]")."""
    out, at = [], 0
    for start, end, what in _spans(text, who):
        if start < at:
            at = max(at, end)  # overlaps the mention just replaced: the one replacement covers both
            continue
        out += [text[at:start], what]
        at = end
    return "".join(out) + text[at:]


def names_in(j: Justification, who: Identity) -> bool:
    # The operation reference is logged beside the words, so it must not name the person either.
    return names_person(j.text, who) or names_person(j.operation_ref or "", who)


class JustifiedFields(TypedDict):
    """The log fields of a justified read (keyword arguments of Operation.log)."""

    record_ref: str
    reason_category: str
    justification: str
    operation_ref: str | None


def _fields(ref: str, j: Justification) -> JustifiedFields:
    return {"record_ref": ref, "reason_category": j.category.value, "justification": j.text,
            "operation_ref": j.operation_ref}


def check_justification(op: Operation, action: Action, target: Target, j: Justification) -> JustifiedFields:
    """Refuse a justification that names the person it opens; the refusal is logged (under `action`), its text is not.
    Returns the log fields of the justified read, checked (the person's identity is built once per read)."""
    if names_in(j, identity_of(op.store, target.id)):
        raise op.refuse(NamesThePerson(), action=action, record_ref=target.ref)
    return _fields(target.ref, j)


def justified(store: Unit, ref: str, j: Justification) -> JustifiedFields:
    """The log fields of a justified read checked in another transaction than the one that logs it (the
    subject access pack checks before it builds): checked again here, so a name never reaches the log."""
    found = store.nominals.by_ref(ref)
    if found is not None and names_in(j, identity_of(store, found.id)):
        raise NamesThePerson()
    return _fields(ref, j)


def _reference(ref: object) -> str | None:
    return ref.strip().upper()[:40] if isinstance(ref, str) else None


class RecordService:
    def __init__(self, policy: ScoringPolicy | None = None) -> None:
        self.policy = policy or default_policy()

    def last_justification(self, ws: Workspace, ref: str) -> Justification | None:
        """What this user said last time for this record, to prefill the prompt (never to skip it)."""
        # Authorized like an open: not after training lapsed or access was revoked.
        with ws.operation(Permission.RECORD_OPEN, Action.RECORD_OPEN, writes=False) as op:
            found = op.store.log.last_justification(op.session.user_id, ref.strip().upper())
        if found is None:
            return None
        category, text, operation_ref = found
        return Justification(ReasonCategory(category), text, operation_ref)

    def open(self, ws: Workspace, ref: str, justification: Justification) -> NominalRecord:
        """A person's full record. Nothing is read before the justification is in hand, and the
        log entry commits with the read: no entry, no record."""
        # An auditor's session attaches the person's BCU compartment for this open (person=).
        with ws.operation(Permission.RECORD_OPEN, Action.RECORD_OPEN, person=_reference(ref)) as op:
            target = resolve(op, ref, Action.RECORD_OPEN)
            op.log(**check_justification(op, Action.RECORD_OPEN, target, justification))
            return self.read(op.store, target, op.env.clock.now().date())

    def read(self, store: Unit, target: Target, today: date) -> NominalRecord:
        """The full record, rescored as of today, inside the caller's logged operation."""
        records = store.records
        data = records.fields(target.id)
        card = score(records.scoring_events(target.id), today, self.policy)
        if data["scored_on"] != today.isoformat() or data["score_policy"] != self.policy.version:
            records.store_score(target.id, card)  # scores move with time: keep the list honest
        return NominalRecord(
            id=target.id, ref=target.ref, given_name=data["given_name"], family_name=data["family_name"],
            aliases=records.aliases(target.id), date_of_birth=date.fromisoformat(data["date_of_birth"]),
            age=age_on(date.fromisoformat(data["date_of_birth"]), today), gender=data["gender"],
            ethnicity=data["ethnicity"], observed_ethnicity=data["observed_ethnicity"],
            disability=data["disability"], address=data["address"], postcode=data["postcode"],
            borough=data["borough"], bcu=data["bcu"], gangs=tuple(g for g in data["gangs"].split("\n") if g),
            status=data["status"], date_added=data["date_added"], last_reviewed=data["last_reviewed"],
            in_custody=bool(data["in_custody"]), custody_from=data["custody_from"],
            custody_to=data["custody_to"], version=data["version"], harm_score=card.harm,
            victim_score=card.victim, harm_band=card.harm_band.value, victim_band=card.victim_band.value,
            classification=card.classification.value, policy_version=card.policy_version,
            score_lines=tuple(ScoreLine(c.kind, c.on, c.side, c.points) for c in card.contributions),
            evidence=tuple(records.evidence(target.id)),
            interventions=tuple(records.interventions(target.id)),
            activity=tuple(records.activity(target.id)),
            pending=records.pending_kinds(target.id),
        )

    def history(self, ws: Workspace, ref: str, justification: Justification) -> list[VersionRecord]:
        """Earlier versions of a record: SPOCs and auditors only, justified like an open."""
        with ws.operation(Permission.RECORD_HISTORY, Action.RECORD_HISTORY, person=_reference(ref)) as op:
            target = resolve(op, ref, Action.RECORD_HISTORY)
            op.log(**check_justification(op, Action.RECORD_HISTORY, target, justification))
            return op.store.records.versions(target.id)
