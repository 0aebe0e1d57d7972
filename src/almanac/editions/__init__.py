"""Editions: versioned, published PDFs an archivist can trust.

``sources`` (what an edition is made from, and the XMP that says so),
``archive`` (where editions lie, and the rules a new version keeps),
``publish`` (write an edition once, atomically), ``verify`` (check a published
PDF and list the archive), ``extract`` (restore the sources) and ``diff`` (what
changed between two editions).
"""
