"""Tests of the LINE Platform emulator."""
