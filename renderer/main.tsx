import { createRoot } from 'react-dom/client';
import { KioskLoader } from './KioskLoader.tsx';
import './styles.css';

// A public touch screen: no long-press menu, no pinch or gesture zoom.
document.addEventListener('contextmenu', (event) => event.preventDefault());
document.addEventListener('gesturestart', (event) => event.preventDefault());

const root = document.getElementById('root');
if (root) createRoot(root).render(<KioskLoader search={window.location.search} />);
