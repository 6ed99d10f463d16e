/* exported P2pCharts */
/**
 * The control center's charts, drawn as SVG from GET /stats (see control-center.page.js, the script that runs after
 * this one and uses this file's one global).
 * @typedef {'relays' | 'clients' | 'pairings' | 'requests' | 'refusals'} SeriesKey
 * @typedef {{ at: number, value: number | null }} ChartPoint
 * @typedef {{ at: number, value: number }} ShownPoint
 * @typedef {{ key: SeriesKey, values: ChartPoint[] }} ChartSeries
 * @typedef {{ label: string, value: number, key: SeriesKey }} ChartBar
 */
const P2pCharts = (() => {
  'use strict';
  const SVG = 'http://www.w3.org/2000/svg';
  const WINDOW_MS = 15 * 60 * 1000;
  /** @type {Record<SeriesKey, string>} */
  const COLORS = { relays: '#2f6fde', clients: '#2f6fde', pairings: '#1f8a4c', requests: '#2f6fde', refusals: '#c23b3b' };

  /**
   * @param {string} tag
   * @param {Record<string, string | number>} attributes
   * @param {string} [text]
   */
  function svgNode(tag, attributes, text) {
    const element = document.createElementNS(SVG, tag);
    for (const name in attributes) element.setAttribute(name, String(attributes[name]));
    if (text !== undefined) element.textContent = text;
    return element;
  }

  /**
   * A round top for the y axis: 1, 2 or 5 times a power of ten, at least max.
   * @param {number} max
   */
  function niceMax(max) {
    if (!(max > 0)) return 1;
    const power = Math.pow(10, Math.floor(Math.log10(max)));
    for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
    return 10 * power;
  }

  /** @param {number} value */
  function formatNumber(value) {
    if (value >= 1e6) return (value / 1e6).toFixed(1) + 'M';
    if (value >= 1e4) return (value / 1e3).toFixed(0) + 'k';
    if (value >= 1e3) return (value / 1e3).toFixed(1) + 'k';
    return String(Math.round(value * 10) / 10);
  }

  /** @param {number} value */
  function formatBytes(value) {
    if (value >= 1048576) return (value / 1048576).toFixed(1) + ' MiB';
    if (value >= 1024) return (value / 1024).toFixed(1) + ' KiB';
    return value + ' B';
  }

  /**
   * Lines over the last 15 minutes; series is [{key, values: [{at, value}]}]. The svg says its latest values.
   * @param {Element} svg
   * @param {ChartSeries[]} series
   * @param {number} now
   */
  function lineChart(svg, series, now) {
    const width = 300;
    const height = 150;
    const left = 34;
    const bottom = 16;
    const plotWidth = width - left - 4;
    const plotHeight = height - bottom - 6;
    let max = 0;
    for (const line of series) for (const point of line.values) if (point.value !== null && point.value > max) max = point.value;
    const top = niceMax(max);
    const x = (/** @type {number} */ at) => left + plotWidth * Math.max(0, (at - (now - WINDOW_MS)) / WINDOW_MS);
    const y = (/** @type {number} */ value) => 6 + plotHeight * (1 - value / top);
    const children = [];
    for (const fraction of [0, 0.5, 1]) {
      const lineY = y(top * fraction);
      children.push(svgNode('line', { x1: left, x2: width - 4, y1: lineY, y2: lineY, stroke: '#e3e7ee', 'stroke-width': 1 }));
      children.push(svgNode('text', { x: left - 4, y: lineY + 3, 'text-anchor': 'end' }, formatNumber(top * fraction)));
    }
    children.push(svgNode('text', { x: left, y: height - 3 }, '-15 min'));
    children.push(svgNode('text', { x: width - 4, y: height - 3, 'text-anchor': 'end' }, 'now'));
    for (const line of series) {
      const points = line.values.filter(
        /** @type {(point: ChartPoint) => point is ShownPoint} */ ((point) => point.value !== null && point.at >= now - WINDOW_MS),
      );
      if (points.length === 0) continue;
      const coordinates = points.map((point) => x(point.at).toFixed(1) + ',' + y(point.value).toFixed(1));
      if (points.length === 1) coordinates.unshift(x(points[0].at - 1000).toFixed(1) + ',' + y(points[0].value).toFixed(1));
      children.push(
        svgNode('polyline', {
          points: coordinates.join(' '),
          fill: 'none',
          stroke: COLORS[line.key],
          'stroke-width': 2,
          'stroke-linejoin': 'round',
          'data-series': line.key,
        }),
      );
      // The latest and the highest value of each line, for tests and for anyone reading the page's DOM.
      svg.setAttribute('data-' + line.key, String(points[points.length - 1].value));
      svg.setAttribute('data-' + line.key + '-max', String(Math.max(...points.map((point) => point.value))));
    }
    svg.replaceChildren(...children);
  }

  /**
   * Horizontal bars, one per label: [{label, value, key}], largest first.
   * @param {Element} svg
   * @param {ChartBar[]} bars
   */
  function barChart(svg, bars) {
    const width = 300;
    const rowHeight = 16;
    const labelWidth = 130;
    const shown = bars.slice(0, 8);
    svg.setAttribute('viewBox', '0 0 ' + width + ' ' + Math.max(150, shown.length * rowHeight + 8));
    const top = niceMax(shown.reduce((max, bar) => Math.max(max, bar.value), 0));
    const children = shown.map((bar, i) => {
      const group = svgNode('g', { 'data-label': bar.label, 'data-value': bar.value });
      const barY = 4 + i * rowHeight;
      group.append(
        svgNode('text', { x: labelWidth - 6, y: barY + 11, 'text-anchor': 'end', class: 'bar-label' }, bar.label),
        svgNode('rect', {
          x: labelWidth,
          y: barY + 2,
          height: rowHeight - 5,
          width: Math.max(1, ((width - labelWidth - 40) * bar.value) / top),
          fill: COLORS[bar.key],
        }),
        svgNode('text', { x: labelWidth + ((width - labelWidth - 40) * bar.value) / top + 4, y: barY + 11 }, formatNumber(bar.value)),
      );
      return group;
    });
    if (shown.length === 0) children.push(svgNode('text', { x: 8, y: 20 }, 'No pairing requests yet.'));
    svg.replaceChildren(...children);
  }

  return { lineChart, barChart, formatNumber, formatBytes };
})();
