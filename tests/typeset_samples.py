"""Sample text in the kiosk's test languages: a ticket line with a Latin code and a
counter number in it, and a longer sentence that has to wrap.  Shared by the
typeset tests and anyone who wants to show mixed scripts on a screen."""

#: language -> (ticket line, sentence)
SAMPLES: dict[str, tuple[str, str]] = {
    "pt": ("A sua senha A023 — balcão 5",
           "Aguarde até o seu número A023 aparecer no ecrã e dirija-se ao balcão 5."),
    "en": ("Your ticket A023 — counter 5",
           "Please wait until your number A023 appears on the screen, then go to counter 5."),
    "uk": ("Ваш талон A023 — вікно 5",
           "Зачекайте, доки ваш номер A023 з’явиться на екрані, потім підійдіть до вікна 5."),
    "ar": ("تذكرتك A023 — الشباك 5",
           "يرجى الانتظار حتى يظهر رقمك A023 على الشاشة، ثم التوجه إلى الشباك 5."),
    "hi": ("आपका टिकट A023 — काउंटर 5",
           "कृपया प्रतीक्षा करें जब तक आपका नंबर A023 स्क्रीन पर न दिखे, फिर काउंटर 5 पर जाएँ।"),
    "ne": ("तपाईंको टिकट A023 — काउन्टर 5",
           "कृपया पर्खनुहोस्, तपाईंको नम्बर A023 स्क्रिनमा देखिएपछि काउन्टर 5 मा जानुहोस्।"),
    "bn": ("আপনার টিকিট A023 — কাউন্টার 5",
           "অনুগ্রহ করে অপেক্ষা করুন, পর্দায় আপনার নম্বর A023 দেখা গেলে কাউন্টার 5-এ যান।"),
}

#: the font family each language's own words need
FAMILY = {"pt": "NotoSans", "en": "NotoSans", "uk": "NotoSans", "ar": "NotoSansArabic",
          "hi": "NotoSansDevanagari", "ne": "NotoSansDevanagari", "bn": "NotoSansBengali"}
