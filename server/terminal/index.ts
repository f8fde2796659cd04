/**
 * The workspace's Terminal: a shell in the attempt's sandbox over a WebSocket, recorded on the
 * timeline (service.ts, recorder.ts). The route is server/http/routes/terminal.ts.
 */
export {
  TerminalService,
  defaultTerminalOptions,
  CLOSE_FINAL,
  CLOSE_ENDED,
  CLOSE_TAKEN_OVER,
  REASONS,
  type Attachment,
  type ServerMessage,
  type TerminalClient,
  type TerminalOptions,
} from './service.ts';
export { defaultRecordLimits, TerminalRecorder, type IoPayload, type RecordLimits } from './recorder.ts';
