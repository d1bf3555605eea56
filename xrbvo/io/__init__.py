"""Tables in and out: reading, atomic writing with a rescue directory, X-ray standardisation, plots."""

from xrbvo.io.tables import (FORMATS, as_float, check_writable, read_table, rescue_outputs, save_files, save_output,
                             standardise_xray, write_table)

__all__ = ["read_table", "write_table", "save_output", "save_files", "rescue_outputs", "check_writable",
           "standardise_xray", "FORMATS", "as_float"]
