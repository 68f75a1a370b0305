"""Locations: reading and writing ODK's answer format, and the geometry on it.

One module for both the expression functions (`distance`, `area`, `geofence`; the phone's
copy is in static/js/expressions.js) and the anonymizer's coarsening (`grid_cell`,
`area_name`). Pure functions: no I/O, no Flask, the standard library only.

ODK's format: a point is "latitude longitude [altitude [accuracy]]" in degrees and metres;
a trace or a shape is its points joined by ";", a shape's last point equal to its first.
Distances and areas are ODK's (JavaRosa's GeoUtils): metres on a sphere of radius
6,378,100 m, the law of cosines for a distance, and for an area the polygon projected on a
plane at its first point, which is what ODK Collect computes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

__all__ = [
    "EARTH_RADIUS",
    "LOCATION_TYPES",
    "area",
    "area_name",
    "boundary_problems",
    "distance",
    "format_points",
    "grid_cell",
    "parse_answer",
    "parse_point",
    "parse_points",
    "point_in_polygon",
]

LOCATION_TYPES = ("geopoint", "geotrace", "geoshape", "start-geopoint")
# Points each kind of answer needs at least (a shape: distinct corners, before closing it).
MIN_POINTS = {"geotrace": 2, "geoshape": 3}
EARTH_RADIUS = 6_378_100.0
CIRCUMFERENCE = 2 * math.pi * EARTH_RADIUS
METRES_PER_DEGREE = CIRCUMFERENCE / 360.0
# A trace or shape with more points than this is refused: an answer, not a map layer.
MAX_POINTS = 500
# Property names a boundary's name is read from, in this order (GeoJSON has no standard).
NAME_PROPERTIES = ("name", "NAME", "id", "ID")

Point = tuple[float, ...]
# A number as the phone's script reads it too (expressions.js): no "1_000", "inf" or "١".
NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


# --- the answer format -----------------------------------------------------------------


def parse_point(text) -> Point | None:
    """(lat, lon[, alt[, acc]]) from "lat lon [alt [acc]]", or None when it is not a point
    on the Earth: 2 to 4 finite numbers, latitude -90..90, longitude -180..180, and an
    accuracy that is not negative."""
    parts = str(text).replace(",", " ").split(None) if text is not None else []
    if not 2 <= len(parts) <= 4 or not all(NUMBER.fullmatch(part) for part in parts):
        return None
    numbers = tuple(float(part) for part in parts)
    if not all(math.isfinite(n) for n in numbers):
        return None
    if not (-90 <= numbers[0] <= 90 and -180 <= numbers[1] <= 180):
        return None
    if len(numbers) == 4 and numbers[3] < 0:
        return None
    return numbers


def parse_points(text) -> list[Point] | None:
    """The points of a trace or shape ("lat lon; lat lon", or one point a line), or None
    when one of them is not a point."""
    pieces = [piece for piece in str(text or "").replace("\n", ";").split(";") if piece.strip()]
    points = [parse_point(piece) for piece in pieces]
    if any(point is None for point in points):
        return None
    return [point for point in points if point is not None]


def _number(value: float) -> str:
    """A coordinate as short as it reads back exactly: 36.8219, not 36.821900000000001."""
    if value.is_integer():
        return str(int(value))
    text = repr(value)
    return text if "e" not in text else f"{value:.12f}".rstrip("0").rstrip(".")


def format_point(point: Point) -> str:
    return " ".join(_number(n) for n in point)


def format_points(points: Iterable[Point]) -> str:
    return ";".join(format_point(p) for p in points)


def parse_answer(kind: str, text: str) -> tuple[str | None, str | None]:
    """(the answer as ODK stores it, None) or (None, what is wrong: "point", "points",
    "too_few", "too_many") for a location question of type `kind`. A shape is closed."""
    if kind in ("geopoint", "start-geopoint"):
        point = parse_point(text)
        return (format_point(point), None) if point else (None, "point")
    points = parse_points(text)
    if points is None:
        return None, "points"
    if kind == "geoshape" and len(points) > 1 and _same_place(points[0], points[-1]):
        points = points[:-1]  # closed as typed: the corners are what counts
    if len(points) < MIN_POINTS[kind]:
        return None, "too_few"
    if len(points) > MAX_POINTS:
        return None, "too_many"
    if kind == "geoshape":
        points = points + [points[0]]
    return format_points(points), None


def _same_place(a: Point, b: Point) -> bool:
    return a[0] == b[0] and a[1] == b[1]


def points_of(value) -> list[Point]:
    """The points an expression's argument holds: a trace or shape's text, one point, or a
    list (a nodeset) of those; what is not a point is left out."""
    if isinstance(value, (list, tuple)):
        return [point for item in value for point in points_of(item)]
    if value is None:
        return []
    return parse_points(value) or []


# --- ODK's geometry --------------------------------------------------------------------


def _between(a: Point, b: Point) -> float:
    """Metres between two points: the spherical law of cosines, as ODK computes it (the
    cosine kept within [-1, 1], where rounding would make two equal points NaN)."""
    lat1, lat2 = math.radians(a[0]), math.radians(b[0])
    cosine = math.sin(lat1) * math.sin(lat2) + math.cos(lat1) * math.cos(lat2) * math.cos(
        math.radians(a[1] - b[1])
    )
    return math.acos(min(1.0, max(-1.0, cosine))) * EARTH_RADIUS


def distance(points: list[Point]) -> float:
    """The length in metres of the path through the points, in order."""
    total = 0.0
    for a, b in zip(points, points[1:], strict=False):
        total += _between(a, b)
    return total


def area(points: list[Point]) -> float:
    """The area in square metres of the polygon through the points, as ODK computes it:
    projected on a plane at the first point, summed as triangles; under 3 points, 0."""
    if len(points) < 3:
        return 0.0
    lat0, lon0 = points[0][0], points[0][1]
    xs = [(p[1] - lon0) * CIRCUMFERENCE * math.cos(math.radians(p[0])) / 360.0 for p in points[1:]]
    ys = [(p[0] - lat0) * CIRCUMFERENCE / 360.0 for p in points[1:]]
    total = 0.0
    for i in range(1, len(xs)):
        total += (ys[i - 1] * xs[i] - xs[i - 1] * ys[i]) / 2
    return abs(total)


def point_in_polygon(point: Point, polygon: list[Point]) -> bool:
    """Whether the point is inside the ring (ray casting, W. R. Franklin's PNPOLY, as ODK's
    geofence() does it); the ring is closed here if it is not."""
    ring = list(polygon)
    if ring and not _same_place(ring[0], ring[-1]):
        ring.append(ring[0])
    lat, lon = point[0], point[1]
    inside = False
    for a, b in zip(ring, ring[1:], strict=False):
        if (b[0] > lat) != (a[0] > lat) and lon < (a[1] - b[1]) * (lat - b[0]) / (a[0] - b[0]) + b[
            1
        ]:
            inside = not inside
    return inside


# --- coarsening (the anonymizer's generalize:grid and generalize:area) ------------------


def grid_cell(point: Point, metres: float) -> Point:
    """The centre of the grid cell of `metres` a side that holds the point, with no more
    decimals than the cell's size allows (altitude and accuracy are left out). Rows are
    `metres` of latitude; each row is cut into cells `metres` wide at its middle."""
    step = metres / METRES_PER_DEGREE  # degrees of latitude a cell spans
    row = math.floor((point[0] + 90) / step)
    lat = min(90.0, -90 + (row + 0.5) * step)
    lon_step = min(360.0, step / max(math.cos(math.radians(lat)), 1e-6))
    column = math.floor((point[1] + 180) / lon_step)
    lon = -180 + (column + 0.5) * lon_step
    lon = lon - 360 if lon > 180 else lon
    digits = _digits(step)
    return round(lat, digits), round(lon, digits)


def _digits(step: float) -> int:
    """Decimals that say no more than a cell of `step` degrees: the first one smaller than
    the cell (0.001 for a kilometre, 0.0001 for 100 m)."""
    return max(0, math.ceil(-math.log10(step)))


def grid_text(point: Point, metres: float) -> str:
    lat, lon = grid_cell(point, metres)
    digits = _digits(metres / METRES_PER_DEGREE)
    return f"{lat:.{digits}f} {lon:.{digits}f}"


def boundary_features(geojson: dict) -> list[tuple[str, list[list[list[Point]]]]]:
    """(name, polygons) of each area of a GeoJSON FeatureCollection (Polygon and
    MultiPolygon features); each polygon is its rings, the outer one first, as
    (lat, lon) points (GeoJSON writes longitude first)."""
    found = []
    for feature in geojson.get("features", []):
        geometry = feature.get("geometry") or {}
        kind, coordinates = geometry.get("type"), geometry.get("coordinates") or []
        polygons: list = (
            [coordinates] if kind == "Polygon" else (coordinates if kind == "MultiPolygon" else [])
        )
        rings: list[list[list[Point]]] = [
            [[(float(c[1]), float(c[0])) for c in ring] for ring in polygon] for polygon in polygons
        ]
        found.append((feature_name(feature), rings))
    return found


def feature_name(feature: dict) -> str:
    """A boundary's name: its name or id property, else the feature's id."""
    properties = feature.get("properties") or {}
    for key in NAME_PROPERTIES:
        if properties.get(key) not in (None, ""):
            return str(properties[key])
    return str(feature.get("id", ""))


def area_name(point: Point, features) -> str | None:
    """The name of the first area (from boundary_features) whose polygon holds the point
    (inside its outer ring, outside its holes), or None."""
    for name, polygons in features:
        for rings in polygons:
            if (
                rings
                and point_in_polygon(point, rings[0])
                and not any(point_in_polygon(point, hole) for hole in rings[1:])
            ):
                return name
    return None


def boundary_problems(name: str, geojson) -> list[str]:
    """What is wrong with a boundaries file for generalize:area: a FeatureCollection of
    named Polygon or MultiPolygon features with [longitude, latitude] positions."""
    if (
        not isinstance(geojson, dict)
        or geojson.get("type") != "FeatureCollection"
        or not isinstance(geojson.get("features"), list)
        or not geojson["features"]
    ):
        return [f"boundaries: {name} must be a GeoJSON FeatureCollection with features."]
    problems = []
    for number, feature in enumerate(geojson["features"], start=1):
        where = f"boundaries: feature {number} of {name}"
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if not isinstance(geometry, dict) or geometry.get("type") not in (
            "Polygon",
            "MultiPolygon",
        ):
            problems.append(f"{where} is not a Polygon or MultiPolygon.")
        elif not _positions_ok(geometry.get("coordinates"), geometry["type"]):
            problems.append(f"{where} has a position that is not [longitude, latitude].")
        elif not feature_name(feature):
            problems.append(f"{where} has no name or id property.")
    return problems[:5]


def _positions_ok(coordinates, kind: str) -> bool:
    polygons = [coordinates] if kind == "Polygon" else coordinates
    try:
        positions = [c for polygon in polygons for ring in polygon for c in ring]
        return bool(positions) and all(
            len(c) >= 2 and parse_point(f"{c[1]} {c[0]}") is not None for c in positions
        )
    except TypeError:
        return False
