"""Virtual Observatory access: TAP (tap.py) and SAMP (samp.py)."""
