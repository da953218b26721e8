"""Does every text fit?  A check of a laid-out Kivy widget tree, run inside a Kivy process.

``check_layout(window, minimum)`` walks every widget a person can see (not
hidden, not on a screen that is not showing) after layout and reports, as
``Problem``s:

* ``overlap``: the ink of a text overlaps the ink of another text, or a
  pictogram or shape (the display's chevrons and arrow, the kiosk's icons);
  text in a ``ScrollView`` counts only where the view lets it through (it
  draws its content through a stencil of its box), and an open
  ``ModalView`` (the kiosk's language picker) covers everything under it;
* ``outside``: the ink of a text reaches outside its own widget, one of its
  ancestors (a card, a panel, the screen) or the window; text under a
  ``ScrollView`` is only held to the view's sides (it scrolls up and down);
* ``clipped``: a Kivy Label whose lines do not all fit the box it was given
  (Kivy drops them without a word);
* ``broken_word``: a line ends inside a word without a hyphen (a
  ScriptLabel's drawn lines, or a Kivy Label's own wrapping);
* ``too_small``: text drawn smaller than ``minimum(widget, role)`` pixels,
  where ``role`` is the ``role`` of the widget or its nearest ancestor
  that has one (the wall display: reading distance; the kiosk: touch).

Boxes are the ink, read back from each label's texture (its alpha channel),
where the label draws it (Kivy centres a label's texture in the widget), in
window coordinates.  Kivy is imported only inside the functions: the module
is also imported by the tests' parent process for ``Problem``.

    from layout_check import check_layout
    problems = check_layout(Window, lambda widget, role: 20 * scale)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Callable, Iterable

#: pixels two inks may share (antialiased edges) before it counts
TOLERANCE_PX = 1.0
#: classes drawn as pictures or shapes that text must not cover (by name: both UIs' own widgets)
SHAPES = ("Icon", "Chevrons", "Arrow")
HYPHENS = ("-", "\u2010", "\u00ad")
ELLIPSIS = "\u2026"


@dataclass(frozen=True)
class Problem:
    kind: str
    where: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.where}: {self.detail}"

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Item:
    widget: object
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 (window, y up)
    text: str
    shape: bool = False


Minimum = Callable[[object, str], "float | None"]


# ----------------------------------------------------------------------------- text on its own


def broken_words(source: str, lines: Iterable[str]) -> list[str]:
    """The line ends that fall inside a word of ``source`` without a hyphen.

    ``lines`` are the drawn lines in reading order; a line may end with a
    hyphen the wrapping added (not in ``source``) or with an ellipsis (the
    rest was left out).  Spaces at a break are dropped by every wrapper."""
    lines = [line for line in lines]
    found, pos = [], 0
    for index, line in enumerate(lines[:-1]):
        body = line.rstrip()
        if not body:
            continue
        if body.endswith(ELLIPSIS):
            break  # the rest is left out, on purpose
        start = source.find(body, pos)
        added_hyphen = False
        if start < 0 and body.endswith(HYPHENS):
            body, added_hyphen = body[:-1], True
            start = source.find(body, pos)
        if start < 0:
            found.append(f"line {index + 1} {line!r} is not in the text")
            break
        end = start + len(body)
        following = source[end:end + 1]
        if following and following not in (" ", "\n") and not added_hyphen and not body.endswith(HYPHENS + ("/",)):
            found.append(f"{body!r} / {lines[index + 1]!r}")
        pos = end
    return found


def describe(widget) -> str:
    name = type(widget).__name__
    text = (getattr(widget, "source_text", None) or getattr(widget, "text", "") or "").replace("\n", " ")
    ident = ""
    parent = getattr(widget, "parent", None)
    for node in (widget, parent):
        ids = getattr(getattr(node, "parent", None), "ids", None) or {}
        for key, value in ids.items():
            if value is node:
                ident = f"#{key}"
                break
        if ident:
            break
    return f"{name}{ident} {text[:48]!r}"


# ----------------------------------------------------------------------------- the tree


def _visible(widget) -> bool:
    from kivy_harness import _on_screen
    return _on_screen(widget) and widget.opacity > 0.01 and widget.width > 0 and widget.height > 0


def _box(widget) -> tuple[float, float, float, float]:
    x0, y0 = widget.to_window(widget.x, widget.y)
    x1, y1 = widget.to_window(widget.right, widget.top)
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


#: id(texture) -> (texture, ink) of ScriptLabels, which draw every text into a new texture (a Kivy
#: Label blits a new text into the same one): the kiosk shares one texture per label look
#: (kiosk.widgets.TEXTURES), so a matrix reads each of them once
_INKS: dict[int, tuple[object, object]] = {}


def _ink(texture, fresh: bool = False) -> tuple[int, int, int, int] | None:
    """(left, top, right, bottom) of a texture's ink from its drawn top-left, or None when blank;
    ``fresh``: the texture may have been drawn over since (read it again)."""
    if fresh:
        return _read_ink(texture)
    known = _INKS.get(id(texture))
    if known is not None and known[0] is texture:
        return known[1]
    ink = _read_ink(texture)
    if len(_INKS) > 20000:
        _INKS.clear()
    _INKS[id(texture)] = (texture, ink)
    return ink


def _read_ink(texture) -> tuple[int, int, int, int] | None:
    from PIL import Image
    try:
        pixels = texture.pixels
    except Exception:
        return (0, 0, texture.width, texture.height)
    width, height = texture.size
    if not pixels or len(pixels) < width * height * 4:
        return (0, 0, width, height)
    image = Image.frombytes("RGBA", (width, height), pixels[:width * height * 4]).getchannel("A")
    bbox = image.point(lambda a: 255 if a > 24 else 0).getbbox()
    if bbox is None:
        return None
    left, top, right, bottom = bbox
    coords = texture.tex_coords
    if not coords[1] > coords[5]:  # not flipped: the first stored row is drawn at the bottom
        top, bottom = height - bottom, height - top
    return left, top, right, bottom


def _label_ink(label) -> tuple[float, float, float, float] | None:
    texture = label.texture
    if texture is None:
        return None
    tw, th = label.texture_size
    if tw <= 0 or th <= 0:
        return None
    ink = _ink(texture, fresh=getattr(label, "drawn_lines", None) is None)
    if ink is None:
        return None
    sx, sy = tw / texture.width, th / texture.height
    left_px = int(label.center_x - tw / 2.0)
    bottom_px = int(label.center_y - th / 2.0)
    x0, y0 = label.to_window(left_px, bottom_px)
    left, top, right, bottom = ink
    return (x0 + left * sx, y0 + (th - bottom * sy), x0 + right * sx, y0 + (th - top * sy))


def _icon_ink(icon) -> tuple[float, float, float, float] | None:
    texture = getattr(icon, "texture", None)
    if texture is None:
        return None
    cx, cy = icon.to_window(icon.center_x, icon.center_y)
    return (cx - texture.width / 2, cy - texture.height / 2, cx + texture.width / 2, cy + texture.height / 2)


def _shape_ink(widget) -> tuple[float, float, float, float] | None:
    if type(widget).__name__ == "Icon":
        return _icon_ink(widget)
    colour = getattr(widget, "color", (1, 1, 1, 1))
    if len(colour) > 3 and colour[3] <= 0.01:
        return None
    return _box(widget)


def _lines_of(label) -> list[str] | None:
    """The lines a label drew: a ScriptLabel says; a Kivy Label's core keeps its layout."""
    drawn = getattr(label, "drawn_lines", None)
    if drawn is not None:
        return list(drawn)
    core = getattr(label, "_label", None)
    cached = getattr(core, "_cached_lines", None)
    if not cached:
        return None
    return ["".join(word.text for word in line.words) for line in cached]


def _role(widget) -> str:
    node = widget
    while node is not None:
        role = getattr(node, "role", "")
        if isinstance(role, str) and role:
            return role
        if node.parent is node:
            break
        node = node.parent
    return ""


def _under_scroll(widget):
    from kivy.uix.scrollview import ScrollView
    node = widget.parent
    while node is not None and node.parent is not node:
        if isinstance(node, ScrollView):
            return node
        node = node.parent
    return None


def _ancestors(widget):
    from kivy.uix.scrollview import ScrollView
    node = widget.parent
    while node is not None and node.parent is not node:
        yield node
        if isinstance(node, ScrollView):
            return
        node = node.parent


def _is_ancestor(a, b) -> bool:
    node = b.parent
    while node is not None and node.parent is not node:
        if node is a:
            return True
        node = node.parent
    return False


def _overlap(a, b) -> float:
    dx = min(a[2], b[2]) - max(a[0], b[0])
    dy = min(a[3], b[3]) - max(a[1], b[1])
    return min(dx, dy)


def _inside(inner, outer, tolerance: float = TOLERANCE_PX, vertical: bool = True) -> bool:
    ok_x = inner[0] >= outer[0] - tolerance and inner[2] <= outer[2] + tolerance
    ok_y = inner[1] >= outer[1] - tolerance and inner[3] <= outer[3] + tolerance
    return ok_x and (ok_y or not vertical)


def _uncovered(window) -> list:
    """The window's roots a person can see: an open ModalView (the kiosk's language picker) darkens and
    covers everything added before it, so only it and what came after it are looked at."""
    from kivy.uix.modalview import ModalView
    roots = list(reversed(window.children))  # in the order they were added: the last is on top
    for index in range(len(roots) - 1, -1, -1):
        if isinstance(roots[index], ModalView) and _visible(roots[index]):
            return roots[index:]
    return roots


def _clip_to_scroll(widget, ink):
    """The part of ``ink`` a ScrollView above the widget lets through (it draws its content through a
    stencil of its own box), or None when none of it is in view."""
    scroll = _under_scroll(widget)
    if scroll is None:
        return ink
    view = _box(scroll)
    clipped = (max(ink[0], view[0]), max(ink[1], view[1]), min(ink[2], view[2]), min(ink[3], view[3]))
    if clipped[2] <= clipped[0] or clipped[3] <= clipped[1]:
        return None
    return clipped


def check_layout(window, minimum: Minimum | None = None, skip: Callable[[object], bool] | None = None) -> list[Problem]:
    """Every problem of the widgets on ``window`` now (call on Kivy's main thread, after a frame)."""
    from kivy.uix.label import Label
    problems: list[Problem] = []
    items: list[Item] = []
    win_box = (0.0, 0.0, float(window.width), float(window.height))
    for root in _uncovered(window):
        for widget in root.walk(restrict=True):
            if skip is not None and skip(widget):
                continue
            name = type(widget).__name__
            is_text = isinstance(widget, Label)
            if not is_text and name not in SHAPES:
                continue
            if not _visible(widget):
                continue
            if is_text:
                text = getattr(widget, "source_text", None) or widget.text
                if not text.strip():
                    continue
                ink = _label_ink(widget)
                if ink is None:
                    continue
                problems += _check_text(widget, ink, text, win_box, minimum)
                seen = _clip_to_scroll(widget, ink)
                if seen is not None:
                    items.append(Item(widget, seen, text))
            else:
                ink = _shape_ink(widget)
                # a pictogram in a ScrollView is drawn through its stencil too: one scrolled below the
                # view is not over the buttons under the view (the long site's information page had
                # an icon "18 px over 'Voltar'" that no one could see)
                seen = _clip_to_scroll(widget, ink) if ink is not None else None
                if seen is not None:
                    items.append(Item(widget, seen, "", shape=True))
    for i, a in enumerate(items):
        for b in items[i + 1:]:
            if a.shape and b.shape:
                continue
            if _is_ancestor(a.widget, b.widget) or _is_ancestor(b.widget, a.widget):
                continue
            depth = _overlap(a.box, b.box)
            if depth > TOLERANCE_PX:
                problems.append(Problem("overlap", describe(a.widget), f"{describe(b.widget)} by {depth:.0f} px"))
    return problems


def _check_text(widget, ink, text: str, win_box, minimum: Minimum | None) -> list[Problem]:
    out: list[Problem] = []
    where = describe(widget)
    scroll = _under_scroll(widget)
    if scroll is not None:
        view = _box(scroll)
        if ink[3] < view[1] or ink[1] > view[3]:
            return out  # scrolled out of sight
    seen = _clip_to_scroll(widget, ink) or ink  # the window shows what the view lets through
    if not _inside(seen, win_box):
        out.append(Problem("outside", where, f"ink {_fmt(ink)} outside the window {_fmt(win_box)}"))
    elif not _inside(ink, _box(widget), vertical=scroll is None):
        out.append(Problem("outside", where, f"ink {_fmt(ink)} outside its widget {_fmt(_box(widget))}"))
    else:
        for ancestor in _ancestors(widget):
            from kivy.uix.scrollview import ScrollView
            box = _box(ancestor)
            if box[2] - box[0] <= 0 or box[3] - box[1] <= 0:
                continue
            if not _inside(ink, box, vertical=not isinstance(ancestor, ScrollView) and scroll is None):
                out.append(Problem("outside", where, f"ink {_fmt(ink)} outside {describe(ancestor)} {_fmt(box)}"))
                break
    core = getattr(widget, "_label", None)
    internal = getattr(core, "_internal_size", None)
    if getattr(widget, "drawn_lines", None) is None and internal and widget.text_size[1] is not None:
        if internal[1] > widget.texture_size[1] + TOLERANCE_PX:
            out.append(Problem("clipped", where, f"{internal[1]:.0f} px of lines in a {widget.texture_size[1]:.0f} px box"))
    lines = _lines_of(widget)
    if lines and len(lines) > 1:
        for broken in broken_words(text, lines):
            out.append(Problem("broken_word", where, broken))
    if minimum is not None:
        role = _role(widget)
        least = minimum(widget, role)
        drawn = getattr(widget, "fitted_font_size", None) or widget.font_size
        if least is not None and round(drawn) < least - 0.5:
            out.append(Problem("too_small", where, f"{role or 'text'} at {drawn:.1f} px, at least {least:.1f}"))
    return out


def _fmt(box) -> str:
    return "(" + ", ".join(f"{v:.0f}" for v in box) + ")"
