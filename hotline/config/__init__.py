"""hotline.config: the per-hotline YAML configuration, its model and its loader."""

from hotline.config.errors import ConfigError, ConfigIssue, HotlineNotFoundError
from hotline.config.loader import (
    available_hotlines,
    check_config_main,
    config_dir,
    find_hotline,
    load_checked,
    load_hotline,
    prompts_manifest_path,
)
from hotline.config.menu import (
    AnnouncementNode,
    CallbackNode,
    ChoiceNode,
    CollectNode,
    EmergencyConfig,
    GotoNode,
    HangupNode,
    LookupNode,
    MenuConfig,
    MenuNode,
    MenuOption,
    QueueNode,
    Target,
)
from hotline.config.schema import (
    HotlineConfig,
    OperatorConfig,
    QueueConfig,
    ShiftConfig,
    cross_check,
)
from hotline.config.types import WEEKDAYS, Language, Weekday

__all__ = [
    "WEEKDAYS",
    "AnnouncementNode",
    "CallbackNode",
    "ChoiceNode",
    "CollectNode",
    "ConfigError",
    "ConfigIssue",
    "EmergencyConfig",
    "GotoNode",
    "HangupNode",
    "HotlineConfig",
    "HotlineNotFoundError",
    "Language",
    "LookupNode",
    "MenuConfig",
    "MenuNode",
    "MenuOption",
    "OperatorConfig",
    "QueueConfig",
    "QueueNode",
    "ShiftConfig",
    "Target",
    "Weekday",
    "available_hotlines",
    "check_config_main",
    "config_dir",
    "cross_check",
    "find_hotline",
    "load_checked",
    "load_hotline",
    "prompts_manifest_path",
]
