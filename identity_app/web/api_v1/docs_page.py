"""The API's reference page (/api/v1/docs), rendered on the server from the OpenAPI document: no
script and nothing fetched from a CDN, so it works offline and under the site's strict policy."""
from __future__ import annotations

from html import escape
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1f2937}
h1{margin-bottom:0}h2{margin-top:2.5rem;border-bottom:1px solid #e5e7eb}
.op{border:1px solid #e5e7eb;border-radius:8px;padding:.75rem 1rem;margin:1rem 0}
.m{display:inline-block;min-width:4.5rem;font-weight:700;font-family:monospace}
.GET{color:#2563eb}.POST{color:#059669}.DELETE{color:#dc2626}
code,pre{font-family:ui-monospace,monospace;font-size:13px}pre{background:#f3f4f6;padding:.75rem;overflow:auto}
table{border-collapse:collapse;width:100%;margin:.5rem 0}td,th{border-bottom:1px solid #e5e7eb;padding:.25rem .5rem;
text-align:left;vertical-align:top}.muted{color:#6b7280}
"""


def _type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f'<a href="#schema-{escape(name)}">{escape(name)}</a>'
    if "anyOf" in schema:
        return " | ".join(_type(s) for s in schema["anyOf"])
    if "enum" in schema:
        return " | ".join(f"<code>{escape(str(v))}</code>" for v in schema["enum"])
    if "const" in schema:
        return f"<code>{escape(str(schema['const']))}</code>"
    if schema.get("type") == "array":
        return "list of " + _type(schema.get("items", {}))
    kind = str(schema.get("type", "object"))
    return escape(kind + (f" ({schema['format']})" if "format" in schema else ""))


def _limits(schema: dict[str, Any]) -> str:
    keys = ("minimum", "maximum", "minLength", "maxLength", "default")
    return ", ".join(f"{k} {escape(repr(schema[k]))}" for k in keys if k in schema)


def _operation(method: str, path: str, op: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td><code>{escape(p['name'])}</code></td><td>{escape(p['in'])}</td>"
        f"<td>{_type(p.get('schema', {}))}</td><td>{'required' if p.get('required') else ''}</td>"
        f"<td class=muted>{escape(p.get('description', '') or _limits(p.get('schema', {})))}</td></tr>"
        for p in op.get("parameters", []))
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    responses = "".join(
        f"<tr><td><code>{escape(code)}</code></td><td>{escape(r.get('description', ''))}</td><td>"
        + ", ".join(f"{escape(ct)} {_type(c.get('schema', {}))}" for ct, c in r.get("content", {}).items())
        + "</td></tr>" for code, r in op.get("responses", {}).items())
    scope = "" if not op.get("security") else " <span class=muted>(API key)</span>"
    return (f'<div class=op id="{escape(op.get("operationId", ""))}"><div><span class="m {method.upper()}">'
            f"{method.upper()}</span><code>{escape(path)}</code> {escape(op.get('summary', ''))}{scope}</div>"
            + (f"<p>{escape(op['description'])}</p>" if op.get("description") else "")
            + (f"<table><tr><th>parameter</th><th>in</th><th>type</th><th></th><th></th></tr>{rows}</table>"
               if rows else "")
            + (f"<p>Body: {_type(body)}</p>" if body else "")
            + f"<table><tr><th>status</th><th></th><th>body</th></tr>{responses}</table></div>")


def _schema(name: str, schema: dict[str, Any]) -> str:
    required = set(schema.get("required", []))
    rows = "".join(
        f"<tr><td><code>{escape(field)}</code></td><td>{_type(s)}</td><td>{'required' if field in required else ''}"
        f"</td><td class=muted>{escape(s.get('description', '') or _limits(s))}</td></tr>"
        for field, s in schema.get("properties", {}).items())
    return (f'<h3 id="schema-{escape(name)}">{escape(name)}</h3>'
            + (f"<p>{escape(schema['description'])}</p>" if schema.get("description") else "")
            + (f"<table>{rows}</table>" if rows else ""))


def html(doc: dict[str, Any]) -> str:
    info = doc.get("info", {})
    ops = "".join(_operation(method, path, op) for path, item in doc.get("paths", {}).items()
                  for method, op in item.items())
    schemas = "".join(_schema(n, s) for n, s in sorted(doc.get("components", {}).get("schemas", {}).items()))
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport "
            f'content="width=device-width,initial-scale=1"><title>{escape(info.get("title", "API"))}</title>'
            f"<style>{_STYLE}</style></head><body><h1>{escape(info.get('title', 'API'))}</h1>"
            f"<p class=muted>version {escape(info.get('version', ''))} · "
            f'<a href="openapi.json">OpenAPI document</a></p><p>{escape(info.get("description", ""))}</p>'
            f"<h2>Operations</h2>{ops}<h2>Schemas</h2>{schemas}</body></html>")


def render(request: Request) -> HTMLResponse:
    return HTMLResponse(html(request.app.openapi()), headers={"Cache-Control": "no-cache"})
