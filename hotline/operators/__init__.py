"""hotline.operators: what an operator can do to their own state (log in, pause, be ready),
from any surface: the CLI, the phone's feature codes, the controller's shift keeper."""

from hotline.operators.control import OperatorControl, OperatorError, login_arguments

__all__ = ["OperatorControl", "OperatorError", "login_arguments"]
