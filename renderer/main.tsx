import { createRoot } from 'react-dom/client';
import { KioskLoader, loadProfile } from './KioskLoader.tsx';
import './styles.css';

// A public touch screen: no long-press menu, no pinch or gesture zoom.
document.addEventListener('contextmenu', (event) => event.preventDefault());
document.addEventListener('gesturestart', (event) => event.preventDefault());

const profile = loadProfile();
const root = document.getElementById('root');
if (root) createRoot(root).render(<KioskLoader profile={profile} search={window.location.search} />);
