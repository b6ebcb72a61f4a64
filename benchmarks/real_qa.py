"""Multi-document QA on SmolLM2-135M-Instruct: does it combine two facts from two documents?

The documents are prose sentences of scikit-learn's dataset descriptions
(``sklearn/datasets/descr/*.rst``, shipped with scikit-learn) with two fictional facts placed in
two different documents: "The field guide Northern Lichens was written by Ilse Varga." (first
document) and "Ilse Varga was born in Norway." (second document). The question needs both
(a bridge question); the real text about the wine data names Italy, the wrong answer.
Parts are the sentences (the document headers and the question stay); the value is the
log-odds ``log p(Norway) − log p(Italy)`` of the first answer token.
"""

from __future__ import annotations

import re
from pathlib import Path

#: Documents: (title, scikit-learn description files whose prose sentences it takes, count).
DOCUMENTS = (
    ("Document 1", ("iris.rst", "digits.rst", "lfw.rst"), 10),
    ("Document 2", ("wine_data.rst", "california_housing.rst", "covtype.rst"), 10),
    ("Document 3", ("rcv1.rst", "twenty_newsgroups.rst", "olivetti_faces.rst"), 10),
)
FACT_AUTHOR = "The field guide Northern Lichens was written by Ilse Varga."
FACT_BIRTH = "Ilse Varga was born in Norway."
QUESTION = (
    "Question: In which country was the author of Northern Lichens born? "
    "Answer with the country only."
)
RIGHT, WRONG = "Norway", "Italy"


def prose_sentences(name: str) -> list[str]:
    """Prose sentences of one scikit-learn dataset description (no tables, fields, lists)."""
    import sklearn

    path = Path(sklearn.__file__).parent / "datasets" / "descr" / name
    paragraphs, current = [], []
    for line in path.read_text().splitlines():
        if not line.strip() or line[0] in " :.-=*|" or line.startswith("**"):
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        current.append(line.strip())
    if current:
        paragraphs.append(" ".join(current))
    out = []
    for paragraph in paragraphs:
        for sentence in re.split(r"(?<=[a-z0-9)][.!?])\s+(?=[A-Z])", re.sub(r"\s+", " ", paragraph)):
            words = sentence.split()
            if (
                6 <= len(words) <= 30
                and sentence[-1] in ".!?"
                and not re.search(r"http|`|::|Samples total|\d{4,}|\[", sentence)
            ):
                out.append(sentence)
    return out


def qa_parts() -> tuple[str, list[str], tuple[int, int]]:
    """The prompt, its sentence parts and the indices of the two facts."""
    docs, parts = [], []
    facts = []
    for d, (title, files, count) in enumerate(DOCUMENTS):
        sentences = [s for f in files for s in prose_sentences(f)][:count]
        fact = (FACT_AUTHOR, FACT_BIRTH, None)[d]
        if fact is not None:
            sentences.insert(len(sentences) // 2, fact)
            facts.append(len(parts) + len(sentences) // 2 if False else len(parts) + sentences.index(fact))
        parts += sentences
        docs.append(f"{title}: " + " ".join(sentences))
    prompt = "\n\n".join(docs) + "\n\n" + QUESTION
    return prompt, parts, (facts[0], facts[1])
