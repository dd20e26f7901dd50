"""What the tests share as a library: factories, probes and servers, one module per
concern. Fixtures stay in the conftest files and import from here; a test module is
never imported by another (tests/test_layout.py checks it)."""
