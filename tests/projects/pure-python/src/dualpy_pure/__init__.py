"""A pure-Python package: one py3-none-any wheel serves both builds."""


def greet(name):
    return f"hello {name}"
