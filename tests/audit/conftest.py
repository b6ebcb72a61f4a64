"""Generated norm files of the published shapes (synthetic: no licensed data is copied)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: McRae et al. (2005): 541 concepts, 2,526 features, 7,259 (concept, feature) rows.
MCRAE_SHAPE = (541, 2526, 7259)

#: (concept, feature, first Prod_Freq, second Prod_Freq) listed twice, like the published file.
REPEATED = (("concept_7", "feature_3", 6, 8), ("concept_300", "feature_2000", 5, 16))


def write_mcrae_like(path: Path, seed: int = 0) -> dict[tuple[str, str], int]:
    """Write a McRae-format TSV of the published shape with the pairs of :data:`REPEATED` twice.

    Returns the expected cell of every (concept, feature) pair after merging repeats by their
    maximum production frequency.
    """
    n_concepts, n_features, n_rows = MCRAE_SHAPE
    rng = np.random.default_rng(seed)
    # every feature at least once, the remaining rows spread at random; distinct pairs
    pairs: set[tuple[int, int]] = set()
    for feature in range(n_features):
        pairs.add((int(rng.integers(n_concepts)), feature))
    for concept in range(n_concepts):  # every concept at least once
        pairs.add((concept, int(rng.integers(n_features))))
    while len(pairs) < n_rows:
        pairs.add((int(rng.integers(n_concepts)), int(rng.integers(n_features))))
    cells: dict[tuple[str, str], int] = {}
    lines = ["Concept\tFeature\tBR_Label\tProd_Freq\tRank_PF"]
    for concept, feature in sorted(pairs):
        key = (f"concept_{concept}", f"feature_{feature}")
        cells[key] = int(rng.integers(5, 31))
        label = "taxonomic" if feature % 10 == 0 else "visual-form_and_surface"
        lines.append(f"{key[0]}\t{key[1]}\t{label}\t{cells[key]}\t1")
    for concept, feature, first, second in REPEATED:
        label = "taxonomic" if int(feature.split("_")[1]) % 10 == 0 else "function"
        lines.append(f"{concept}\t{feature}\t{label}\t{first}\t1")
        lines.append(f"{concept}\t{feature}\t{label}\t{second}\t2")
        cells[(concept, feature)] = max(first, second, cells.get((concept, feature), 0))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return cells
