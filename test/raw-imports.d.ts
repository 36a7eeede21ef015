/** Vite's `?raw` suffix: the file's text as a string (for data files workerd cannot load as modules). */
declare module "*?raw" {
  const text: string;
  export default text;
}
