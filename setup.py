from setuptools import find_packages, setup


def requirements(path):
    with open(path) as lines:
        return [line.strip() for line in lines if line.strip() and not line.startswith(("#", "-"))]


setup(
    name="paddles-mongo",
    version="0.1.0",
    description="A JSON results server for teuthology and pulpito, wire-compatible with "
                "Ceph's paddles, on MongoDB",
    packages=find_packages(include=["paddles_mongo", "paddles_mongo.*"]),
    # The web pages' templates, stylesheet and script.
    package_data={"paddles_mongo.ui": ["templates/ui/*.html", "static/*"]},
    python_requires=">=3.11",
    install_requires=requirements("requirements.txt"),
    entry_points={"console_scripts": ["paddles-mongo = paddles_mongo.commands:cli"]},
)
