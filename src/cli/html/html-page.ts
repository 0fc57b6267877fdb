// The shell every lbx HTML file shares: one self-contained page, styles inline, no scripts, nothing fetched.
import { escapeHtml } from './escape-html.js';

const STYLE = `
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;margin:24px auto;max-width:1000px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#666;margin:0 0 16px}.empty{color:#888;font-style:italic}
figure.chart{margin:12px 0 20px}figcaption{font-weight:600;margin-bottom:4px}
svg{width:100%;height:auto;display:block}
.grid{stroke:#eee}.axis{stroke:#999}.tick,.unit{font-size:11px;fill:#666}.label{font-size:12px;fill:#333}.value{font-size:10px;fill:#444}
.line{fill:none;stroke-width:2;stroke-linejoin:round}.dot{stroke:none}
.legend{list-style:none;padding:0;margin:0 0 4px;display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px}
.swatch{display:inline-block;width:10px;height:10px;margin-right:5px;border-radius:2px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}th,td{padding:3px 10px;text-align:right;border-bottom:1px solid #eee}
th:first-child,td:first-child{text-align:left}th{color:#555;font-weight:600}
.share{display:inline-block;height:9px;background:#4e79a7;vertical-align:middle;margin-right:6px}
`;

export interface HtmlTable {
  readonly headers: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** A plain table; every cell escaped. */
export function renderHtmlTable(table: HtmlTable): string {
  const head = `<tr>${table.headers.map((header) => `<th>${escapeHtml(header)}</th>`).join('')}</tr>`;
  const body = table.rows.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`).join('');
  return `<table>${head}${body}</table>`;
}

/** A whole document: `title` escaped here, `bodyHtml` already safe. */
export function renderHtmlPage(title: string, bodyHtml: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>${bodyHtml}</body></html>
`;
}
