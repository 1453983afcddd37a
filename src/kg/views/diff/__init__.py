"""``kg diff``: two builds, RDF files, records or git revisions of the records
compared as facts (:mod:`.sides` reads them, :mod:`.compare` compares them,
:mod:`.render` writes text, JSON or an RDF changeset)."""

from kg.rdfio.formats import RDF_FORMATS

# A changeset has two named graphs: only the registry's dataset formats hold them.
CHANGESET_FORMATS = [name for name, f in RDF_FORMATS.items() if f.dataset]

DIFF_FORMATS = ["text", "json", *CHANGESET_FORMATS]
"""What ``kg diff --format`` takes."""
