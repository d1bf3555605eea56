"""xrbvo: find new Galactic X-ray binaries among X-ray survey sources with VO data."""

__version__ = "0.1.0"

from xrbvo.core.errors import InputError, ModelError, ServiceError, XrbvoError  # noqa: E402

__all__ = ["__version__", "XrbvoError", "InputError", "ServiceError", "ModelError"]
