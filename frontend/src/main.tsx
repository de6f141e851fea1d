import { createRoot } from 'react-dom/client';
import { App } from './app.tsx';
import { I18nProvider } from './lib/i18n-react.tsx';
import './styles.css';

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <I18nProvider>
      <App />
    </I18nProvider>,
  );
}
