"""The project: what a report is made of, read into one typed model.

``parts`` names the files and folders of a project; ``model`` is the typed model
(pydantic, unknown keys forbidden); ``yamlfile`` and ``markdown`` read chapters
with line numbers, ``csvfile`` and ``workbook`` read series (and number cells) into
the typed tables of ``tables``; ``checks`` holds the cross-checks (references,
images, fonts, figure modules) and ``uses`` where each number and series is used;
``load`` puts them together and collects every problem before it fails.
"""
