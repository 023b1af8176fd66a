"""Packages live in pyproject.toml except one mapping pyproject cannot express with find:
the top-level mailtemplates/ folder ships inside the package as arbook.mailtemplates (its data
files are listed under package-data in pyproject.toml)."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["arbook*"]), "arbook.mailtemplates"],
    package_dir={"arbook.mailtemplates": "mailtemplates"},
)
