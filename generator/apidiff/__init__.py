"""``batchrepo diff``: the public API changes of the generated package since a base git ref,
each marked breaking or additive, as a pull-request comment or JSON.

API::

    diff_against(base, out) -> (base_label, ApiDiff)   # api_diff.py
    register(subparsers); run_diff(args) -> exit status (1: breaking)

Modules: :mod:`.surface` (what is compared: :class:`Api`, :class:`ApiDiff`), :mod:`.extract`
(source text -> :class:`Api`, with libcst), :mod:`.compare` (two APIs -> changes),
:mod:`.overloads` (a function as its callers see it: its ``@overload`` signatures, never the
implementation), :mod:`.calls` (one signature against another), :mod:`.subtypes` (which type
holds another: parameters may widen, return types narrow; the table of known supertypes),
:mod:`.formats` (markdown or JSON), :mod:`.api_diff` (git and the command).
"""
