"""The Galaxy as xrbvo models it: X-ray luminosity functions and the populations of the nine classes."""
