"""Tables in and out: reading, atomic writing with a rescue directory, X-ray standardisation, plots."""

from xrbvo.io.erass1 import Selection, SelectionReport, is_erass1_main, read_release, selection_header
from xrbvo.io.outputs import (atomic_write, atomic_write_bytes, check_writable, output_lock, replace_files,
                              rescue_outputs, save_files, save_output)
from xrbvo.io.tables import FORMATS, as_degrees, as_float, read_table, write_table
from xrbvo.io.xray import MAX_ID_LENGTH, standardise_xray

__all__ = ["read_table", "write_table", "save_output", "save_files", "replace_files", "rescue_outputs", "check_writable",
           "output_lock", "atomic_write", "atomic_write_bytes", "standardise_xray", "MAX_ID_LENGTH", "FORMATS",
           "as_float", "as_degrees", "Selection", "SelectionReport", "is_erass1_main", "read_release", "selection_header"]
