// Entry point of `npm run tokens -- <command>` (see cli.ts).
import { buildProgram, errorLine } from "./cli.ts";

buildProgram().parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`tokens: ${errorLine(err)}\n`);
  process.exitCode = 1;
});
