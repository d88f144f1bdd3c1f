// Guest path helpers shared by inspection and the plans (pure).

/** /opt/proactive -> ['/opt', '/opt/proactive']: a directory and its parents, outermost first (what mkdir -p may create). */
export function selfAndParentsOf(dir: string): string[] {
  const parts = dir.split('/').filter(Boolean);
  return parts.map((_, i) => '/' + parts.slice(0, i + 1).join('/'));
}
