import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/**
 * A uPlot chart in a figure. The canvas is a picture for sighted readers (`role="img"` with the summary as its
 * name); the figure's table beside it carries the same numbers for everyone else.
 */
export function UplotChart({ options, data, summary }: { options: Omit<uPlot.Options, 'width' | 'height'>; data: uPlot.AlignedData; summary: string }) {
  const target = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = target.current!;
    const chart = new uPlot({ width: Math.max(320, Math.min(720, element.clientWidth || 720)), height: 240, legend: { show: false }, ...options }, data, element);
    element.querySelector('canvas')?.setAttribute('aria-hidden', 'true');
    return () => chart.destroy();
  }, [options, data]);
  return <div ref={target} role="img" aria-label={summary} className="chart" />;
}
