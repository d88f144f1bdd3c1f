#!/usr/bin/env node
// Renders resources/icon.svg to resources/icon.png (512x512, transparent), the size electron-builder wants
// to derive every platform icon from (Linux sizes, the Windows .ico). The PNG is committed; run this again
// only after changing the SVG:
//   node resources/render-icon.cjs [--chromium /path/to/chromium]     (or CHROMIUM_PATH=...)
// A real browser renders it so the PNG is exactly what the SVG says (gradients, strokes, antialiasing).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');

const SIZE = 512;

async function main() {
  const i = process.argv.indexOf('--chromium');
  const executablePath = i > 0 ? process.argv[i + 1] : process.env.CHROMIUM_PATH;
  const svg = fs.readFileSync(path.join(__dirname, 'icon.svg'), 'utf8');
  const browser = await chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: SIZE, height: SIZE }, deviceScaleFactor: 1 });
    await page.setContent(
      `<html><body style="margin:0;background:transparent">${svg.replace('<svg ', `<svg style="display:block;width:${SIZE}px;height:${SIZE}px" `)}</body></html>`,
    );
    const png = await page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: SIZE, height: SIZE } });
    fs.writeFileSync(path.join(__dirname, 'icon.png'), png);
    console.log(`wrote ${path.join(__dirname, 'icon.png')} (${png.length} bytes)`);
  } finally {
    await browser.close();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
