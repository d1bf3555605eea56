"""The bottom layer: errors, the table schema, physics and the survey registry (imports nothing of xrbvo's)."""

from xrbvo.core.errors import Cancelled, InputError, ModelError, ServiceError, XrbvoError, XrbvoWarning

__all__ = ["XrbvoError", "InputError", "ServiceError", "ModelError", "Cancelled", "XrbvoWarning"]
