import type { Command } from 'commander';
import { startConsortium, treeRss } from '../consortium/launch.js';

const MB = 1024 * 1024;

/**
 * `yilian consortium up`: the development consortium of ops/consortium/launch.ts in the
 * foreground, each organisation's engine a process of its own; Ctrl-C stops them all.
 */
export function consortiumCommands(program: Command): void {
  const consortium = program
    .command('consortium')
    .description('a development consortium on this machine: one engine per organisation, one chain, one IPFS network');

  consortium
    .command('up')
    .requiredOption('--dir <dir>', 'where every organisation keeps its data (kept across starts)')
    .description(
      "start the CA's, two hospitals', a pharmacy's and a manufacturer's engines, each with its own data dir, ports and keys; Ctrl-C stops all",
    )
    .action(async (options: { dir: string }) => {
      const running = await startConsortium({ dir: options.dir, say: (line) => console.log(line) });
      for (const engine of running.engines) {
        const rss = await treeRss(engine.process.pid);
        console.log(
          `${engine.org.slug.padEnd(13)} ${engine.org.name} ${engine.account}  api ${engine.apiUrl}` +
            (engine.mllpPort === undefined ? '' : `  mllp 127.0.0.1:${String(engine.mllpPort)}`) +
            `  ipfs ${engine.kubo.apiUrl}  data ${engine.home}` +
            (rss === undefined ? '' : `  rss ${String(Math.round(rss / MB))} MB`),
        );
      }
      console.log(
        `ready in ${(running.startupMs / 1000).toFixed(1)} s; to act as an organisation's operator: ` +
          `(set -a; . ${running.engine('hospital-a').dir}/env; npx yilian …) (Ctrl-C stops all)`,
      );
      // a terminal's Ctrl-C may reach this process twice (npx passes it on too): the second must not cut the stop short
      let signalled = false;
      await new Promise<void>((resolve) => {
        const stop = () => {
          if (signalled) console.log('stopping the engines; each drains its workers first');
          signalled = true;
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      console.log('stopping');
      await running.stop();
      console.log('stopped');
    });
}
