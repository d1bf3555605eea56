"""VOTable rows whose XML is exactly a power of two bytes long (astropy issue #20419).

astropy's C TABLEDATA writer (8.0.2 and before) writes a NUL one byte past its row buffer for such a
row; the heap is corrupted and the process dies later, elsewhere (the full suite aborted in an
unrelated test).  glibc's checking allocator catches the stray byte at the next ``realloc``/``free``, so
the writes run in a child process under it, and must exit cleanly.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from astropy.io.votable import from_table
from astropy.table import Table

from xrbvo.io import read_table

MALLOC_DEBUG = Path("/usr/lib/x86_64-linux-gnu/libc_malloc_debug.so.0")

CHILD = r"""
import sys
import numpy as np
from astropy.table import Table
from xrbvo.io import write_table
from xrbvo.vo.samp.votable import votable_bytes

n, size, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
t = Table({"name": ["x" * n] * 40, "flux": np.arange(40, dtype=float)})
for _ in range(size):
    write_table(t, out)
    votable_bytes(t, name="rows")
print("clean")
"""


def _row_length(n: int) -> int:
    """Bytes of one row's XML (indent, <TR>, cells, </TR>) as astropy lays it out."""
    t = Table({"name": ["x" * n], "flux": [0.0]})
    buf = io.BytesIO()
    from_table(t).to_xml(buf, _debug_python_based_parser=True)
    text = buf.getvalue().decode()
    start = text.rfind("\n", 0, text.index("<TR>")) + 1
    end = text.index("</TR>") + len("</TR>\n")
    return end - start


def _checked_env() -> dict:
    if not MALLOC_DEBUG.exists():
        pytest.skip(f"needs glibc's checking allocator ({MALLOC_DEBUG}; Debian's libc6 >= 2.34)")
    return dict(os.environ, LD_PRELOAD=str(MALLOC_DEBUG), GLIBC_TUNABLES="glibc.malloc.check=3",
                PYTHONMALLOC="malloc")


@pytest.mark.parametrize("target", [256, 512])
def test_rows_of_a_power_of_two_bytes_do_not_corrupt_the_heap(tmp_path, target):
    n = 1 + target - _row_length(1)
    assert _row_length(n) == target  # the row really is the length that overflowed astropy's buffer
    out = tmp_path / "t.vot"
    env = _checked_env()
    run = subprocess.run([sys.executable, "-c", CHILD, str(n), "3", str(out)], env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0 and "clean" in run.stdout, run.stderr[-2000:]
    back = read_table(out)
    assert list(back["name"]) == ["x" * n] * 40
    np.testing.assert_array_equal(np.asarray(back["flux"]), np.arange(40, dtype=float))
