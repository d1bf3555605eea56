"""Virtual Observatory access: TAP (tap.py) and SAMP (the samp package)."""
