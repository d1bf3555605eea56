"""Workflows: the whole path from an X-ray table to a catalogue, shared by every interface."""
