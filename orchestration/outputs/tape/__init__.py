"""Today's tape: the daily market note on small caps against large, from the marts.

For the latest date of the warehouse (or a given one) it writes a self-contained HTML page
(inline CSS and SVG charts, nothing fetched) and a markdown version whose charts are SVG
files beside it:

    reports/tape-2026-11-20.html
    reports/tape-2026-11-20.md
    reports/tape-2026-11-20/relative-strength.svg, ...

- `queries/`: the SQL it runs on the marts, one file per section, each runnable by hand;
- `sections.py`: each section's rows and the charts; `words.py`: its rules in words, from
  the settings the marts recorded; `formatting.py`: how numbers are written (a null is "n/a");
- `templates/`: the HTML page, its CSS and the markdown, in Jinja2;
- `render.py`: renders and writes the files; `command.py`: `capgap tape`.
"""
