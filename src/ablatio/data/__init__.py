"""Data files shipped with ablatio (the multiple-choice questions of ``load_mcq``)."""
