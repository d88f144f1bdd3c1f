// Driving the wizard page like a user: real drag-and-drop events, typing paths, pressing Next once the
// step is valid. Waits are on visible text and enabled buttons (never sleeps): inspection and runs take
// tens of seconds under TCG and vary with the machine's load.

// In-page code (page.evaluate) runs in Chromium: it needs the DOM types, which the root tsconfig leaves out.
/// <reference lib="dom" />

import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;

/**
 * Drops a file on the element the way a Linux file manager's drag does: a DataTransfer holding a File
 * (whose host path a browser never reveals) and `text/uri-list` with its file:// URI; then the
 * dragenter / dragover / drop sequence on the drop zone.
 */
export async function dropFile(page: Page, selector: string, hostPath: string, name: string): Promise<void> {
  const uri = pathToFileURL(hostPath).href;
  await page.locator(selector).waitFor();
  await page.evaluate(
    ({ selector, uri, name }) => {
      const el = document.querySelector(selector);
      if (!el) throw new Error(`no element ${selector}`);
      const dt = new DataTransfer();
      dt.items.add(new File(['not the image: the page never reads it'], name));
      dt.setData('text/uri-list', `${uri}\r\n`);
      for (const type of ['dragenter', 'dragover', 'drop']) {
        el.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
      }
    },
    { selector, uri, name },
  );
}

export function heading(page: Page, name: string) {
  return page.getByRole('heading', { level: 2, name, exact: true });
}

/** Presses Next once it is enabled (the step became valid) and waits for the next step's heading. */
export async function next(page: Page, to: string, timeout = 2 * MINUTE): Promise<void> {
  await page.getByRole('button', { name: to === 'Run' ? 'Run' : 'Next', exact: true }).click({ timeout });
  await heading(page, to).waitFor({ timeout });
}

/** Types an archive path in the step's field and presses Enter (detection), then waits for its facts. */
export async function chooseArchive(page: Page, role: 'jre' | 'proactive', archive: string, factsLabel: string): Promise<void> {
  await page.locator(`#${role}-path`).fill(archive);
  await page.locator(`#${role}-path`).press('Enter');
  await page.getByLabel(factsLabel).first().waitFor({ timeout: MINUTE });
}
