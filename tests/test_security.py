"""Security properties of the app's source and configuration, checked statically (no server).

- Nothing user-supplied is unpickled or evaluated, no shell is run, and so on: ruff's `S` rules
  (flake8-bandit, selected in pyproject.toml) check the whole tree; one test runs `ruff check`.
- No user-supplied text is rendered as HTML: every `st.html(...)`, every call with
  `unsafe_allow_html=True` and every custom component's `html=`/`css=`/`js=` gets a constant (literals
  and module-level constants only), and what `st.html` gets is CSS in a `<style>` tag, nothing else.
  No ruff rule knows Streamlit's HTML sinks, so this scan stays.
- Uploads are capped in the server configuration (`server.maxUploadSize`, MB).

The browser half (a `<script>` label and an `<img onerror>` URL shown as inert text) is in
tests/e2e/test_faults_e2e.py.
"""

import ast
import subprocess
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUR_CODE = [
    ROOT / "app.py",
    *sorted(path for package in ("pages", "appkit", "twolayer") for path in (ROOT / package).rglob("*.py")),
]
MAX_UPLOAD_MB = 10


@dataclass
class Source:
    path: Path
    tree: ast.Module

    @property
    def name(self) -> str:
        return str(self.path.relative_to(ROOT))


SOURCES = [Source(path, ast.parse(path.read_text(), filename=str(path))) for path in OUR_CODE]


def test_the_scan_sees_all_our_code():
    names = {s.name for s in SOURCES}
    assert {"app.py", "pages/playground.py", "pages/your_data.py", "appkit/settings.py", "twolayer/data.py"} <= names


# --- ruff's security rules -------------------------------------------------------------------------


def test_ruff_passes_with_the_security_rules_on():
    """`ruff check` on the whole repository, with pyproject.toml's rules, which must include `S` (bandit:
    pickle, eval/exec, yaml.load, shells and subprocesses, ...); per-file exceptions are justified there."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["lint"]
    assert "S" in config["select"], "pyproject.toml's [tool.ruff.lint] select must keep the S (security) rules"
    result = subprocess.run(  # noqa: S603 - this interpreter running ruff, a fixed command line
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"ruff check failed:\n{result.stdout}{result.stderr}"
    # Negative control: with this configuration, ruff does flag unpickling and eval in the app's code.
    probe = subprocess.run(  # noqa: S603 - as above
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", "--stdin-filename",
         "appkit/probe.py", "-"],
        input="import pickle\n\n\ndef f(data, text):\n    return pickle.loads(data), eval(text)\n",
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert "S301" in probe.stdout and "S307" in probe.stdout, probe.stdout + probe.stderr


# --- constants ------------------------------------------------------------------------------------


def module_constants(tree: ast.Module) -> dict[str, ast.expr]:
    """Names bound exactly once in the whole file, by a module-level assignment: name -> its expression.
    A name also bound elsewhere (in a function, a loop, as a parameter) is not a constant."""
    bindings = Counter(n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
    bindings.update(a.arg for a in ast.walk(tree) if isinstance(a, ast.arg))
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and bindings[target.id] == 1:
            out[target.id] = value
    return out


def constant_values(node: ast.expr, constants: dict[str, ast.expr], depth: int = 0) -> list[str] | None:
    """Every string `node` can evaluate to, if it is built only from literals and module constants
    (`+`, `a if cond else b`, f-strings of constants); None if any part of it could come from elsewhere."""
    if depth > 20:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Name) and node.id in constants:
        return constant_values(constants[node.id], constants, depth + 1)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = (
            constant_values(node.left, constants, depth + 1),
            constant_values(node.right, constants, depth + 1),
        )
        return None if left is None or right is None else [a + b for a in left for b in right]
    if isinstance(node, ast.IfExp):  # the condition may be anything: both branches must be constant
        body, orelse = (
            constant_values(node.body, constants, depth + 1),
            constant_values(node.orelse, constants, depth + 1),
        )
        return None if body is None or orelse is None else body + orelse
    if isinstance(node, ast.JoinedStr):
        parts = [[""]]
        for value in node.values:
            inner = value.value if isinstance(value, ast.FormattedValue) else value
            part = constant_values(inner, constants, depth + 1)
            if part is None:
                return None
            parts.append(part)
        out = [""]
        for part in parts:
            out = [a + b for a in out for b in part]
        return out
    return None


def test_constant_values_tells_constants_from_user_text():
    tree = ast.parse("A = '<style>a</style>'\nB = A + '<style>b</style>'\ndef f(x):\n    C = 1\n")
    constants = module_constants(tree)
    expr = lambda text: ast.parse(text, mode="eval").body  # noqa: E731
    assert constant_values(expr("B"), constants) == ["<style>a</style><style>b</style>"]
    assert constant_values(expr("A + (B if x else '')"), constants) == [
        "<style>a</style><style>a</style><style>b</style>",
        "<style>a</style>",
    ]
    assert constant_values(expr("A + x"), constants) is None
    assert constant_values(expr("f'{A}{x}'"), constants) is None
    assert constant_values(expr("C"), constants) is None  # local to a function
    assert constant_values(expr("str(A)"), constants) is None


# --- HTML -----------------------------------------------------------------------------------------


def dotted(node: ast.expr) -> str:
    """'st.components.v2.component' for an attribute chain; '' for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


HTML_FUNCTIONS = {"st.html", "streamlit.html", "components.html", "components_v1.html", "st.components.v1.html"}
HTML_FUNCTIONS |= {"components.iframe", "components_v1.iframe", "st.components.v1.iframe", "st.iframe"}
COMPONENT_FACTORIES = {"st.components.v2.component", "components.v2.component", "components_v2.component"}


def html_sinks() -> list[tuple[Source, ast.Call, str, ast.expr]]:
    """(source, call, what, argument) for every place where our code hands a string to an HTML sink."""
    sinks = []
    for source in SOURCES:
        for node in ast.walk(source.tree):
            if not isinstance(node, ast.Call):
                continue
            name = dotted(node.func)
            if name in HTML_FUNCTIONS or name.endswith(".html") and name.split(".")[0] in ("st", "streamlit"):
                args = node.args[:1] + [k.value for k in node.keywords if k.arg in ("body", "html", "src")]
                sinks += [(source, node, name, arg) for arg in args]
            if name in COMPONENT_FACTORIES:
                sinks += [
                    (source, node, f"{name}({k.arg}=)", k.value)
                    for k in node.keywords
                    if k.arg in ("html", "css", "js")
                ]
            unsafe = [k for k in node.keywords if k.arg == "unsafe_allow_html"]
            if unsafe and not (isinstance(unsafe[0].value, ast.Constant) and unsafe[0].value.value is False):
                sinks += [(source, node, f"{name}(unsafe_allow_html=...)", arg) for arg in node.args]
    return sinks


def test_st_html_is_used_and_the_scan_finds_it():
    found = {(s.name, what) for s, _, what, _ in html_sinks()}
    assert any(what == "st.html" for _, what in found)
    assert any(what.startswith("st.components.v2.component") for _, what in found)


def constants_in_scope(source: Source) -> dict[str, ast.expr]:
    """The module's constants, and those it imports by name from a sibling module (`from .assets import X`)
    where X is a constant there."""
    constants = module_constants(source.tree)
    for node in source.tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            sibling = source.path.with_name(node.module.replace(".", "/") + ".py")
            theirs = module_constants(ast.parse(sibling.read_text(), filename=str(sibling)))
            for alias in node.names:
                if alias.name in theirs and (alias.asname or alias.name) not in constants:
                    constants[alias.asname or alias.name] = theirs[alias.name]
    return constants


def test_constants_in_scope_follow_an_import_from_a_sibling_module():
    (live_chart,) = [s for s in SOURCES if s.name == "appkit/live_chart.py"]
    constants = constants_in_scope(live_chart)
    assert constant_values(ast.Name("MODULE_LOADER"), constants)[0].startswith("const M=")
    assert "asset_url" not in constants  # a function, not a constant


def test_every_html_sink_gets_a_constant_never_user_text():
    problems = []
    for source, call, what, arg in html_sinks():
        if constant_values(arg, constants_in_scope(source)) is None:
            problems.append(f"{source.name}:{call.lineno}: {what} gets {ast.unparse(arg)!r}, not a constant")
    assert problems == []


def test_no_element_renders_html_from_markdown():
    problems = []
    for source in SOURCES:
        for node in ast.walk(source.tree):
            if isinstance(node, ast.Call):
                for k in node.keywords:
                    if k.arg == "unsafe_allow_html" and not (
                        isinstance(k.value, ast.Constant) and k.value.value is False
                    ):
                        problems.append(f"{source.name}:{node.lineno}: {ast.unparse(node)[:80]}")
    assert problems == []


def test_st_html_gets_only_css():
    for source, call, what, arg in html_sinks():
        if what != "st.html":
            continue
        for value in constant_values(arg, module_constants(source.tree)):
            stripped = value.strip()
            assert stripped.startswith("<style>") and stripped.endswith("</style>"), (source.name, call.lineno)
            assert stripped.count("<") == stripped.count("<style>") + stripped.count("</style>"), value
            lowered = value.lower()
            for bad in ("<script", "javascript:", "expression(", "@import", "url("):
                assert bad not in lowered, (source.name, call.lineno, bad)


# --- upload size ----------------------------------------------------------------------------------


def test_upload_size_is_capped_in_the_server_configuration():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    size = config.get("server", {}).get("maxUploadSize")
    assert isinstance(size, int) and 1 <= size <= MAX_UPLOAD_MB, size
    assert config["server"].get("enableXsrfProtection", True) is True
    assert config["server"].get("enableCORS", True) is True


def test_no_file_uploader_raises_the_cap():
    for source in SOURCES:
        for node in ast.walk(source.tree):
            if isinstance(node, ast.Call) and dotted(node.func).endswith("file_uploader"):
                for k in node.keywords:
                    if k.arg == "max_upload_size":
                        assert isinstance(k.value, ast.Constant) and k.value.value <= MAX_UPLOAD_MB, source.name


def test_load_csv_refuses_more_than_the_upload_cap_allows():
    from twolayer.data import MAX_BYTES

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] * 1_000_000 <= MAX_BYTES  # the server's cap bites first
    assert MAX_BYTES <= MAX_UPLOAD_MB * 1_000_000  # and a file from elsewhere is capped as well
