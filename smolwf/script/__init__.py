"""Load workflow scripts: read metadata statically, vet and rewrite imports, detect the form."""

from smolwf.script.lexer import Token, TokenKind, iter_tokens
from smolwf.script.meta import META_ERROR, PhaseMeta, WorkflowMeta, extract_meta
from smolwf.script.source import (
    EXTRA_EXPORTS,
    HUMAN_EXPORTS,
    IMPORTS_RESTRICTED,
    MODULE_EXPORTS,
    SANDBOX_EXPORTS,
    PreparedScript,
    ScriptForm,
    load_script,
    prepare_source,
)

__all__ = [
    "EXTRA_EXPORTS",
    "HUMAN_EXPORTS",
    "IMPORTS_RESTRICTED",
    "META_ERROR",
    "MODULE_EXPORTS",
    "SANDBOX_EXPORTS",
    "PhaseMeta",
    "PreparedScript",
    "ScriptForm",
    "Token",
    "TokenKind",
    "WorkflowMeta",
    "extract_meta",
    "iter_tokens",
    "load_script",
    "prepare_source",
]
