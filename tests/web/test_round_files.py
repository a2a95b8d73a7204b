"""The round app's script and style sheet as served (views/round_files.py): lean files,
and the eight modules joined into the one script the page loads, refused when joining
them would change what they mean."""
import os
import re

import pytest

import fieldapp
from fieldapp.views.round_files import BundleError, bundle, lean

ROUND = os.path.join(os.path.dirname(fieldapp.__file__), "static", "round")


def test_lean_drops_comments_and_indentation_and_keeps_every_line():
    source = ("// top\nfunction f() {\n  // inside\n  const t = `a\n  // kept in a literal\n"
              "    b`;\n  const u = 'http://x'; // after a quote: kept\n"
              "  return t / 2; // after a slash: kept\n  f(); // after plain code: dropped\n}\n")
    assert lean(source, "//") == ("\nfunction f() {\n\nconst t = `a\n  // kept in a literal\n"
                                  "    b`;\nconst u = 'http://x'; // after a quote: kept\n"
                                  "return t / 2; // after a slash: kept\nf();\n}\n")
    css = "/* one */\n.a {\n  color: red; }\n/* two\n   lines */\n"
    assert lean(css, "/*") == "\n.a {\ncolor: red; }\n/* two\nlines */\n"


def test_the_round_app_is_served_lean_line_for_line(client, site):
    folder = os.path.join(os.path.dirname(fieldapp.__file__), "static")
    for name in ["round.css"] + [f"round/{n}" for n in os.listdir(os.path.join(folder, "round"))]:
        with open(os.path.join(folder, name), encoding="utf-8") as handle:
            source = handle.read()
        served = client.get(f"/static/{name}").get_data(as_text=True)
        assert served == lean(source, "/*" if name.endswith(".css") else "//")
        assert served.count("\n") == source.count("\n")
        assert len(served) < len(source)
        assert not re.search(r"^\s*//", served, re.M)
    other = client.get("/static/app.css")
    assert other.get_data(as_text=True).startswith("/*")    # the other pages' as they are
    other.close()


def modules(tmp_path, **files):
    for name, text in files.items():
        (tmp_path / f"{name}.js").write_text(text, encoding="utf-8")
    return str(tmp_path)


def test_modules_are_joined_each_after_what_it_imports_without_imports_or_exports(tmp_path):
    folder = modules(tmp_path, main="import { a, b } from './a.js';\nimport { c } from './c.js';\n"
                                    "console.log(a, b, c);\n",
                     a="import { c } from './c.js';\n// why\nexport let a = c + 1;\n"
                       "export function b() { a += 1; }\n",
                     c="export const c = 1;\n")
    assert bundle(folder) == ("/* c.js */\nconst c = 1;\n"
                              "/* a.js */\n\nlet a = c + 1;\nfunction b() { a += 1; }\n"
                              "/* main.js */\nconsole.log(a, b, c);\n")


@pytest.mark.parametrize("files, refusal", [
    ({"main": "import { x } from './a.js';\nconst y = 1;\n", "a": "export const y = 2;\n"},
     "y is declared in a.js and main.js"),
    ({"main": "import { x } from './a.js';\n", "a": "const x = 2;\n"},
     "main.js imports x, which a.js does not export"),
    ({"main": "import { a } from './a.js';\n", "a": "import { m } from './main.js';\n"
                                                     "export const a = 1;\n"},
     "imports run in a circle: main.js → a.js → main.js"),
    ({"main": "import { a as b } from './a.js';\n", "a": "export const a = 1;\n"},
     "only `import { a, b } from './x.js';`"),
    ({"main": "import * as all from './a.js';\n", "a": "export const a = 1;\n"},
     "only `import { a, b } from './x.js';`"),
    ({"main": "const a = 1;\nexport default a;\n"}, "only `export` before a declaration"),
    ({"main": "const a = 1;\nexport { a };\n"}, "only `export` before a declaration"),
])
def test_modules_that_would_mean_something_else_joined_are_refused(tmp_path, files, refusal):
    with pytest.raises(BundleError, match=re.escape(refusal)):
        bundle(modules(tmp_path, **files))


def test_names_declared_inside_functions_may_repeat_across_modules(tmp_path):
    folder = modules(tmp_path, main="import { f } from './a.js';\nfunction g() {\n"
                                    "  const n = 1;\n  return n;\n}\n",
                     a="export function f() {\n  const n = 2;\n  return n;\n}\n")
    assert "const n = 1;" in bundle(folder) and "const n = 2;" in bundle(folder)


def test_the_page_loads_one_script_holding_every_module_of_the_app(client, site):
    html = client.get("/round").get_data(as_text=True)
    assert re.findall(r'<script type="module" src="([^"]+)"', html) == ["/round/app.js"]
    response = client.get("/round/app.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.get_data(as_text=True) == bundle(ROUND)
    for name in os.listdir(ROUND):
        with open(os.path.join(ROUND, name), encoding="utf-8") as handle:
            source = lean(handle.read(), "//")
        # each module's code is in it, less its import lines and export keywords
        kept = [line for line in source.split("\n") if not line.startswith("import ")]
        assert "\n".join(line.removeprefix("export ") for line in kept) in \
            response.get_data(as_text=True), name


def test_the_script_is_revalidated_by_its_etag_and_carries_no_document_headers(client, site):
    first = client.get("/round/app.js")
    etag = first.headers["ETag"]
    assert "no-cache" in first.headers["Cache-Control"]
    assert "Content-Security-Policy" not in first.headers
    assert "X-Frame-Options" not in first.headers
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    again = client.get("/round/app.js", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""


def test_the_script_is_made_again_when_a_module_changes(client, site, tmp_path, monkeypatch):
    folder = tmp_path / "static"
    (folder / "round").mkdir(parents=True)
    (folder / "round" / "main.js").write_text("const a = 1;\n", encoding="utf-8")
    monkeypatch.setattr(client.application, "static_folder", str(folder))
    first = client.get("/round/app.js")
    (folder / "round" / "main.js").write_text("const a = 22;\n", encoding="utf-8")
    second = client.get("/round/app.js")
    assert first.get_data(as_text=True) == "/* main.js */\nconst a = 1;\n"
    assert second.get_data(as_text=True) == "/* main.js */\nconst a = 22;\n"
    assert first.headers["ETag"] != second.headers["ETag"]
