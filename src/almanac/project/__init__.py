"""The project: what a report is made of, read into one typed model.

``parts`` names the files and folders of a project; ``model`` is the typed model
(pydantic, unknown keys forbidden); ``yamlfile`` and ``csvfile`` read the two
text formats with line numbers; ``checks`` holds the cross-checks (references,
images, fonts, figure modules); ``load`` puts them together and collects every
problem before it fails.
"""
