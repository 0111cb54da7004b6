"""Stage 4, output: the intermediate model printed, gated and put on disk.

API::

    render(ir) -> {path: Rendered}            # render.py: one Jinja template per output kind
    render_ddl(ir) -> str
    postprocess(rendered, expected_names) -> {path: text}
                                              # gate.py: libcst parse, names check, ruff
    compare_tree(root, files) -> TreeDiff     # writer.py: what `batchrepo check` reports
    write_tree(root, files)                   # all files or none

Errors: :class:`RenderError` (a template misused the IR), :class:`GateError` (rendered text
that does not parse or binds unexpected names), :class:`OutputError` (the tree cannot be
written).
"""
