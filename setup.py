"""Packages live in pyproject.toml except one mapping pyproject cannot express with find:
the top-level mailtemplates/ folder ships inside the package as arbook.mailtemplates."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["arbook*"]), "arbook.mailtemplates"],
    package_dir={"arbook.mailtemplates": "mailtemplates"},
    package_data={"arbook.mailtemplates": ["README.md", "*/*.j2"]},
)
