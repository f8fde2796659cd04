import { parseModelJson } from './parse-model-json.mjs';

const reply = 'Sure! Here is the result:\n\n```json\n{ "sentiment": "positive", "score": 0.92 }\n```\n';
console.log(parseModelJson(reply));
