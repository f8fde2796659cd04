/**
 * Content-Security-Policy for every response. Stops injected markup from running: if some text ever
 * escaped Preact's escaping (a file name, a model reply, a review note), an inline `<script>`, an
 * event-handler attribute, a `javascript:` URL or a script from another origin would still not run,
 * nothing could be sent to another origin (connect-src), and no page could frame ours (clickjacking).
 *
 * What the app itself needs: scripts and Monaco's language workers are same-origin files from the
 * Vite build (`new Worker(new URL(...))`, no blob: workers); Monaco creates `<style>` elements at run
 * time, hence `style-src 'unsafe-inline'` (styles cannot run code); Monaco's codicon font and a few
 * data: images in its CSS.
 */
export const contentSecurityPolicy = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  workerSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  frameAncestors: ["'none'"],
  formAction: ["'self'"],
};
