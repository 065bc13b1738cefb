"""Tests of the example resource servers in examples/."""
