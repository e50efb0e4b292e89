/** The screens the first screen does not show, as one chunk of their own (renderer/later-screens.ts loads it). */
export { OptInStep } from './OptInStep.tsx';
export { StopMessages } from './StopMessages.tsx';
export { TechnicianMode } from '../technician/TechnicianMode.tsx';
