"""The filter language of the terminal UI, parsed safely.

A filter is one expression over catalogue columns, for example::

    P_HMXB > 0.5 and abs(b) < 2
    predicted_class == "LMXB" or (candidate and p_any > 0.9)
    mark == "candidate"
    0.2 < P_max <= 0.6 and not isnan(nh)

The text is parsed with :func:`ast.parse` and then checked node by node
against a strict whitelist: column names, numbers, strings, ``true``/``false``,
arithmetic (``+ - * / % **``; whole numbers up to :data:`MAX_NUMBER` and
literal exponents up to :data:`MAX_EXPONENT`, all computed as floats),
comparisons (chained ones too, and ``in`` /
``not in`` with a literal tuple or list), ``and``/``or``/``not`` (also ``&``,
``|``, ``~``) and calls of a few named functions (:data:`FUNCTIONS`).  Nothing
else is accepted: no attributes, subscripts, keywords, lambdas or comprehensions,
and the text is never handed to :func:`eval`.  The checked tree is turned into a
Python closure that computes a boolean mask with numpy over whole columns.

Examples
--------
>>> import numpy as np
>>> f = compile_filter("P_HMXB > 0.5 and abs(b) < 2", ["P_HMXB", "b"])
>>> f.columns
('P_HMXB', 'b')
>>> cols = {"P_HMXB": np.array([0.9, 0.1, 0.7]), "b": np.array([1.0, 0.0, -3.0])}
>>> f.mask(cols.__getitem__, 3).tolist()
[True, False, False]
"""

from __future__ import annotations

import ast
import difflib
import io
import tokenize
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np

from xrbvo.core.errors import InputError

__all__ = ["FilterError", "CompiledFilter", "compile_filter", "FUNCTIONS", "MAX_FILTER_LENGTH", "MAX_NUMBER",
           "MAX_EXPONENT"]

#: Longest filter text accepted (characters).
MAX_FILTER_LENGTH = 2000
#: Largest magnitude of a whole-number literal (numbers are computed as floats; larger ones are refused).
MAX_NUMBER = 10**18
#: Largest magnitude of a literal exponent after ``**`` (a float overflows long before).
MAX_EXPONENT = 1000
#: Most syntax-tree nodes accepted in one filter.
_MAX_NODES = 400


def _contains(col, text):
    if not isinstance(text, str):
        raise _EvalError("contains(column, \"text\") needs a quoted text as second argument")
    arr = np.asarray(col)
    if arr.dtype.kind not in "US":
        raise _EvalError("contains() works on text columns such as xid or predicted_class")
    return np.char.find(np.char.lower(arr.astype(str)), text.lower()) >= 0


#: Functions a filter may call: name -> (number of arguments, implementation).
FUNCTIONS: dict[str, tuple[int, Callable]] = {
    "abs": (1, np.abs),
    "sqrt": (1, np.sqrt),
    "log10": (1, np.log10),
    "log": (1, np.log),
    "ln": (1, np.log),
    "exp": (1, np.exp),
    "isnan": (1, lambda x: np.isnan(np.asarray(x, float))),
    "isfinite": (1, lambda x: np.isfinite(np.asarray(x, float))),
    "contains": (2, _contains),
}

_CONSTANTS = {"true": True, "false": False, "True": True, "False": False, "nan": float("nan"),
              "inf": float("inf")}

_BINOPS = {
    ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.true_divide,
    ast.Mod: np.mod, ast.Pow: np.power,
}
_CMPOPS = {
    ast.Eq: np.equal, ast.NotEq: np.not_equal, ast.Lt: np.less, ast.LtE: np.less_equal,
    ast.Gt: np.greater, ast.GtE: np.greater_equal,
}
_OP_TEXT = {ast.BitXor: "^", ast.FloorDiv: "//", ast.LShift: "<<", ast.RShift: ">>", ast.MatMult: "@",
            ast.Is: "is", ast.IsNot: "is not"}


class FilterError(InputError):
    """A filter expression that cannot be parsed or evaluated; the message says why and what to write."""


class _EvalError(Exception):
    pass


@dataclass(frozen=True)
class CompiledFilter:
    """A checked filter expression, ready to evaluate over columns.

    Parameters
    ----------
    text : str
        The filter text as given.
    columns : tuple[str, ...]
        Catalogue columns the expression reads, in order of first use.
    _fn : Callable
        The compiled predicate (made by :func:`compile_filter`, not by hand).
    """

    text: str
    """The filter text as given."""
    columns: tuple[str, ...]
    """Catalogue columns the expression reads, in order of first use."""
    _fn: Callable

    def mask(self, column: Callable[[str], np.ndarray], n_rows: int) -> np.ndarray:
        """Boolean mask of the rows that pass.

        Parameters
        ----------
        column : callable
            ``column(name)`` returns the whole column as an array (numbers as
            float with NaN for missing values, text as ``str`` arrays).
        n_rows : int
            Number of rows (used when the expression is a constant).

        Raises
        ------
        FilterError
            When the expression mixes types (e.g. compares text with a number)
            or does not give true/false.
        """
        try:
            with np.errstate(all="ignore"):
                out = self._fn(column)
        except _EvalError as exc:
            raise FilterError(f"filter {self.text!r}: {exc}") from None
        except (TypeError, ValueError, np.exceptions.DTypePromotionError) as exc:
            raise FilterError(f"filter {self.text!r}: the values do not fit together ({_first_line(exc)}); "
                              "compare text columns with quoted text and number columns with numbers") from None
        except (ArithmeticError, MemoryError, RecursionError) as exc:  # overflow, division by zero...
            raise FilterError(f"filter {self.text!r}: the arithmetic fails ({type(exc).__name__}: "
                              f"{_first_line(exc)}); use smaller numbers or a simpler expression") from None
        arr = np.asarray(out)
        if arr.dtype.kind != "b":
            raise FilterError(f"filter {self.text!r} gives {_kind(arr)}, not true/false; "
                              "write a comparison such as P_HMXB > 0.5")
        if arr.ndim == 0:
            return np.full(n_rows, bool(arr))
        if arr.shape != (n_rows,):
            raise FilterError(f"filter {self.text!r} gives {arr.shape} values for {n_rows} rows")
        return arr


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _kind(arr: np.ndarray) -> str:
    return {"f": "numbers", "i": "numbers", "u": "numbers", "U": "text", "S": "text"}.get(arr.dtype.kind, "values")


def _resolve(name: str, columns: Iterable[str]) -> str:
    cols = list(columns)
    if name in cols:
        return name
    folded = [c for c in cols if c.lower() == name.lower()]
    if len(folded) == 1:
        return folded[0]
    close = difflib.get_close_matches(name, cols, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else "; press ? for the column list"
    raise FilterError(f"filter: unknown column {name!r}{hint}")


class _Compiler:
    def __init__(self, text: str, columns: Iterable[str]):
        self.text = text
        self.columns = list(columns)
        self.used: list[str] = []
        self.nodes = 0

    def fail(self, node: ast.AST, what: str) -> FilterError:
        col = getattr(node, "col_offset", None)
        where = f" at character {col + 1}" if col is not None else ""
        return FilterError(f"filter {self.text!r}: {what}{where} is not allowed; use column names, numbers, "
                           "quoted text, comparisons, and/or/not, + - * / ** and "
                           f"{', '.join(sorted(FUNCTIONS))}()")

    def build(self, node: ast.AST) -> Callable:
        self.nodes += 1
        if self.nodes > _MAX_NODES:
            raise FilterError(f"filter is too long (more than {_MAX_NODES} parts); split it into simpler terms")
        meth = getattr(self, f"_{type(node).__name__}", None)
        if meth is None:
            raise self.fail(node, type(node).__name__.lower())
        return meth(node)

    def _Expression(self, node):
        return self.build(node.body)

    def _number(self, node, v):
        """A numeric literal as a float; whole numbers beyond :data:`MAX_NUMBER` are refused."""
        if isinstance(v, int) and not isinstance(v, bool):
            if abs(v) > MAX_NUMBER:
                digits = len(str(abs(v))) if abs(v).bit_length() < 10_000 else "thousands of"
                raise FilterError(f"filter {self.text!r}: the number at character {node.col_offset + 1} has "
                                  f"{digits} digits; whole numbers may be at most 1e18 in magnitude (write "
                                  "larger values as floats, e.g. 1e20)")
            return float(v)
        return v

    def _Constant(self, node):
        v = node.value
        if isinstance(v, bool) or isinstance(v, str):
            return lambda col, v=v: v
        if isinstance(v, (int, float)):
            v = self._number(node, v)
            return lambda col, v=v: v
        raise self.fail(node, f"the constant {v!r}")

    def _Name(self, node):
        if node.id in _CONSTANTS and node.id not in self.columns:
            v = _CONSTANTS[node.id]
            return lambda col, v=v: v
        name = _resolve(node.id, self.columns)
        if name not in self.used:
            self.used.append(name)
        return lambda col, name=name: col(name)

    def _literal_list(self, node):
        items = []
        for elt in node.elts:
            self.nodes += 1
            if isinstance(elt, ast.UnaryOp) and isinstance(elt.op, ast.USub) and isinstance(elt.operand, ast.Constant):
                val = elt.operand.value
                if isinstance(val, (int, float)) and not isinstance(val, bool):
                    items.append(-self._number(elt.operand, val))
                    continue
            if not isinstance(elt, ast.Constant) or not isinstance(elt.value, (int, float, str, bool)):
                raise self.fail(elt, "a list may hold only numbers or quoted text, and it")
            items.append(self._number(elt, elt.value))
        return items

    def _Tuple(self, node):
        raise self.fail(node, "a list outside `in (...)`")

    _List = _Tuple

    def _BoolOp(self, node):
        parts = [self.build(v) for v in node.values]
        op = np.logical_and if isinstance(node.op, ast.And) else np.logical_or

        def run(col):
            acc = _as_bool(parts[0](col))
            for p in parts[1:]:
                acc = op(acc, _as_bool(p(col)))
            return acc
        return run

    def _UnaryOp(self, node):
        inner = self.build(node.operand)
        if isinstance(node.op, (ast.Not, ast.Invert)):
            return lambda col: np.logical_not(_as_bool(inner(col)))
        if isinstance(node.op, ast.USub):
            return lambda col: np.negative(_as_number(inner(col)))
        if isinstance(node.op, ast.UAdd):
            return lambda col: _as_number(inner(col))
        raise self.fail(node, "this operator")

    def _BinOp(self, node):
        left, right = self.build(node.left), self.build(node.right)
        if isinstance(node.op, ast.BitAnd):
            return lambda col: np.logical_and(_as_bool(left(col)), _as_bool(right(col)))
        if isinstance(node.op, ast.BitOr):
            return lambda col: np.logical_or(_as_bool(left(col)), _as_bool(right(col)))
        fn = _BINOPS.get(type(node.op))
        if fn is None:
            raise self.fail(node, f"the operator {_OP_TEXT.get(type(node.op), type(node.op).__name__)!r}")
        if isinstance(node.op, ast.Pow):
            self._check_exponent(node.right)
        return lambda col: fn(_as_number(left(col)), _as_number(right(col)))

    def _check_exponent(self, node):
        """Refuse a literal exponent beyond :data:`MAX_EXPONENT` (computed exponents just overflow to inf)."""
        sign = 1
        while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            sign = -sign if isinstance(node.op, ast.USub) else sign
            node = node.operand
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            v = node.value
            if not abs(v) <= MAX_EXPONENT:  # also catches nan
                shown = (f"{sign * v:g}" if isinstance(v, float) else str(sign * v) if abs(v) <= MAX_NUMBER
                         else "of more than 18 digits")
                raise FilterError(f"filter {self.text!r}: the exponent {shown} at character {node.col_offset + 1} "
                                  f"is too large; exponents may be at most {MAX_EXPONENT} in magnitude")

    def _Compare(self, node):
        first = self.build(node.left)
        steps = []
        for op, comp in zip(node.ops, node.comparators):
            if isinstance(op, (ast.In, ast.NotIn)):
                if not isinstance(comp, (ast.Tuple, ast.List)):
                    raise self.fail(comp, "`in` needs a literal list such as (\"HMXB\", \"LMXB\"); anything else")
                items = self._literal_list(comp)
                steps.append((op, items))
                continue
            fn = _CMPOPS.get(type(op))
            if fn is None:
                raise self.fail(node, f"the comparison {_OP_TEXT.get(type(op), type(op).__name__)!r}")
            steps.append((fn, self.build(comp)))

        def run(col):
            left = first(col)
            acc = None
            for op, right in steps:
                if isinstance(op, (ast.In, ast.NotIn)):
                    res = _isin(left, right)
                    if isinstance(op, ast.NotIn):
                        res = np.logical_not(res)
                    nxt = left
                else:
                    r = right(col)
                    _check_comparable(left, r)
                    res = op(left, r)
                    nxt = r
                acc = res if acc is None else np.logical_and(acc, res)
                left = nxt
            return acc
        return run

    def _Call(self, node):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            name = node.func.id if isinstance(node.func, ast.Name) else "this call"
            raise self.fail(node, f"the function {name!r}")
        if node.keywords:
            raise self.fail(node, "a keyword argument")
        n_args, fn = FUNCTIONS[node.func.id]
        if len(node.args) != n_args:
            raise FilterError(f"filter {self.text!r}: {node.func.id}() takes {n_args} argument"
                              f"{'s' if n_args > 1 else ''}, got {len(node.args)}")
        args = [self.build(a) for a in node.args]
        if node.func.id == "contains":
            return lambda col: fn(args[0](col), args[1](col))
        return lambda col: fn(_as_number(args[0](col)))


def _as_bool(x):
    arr = np.asarray(x)
    if arr.dtype.kind == "b":
        return arr
    if arr.dtype.kind in "US":
        raise _EvalError("text cannot stand for true/false; compare it, e.g. predicted_class == \"HMXB\"")
    return arr != 0


def _as_number(x):
    arr = np.asarray(x)
    if arr.dtype.kind in "US":
        raise _EvalError("arithmetic on text is not possible; use == or contains() on text columns")
    if arr.dtype.kind in "iuO":  # floats only: no wrap-around, no negative-power error, no big-int explosion
        arr = arr.astype(float)
    return arr


def _check_comparable(a, b):
    ka, kb = np.asarray(a).dtype.kind, np.asarray(b).dtype.kind
    ta, tb = ka in "US", kb in "US"
    if ta != tb:
        raise _EvalError("text is compared with a number; quote text values (\"HMXB\") and compare numbers with numbers")


def _isin(left, items):
    arr = np.asarray(left)
    if arr.dtype.kind in "US":
        vals = [v for v in items if isinstance(v, str)]
        if len(vals) != len(items):
            raise _EvalError("`in` on a text column needs quoted text in the list")
        return np.isin(arr.astype(str), vals)
    vals = [v for v in items if not isinstance(v, str)]
    if len(vals) != len(items):
        raise _EvalError("`in` on a number column needs numbers in the list")
    return np.isin(arr, vals)


def _spell_out_logic(src: str) -> str:
    """Read ``&``, ``&&``, ``|``, ``||`` and ``~`` as and/or/not (with their low precedence).

    TOPCAT and pandas users write ``a > 1 & b < 2``; in Python ``&`` would bind
    tighter than ``>``.  Only operator tokens change; quoted text is kept.
    """
    words = {"&": "and", "|": "or", "~": "not"}
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(src).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return src  # ast.parse reports the problem with its position
    if not any(t.type == tokenize.OP and t.string in words for t in toks):
        return src
    out, last_end, prev = [], 0, ""
    for t in toks:
        if t.type in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER):
            continue
        start = t.start[1]
        out.append(src[last_end:start])
        if t.type == tokenize.OP and t.string in words:
            if t.string == prev:  # && or ||: the second one adds nothing
                out.append(" ")
            else:
                out.append(f" {words[t.string]} ")
        else:
            out.append(t.string)
        prev = t.string if t.type == tokenize.OP else ""
        last_end = t.end[1]
    out.append(src[last_end:])
    return "".join(out)


def compile_filter(text: str, columns: Iterable[str]) -> CompiledFilter:
    """Parse and check a filter expression.

    Parameters
    ----------
    text : str
        The expression, e.g. ``P_HMXB > 0.5 and abs(b) < 2``.
    columns : iterable of str
        Column names it may use (matched exactly, else ignoring case when that
        is unambiguous).

    Returns
    -------
    CompiledFilter

    Raises
    ------
    FilterError
        For a syntax error, an unknown column or function, or any construct
        outside the whitelist; the message names the problem and what to write.
    """
    if not isinstance(text, str):
        raise FilterError(f"filter must be text, got {type(text).__name__}")
    src = text.strip()
    if not src:
        raise FilterError("filter is empty; write an expression such as P_HMXB > 0.5, or clear it to show every row")
    if len(src) > MAX_FILTER_LENGTH:
        raise FilterError(f"filter is {len(src)} characters long; at most {MAX_FILTER_LENGTH} are accepted")
    if "\n" in src or "\r" in src:
        raise FilterError("filter must be one line")
    src = _spell_out_logic(src)
    try:
        tree = ast.parse(src, mode="eval")
    except SyntaxError as exc:
        pos = f" at character {exc.offset}" if exc.offset else ""
        raise FilterError(f"filter {text!r}: not a valid expression{pos} ({exc.msg}); "
                          "write e.g. P_HMXB > 0.5 and abs(b) < 2") from None
    except (ValueError, RecursionError, MemoryError):
        raise FilterError(f"filter {text!r}: cannot be parsed; simplify it") from None
    comp = _Compiler(text, columns)
    fn = comp.build(tree)
    return CompiledFilter(text=text, columns=tuple(comp.used), _fn=fn)
