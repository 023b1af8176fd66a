"""Default reminder templates (data only; a package so that installs and editable installs ship it).

Copy them out with ``arbook templates export DIR`` and see README.md before editing.
"""
