"""The API docs page, rendered on the server from the OpenAPI schema: no script and
nothing loaded from a CDN. (With drf-spectacular-sidecar installed, /api/docs/swagger/
also serves Swagger UI from our own static files.)"""

from __future__ import annotations

import json

from django.http import HttpResponse
from django.utils.html import escape
from drf_spectacular.generators import SchemaGenerator

METHODS = ("get", "post", "put", "patch", "delete")


def _ref_name(schema: dict) -> str:
    if not isinstance(schema, dict):
        return ""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"[{_ref_name(schema.get('items', {}))}]"
    return schema.get("type", "")


def _body(operation: dict) -> str:
    content = operation.get("requestBody", {}).get("content", {})
    parts = []
    for media, spec in content.items():
        parts.append(f"{escape(media)}: <code>{escape(_ref_name(spec.get('schema', {})))}</code>")
    return "<br>".join(parts)


def api_docs(request):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    info = schema.get("info", {})
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{escape(info.get('title', 'API'))}</title>",
        "<style>body{font:15px/1.5 system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em}"
        "code,pre{background:#f4f4f6;padding:1px 4px;border-radius:3px}pre{padding:8px;overflow:auto}"
        ".op{border-top:1px solid #ddd;padding:.6em 0}.m{display:inline-block;min-width:4.5em;font-weight:700}"
        ".get{color:#0a6}.post{color:#06c}.delete{color:#c20}table{border-collapse:collapse}"
        "td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}</style>",
        "</head><body>",
        f"<h1>{escape(info.get('title', 'API'))} <small>{escape(info.get('version', ''))}</small></h1>",
        f"<p>{escape(info.get('description', ''))}</p>",
        "<p>Machine-readable schema: <a href='/api/schema/'>/api/schema/</a> (OpenAPI 3, YAML; "
        "<a href='/api/schema/?format=json'>JSON</a>).</p>",
        "<h2>Endpoints</h2>",
    ]
    for path_name, item in schema.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if not op:
                continue
            out.append("<div class='op'>")
            out.append(f"<span class='m {method}'>{method.upper()}</span> <code>{escape(path_name)}</code>")
            if op.get("description"):
                out.append(f"<p>{escape(op['description'])}</p>")
            params = op.get("parameters", [])
            if params:
                out.append("<table><tr><th>parameter</th><th>in</th><th>type</th><th></th></tr>")
                for p in params:
                    out.append(
                        f"<tr><td><code>{escape(p.get('name', ''))}</code></td><td>{escape(p.get('in', ''))}</td>"
                        f"<td>{escape(_ref_name(p.get('schema', {})))}</td>"
                        f"<td>{escape(p.get('description', ''))}</td></tr>"
                    )
                out.append("</table>")
            if body := _body(op):
                out.append(f"<p>Request: {body}</p>")
            responses = []
            for code, resp in op.get("responses", {}).items():
                schema_name = ""
                for spec in resp.get("content", {}).values():
                    schema_name = _ref_name(spec.get("schema", {}))
                responses.append(
                    f"{escape(code)} <code>{escape(schema_name)}</code> {escape(resp.get('description', ''))}"
                )
            out.append("<p>Responses: " + "; ".join(responses) + "</p>")
            out.append("</div>")
    out.append("<h2>Schemas</h2>")
    for name, component in schema.get("components", {}).get("schemas", {}).items():
        out.append(f"<h3 id='{escape(name)}'>{escape(name)}</h3>")
        out.append(f"<pre>{escape(json.dumps(component, indent=2, default=str))}</pre>")
    out.append("</body></html>")
    return HttpResponse("".join(out))
