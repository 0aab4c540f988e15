"""hotline.config: the per-hotline YAML configuration, its model and its loader."""

from hotline.config.errors import ConfigError, ConfigIssue, HotlineNotFoundError
from hotline.config.loader import (
    available_hotlines,
    check_config_main,
    config_dir,
    find_hotline,
    load_hotline,
    prompts_manifest_path,
)
from hotline.config.schema import (
    WEEKDAYS,
    ChoiceNode,
    EmergencyConfig,
    HotlineConfig,
    Language,
    MenuConfig,
    MenuNode,
    MenuOption,
    OperatorConfig,
    QueueConfig,
    ShiftConfig,
    Weekday,
    cross_check,
)

__all__ = [
    "WEEKDAYS",
    "ChoiceNode",
    "ConfigError",
    "ConfigIssue",
    "EmergencyConfig",
    "HotlineConfig",
    "HotlineNotFoundError",
    "Language",
    "MenuConfig",
    "MenuNode",
    "MenuOption",
    "OperatorConfig",
    "QueueConfig",
    "ShiftConfig",
    "Weekday",
    "available_hotlines",
    "check_config_main",
    "config_dir",
    "cross_check",
    "find_hotline",
    "load_hotline",
    "prompts_manifest_path",
]
