"""Kivy side of typeset: markup per run, and ScriptLabel.

The only module of typeset that imports Kivy.  ScriptLabel draws its texture
with typeset.pillow (runs on one baseline, wrapped by real glyph widths,
start-aligned), because Kivy's markup layout places fonts of different
ascent on different baselines and reorders nothing.  markup_for is for plain
Labels that show one short line.
"""

from __future__ import annotations

from kivy.graphics.texture import Texture
from kivy.properties import AliasProperty, BooleanProperty, NumericProperty, StringProperty
from kivy.uix.label import Label
from kivy.utils import escape_markup

from typeset import _fribidi
from typeset.bidi_lines import paragraphs, visual_runs
from typeset.fit import fit_text
from typeset.pillow import render_lines
from typeset.scripts import RTL_SCRIPTS, is_rtl_language, script_of, split_runs


def markup_for(line: str, base_rtl: bool | None = None, bold: bool = False) -> str:
    """Kivy markup drawing `line` with a [font=...] per run, runs in display order.

    Give it to a Label with markup=True and no text_size width (Kivy would
    re-wrap the runs left to right).  Several lines are allowed (each is
    ordered on its own, see typeset.bidi_lines.paragraphs).
    """
    return "\n".join(_line_markup(part, rtl, bold) for part, rtl in paragraphs(line, base_rtl))


def _line_markup(line: str, rtl: bool, bold: bool) -> str:
    parts = []
    for run in visual_runs(line, rtl, bold):
        text = run.text
        if run.rtl and not any(script_of(c) in RTL_SCRIPTS for c in text):
            # Kivy's Pillow provider lets raqm guess the direction from the run's
            # first strong letter; a run of only spaces/punctuation would be drawn
            # left to right, so hand it over already in display order.
            text = "".join(_fribidi.mirrored(c) for c in reversed(text))
        parts.append(f"[font={run.font}]{escape_markup(text)}[/font]")
    return "".join(parts)


def image_texture(image) -> Texture:
    """A Kivy texture of a Pillow RGBA image (e.g. from render_text), right way up."""
    if image.mode != "RGBA":
        image = image.convert("RGBA")
    texture = Texture.create(size=image.size, colorfmt="rgba")
    texture.blit_buffer(image.tobytes(), colorfmt="rgba", bufferfmt="ubyte")
    texture.flip_vertical()
    return texture


class ScriptLabel(Label):
    """A Label for text in any script: set `source_text` (reading order) and `language`.

    It wraps to its width (less padding) and aligns each line to its start,
    the right edge for right-to-left languages (halign "auto"; "center",
    "left" and "right" also work).  `text` mirrors `source_text` so finders and
    screen readers see the words; setting `text` itself draws nothing.  Size it
    with ``height: self.texture_size[1]``; text_size, valign and shorten are
    not used.  An unknown language code or a character no installed font has
    is refused when set (ValueError), leaving the label as it was.

    Text that does not fit is fitted by ``typeset.fit.fit_text``: drawn smaller
    down to ``min_font_size`` (0: never smaller than ``font_size``), wrapped
    between words within ``max_lines`` lines and ``fit_height`` pixels (0: any),
    words too wide hyphenated where the language has rules, and at last
    abbreviated with "…"; ``shrink_first`` keeps a name on one line by drawing
    it smaller before wrapping it.  A word is never broken without a hyphen.
    What was drawn: ``fitted_font_size``, ``drawn_lines``, ``ellipsized``.
    ``role`` says what the text is for (layout checks read it).
    """

    #: smallest size the text may be drawn at to fit (0: font_size)
    min_font_size = NumericProperty(0)
    #: most lines (0: any)
    max_lines = NumericProperty(0)
    #: most height in pixels, padding included (0: any)
    fit_height = NumericProperty(0)
    #: keep each paragraph on one line by shrinking before wrapping
    shrink_first = BooleanProperty(False)
    #: what the text is for ("label", "code"...): minimum sizes are per role
    role = StringProperty("")
    #: the size the text was last drawn at
    fitted_font_size = NumericProperty(0)
    #: the lines last drawn, in reading order (hyphens and "…" as drawn)
    drawn_lines: tuple[str, ...] = ()
    #: whether the last drawing left text out
    ellipsized = False

    _source_text = ""
    _language = ""

    def _get_source_text(self) -> str:
        return self._source_text

    def _set_source_text(self, value: str) -> bool:
        if not isinstance(value, str):
            raise TypeError(f"source_text must be a str, got {type(value).__name__}")
        split_runs(value, self.bold)  # UnsupportedTextError now, not later inside a frame
        self._source_text = value
        return True

    def _get_language(self) -> str:
        return self._language

    def _set_language(self, value: str) -> bool:
        if value:
            is_rtl_language(value)  # ValueError for a code nobody knows, before anything changes
        self._language = value or ""
        return True

    #: the text in reading (logical) order; a character no installed font has is refused
    source_text = AliasProperty(_get_source_text, _set_source_text)
    #: language code ("ar", "pt", "hi"...): sets the base direction and letter forms; "" = from the text
    language = AliasProperty(_get_language, _set_language)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        for name in ("source_text", "language", "bold", "font_size", "color", "disabled_color",
                     "disabled", "halign", "padding", "width", "min_font_size", "max_lines", "fit_height",
                     "shrink_first"):
            self.fbind(name, self._trigger_texture)
        self.fbind("source_text", self._mirror_text)
        self._mirror_text()

    def _mirror_text(self, *_):
        self.text = self.source_text

    def base_rtl(self) -> bool | None:
        """The direction the language sets; None lets each paragraph take its own."""
        return is_rtl_language(self.language) if self.language else None

    def texture_update(self, *_largs):
        pad_left, pad_top, pad_right, pad_bottom = _padding(self.padding)
        inner = int(self.width - pad_left - pad_right)
        text = self.source_text
        if not text.strip() or inner < 1 or self.font_size < 1:
            self.texture = None
            self.texture_size = (0, 0)
            self.drawn_lines, self.ellipsized = (), False
            return
        colour = self.disabled_color if self.disabled else self.color
        fitted = self.fit(inner, pad_top + pad_bottom)
        image = render_lines(
            fitted.lines, fitted.size, max_width_px=inner, bold=self.bold,
            align=_ALIGN.get(self.halign, "start"),
            fill=tuple(int(round(c * 255)) for c in colour), background=None,
            language=self.language or None, metrics_of=text)
        self.fitted_font_size = fitted.size
        self.drawn_lines, self.ellipsized = fitted.texts, fitted.ellipsized
        if pad_left or pad_top or pad_right or pad_bottom:
            from PIL import Image
            padded = Image.new("RGBA", (image.width + pad_left + pad_right, image.height + pad_top + pad_bottom),
                               (*image.getpixel((0, 0))[:3], 0))
            padded.paste(image, (pad_left, pad_top))
            image = padded
        texture = image_texture(image)
        self.texture = texture
        self.texture_size = list(texture.size)


    def fit(self, inner_width: int, vertical_padding: int = 0):
        """How the text fits ``inner_width`` now (``typeset.fit.Fitted``), from the fitting properties."""
        height = max(0.0, self.fit_height - vertical_padding) if self.fit_height else 0
        return fit_text(self.source_text, int(round(self.font_size)), inner_width,
                        min_px=self.min_font_size or 0, max_lines=int(self.max_lines), max_height=height,
                        bold=bool(self.bold), language=self.language or None, base_rtl=self.base_rtl(),
                        shrink_first=bool(self.shrink_first))


#: Label.halign -> render_text align ("auto" and "justify" start each line at its start edge)
_ALIGN = {"center": "center", "left": "left", "right": "right"}


def _padding(padding) -> tuple[int, int, int, int]:
    values = [int(round(p)) for p in padding]
    if len(values) == 1:
        values *= 4
    elif len(values) == 2:
        values = [values[0], values[1], values[0], values[1]]
    return tuple(values)  # left, top, right, bottom
