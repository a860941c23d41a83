import { createReadStream, createWriteStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { Command } from 'commander';
import type { Config } from '../config/index.js';
import { parseCid } from '../../core/storage/index.js';
import { contentStoreFromConfig } from '../engine/content-store.js';

export function storageCommands(program: Command, config: () => Config): void {
  const storage = program.command('storage').description('the content store (embedded blocks or kubo)');

  storage
    .command('put')
    .argument('<file>', 'file to store; streamed, so any size works')
    .description('store a file and print its CID (the CID `ipfs add --cid-version=1` gives)')
    .action(async (file: string) => {
      await access(file).catch(() => {
        throw new Error(`cannot read ${file}: no such file`);
      });
      const cid = await contentStoreFromConfig(config()).put(createReadStream(file, { highWaterMark: 1 << 20 }));
      console.log(cid.toString());
    });

  storage
    .command('get')
    .argument('<cid>', 'content to read')
    .option('-o, --output <file>', 'write here instead of standard output')
    .description('stream content to a file or standard output, verifying every block')
    .action(async (text: string, options: { output?: string }) => {
      const source = Readable.from(contentStoreFromConfig(config()).stream(parseCid(text)));
      await pipeline(source, options.output ? createWriteStream(options.output) : process.stdout);
    });

  storage
    .command('has')
    .argument('<cid>', 'content to look for')
    .description('exit 0 and print "yes" when the content is stored here, exit 1 and "no" otherwise')
    .action(async (text: string) => {
      const present = await contentStoreFromConfig(config()).has(parseCid(text));
      console.log(present ? 'yes' : 'no');
      process.exitCode = present ? 0 : 1;
    });
}
