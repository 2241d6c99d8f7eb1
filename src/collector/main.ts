import { replayCommand } from './replay.js';
export async function main(argv: string[]): Promise<void> {
  process.exitCode = await replayCommand(argv.slice(1));
}
