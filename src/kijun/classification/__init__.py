"""Information classification (格付) and handling restrictions (取扱制限), R7 §1.2 and §5.1.

Pure engine: no Django, no I/O beyond reading the data files it is pointed at.
"""

from kijun.classification.guide import GuideResult, GuideTree, load_guide, walk
from kijun.classification.levels import (
    LEVELS,
    Availability,
    Classification,
    Confidentiality,
    DerivedFlags,
    Integrity,
    derive_flags,
    highest,
)
from kijun.classification.restrictions import RestrictionVocabulary, VocabularyError, load_vocabulary
from kijun.classification.system_class import (
    ClassificationStandard,
    SystemClassResult,
    SystemProfile,
    classify_system,
    load_standard,
)

__all__ = [
    "LEVELS",
    "Availability",
    "Classification",
    "ClassificationStandard",
    "Confidentiality",
    "DerivedFlags",
    "GuideResult",
    "GuideTree",
    "Integrity",
    "RestrictionVocabulary",
    "SystemClassResult",
    "SystemProfile",
    "VocabularyError",
    "classify_system",
    "derive_flags",
    "highest",
    "load_guide",
    "load_standard",
    "load_vocabulary",
    "walk",
]
