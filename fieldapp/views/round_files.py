"""The round app's script and style sheet as a phone gets them (SPEC §5a: every phone
loads them whole, at the edge of Wi-Fi range).

The files on disk keep their comments and stay eight ES modules, one per concern, each
also served on its own under /static/round/. The page loads one script, `/round/app.js`:
the modules lean (`lean`) and joined into one module in the order the browser would run
them (`bundle`). One file gzips to 3 KB less than eight, because gzip sees the names
repeated across them (issue 20: 23.8 KB transferred as eight, goal 20 KB).

Joining modules into one scope keeps their meaning only when no two declare the same
top-level name, every imported name is exported by the module named, and the imports
form no cycle; `bundle` checks all three and refuses (BundleError) rather than serve a
script that means something else. `export let` bindings changed by their module's
setters stay live, as they are one variable."""
import hashlib
import os
import re

from flask import current_app, request

__all__ = ["BundleError", "DOCUMENT_ONLY", "ENTRY", "bundle", "bundle_response", "lean",
           "serve_lean"]

ENTRY = "main.js"
# Headers that mean nothing on a script or a style sheet (a policy and framing apply to
# documents; the ETag alone revalidates): 300 bytes less on each of the app's files.
DOCUMENT_ONLY = ("Content-Security-Policy", "X-Frame-Options", "Content-Disposition",
                 "Last-Modified")
# a `// why` after code with no quote, backtick or slash before it (so not in a string,
# a template or a regular expression)
_TRAILING = re.compile(r"^([^'\"`/]*?)\s+// .*$")
_IMPORT = re.compile(r"^import \{ ?([\w$]+(?:, ?[\w$]+)*) ?\} from '\./([\w-]+\.js)';$")
_EXPORT = re.compile(r"^export (?=(?:async )?(?:function|const|let|class) )")
_DECLARED = re.compile(r"^(?:export )?(?:async )?(?:function\*?|const|let|var|class) +([\w$]+)",
                       re.M)


class BundleError(ValueError):
    """The modules cannot be joined without changing what they mean."""


def lean(text, comment):
    """The round app's source as the phone gets it: whole-line comments (`//`, or one-line
    `/* */` in CSS), a `// comment` after plain code, and indentation dropped, every line
    kept (an error's line number still points at the source), a multi-line template
    literal left exactly as it is."""
    out, inside = [], False
    for line in text.split("\n"):
        if not inside:
            line = line.strip()
            if line.startswith(comment) and (comment == "//" or line.endswith("*/")):
                line = ""
            elif comment == "//":
                line = _TRAILING.sub(r"\1", line)
        out.append(line)
        inside ^= line.count("`") % 2 == 1
    return "\n".join(out)


def _module(folder, name):
    """(imports [(names, module)], names exported, names declared at the top level (not
    indented in the source), body lines without import lines and export keywords)."""
    with open(os.path.join(folder, name), encoding="utf-8") as handle:
        source = handle.read()
    imports, exported, body = [], set(), []
    for line in lean(source, "//").split("\n"):
        if line.startswith("import"):
            match = _IMPORT.match(line)
            if not match:
                raise BundleError(f"{name}: only `import {{ a, b }} from './x.js';` is "
                                  f"joined: {line!r}")
            imports.append(([n.strip() for n in match[1].split(",") if n.strip()], match[2]))
        elif line.startswith("export"):
            if not _EXPORT.match(line):
                raise BundleError(f"{name}: only `export` before a declaration is joined: "
                                  f"{line!r}")
            body.append(line[len("export "):])
            exported.update(_DECLARED.findall(line))
        else:
            body.append(line)
    return imports, exported, _DECLARED.findall(source), body


def bundle(folder, entry=ENTRY):
    """The modules `entry` imports, directly or not, as one module's source: each after
    the modules it imports (the browser's evaluation order), under a `/* name */` line."""
    order, modules = [], {}

    def visit(name, path):
        if name in path:
            raise BundleError("imports run in a circle: " + " → ".join(path + (name,)))
        if name in modules:
            return
        modules[name] = _module(folder, name)
        for _, used in modules[name][0]:
            visit(used, path + (name,))
        order.append(name)

    visit(entry, ())
    declared = {}
    for name in order:
        imports, _, tops, _ = modules[name]
        for top in tops:
            if top in declared:
                raise BundleError(f"{top} is declared in {declared[top]} and {name}")
            declared[top] = name
        for names, used in imports:
            missing = sorted(set(names) - modules[used][1])
            if missing:
                raise BundleError(f"{name} imports {', '.join(missing)}, which {used} "
                                  "does not export")
    return "".join(f"/* {name} */\n" + "\n".join(modules[name][3]).rstrip("\n") + "\n"
                   for name in order)


_BUNDLES = {}       # (folder, the modules' sizes and times) -> (body bytes, ETag)


def bundle_response():
    """`/round/app.js`: the bundle, made again only when a module file changes, with an
    ETag so a phone that has it gets a 304."""
    folder = os.path.join(current_app.static_folder, "round")
    key = (folder,) + tuple(sorted((entry.name, entry.stat().st_mtime_ns, entry.stat().st_size)
                                   for entry in os.scandir(folder)))
    made = _BUNDLES.get(key)      # read once: another thread may clear it in between
    if made is None:
        body = bundle(folder).encode("utf-8")
        made = body, hashlib.sha256(body).hexdigest()[:20]
        _BUNDLES.clear()
        _BUNDLES[key] = made
    body, etag = made
    response = current_app.response_class(body, mimetype="text/javascript")
    response.set_etag(etag)
    response.cache_control.no_cache = True      # revalidate: a new laptop version shows at once
    return response.make_conditional(request)


def serve_lean(response):
    """After every request: send the round app's JS and CSS lean (the files on disk keep
    their comments) and without document headers. Runs before gzip."""
    path = request.path
    if request.endpoint == "round.script":
        for name in DOCUMENT_ONLY:
            response.headers.pop(name, None)
        return response
    if (request.endpoint != "static" or response.status_code != 200 or request.method != "GET"
            or not response.direct_passthrough
            or not (path.startswith("/static/round/") and path.endswith(".js")
                    or path == "/static/round.css")):
        return response
    key = (path, response.get_etag()[0])
    response.direct_passthrough = False
    source = response.response
    body = _LEAN.get(key) if key[1] is not None else None
    if body is None:
        body = lean(response.get_data().decode("utf-8"), "//" if path.endswith(".js") else "/*")
        body = body.encode("utf-8")
        if len(_LEAN) >= 32:
            _LEAN.clear()
        _LEAN[key] = body
    if hasattr(source, "close"):
        source.close()                  # the open file the bytes replace
    response.set_data(body)
    response.headers.pop("Accept-Ranges", None)     # ranges would be of the file's bytes
    for name in DOCUMENT_ONLY:
        response.headers.pop(name, None)
    return response


_LEAN = {}      # (path, ETag) -> the lean bytes
