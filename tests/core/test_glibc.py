"""`glibc.function`: the allocator's functions of the C library this process links."""

from __future__ import annotations

import platform

import pytest

from vertice_core import glibc


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the C library is not glibc")
def test_the_allocators_functions_are_found_and_work() -> None:
    mallopt = glibc.function("mallopt")
    trim = glibc.function("malloc_trim")
    # mallopt is not called: it would change how this test process allocates from now on.
    assert callable(mallopt) and trim is not None
    assert trim(0) in (0, 1)


def test_a_function_the_library_lacks_is_none() -> None:
    assert glibc.function("vertice_no_such_function") is None
