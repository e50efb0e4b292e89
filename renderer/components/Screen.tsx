import { useEffect, useRef, type ReactNode } from 'react';

type Props = {
  title: string;
  className?: string;
  /** An `elementtiming` name for the heading: the benchmarks read when it was first painted. */
  timing?: string;
  children: ReactNode;
};

/**
 * One step on screen. Focus moves to its heading when it appears, so a screen reader announces the new step and
 * keyboard focus order starts from the top of it.
 */
export function Screen({ title, className, timing, children }: Props) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus({ preventScroll: true }), []);
  return (
    <section className={className ? `screen ${className}` : 'screen'} aria-labelledby="screen-title">
      <h1 id="screen-title" ref={heading} tabIndex={-1} elementtiming={timing}>
        {title}
      </h1>
      {children}
    </section>
  );
}
