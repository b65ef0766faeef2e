"""Tests of the exercise checkers, one file per notebook."""
