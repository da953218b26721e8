"""What the phone page says, in the ten languages of the kiosk (pure: no network).

The people ahead and the wait are worded by the kiosk's own catalogs (``kiosk.views``:
the same plural forms and the same "About 20–35 minutes" / "Up to 9 minutes" as the screen
and the paper), so the phone never says it differently; the page's own sentences are the
small catalog ``PAGE`` below.  The server words every message (``render``), so the page's
script needs no plural rules and stays small.
"""

from __future__ import annotations

from typing import Mapping

from kiosk.i18n import KIOSK_LANGUAGES, language_name
from kiosk.views import wait_text, waiting_lines
from typeset.i18n import pick
from typeset.scripts import is_rtl_language

LANGUAGES = KIOSK_LANGUAGES
DEFAULT = "pt"

#: the page's own sentences: title, keep open, sound, the alert, the call, nothing to show, offline
PAGE: dict[str, dict[str, str]] = {
    "en": {"title": "Your ticket", "keep_open": "Keep this page open with the screen on: it tells you when it is "
           "your turn.", "sound": "Tap here to turn the sound on", "sound_on": "Sound is on",
           "alert": "Your turn is near. Please go back to the waiting room now.",
           "call": "Your turn: counter %(n)d", "none": "There is no ticket to show here. A ticket shows here while "
           "it waits or is called. A ticket printed while the kiosk was offline will appear when it reconnects.",
           "offline": "Connection lost. Trying again…", "busy": "Too many tries. Please wait a minute.",
           "hub_down": "The centre's queue system is not answering right now. Your place is kept; this page updates when it is back."},
    "pt": {"title": "A sua senha", "keep_open": "Mantenha esta página aberta com o ecrã ligado: ela avisa quando "
           "for a sua vez.", "sound": "Toque aqui para ligar o som", "sound_on": "Som ligado",
           "alert": "A sua vez está próxima. Volte agora para a sala de espera.",
           "call": "É a sua vez: balcão %(n)d", "none": "Não há nenhuma senha para mostrar aqui. Uma senha aparece "
           "aqui enquanto espera ou é chamada. Uma senha impressa com o quiosque desligado aparece quando ele "
           "voltar a ligar.", "offline": "Ligação perdida. A tentar de novo…",
           "busy": "Demasiadas tentativas. Aguarde um minuto.",
           "hub_down": "O sistema de senhas do centro não está a responder. O seu lugar está guardado; esta página atualiza quando voltar."},
    "fr": {"title": "Votre ticket", "keep_open": "Gardez cette page ouverte, écran allumé : elle vous prévient "
           "quand c'est votre tour.", "sound": "Touchez ici pour activer le son", "sound_on": "Son activé",
           "alert": "Votre tour approche. Revenez maintenant dans la salle d'attente.",
           "call": "C'est votre tour : guichet %(n)d", "none": "Aucun ticket à afficher ici. Un ticket s'affiche "
           "ici tant qu'il attend ou qu'il est appelé. Un ticket imprimé quand la borne était hors ligne "
           "apparaîtra à sa reconnexion.", "offline": "Connexion perdue. Nouvel essai…",
           "busy": "Trop d'essais. Attendez une minute.",
           "hub_down": "Le système de file d'attente du centre ne répond pas. Votre place est gardée ; cette page se met à jour à son retour."},
    "es": {"title": "Su número", "keep_open": "Mantenga esta página abierta con la pantalla encendida: le avisa "
           "cuando sea su turno.", "sound": "Toque aquí para activar el sonido", "sound_on": "Sonido activado",
           "alert": "Su turno está cerca. Vuelva ahora a la sala de espera.",
           "call": "Es su turno: mostrador %(n)d", "none": "No hay ningún número que mostrar aquí. Un número se "
           "muestra aquí mientras espera o es llamado. Un número impreso sin conexión del quiosco aparecerá "
           "cuando se reconecte.", "offline": "Conexión perdida. Reintentando…",
           "busy": "Demasiados intentos. Espere un minuto.",
           "hub_down": "El sistema de turnos del centro no responde ahora. Su lugar se mantiene; esta página se actualizará cuando vuelva."},
    "uk": {"title": "Ваш талон", "keep_open": "Тримайте цю сторінку відкритою з увімкненим екраном: вона "
           "повідомить, коли настане ваша черга.", "sound": "Торкніться тут, щоб увімкнути звук",
           "sound_on": "Звук увімкнено", "alert": "Ваша черга близько. Поверніться зараз до зали очікування.",
           "call": "Ваша черга: віконце %(n)d", "none": "Тут немає талона для показу. Талон видно тут, поки він "
           "чекає або його викликано. Талон, надрукований без зв'язку кіоску, з'явиться, коли зв'язок "
           "відновиться.", "offline": "Зв'язок втрачено. Пробуємо знову…",
           "busy": "Забагато спроб. Зачекайте хвилину.",
           "hub_down": "Система черги центру зараз не відповідає. Ваше місце збережено; сторінка оновиться, коли вона запрацює."},
    "ru": {"title": "Ваш талон", "keep_open": "Держите эту страницу открытой с включённым экраном: она сообщит, "
           "когда подойдёт ваша очередь.", "sound": "Нажмите здесь, чтобы включить звук",
           "sound_on": "Звук включён", "alert": "Ваша очередь близко. Вернитесь сейчас в зал ожидания.",
           "call": "Ваша очередь: окно %(n)d", "none": "Здесь нет талона для показа. Талон виден здесь, пока он "
           "ждёт или вызван. Талон, напечатанный без связи киоска, появится, когда связь восстановится.",
           "offline": "Связь потеряна. Пробуем снова…", "busy": "Слишком много попыток. Подождите минуту.",
           "hub_down": "Система очереди центра сейчас не отвечает. Ваше место сохранено; страница обновится, когда она заработает."},
    "ar": {"title": "تذكرتك", "keep_open": "أبقِ هذه الصفحة مفتوحة والشاشة مضاءة: ستخبرك عندما يحين دورك.",
           "sound": "المس هنا لتشغيل الصوت", "sound_on": "الصوت يعمل",
           "alert": "اقترب دورك. يرجى العودة إلى قاعة الانتظار الآن.",
           "call": "حان دورك: الشباك %(n)d", "none": "لا توجد تذكرة لعرضها هنا. تظهر التذكرة هنا ما دامت تنتظر أو "
           "تُنادى. التذكرة المطبوعة والجهاز غير متصل ستظهر عند عودة الاتصال.",
           "offline": "انقطع الاتصال. جارٍ المحاولة مجددًا…", "busy": "محاولات كثيرة. يرجى الانتظار دقيقة.",
           "hub_down": "نظام الدور في المركز لا يستجيب الآن. مكانك محفوظ؛ ستتحدث هذه الصفحة عند عودته."},
    "hi": {"title": "आपका टिकट", "keep_open": "यह पेज खुला और स्क्रीन चालू रखें: आपकी बारी आने पर यह बताएगा।",
           "sound": "आवाज़ चालू करने के लिए यहाँ छुएँ", "sound_on": "आवाज़ चालू है",
           "alert": "आपकी बारी पास है। कृपया अभी प्रतीक्षा कक्ष में लौटें।",
           "call": "आपकी बारी: काउंटर %(n)d", "none": "यहाँ दिखाने के लिए कोई टिकट नहीं है। टिकट यहाँ तब तक दिखता है "
           "जब तक वह प्रतीक्षा में है या बुलाया गया है। कियोस्क के ऑफ़लाइन रहते छपा टिकट दोबारा जुड़ने पर दिखेगा।",
           "offline": "कनेक्शन टूट गया। फिर से कोशिश हो रही है…", "busy": "बहुत अधिक प्रयास। कृपया एक मिनट रुकें।",
           "hub_down": "केंद्र की कतार प्रणाली अभी जवाब नहीं दे रही है। आपकी जगह सुरक्षित है; इसके लौटने पर यह पेज अपडेट होगा।"},
    "ne": {"title": "तपाईंको टिकट", "keep_open": "यो पेज खुला र स्क्रिन बलेको राख्नुहोस्: तपाईंको पालो आएपछि यसले "
           "भन्छ।", "sound": "आवाज खोल्न यहाँ छुनुहोस्", "sound_on": "आवाज खुला छ",
           "alert": "तपाईंको पालो नजिक छ। कृपया अहिले प्रतीक्षा कक्षमा फर्कनुहोस्।",
           "call": "तपाईंको पालो: काउन्टर %(n)d", "none": "यहाँ देखाउन कुनै टिकट छैन। टिकट पर्खिरहेको वा बोलाइएको "
           "बेला यहाँ देखिन्छ। किओस्क अफलाइन हुँदा छापिएको टिकट फेरि जोडिएपछि देखिनेछ।",
           "offline": "जडान टुट्यो। फेरि प्रयास गर्दै…", "busy": "धेरै प्रयास भयो। कृपया एक मिनेट पर्खनुहोस्।",
           "hub_down": "केन्द्रको लाइन प्रणालीले अहिले जवाफ दिइरहेको छैन। तपाईंको ठाउँ सुरक्षित छ; यो फर्केपछि पेज अद्यावधिक हुन्छ।"},
    "bn": {"title": "আপনার টিকিট", "keep_open": "এই পাতাটি খোলা ও স্ক্রিন চালু রাখুন: আপনার পালা এলে এটি জানাবে।",
           "sound": "শব্দ চালু করতে এখানে ছুঁয়ে দিন", "sound_on": "শব্দ চালু আছে",
           "alert": "আপনার পালা কাছে। অনুগ্রহ করে এখনই অপেক্ষা কক্ষে ফিরে আসুন।",
           "call": "আপনার পালা: কাউন্টার %(n)d", "none": "এখানে দেখানোর মতো কোনো টিকিট নেই। টিকিট অপেক্ষায় থাকলে বা "
           "ডাকা হলে এখানে দেখা যায়। কিয়স্ক অফলাইন থাকার সময় ছাপা টিকিট আবার সংযোগ হলে দেখা যাবে।",
           "offline": "সংযোগ বিচ্ছিন্ন। আবার চেষ্টা করা হচ্ছে…", "busy": "অনেক বেশি চেষ্টা। অনুগ্রহ করে এক মিনিট অপেক্ষা করুন।",
           "hub_down": "কেন্দ্রের সারি ব্যবস্থা এখন সাড়া দিচ্ছে না। আপনার জায়গা রাখা আছে; এটি ফিরলে এই পাতা হালনাগাদ হবে।"},
}


def language_of(asked: str | None, ticket_language: str | None, accept: str | None = None) -> str:
    """The page's language: the one the visitor chose on the page, else the ticket's (chosen at
    the kiosk), else the browser's first of ours (``Accept-Language``), else Portuguese."""
    for candidate in (asked, ticket_language):
        if candidate in LANGUAGES:
            return candidate
    for part in (accept or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT


def page_texts(lang: str) -> dict:
    """The page's fixed sentences in ``lang`` and its direction (the alert and the call are worded by ``render``)."""
    fixed = {k: v for k, v in PAGE[lang].items() if k not in ("alert", "call", "hub_down")}
    return {**fixed, "lang": lang, "dir": "rtl" if is_rtl_language(lang) else "ltr"}


def render(view: Mapping, lang: str, hub_online: bool = True) -> dict:
    """The view (``guest.board.Board.view``) worded for the page in ``lang``; while the hub is away
    (its ``presence/hub``) the page says so under the last known position."""
    out = {"state": view["state"], **page_texts(lang), "hub_down": "" if hub_online else PAGE[lang]["hub_down"]}
    if view["state"] == "none":
        return out
    out |= {"code": view["code"], "service": pick(view["names"], lang, DEFAULT) or view["service"]}
    if view["state"] == "called":
        out["banner"] = PAGE[lang]["call"] % {"n": view["counter_number"]}
        out["recalls"] = view["recalls"]
        return out
    ticket = {"people_ahead": view["ahead"], "estimated_wait_low_min": view["low_min"],
              "estimated_wait_high_min": view["high_min"], "estimated_wait_min": view["wait_min"]}
    people = waiting_lines(ticket, {}, lang, DEFAULT)[0]
    # the wait even with no one ahead (the kiosk leaves it out there): the counters may all be busy
    return out | {"ahead": people, "wait": wait_text(ticket, lang), "alert": PAGE[lang]["alert"] if view["alert"] else ""}


def language_menu() -> list[tuple[str, str]]:
    """(code, name in itself) of every language, for the page's switch."""
    return [(code, language_name(code)) for code in LANGUAGES]
