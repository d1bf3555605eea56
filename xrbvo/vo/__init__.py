"""Virtual Observatory access: TAP (the tap package) and SAMP (the samp package)."""
