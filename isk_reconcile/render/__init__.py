"""Rendering plans and dashboards: terminal text, JSON, Markdown, tables, Excel, HTML."""
