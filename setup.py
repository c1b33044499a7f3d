"""Only the optional native part lives here; everything else is declared in pyproject.toml.

`gvm_desktop/store/chainverify.c` is a SQLite loadable extension that walks the
access-log chain in C (OpenSSL for every hash). It is optional: without a C
compiler or OpenSSL's headers the build skips it and `log verify` uses the
Python walk, which gives the same answers more slowly.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "gvm_desktop.store._chainverify",
            sources=["gvm_desktop/store/chainverify.c"],
            libraries=["crypto"],
            extra_compile_args=["-O2"],
            optional=True,
        )
    ]
)
