// Step 3: the Java runtime archive to install in the guest. Optional when the ProActive distribution
// bundles one; checked against the guest's OS and CPU here, so a wrong build is refused before a run.

import { useWizard } from '../api/context';
import { ArchivePicker } from '../components/ArchivePicker';
import { ErrorBox, Warnings } from '../components/ErrorBox';
import { Facts } from '../components/Facts';
import { StepHeading } from '../components/StepHeading';
import { formatBytes } from '../../../main/rules/units';
import { javaCompat } from '../store/wizard';

export function JavaStep() {
  const jre = useWizard((s) => s.jre);
  const bundled = useWizard((s) => s.proactive.info?.bundledJre);
  const inspect = useWizard((s) => s.inspect);
  const guest = inspect.report?.guest;
  // Derived in render from stable slices: a selector returning a fresh object would re-render forever.
  const compat = javaCompat({ jre, inspect });

  return (
    <section className="step" aria-labelledby="step-title">
      <StepHeading>Java</StepHeading>
      <p className="lead" data-testid="java-optional">
        {bundled
          ? `Optional: the ProActive archive you chose bundles Java ${bundled.version} (${bundled.os} ${bundled.arch}), which the node uses when no runtime is given here.`
          : 'Optional when the ProActive distribution bundles a Java runtime (6.2+ node archives usually ship jre/): leave this empty and the next step tells you. 3.x distributions need one here.'}
        {guest ? ` The guest is ${guest.osType} ${guest.arch}.` : null}
      </p>
      <ArchivePicker role="jre" what="Java runtime" />
      {jre.status === 'ok' && jre.info ? (
        <>
          <Facts
            label="Java runtime"
            items={[
              ['Version', `${jre.info.version} (Java ${jre.info.major})`],
              ['Built for', `${jre.info.os} ${jre.info.arch}${jre.info.source === 'inferred' ? ' (inferred from names)' : ''}`],
              ['Home in archive', <code key="h">{jre.info.home || '/'}</code>],
              ['Unpacked size', `${formatBytes(jre.info.unpackedBytes)} in ${jre.info.entryCount} entries`],
            ]}
          />
          {compat.problem ? <ErrorBox error={compat.problem} title="Wrong Java build for this guest" /> : null}
          <Warnings items={compat.warnings} label="Java warnings" />
        </>
      ) : null}
    </section>
  );
}
