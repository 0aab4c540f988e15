"""hotline.prompts: the voice prompts' texts (manifest), their rendering and its checks.

`prompts/manifest.yaml` says what every menu prompt says per language; the number, waiting-time
and position fragments come from `hotline.ivr.speech_texts.FRAGMENT_TEXTS`. `build_prompts`
renders them with espeak-ng and sox to `prompts/<lang>/<id>.wav` (8 kHz, 16-bit, mono), once:
a file is rendered again only when its text changes, and a studio recording put in its place
is never overwritten.
"""

from hotline.prompts.build import STATE_FILE, BuildReport, build_prompts
from hotline.prompts.check import (
    check_prompts,
    dialplan_sounds,
    menu_prompt_fields,
    menu_prompt_ids,
    missing_prompt_texts,
)
from hotline.prompts.errors import ManifestError, PromptsError, RenderError, ToolMissingError
from hotline.prompts.manifest import (
    FRAGMENTS_ORIGIN,
    Manifest,
    PromptText,
    Segment,
    default_manifest_path,
    default_prompts_dir,
    load_manifest,
)
from hotline.prompts.render import Renderer, wav_format

__all__ = [
    "FRAGMENTS_ORIGIN",
    "STATE_FILE",
    "BuildReport",
    "Manifest",
    "ManifestError",
    "PromptText",
    "PromptsError",
    "RenderError",
    "Renderer",
    "Segment",
    "ToolMissingError",
    "build_prompts",
    "check_prompts",
    "default_manifest_path",
    "default_prompts_dir",
    "dialplan_sounds",
    "load_manifest",
    "menu_prompt_fields",
    "menu_prompt_ids",
    "missing_prompt_texts",
    "wav_format",
]
