"""Server-side SVG geometry for the timeline and the province map.

Nothing here renders markup: each function turns counts into plain shapes (numbers,
path strings, labels) that the Jinja templates draw with autoescaping on, so no chart
ever needs ``|safe`` or a script.  The map is an equirectangular projection of the
bundled ``kp_provinces.geojson`` with longitudes scaled by cos(mid-latitude), which is
accurate enough at North Korea's size (about 5 degrees of latitude).
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from importlib import resources
from typing import Any

from tumen.analysis.gazetteer import Gazetteer
from tumen.record import INCIDENT_TYPES

# One colour per incident type (qualitative palette, colour-blind friendly order).
TYPE_COLORS = {
    "order": "#4e79a7", "meeting": "#a0cbe8", "crackdown": "#f28e2b",
    "arrest": "#e15759", "punishment": "#b6992d", "public_trial": "#8c564b",
    "legislation": "#59a14f", "border_crossing": "#76b7b2", "smuggling": "#ff9da7",
    "remittance": "#9c755f", "market": "#edc948", "mobilization": "#b07aa1",
    "propaganda": "#79706e", "other": "#bab0ac",
}
# Sequential shades for the choropleth, lightest = fewest incidents (0 has its own).
MAP_SHADES = ("#fde0c5", "#facba6", "#f59e72", "#ea7150", "#c8443a")
MAP_EMPTY = "#f2f2f0"

MAP_WIDTH = 420  # px; height follows the country's aspect ratio
TIMELINE_WIDTH = 860
TIMELINE_HEIGHT = 200
TIMELINE_MARGIN = (10, 10, 30, 36)  # top, right, bottom, left


def _resource(name: str) -> str:
    return resources.files("tumen.resources").joinpath(name).read_text(encoding="utf-8")


def place_point(name: str) -> dict[str, Any] | None:
    """Gazetteer kind and coordinates of a place as a record names it."""
    entry = Gazetteer.load().find_place(name)
    if entry is None:
        return None
    return {"id": entry.id, "kind": entry.kind, "lat": entry.lat, "lon": entry.lon,
            "province_id": entry.province_id}


@lru_cache(maxsize=1)
def provinces() -> list[dict[str, Any]]:
    """The 13 province-level units: id, name, name_ko and projected SVG path."""
    data = json.loads(_resource("kp_provinces.geojson"))
    rings: list[tuple[str, list[list[list[float]]]]] = []
    for feature in data["features"]:
        geometry = feature["geometry"]
        polygons = geometry["coordinates"]
        if geometry["type"] == "Polygon":
            polygons = [polygons]
        rings.append((feature["properties"]["id"], [ring for poly in polygons for ring in poly]))
    projection = _projection()
    out = []
    for feature, (_, province_rings) in zip(data["features"], rings):
        props = feature["properties"]
        path = " ".join(projection.path(ring) for ring in province_rings)
        xs = [projection.xy(pt)[0] for ring in province_rings for pt in ring]
        ys = [projection.xy(pt)[1] for ring in province_rings for pt in ring]
        out.append({"id": props["id"], "name": props["name"], "name_ko": props.get("name_ko"),
                    "path": path, "cx": round(sum(xs) / len(xs), 1),
                    "cy": round(sum(ys) / len(ys), 1)})
    return out


class _Projection:
    def __init__(self, points: list[list[float]]):
        lons = [p[0] for p in points]
        lats = [p[1] for p in points]
        self.lon0, self.lat1 = min(lons), max(lats)
        self.kx = math.cos(math.radians((min(lats) + max(lats)) / 2))
        span_x = (max(lons) - self.lon0) * self.kx
        self.scale = MAP_WIDTH / span_x
        self.width = MAP_WIDTH
        self.height = round((self.lat1 - min(lats)) * self.scale, 1)

    def xy(self, point: list[float] | tuple[float, float]) -> tuple[float, float]:
        lon, lat = point[0], point[1]
        return (round((lon - self.lon0) * self.kx * self.scale, 1),
                round((self.lat1 - lat) * self.scale, 1))

    def path(self, ring: list[list[float]]) -> str:
        coords = [self.xy(pt) for pt in ring]
        return "M" + "L".join(f"{x},{y}" for x, y in coords) + "Z"


@lru_cache(maxsize=1)
def _projection() -> _Projection:
    data = json.loads(_resource("kp_provinces.geojson"))
    points = []
    for feature in data["features"]:
        polygons = feature["geometry"]["coordinates"]
        if feature["geometry"]["type"] == "Polygon":
            polygons = [polygons]
        points += [pt for poly in polygons for ring in poly for pt in ring]
    return _Projection(points)


def province_id(name: str | None) -> str | None:
    """The ISO id (KP-10) of a province named as the analyzer or an editor wrote it."""
    entry = Gazetteer.load().find_place(name)
    return entry.province_id if entry is not None and entry.kind == "province" else None


def province_map(counts: dict[str, int], place_counts: dict[str, int] | None = None
                 ) -> dict[str, Any]:
    """Choropleth shapes for ``counts`` (province name -> incidents) and place points.

    Names are matched to the map's provinces through the gazetteer's spellings; each
    shape keeps the name the data uses (``value``) so a click filters on it.  Shades
    are five equal-width classes of the maximum count, so a province's shade reads
    directly as a fraction of the busiest one.
    """
    by_id: dict[str, tuple[int, str]] = {}
    for name, n in counts.items():
        pid = province_id(name)
        if pid:
            total, value = by_id.get(pid, (0, name))
            by_id[pid] = (total + n, value if total >= n else name)
    peak = max((n for n, _ in by_id.values()), default=0)
    shapes = []
    for province in provinces():
        n, value = by_id.get(province["id"], (0, province["name"]))
        if n and peak:
            shade = MAP_SHADES[min(len(MAP_SHADES) - 1, int(len(MAP_SHADES) * n / (peak + 1)))]
        else:
            shade = MAP_EMPTY
        shapes.append({**province, "value": value, "count": n, "fill": shade})
    points = []
    projection = _projection()
    for name, n in sorted((place_counts or {}).items(), key=lambda kv: -kv[1]):
        entry = place_point(name)
        if not entry or entry["lat"] is None or entry["kind"] == "province":
            continue
        x, y = projection.xy((entry["lon"], entry["lat"]))
        points.append({"name": name, "count": n, "x": x, "y": y,
                       "r": round(2.5 + 2.5 * math.sqrt(n / max(place_counts.values())), 1)})
    legend = []
    if peak:
        step = (peak + 1) / len(MAP_SHADES)
        for i, shade in enumerate(MAP_SHADES):
            low, high = math.ceil(i * step), math.ceil((i + 1) * step) - 1
            if high >= low and low <= peak:
                legend.append({"fill": shade, "label": f"{max(low, 1)}–{min(high, peak)}"})
    return {"width": projection.width, "height": projection.height, "provinces": shapes,
            "points": points, "legend": legend, "max": peak}


def timeline(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Stacked bars: ``rows`` are {month: 'YYYY-MM', type, n}; every month in the span
    gets a slot (empty months included) so the x axis is true time."""
    months = sorted({row["month"] for row in rows if row.get("month")})
    if not months:
        return {"width": TIMELINE_WIDTH, "height": TIMELINE_HEIGHT, "bars": [], "ticks": [],
                "yticks": [], "legend": [], "months": 0}
    span = _month_range(months[0], months[-1])
    index = {m: i for i, m in enumerate(span)}
    stacks: dict[str, dict[str, int]] = {m: {} for m in span}
    for row in rows:
        if row.get("month") in stacks:
            stacks[row["month"]][row["type"]] = stacks[row["month"]].get(row["type"], 0) + row["n"]
    top, right, bottom, left = TIMELINE_MARGIN
    plot_w, plot_h = TIMELINE_WIDTH - left - right, TIMELINE_HEIGHT - top - bottom
    peak = max((sum(s.values()) for s in stacks.values()), default=1) or 1
    slot = plot_w / len(span)
    bar_w = max(1.0, slot * 0.8)
    order = [t for t in INCIDENT_TYPES]
    bars = []
    for month, stack in stacks.items():
        y = top + plot_h
        for type_ in order + sorted(set(stack) - set(order)):
            n = stack.get(type_, 0)
            if not n:
                continue
            h = plot_h * n / peak
            y -= h
            bars.append({"x": round(left + index[month] * slot + (slot - bar_w) / 2, 1),
                         "y": round(y, 1), "w": round(bar_w, 1), "h": round(h, 1),
                         "fill": TYPE_COLORS.get(type_, "#999"), "month": month,
                         "type": type_, "n": n})
    every = max(1, math.ceil(len(span) / 12))
    ticks = [{"x": round(left + i * slot + slot / 2, 1), "label": m}
             for i, m in enumerate(span) if i % every == 0]
    yticks = [{"y": round(top + plot_h - plot_h * v / peak, 1), "label": v}
              for v in sorted({0, peak // 2, peak}) if v or peak == 0]
    present = {row["type"] for row in rows}
    legend = [{"type": t, "fill": TYPE_COLORS.get(t, "#999")} for t in order if t in present]
    return {"width": TIMELINE_WIDTH, "height": TIMELINE_HEIGHT, "bars": bars, "ticks": ticks,
            "yticks": yticks, "legend": legend, "months": len(span),
            "baseline": top + plot_h, "left": left, "right": TIMELINE_WIDTH - right}


def _month_range(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[5:7])
    y2, m2 = int(last[:4]), int(last[5:7])
    out = []
    while (y, m) <= (y2, m2) and len(out) < 1200:
        out.append(f"{y:04d}-{m:02d}")
        m += 1
        if m > 12:
            y, m = y + 1, 1
    return out
