// In a batch, which node name each image will get from the pattern: exact for {n}, "its hostname" for the
// guests not inspected yet (only the selected one has been looked into).

import { basename } from '../lib/basename';
import { expandNodeName, isNodeNamePattern } from '../../../main/rules/names';

export function NodeNamePreview({ images, pattern, inspected, hostname }: { images: readonly string[]; pattern: string; inspected?: string; hostname?: string }) {
  const p = pattern.trim();
  const nameOf = (image: string, n: number) => {
    const known = image === inspected ? hostname ?? '' : undefined;
    if (!p) return known ? known.split('.')[0] : "its guest's hostname";
    if (!isNodeNamePattern(p) || !p.includes('{hostname}') || known !== undefined) {
      const name = expandNodeName(p, { n, hostname: known ?? '' });
      return name.ok ? name.value : name.problem.message;
    }
    // Not inspected yet: show the pattern with {n} filled in and {hostname} left to the run.
    return p.replace(/\{n\}/g, String(n));
  };
  return (
    <ul className="node-names" aria-label="Node name of each image" data-testid="node-names">
      {images.map((image, i) => (
        <li key={image}>
          <code>{basename(image)}</code> → <strong>{nameOf(image, i + 1)}</strong>
        </li>
      ))}
    </ul>
  );
}
