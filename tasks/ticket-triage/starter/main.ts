// Demo: triages a few sample tickets against the model. Run: node --import tsx main.ts
import { triage } from './src/triage.ts';

const samples = [
  {
    subject: 'Charged twice this month',
    body: 'My card was charged twice for the March invoice. Please refund one.',
  },
  { subject: 'Dashboard crashes', body: 'The usage dashboard shows an error 500 since this morning.' },
  { subject: 'Dark mode?', body: 'It would be great to have a dark mode in the console.' },
  { subject: '', body: '   ' },
];

for (const ticket of samples) {
  const started = Date.now();
  try {
    console.log(JSON.stringify(await triage(ticket)), `(${Date.now() - started} ms)`);
  } catch (error) {
    console.log('THREW:', error instanceof Error ? error.message : error);
  }
}
