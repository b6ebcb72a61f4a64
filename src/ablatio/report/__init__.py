"""Presentation of results: self-contained HTML reports, SVG charts and PNG figures."""

from ablatio.report.html import render_html, write_html
from ablatio.report.run import RunRecord, read_run, render_run, write_run

__all__ = ["RunRecord", "read_run", "render_html", "render_run", "write_html", "write_run"]
