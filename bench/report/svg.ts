/** Draws the figures as a self-contained SVG: one panel per kind of figure, gateway beside bare on each row. */
import type { Figure } from './figures.js';
import { formatNumber } from './table.js';

const PANELS: Array<{ title: string; keys: (key: string) => boolean }> = [
  {
    title: 'Throughput (higher is better)',
    keys: (k) =>
      ['relay64.max', 'relay1k.max', 'ack.rate', 'handshakes.full', 'handshakes.full.capacity', 'handshakes.reuse'].includes(k) ||
      ['pairunpair.reuse', 'pairunpair.reuse.capacity'].includes(k),
  },
  { title: 'Latency percentiles, ms (lower is better)', keys: (k) => /^(relay\w+\.fixed|ack)\.p(50|99)$/.test(k) },
  { title: 'Server CPU seconds per million relays / round trips (lower is better)', keys: (k) => /^(relay\w+|ack)\.cpu$/.test(k) },
  { title: 'Server memory per connected client after GC, KB (lower is better)', keys: (k) => /^clients\w+\.(rss|heap)$/.test(k) },
];

const WIDTH = 860;
const LABEL_X = 12;
const BAR_X = 330;
const BAR_MAX = 380;
const ROW_HEIGHT = 36;
const BAR_HEIGHT = 12;
const COLORS = { bare: '#9aa3ad', gateway: '#2b7bb9' };

const SUBTITLE_CHARS = 125;

/** Breaks a ' · '-separated line into lines of at most `width` characters. */
function wrap(line: string, width: number): string[] {
  const lines: string[] = [];
  for (const part of line.split(' · ')) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last]!.length + 3 + part.length <= width) lines[last] += ` · ${part}`;
    else lines.push(part);
  }
  return lines;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${x}" y="${y}" ${attrs}>${escape(content)}</text>`;
}

function row(figure: Figure, y: number): string[] {
  const scale = Math.max(figure.bare ?? 0, figure.gateway ?? 0) || 1;
  const parts = [text(LABEL_X, y + BAR_HEIGHT + 4, figure.unit ? `${figure.label} (${figure.unit})` : figure.label)];
  (['bare', 'gateway'] as const).forEach((server, i) => {
    const value = figure[server];
    const barY = y + i * (BAR_HEIGHT + 2);
    const width = value === null ? 0 : Math.max(1, (value / scale) * BAR_MAX);
    parts.push(`<rect x="${BAR_X}" y="${barY}" width="${width.toFixed(1)}" height="${BAR_HEIGHT}" fill="${COLORS[server]}"/>`);
    parts.push(text(BAR_X + width + 4, barY + BAR_HEIGHT - 2, formatNumber(value), 'class="value"'));
  });
  if (figure.ratio !== null)
    parts.push(text(WIDTH - 12, y + BAR_HEIGHT + 4, `${figure.ratio.toFixed(2)}x`, 'text-anchor="end" class="ratio"'));
  return parts;
}

export function drawChart(figures: Figure[], subtitle: string): string {
  const body: string[] = [];
  let y = 28;
  body.push(text(LABEL_X, y, 'nest-p2p-gateway vs a bare Socket.IO relay', 'class="title"'));
  body.push(`<rect x="${WIDTH - 250}" y="${y - 11}" width="12" height="12" fill="${COLORS.bare}"/>`, text(WIDTH - 234, y, 'bare relay'));
  body.push(`<rect x="${WIDTH - 150}" y="${y - 11}" width="12" height="12" fill="${COLORS.gateway}"/>`, text(WIDTH - 134, y, 'gateway'));
  for (const line of wrap(subtitle, SUBTITLE_CHARS)) {
    y += 16;
    body.push(text(LABEL_X, y, line, 'class="sub"'));
  }
  y += 14;
  for (const panel of PANELS) {
    const rows = figures.filter((f) => panel.keys(f.key));
    if (rows.length === 0) continue;
    y += 22;
    body.push(text(LABEL_X, y, panel.title, 'class="panel"'), text(WIDTH - 12, y, 'gw/bare', 'text-anchor="end" class="sub"'));
    y += 10;
    for (const figure of rows) {
      body.push(...row(figure, y));
      y += ROW_HEIGHT;
    }
  }
  y += 8;
  body.push(
    text(
      LABEL_X,
      y,
      'Bars: medians over rounds. gw/bare: the median of the per-round ratios, each pair measured back to back.',
      'class="sub"',
    ),
  );
  const height = y + 12;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    '<style>.title{font-size:16px;font-weight:bold}.panel{font-size:13px;font-weight:bold}.sub{fill:#555}.value{fill:#333;font-size:11px}.ratio{font-weight:bold}</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
