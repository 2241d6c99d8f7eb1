/** `node build/src/testing/chdb-http-main.js --path DIR --port 8123`: chdb-http as a process (for scripts). */
import { startChdbHttp } from './chdb-http.js';

const arg = (name: string, def?: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : def;
};
const server = await startChdbHttp({ path: arg('--path', './chdb-http-data')!, port: Number(arg('--port', '8123')), host: arg('--host', '127.0.0.1') });
console.log(JSON.stringify({ url: server.url }));
const stop = () => void server.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
