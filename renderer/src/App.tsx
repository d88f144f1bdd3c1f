// The shell: tabs (wizard / history), the step list, the current step, Back/Next with the reason Next
// is disabled, and the theme toggle.

import { useEffect, useState, type ReactElement } from 'react';
import { useWizard } from './api/context';
import { HistoryView } from './history/HistoryView';
import { RecoveryBanner } from './components/RecoveryBanner';
import { GuestStep } from './steps/GuestStep';
import { ImageStep } from './steps/ImageStep';
import { JavaStep } from './steps/JavaStep';
import { ManagerStep } from './steps/ManagerStep';
import { ProactiveStep } from './steps/ProactiveStep';
import { ResultStep } from './steps/ResultStep';
import { ReviewStep } from './steps/ReviewStep';
import { RunStep } from './steps/RunStep';
import { canVisit, runActive, STEPS, stepsOf, stepStatus, type StepId } from './store/wizard';
import { applyTheme, loadTheme, nextTheme, saveTheme, type Theme } from './theme';

const VIEWS: Record<StepId, () => ReactElement> = {
  image: ImageStep,
  guest: GuestStep,
  java: JavaStep,
  proactive: ProactiveStep,
  manager: ManagerStep,
  review: ReviewStep,
  run: RunStep,
  result: ResultStep,
};

function StepList() {
  const step = useWizard((s) => s.step);
  const goTo = useWizard((s) => s.goTo);
  const visitable = useWizard((s) => STEPS.map((x) => canVisit(s, x.id)).join(','));
  const allowed = visitable.split(',');
  const mode = useWizard((s) => s.mode);
  const shown = stepsOf(mode);
  return (
    <nav aria-label="Steps" className="step-list">
      <ol>
        {STEPS.map((x, i) => (
          <li key={x.id} className={`${x.id === step ? 'current' : ''}${shown.includes(x.id) ? '' : ' skipped'}`}>
            <button type="button" aria-label={`Step ${i + 1}: ${x.title}`} aria-current={x.id === step ? 'step' : undefined} disabled={allowed[i] !== 'true' && x.id !== step} onClick={() => goTo(x.id)}>
              <span className="num" aria-hidden="true">{i + 1}</span> {x.title}
            </button>
          </li>
        ))}
      </ol>
    </nav>
  );
}

function Footer() {
  const step = useWizard((s) => s.step);
  // Selected as primitives: stepStatus builds a new object on every call.
  const ok = useWizard((s) => stepStatus(s, s.step).ok);
  const reason = useWizard((s) => stepStatus(s, s.step).reason);
  const status = { ok, reason };
  const active = useWizard((s) => runActive(s));
  const next = useWizard((s) => s.next);
  const back = useWizard((s) => s.back);
  const mode = useWizard((s) => s.mode);
  if (step === 'result') return null;
  const isReview = step === 'review';
  const label = isReview ? 'Run' : mode === 'retarget' && step === 'manager' ? 'Change manager' : 'Next';
  return (
    <div className="footer">
      <button type="button" onClick={back} disabled={step === 'image' || active}>Back</button>
      <button type="button" className="primary" onClick={() => void next()} disabled={!status.ok} aria-describedby={status.ok ? undefined : 'next-reason'}>
        {label}
      </button>
      {!status.ok && status.reason ? (
        <p id="next-reason" className="next-reason" data-testid="next-reason">{status.reason}</p>
      ) : null}
    </div>
  );
}

export function App() {
  const view = useWizard((s) => s.view);
  const setView = useWizard((s) => s.setView);
  const step = useWizard((s) => s.step);
  const [theme, setTheme] = useState<Theme>(loadTheme);
  useEffect(() => applyTheme(theme), [theme]);
  const Step = VIEWS[step];

  return (
    <div className="app">
      <header className="app-header">
        <h1>Guestprep</h1>
        <div role="tablist" aria-label="Views" className="tabs">
          <button type="button" role="tab" id="tab-wizard" aria-selected={view === 'wizard'} aria-controls="panel" onClick={() => setView('wizard')}>Prepare</button>
          <button type="button" role="tab" id="tab-history" aria-selected={view === 'history'} aria-controls="panel" onClick={() => setView('history')}>History</button>
        </div>
        <button
          type="button"
          className="theme-toggle"
          onClick={() => {
            const t = nextTheme(theme);
            saveTheme(t);
            setTheme(t);
          }}
          aria-label={`Theme: ${theme}. Change theme`}
        >
          Theme: {theme}
        </button>
      </header>
      <RecoveryBanner />
      <div id="panel" role="tabpanel" aria-labelledby={view === 'wizard' ? 'tab-wizard' : 'tab-history'} className="panel">
        {view === 'wizard' ? (
          <div className="wizard">
            <StepList />
            <main className="main">
              <Step key={step} />
              <Footer />
            </main>
          </div>
        ) : (
          <main className="main">
            <HistoryView />
          </main>
        )}
      </div>
    </div>
  );
}
