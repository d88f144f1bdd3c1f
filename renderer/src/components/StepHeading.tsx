// Each step's h2. It takes focus when the step appears, so keyboard and screen-reader users land on
// the new step instead of a Next button that moved.

import { useEffect, useRef } from 'react';

export function StepHeading({ children }: { children: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  return (
    <h2 ref={ref} id="step-title" tabIndex={-1} className="step-heading">
      {children}
    </h2>
  );
}
