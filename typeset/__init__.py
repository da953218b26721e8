"""Text for every screen and the printer: fonts per script, runs, bidi order, wrapping.

Kivy has no font fallback and the Noto script fonts carry no Latin letters, so a
line such as "تذكرتك A023" is split into runs, each drawn with a font that has its
glyphs, ordered for display by the Unicode bidi algorithm and shaped by raqm
(through Pillow).  Only :mod:`typeset.kivy` imports Kivy; the printer uses
:mod:`typeset.pillow`.  Which text to show in which language is
:mod:`typeset.i18n` (one fallback order for site texts, gettext catalogs).
"""
