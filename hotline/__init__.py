"""hotline: an IVR and call-queue controller for Asterisk."""

__version__ = "0.1.0"
