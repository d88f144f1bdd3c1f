// Step 4: the ProActive node distribution. Its generation decides the start script and options
// (6.2+: bin/proactive-node with workers; 3.x: rm-start-node, no workers, Java required).

import { useWizard } from '../api/context';
import { ArchivePicker } from '../components/ArchivePicker';
import { ErrorBox, Warnings } from '../components/ErrorBox';
import { Facts } from '../components/Facts';
import { StepHeading } from '../components/StepHeading';
import { formatBytes } from '../../../main/rules/units';
import { bundledJavaCompat, proactiveCompat } from '../store/wizard';

export function ProactiveStep() {
  const pa = useWizard((s) => s.proactive);
  const hasJre = useWizard((s) => !!s.jre.info);
  const inspect = useWizard((s) => s.inspect);
  const compat = bundledJavaCompat({ proactive: pa, inspect });
  const fit = proactiveCompat({ proactive: pa, inspect });
  const info = pa.status === 'ok' ? pa.info : undefined;

  return (
    <section className="step" aria-labelledby="step-title">
      <StepHeading>ProActive</StepHeading>
      <p className="lead">The ProActive node distribution archive (6.2 and later, or 3.x).</p>
      <ArchivePicker role="proactive" what="ProActive" />
      {info ? (
        <>
          <Facts
            label="ProActive distribution"
            items={[
              ['Generation', info.generation === 'modern' ? '6.2+ (bin/proactive-node)' : '3.x (bin/unix/rm-start-node)'],
              ['Version', info.version],
              // Node distributions are made per OS: which scripts this one has, the guest needs its own OS's.
              ['Start scripts', startScripts(info)],
              ['Bundled Java', info.bundledJre ? `${info.bundledJre.version} (${info.bundledJre.os} ${info.bundledJre.arch})` : 'none'],
              ['Unpacked size', `${formatBytes(info.unpackedBytes)} in ${info.entryCount} entries`],
            ]}
          />
          {fit.problem ? <ErrorBox error={fit.problem} title="This distribution does not fit this guest" /> : null}
          {!hasJre && !info.bundledJre ? (
            <ErrorBox
              error={{ code: 'JRE_NOT_FOUND', message: 'This distribution bundles no Java runtime and none was chosen.', fix: 'Go back to the Java step and choose a Java runtime archive for the guest.' }}
            />
          ) : null}
          {hasJre && info.bundledJre ? <p className="note">The Java runtime chosen at the Java step is used instead of the bundled one.</p> : null}
          {!hasJre && compat.problem ? <ErrorBox error={compat.problem} title="The bundled Java does not fit this guest" /> : null}
          {!hasJre ? <Warnings items={compat.warnings} label="Bundled Java warnings" /> : null}
        </>
      ) : null}
    </section>
  );
}

function startScripts(info: { startScript?: string; windowsStartScript?: string }) {
  return (
    <span key="s">
      {info.startScript ? <>Linux <code>{info.startScript}</code></> : null}
      {info.startScript && info.windowsStartScript ? ', ' : null}
      {info.windowsStartScript ? <>Windows <code>{info.windowsStartScript.split('/').join('\\')}</code></> : null}
    </span>
  );
}
