"""Incremental rebuild: after a build, a later one redoes only what the changed
record files affect, and gives the bytes a full build would.

A successful native build leaves a state folder ``OUT/.kg-state/``: a copy of
every records file as built (with its SHA-256), a catalogue of the records
(id -> type, file, and a source's language, the one thing the builder reads
across records), the location index per file, the findings, and a
fingerprint of everything else the outputs depend on (kg's code, ontology,
shapes, record types, options, records folder, working folder). The next
build into the same OUT hashes the records files and, when only a few
changed:

* **triples**: the changed files' records are built twice, from the copy of
  the old file and from the new one; every triple's subject belongs to one
  record (its IRI or a node minted under it), so the difference is the delta
  of the asserted graph (D removed, I added);
* **store**: a hard-link checkpoint of ``OUT/kg.oxigraph`` takes the delta;
  it replaces the old store only once everything succeeded;
* **validation**: the findings of focus nodes that can see a changed triple
  (those within the shapes' reach, backwards, of a changed subject) and of
  every focus node a SPARQL-based constraint reports, old or new, are
  computed again (the SPARQL constraints run on the updated store); the
  others are kept, moved to their record's new line when their file changed;
* **reasoning**: kg's rules derive each triple about a node from triples
  mentioning it, except along transitive properties, so the entailments about
  the nodes the delta mentions, and the nodes chained to them, are computed
  again from the asserted triples mentioning those nodes;
* **Turtle**: the files are sorted by subject, one block per subject, so only
  the blocks of changed subjects are rewritten.

Anything else falls back to a full build (:class:`Fallback` says why): no or
stale state, a fingerprint change, a records file removed, a record removed
or retyped or a source's language changed (other files may depend on them),
owl:sameAs in the graph, too much changed, shapes beyond what the partial
validation can bound, and record problems that could involve other files
(duplicate ids, missing records) so the full build reports them.
"""
